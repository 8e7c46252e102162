package schedule

import (
	"context"
	"time"

	"github.com/qunzhu/qunzhu"
)

// replayPruneBatch is how many expired keys one transaction deletes, so the
// prune never holds the single write connection for long under a backlog.
const replayPruneBatch = 500

// ReplayPrune forgets the signed webhook requests whose signatures can no
// longer be accepted (their timestamp is outside the window): the replay
// table then holds one window of traffic, not the whole history. It finds
// them through the expiry index, and deleting twice is harmless, so a repeat
// after a crash changes nothing.
type ReplayPrune struct {
	store qunzhu.Store
}

// NewReplayPrune returns the job.
func NewReplayPrune(store qunzhu.Store) *ReplayPrune { return &ReplayPrune{store: store} }

// Name names the job in logs.
func (j *ReplayPrune) Name() string { return "webhook-replay-prune" }

// Run deletes every key expired at now, a batch per transaction.
func (j *ReplayPrune) Run(ctx context.Context, now time.Time) error {
	for {
		var n int
		err := j.store.Update(ctx, func(tx qunzhu.Tx) (err error) {
			n, err = tx.PruneReplays(now, replayPruneBatch)
			return err
		})
		if err != nil || n < replayPruneBatch {
			return err
		}
	}
}
