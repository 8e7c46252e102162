package qunzhu

import "time"

// Priority orders the outbox: lower numbers go first. Replies to commands never
// wait behind alerts, alerts never behind reminders, nothing behind broadcasts.
type Priority int

// Priorities, from the most urgent.
const (
	PriorityReply    Priority = 10 // answers to commands
	PriorityAlert    Priority = 20 // overdue alerts, webhooks, tasks
	PriorityReminder Priority = 30 // reminders to people
	// PriorityGuestReply answers people who are not bound members: anyone
	// can type a command, so their answers never go before an alert or a
	// reminder.
	PriorityGuestReply Priority = 35
	PriorityBroadcast  Priority = 40 // broadcasts and greetings
)

// MessageKind says why a message is sent; the governor and reports use it.
type MessageKind string

// Kinds of outgoing messages.
const (
	KindReply     MessageKind = "reply"
	KindAlert     MessageKind = "alert"
	KindWebhook   MessageKind = "webhook"
	KindReminder  MessageKind = "reminder"
	KindBroadcast MessageKind = "broadcast"
	// KindNotice is the service speaking about itself to a group's owners (the
	// daily cap was reached); the only kind the daily cap lets through.
	KindNotice MessageKind = "notice"
)

// DefaultPriority is the priority a kind gets when the producer does not set one.
func (k MessageKind) DefaultPriority() Priority {
	switch k {
	case KindReply, KindNotice:
		return PriorityReply
	case KindAlert, KindWebhook:
		return PriorityAlert
	case KindReminder:
		return PriorityReminder
	case KindBroadcast:
		return PriorityBroadcast
	}
	return PriorityAlert
}

// OutStatus is where an outbox row is in its life.
type OutStatus string

// Outbox statuses. A row is marked sending before the platform is called and sent
// after it accepted the message; rows found in sending at start are retried, so a
// crash may repeat the one message in flight but never lose one.
const (
	OutPending OutStatus = "pending"
	OutSending OutStatus = "sending"
	OutSent    OutStatus = "sent"
	OutFailed  OutStatus = "failed" // permanent error (e.g. group unregistered); kept for the record
)

// OutMessage is one outgoing chat message: a row in the durable outbox, written in
// the same transaction as the change that caused it. Nothing sends a chat message
// any other way.
type OutMessage struct {
	ID int64
	// Reserved, when set, is the id to create the row with: a number handed
	// out by Journal.Accept before the message was enqueued. 0: a new id.
	Reserved int64
	DedupKey string // optional; a second enqueue with the same key is a duplicate
	GroupID  int64
	Kind     MessageKind
	Priority Priority
	Text     string
	Image    []byte // optional picture, sent after Text when both are set
	// Ref tags the row with what it belongs to ("broadcast:12", "task:23"), so a
	// feature can follow its messages' delivery; "" for none.
	Ref string
	// Urgent marks a message that must not wait for a long WeChat outage (an
	// overdue hotline ticket, a 红牌): when the session has been down longer
	// than the configured fallback.urgent_after, a copy also goes to the
	// fallback robot, once. The WeChat message is still sent after the login.
	Urgent bool
	// At lists the people the text mentions, so platforms with real mentions
	// can notify them; the text already carries "@name" for every platform.
	At []At
	// ToMember, when set, sends the message privately to that registered
	// member instead of into the group (a one-time code for the owner who
	// registered someone). GroupID stays the member's group: it picks the
	// platform, the session and the limits. The adapter finds the person by
	// the member's stored identity; where no private chat is possible the
	// send fails for good (ENOTFOUND) and the sender's Failed hook decides.
	ToMember int64
	// ToUser, when set, answers one person privately by the platform's key
	// for them (WeChat: the session UserName, valid for one login; DingTalk
	// and WeCom: the user id), e.g. a reply to a private message from
	// someone who is not a member yet. GroupID is a registered group the
	// person is in.
	ToUser string
	// Platform is the platform of the message's group, filled by the store
	// when it reads a message (not stored): the sender routes by it.
	Platform Platform

	NotBefore time.Time // not sent before this time
	Attempts  int
	Status    OutStatus
	LastError string

	CreatedAt time.Time
	UpdatedAt time.Time
	SentAt    time.Time
}

// OutboxStats counts outbox rows by status, for /readyz and the dashboard.
type OutboxStats struct {
	Pending int
	Sending int
	Sent    int
	Failed  int
	// OldestPending is the creation time of the oldest pending row, zero if none.
	OldestPending time.Time
}

// OutboxTx is the part of a transaction that writes outgoing messages, so they
// commit with the change that caused them.
type OutboxTx interface {
	// Enqueue writes m to the outbox and sets m.ID. With a DedupKey already
	// present (in any status) it writes nothing, sets m.ID to the existing row
	// and reports dup, even if the new message differs. GroupID, Kind and Text or
	// Image are required.
	Enqueue(m *OutMessage) (dup bool, err error)
	// PruneOutbox deletes up to limit sent or failed messages last changed
	// before before, oldest first: the retention job keeps the outbox as big
	// as the traffic of the retention period, not of the service's life.
	PruneOutbox(before time.Time, limit int) (int, error)
}

// Private reports whether m goes to one person rather than into its group.
func (m *OutMessage) Private() bool { return m.ToMember != 0 || m.ToUser != "" }
