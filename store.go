package qunzhu

import (
	"context"
	"time"
)

// Store keeps qunzhu's state. Every change happens inside Update, and every
// outgoing message is enqueued through the same Tx as the change that caused it,
// so a reply is never lost and never sent for a change that rolled back.
type Store interface {
	// Update runs fn in a read-write transaction, committed if fn returns nil.
	// fn must not call Update or the Outbox's write methods: an implementation
	// may run all writes on one connection.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	Outbox
	// Ping checks that the store answers, for /readyz.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is one transaction. Lookups of a missing row return an *Error with ENOTFOUND.
type Tx interface {
	// Now is the store clock's time, fixed for the transaction.
	Now() time.Time

	// Groups.
	CreateGroup(name string) (*Group, error) // ECONFLICT if the name is taken
	EnsureGroup(name string) (g *Group, created bool, err error)
	GroupByID(id int64) (*Group, error)
	GroupByName(name string) (*Group, error)
	Groups() ([]*Group, error)
	RenameGroup(id int64, name string) error

	// Members.
	CreateMember(m *Member) error // sets ID; ECONFLICT if the name exists in the group
	UpdateMember(m *Member) error // role, unit, name
	MemberByID(id int64) (*Member, error)
	MemberByName(groupID int64, name string) (*Member, error)
	// MemberBySession finds the bound member behind a session key; only bound
	// members match and "" never matches.
	MemberBySession(groupID int64, sessionKey string) (*Member, error)
	Members(groupID int64) ([]*Member, error)
	// BindMember records that id is this member's WeChat identity from now on;
	// ECONFLICT if the identity is bound to another member of the group.
	BindMember(memberID int64, id Identity) error
	// SetSessionKeys replaces the session keys of a group's bound members after a
	// login: members absent from keys are left unmapped until seen again. Every
	// key must name a bound member of groupID, else nothing changes.
	SetSessionKeys(groupID int64, keys map[int64]Identity) error

	// One-time bind codes.
	// CreateBindCode stores a code, replacing the member's previous one.
	CreateBindCode(c *BindCode) error
	// TakeBindCode returns and deletes a code; ENOTFOUND if unknown or expired.
	TakeBindCode(code string) (*BindCode, error)

	// Enqueue writes m to the outbox and sets m.ID. With a DedupKey already
	// present (in any status) it writes nothing, sets m.ID to the existing row
	// and reports dup, even if the new message differs. GroupID, Kind and Text or
	// Image are required.
	Enqueue(m *OutMessage) (dup bool, err error)
}

// Outbox is the sender's side of the store.
type Outbox interface {
	// Due returns up to n pending messages due at now, most urgent first.
	Due(ctx context.Context, now time.Time, n int) ([]*OutMessage, error)
	// NextDue is when the earliest pending message becomes due; ok is false if none.
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
	MarkSending(ctx context.Context, id int64) error
	MarkSent(ctx context.Context, id int64) error
	// MarkRetry puts a message back to pending, not before notBefore, counting the
	// attempt when counted is true (a throttle or offline wait is not an attempt).
	MarkRetry(ctx context.Context, id int64, notBefore time.Time, lastErr string, counted bool) error
	MarkFailed(ctx context.Context, id int64, lastErr string) error
	// RecoverSending returns messages left in sending by a crash to pending.
	RecoverSending(ctx context.Context) (int, error)
	OutMessage(ctx context.Context, id int64) (*OutMessage, error)
	OutboxStats(ctx context.Context) (OutboxStats, error)
	// Enqueued is signalled (without blocking) after a commit that enqueued.
	Enqueued() <-chan struct{}
}
