package schedule_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/schedule"
	"github.com/qunzhu/qunzhu/sqlite"
)

// Expired replay keys are pruned in batches, live ones stay, and running the
// job again changes nothing.
func TestReplayPrune(t *testing.T) {
	start := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := qunzhu.NewFakeClock(start)
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.Update(context.Background(), func(tx qunzhu.Tx) error {
		for i := range 1200 { // expire after 5 minutes: more than two batches
			if err := tx.RememberRequest(fmt.Sprintf("replay:old:%d", i), int64(i), start.Add(5*time.Minute)); err != nil {
				return err
			}
		}
		return tx.RememberRequest("replay:live", 1, start.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	job := schedule.NewReplayPrune(store)
	clock.Advance(10 * time.Minute)
	for range 2 {
		if err := job.Run(context.Background(), clock.Now()); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	err = store.Update(context.Background(), func(tx qunzhu.Tx) error {
		if n, err := tx.PruneReplays(start.Add(2*time.Hour), 10000); err != nil || n != 1 {
			t.Errorf("left after the job: %d (%v), want only the live key", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
