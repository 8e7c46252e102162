package schedule

import (
	"context"
	"time"

	"github.com/qunzhu/qunzhu"
)

// DefaultRetention is how long sent and failed messages and hotline digests
// are kept: long enough for the dashboard's weeks and for anyone asking "did
// that alert go out last week?", short enough that the database stops growing
// with message volume alone.
const DefaultRetention = 30 * 24 * time.Hour

// MinRetention keeps the daily cap honest: it counts today's sent messages.
const MinRetention = 48 * time.Hour

// retentionBatch is how many rows one transaction deletes, so pruning a large
// backlog never holds the single writer for long.
const retentionBatch = 500

// Retention prunes what the service no longer needs: sent and failed outbox
// rows, hotline digests and applied intake journal entries older than Keep. Pending messages are never
// touched. Deleting twice is harmless, so a repeat after a crash is too.
type Retention struct {
	store qunzhu.Store
	keep  time.Duration
}

// NewRetention returns the job; keep below MinRetention is raised to it.
func NewRetention(store qunzhu.Store, keep time.Duration) *Retention {
	if keep <= 0 {
		keep = DefaultRetention
	}
	return &Retention{store: store, keep: max(keep, MinRetention)}
}

// Name names the job in logs.
func (j *Retention) Name() string { return "retention" }

// Run prunes everything older than now − keep, a batch per transaction.
func (j *Retention) Run(ctx context.Context, now time.Time) error {
	before := now.Add(-j.keep)
	for _, prune := range []func(qunzhu.Tx) (int, error){
		func(tx qunzhu.Tx) (int, error) { return tx.PruneOutbox(before, retentionBatch) },
		func(tx qunzhu.Tx) (int, error) { return tx.PruneDigests(before, retentionBatch) },
		// The journal's keys answer duplicates while the messages they made
		// are kept, and no longer.
		func(tx qunzhu.Tx) (int, error) { return tx.PruneIntake(before, retentionBatch) },
	} {
		for {
			var n int
			err := j.store.Update(ctx, func(tx qunzhu.Tx) (err error) {
				n, err = prune(tx)
				return err
			})
			if err != nil {
				return err
			}
			if n < retentionBatch {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}
