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
	Journal
	// Ping checks that the store answers, for /readyz.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is one transaction. Lookups of a missing row return an *Error with
// ENOTFOUND. Each domain declares its part of Tx beside its types (GroupTx in
// group.go, …) and adds one line here.
type Tx interface {
	// Now is the store clock's time, fixed for the transaction.
	Now() time.Time

	GroupTx
	MemberTx
	OutboxTx
	AttachTx
	TaskTx
	TaskWorkflowTx
	ReportTx
	BroadcastTx
	IntakeTx
	JournalTx
	LedgerTx
	HonorTx
	CaptureTx
	PlatformTx
}

// Outbox is the sender's side of the store.
type Outbox interface {
	// Due returns up to n pending messages due at now, most urgent first.
	Due(ctx context.Context, now time.Time, n int) ([]*OutMessage, error)
	// DueAlerts is Due for the messages the governor's reserve is for:
	// alerts, webhooks, notices and urgent messages. The sender asks when a
	// batch of Due is all replies, so an alert behind them is not missed.
	DueAlerts(ctx context.Context, now time.Time, n int) ([]*OutMessage, error)
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

	// SentSince counts messages sent at or after t: the daily cap counts a
	// calendar day from local midnight, durably across restarts.
	SentSince(ctx context.Context, t time.Time) (int, error)
	// Unforwarded returns up to n pending Urgent messages due at now that were
	// not yet copied to the fallback robot, oldest first.
	Unforwarded(ctx context.Context, now time.Time, n int) ([]*OutMessage, error)
	// MarkForwarded records that the fallback robot got a copy of message id,
	// so a copy goes out once; the message itself stays queued for WeChat.
	MarkForwarded(ctx context.Context, id int64) error
}
