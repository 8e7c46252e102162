package qunzhu

import (
	"strings"
	"time"
)

// Webhook intake: what the store keeps for systems that post to qunzhu — the
// 12345 hotline's tickets (工单), the ids other systems use for our members,
// and the signed requests already seen. The HTTP side is the webhook package.

// TicketEvent names what the hotline says happened to a ticket.
type TicketEvent string

// Ticket events, as the hotline sends them.
const (
	TicketOverdue TicketEvent = "overdue" // the handling deadline passed: a 督办 task starts
	TicketUpdated TicketEvent = "updated" // the unit reported progress
	TicketClosed  TicketEvent = "closed"  // the hotline closed the ticket: the task is closed
)

// Valid reports whether e is one of the known events.
func (e TicketEvent) Valid() bool {
	return e == TicketOverdue || e == TicketUpdated || e == TicketClosed
}

// Ticket is a 12345 hotline ticket (工单) as the hotline last described it. It
// is kept whole, citizen's phone included, because the people who must call
// the citizen back need it; what is posted into a group is masked (MaskPII).
type Ticket struct {
	ID       int64  // our row
	Source   string // the webhook source that sent it
	TicketID string // the hotline's ticket number (工单编号)

	Unit           string // responsible unit (委办局), e.g. 市城管委
	District       string // e.g. 黄浦区
	Title          string
	Content        string
	Category       string
	CitizenPhone   string
	URL            string
	ReceivedAt     time.Time
	Deadline       time.Time
	OverdueMinutes int

	Status TicketEvent // the last event applied
	TaskID int64       // the 督办 task opened for it, 0 if none

	CreatedAt time.Time
	UpdatedAt time.Time
}

// TicketEventRecord is one event as received, kept so the same event is
// recognised when the hotline sends it again.
type TicketEventRecord struct {
	TicketRow int64 // Ticket.ID
	Event     TicketEvent
	// Key tells apart events of the same kind: "" for overdue and closed
	// (each happens once), the occurrence time and a hash of the content for
	// updates.
	Key        string
	OccurredAt time.Time
	Body       string // the request body, unmasked
}

// Digest (汇总) collects the overdue tickets of one unit for one group during
// a short window, so ten tickets arriving together are one message, not ten.
// Its message waits in the outbox until DueAt and is rewritten as tickets join.
type Digest struct {
	ID       int64
	Source   string
	GroupID  int64
	Unit     string
	DueAt    time.Time
	OutboxID int64 // the pending outbox row that will post it
	Tickets  int   // how many tickets it holds
}

// Contact kinds: how systems outside WeChat name a member.
const (
	ContactMobile   = "mobile"   // mainland mobile number, 11 digits
	ContactWeCom    = "wecom"    // WeCom userid (企业微信)
	ContactDingTalk = "dingtalk" // DingTalk userId (钉钉)
)

// IntakeTx is the part of a transaction that the webhook intake uses.
type IntakeTx interface {
	// Replay protection: a signed request is remembered until its signature
	// can no longer be accepted, so a replay is answered as a duplicate.

	// Replayed reports whether key is remembered and unexpired, and the id
	// recorded with it.
	Replayed(key string) (resultID int64, seen bool, err error)
	// RememberRequest records key until expiresAt with the id of what it made.
	RememberRequest(key string, resultID int64, expiresAt time.Time) error
	// PruneReplays forgets up to limit keys that expired before t.
	PruneReplays(t time.Time, limit int) (int, error)
	// PruneDigests forgets up to limit hotline digests (with their ticket
	// lists) that were due before t; their messages went long ago.
	PruneDigests(t time.Time, limit int) (int, error)

	// AddMemberContact records that a member is known elsewhere by value
	// (kind: ContactMobile, …); adding it again changes nothing.
	AddMemberContact(memberID int64, kind, value string) error
	// MembersByContact returns the bound members of a group known by value.
	MembersByContact(groupID int64, kind, value string) ([]*Member, error)

	// SaveTicket inserts or updates a ticket by (Source, TicketID) and sets ID.
	SaveTicket(t *Ticket) error
	TicketByNumber(source, ticketID string) (*Ticket, error)
	// TicketByTask is the ticket a 督办 task was opened for; ENOTFOUND if none.
	TicketByTask(taskID int64) (*Ticket, error)
	// RecordTicketEvent stores e; dup is true, and nothing is written, if the
	// same (ticket, event, key) was recorded before.
	RecordTicketEvent(e *TicketEventRecord) (dup bool, err error)
	// TicketEventRecorded reports whether (ticket, event, key) was recorded.
	TicketEventRecorded(ticketRow int64, event TicketEvent, key string) (bool, error)

	// OpenDigest returns the digest of a unit in a group that is still
	// collecting at now (due later and its message still pending); ENOTFOUND
	// if there is none.
	OpenDigest(groupID int64, unit string, now time.Time) (*Digest, error)
	// DigestsOfTicket returns the open digests holding a ticket.
	DigestsOfTicket(ticketRow int64, now time.Time) ([]*Digest, error)
	// CreateDigest stores d with its first message m (enqueued here), sets IDs.
	CreateDigest(d *Digest, m *OutMessage) error
	// AddDigestTicket and RemoveDigestTicket change which tickets d holds.
	AddDigestTicket(d *Digest, ticketRow int64) error
	RemoveDigestTicket(d *Digest, ticketRow int64) error
	// DigestTickets returns the first limit tickets of d, oldest first.
	DigestTickets(digestID int64, limit int) ([]*Ticket, error)
	// ReviseDigest replaces d's pending message by m (nil: withdraws it).
	// It reports false, changing nothing, if the message is no longer pending
	// (the sender took it): the caller then starts a new digest.
	ReviseDigest(d *Digest, m *OutMessage) (bool, error)
}

// NormalizeContact is value as stored and looked up: a mobile number as its 11
// digits (no +86, spaces or hyphens, full-width digits folded), an id trimmed.
// "" means the value cannot be a contact of that kind.
func NormalizeContact(kind, value string) string {
	value = strings.TrimSpace(value)
	if kind != ContactMobile {
		return value
	}
	var b strings.Builder
	for _, r := range value {
		r = foldRune(r)
		switch {
		case isDigit(r):
			b.WriteRune(r)
		case r == '+' || r == '-' || r == ' ':
		default:
			return ""
		}
	}
	d := b.String()
	if len(d) == 15 && strings.HasPrefix(d, "0086") {
		d = d[4:]
	} else if len(d) == 13 && strings.HasPrefix(d, "86") {
		d = d[2:]
	}
	if len(d) != 11 || d[0] != '1' {
		return ""
	}
	return d
}
