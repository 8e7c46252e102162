package qunzhu

import (
	"context"
	"time"
)

// The intake journal. A webhook that the hotline or another system posts is
// authenticated, parsed, validated and masked first, then written to the
// journal with one insert and answered; an applier takes the journal's
// entries in order, in batches, and makes each one's effect (the 督办 task,
// the digest, the outbox row) in the same transaction that marks it applied.
// The answer never waits for that work, so a burst of tickets costs the
// single writer one small insert each, and an entry accepted before a crash
// is applied after the restart.

// IntakeEntry is one accepted request in the journal.
type IntakeEntry struct {
	ID     int64  // the journal's row, in acceptance order
	Source string // the webhook source that sent it
	Kind   string // what the applier does with it ("message", "hotline")
	// Key identifies the request within Source: a retry, a replay or the
	// same event sent again has the same key and is answered as a duplicate
	// of the first, with the first's numbers.
	Key string
	// Payload is what the applier needs, already validated and masked.
	Payload []byte

	// ReserveOutbox and ReserveTask ask Accept for numbers the answer
	// promises before the entry is applied: the outbox row of a message, the
	// 督办 task of an overdue ticket. The applier creates them with exactly
	// these numbers (OutMessage.Reserved, a Task with ID set).
	ReserveOutbox bool
	ReserveTask   bool
	OutboxID      int64
	TaskID        int64

	AcceptedAt time.Time
	// AppliedAt is set once applied; Error says why applying failed, when it
	// did (the entry is then kept, payload and all, for IT to look at).
	AppliedAt time.Time
	Error     string
}

// Journal is the store's side of the intake journal.
type Journal interface {
	// Accept writes e and fills ID, AcceptedAt and the reserved numbers,
	// durably before it returns. When (Source, Key) is in the journal
	// already, nothing is written, dup is true and e gets the first entry's
	// ID, numbers and AcceptedAt.
	Accept(ctx context.Context, e *IntakeEntry) (dup bool, err error)
	// ApplyIntake applies up to n pending entries in acceptance order with
	// fn, inside one transaction, and marks them applied. An entry whose fn
	// fails or panics is rolled back alone and marked failed with the
	// reason; a failure of the store itself leaves every entry of the batch
	// pending and is returned. fn may run more than once for an entry, on
	// a transaction where its earlier run was rolled back: it must change
	// nothing but the store through tx.
	ApplyIntake(ctx context.Context, n int, fn func(Tx, *IntakeEntry) error) (IntakeResult, error)
	// Accepted is signalled, without blocking, after a commit that accepted
	// an entry: the applier's wake-up.
	Accepted() <-chan struct{}
}

// IntakeResult is what one ApplyIntake call did.
type IntakeResult struct {
	Applied int            // entries applied, failures included
	Failed  []*IntakeEntry // entries whose apply failed, with Error set
	More    bool           // entries were left pending: call again
	// Last is when the last entry applied was accepted: how far behind
	// the applier is.
	Last time.Time
}

// IntakeBacklog is the journal's state for /readyz and the metrics.
type IntakeBacklog struct {
	Pending int       // accepted, not yet applied
	Oldest  time.Time // the oldest pending entry's acceptance, zero if none
	Failed  int       // entries whose apply failed, kept for IT
}

// JournalTx is the journal's part of a transaction.
type JournalTx interface {
	// IntakeBacklog counts the pending and failed entries.
	IntakeBacklog() (IntakeBacklog, error)
	// IntakeByKey is the entry accepted as (source, key); ENOTFOUND if none.
	IntakeByKey(source, key string) (*IntakeEntry, error)
	// PendingIntake returns the entries of source with one of keys that are
	// not applied yet, in acceptance order.
	PendingIntake(source string, keys ...string) ([]*IntakeEntry, error)
	// PruneIntake forgets up to limit applied entries accepted before t (a
	// request older than that is no longer recognised as a duplicate by the
	// journal; the outbox's and the tickets' own keys still hold).
	PruneIntake(t time.Time, limit int) (int, error)
}
