package schedule_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/schedule"
	"github.com/qunzhu/qunzhu/sqlite"
)

// Retention, on the injected clock: sent and failed messages and digests
// older than the retention period go, in batches; pending messages of any
// age and recent history stay; a second run changes nothing.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clock := qunzhu.NewFakeClock(start)
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var g *qunzhu.Group
	if err := store.Update(ctx, func(tx qunzhu.Tx) (err error) {
		g, err = tx.CreateGroup("区委干部工作群")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	enqueue := func(n int, text string) []int64 {
		var ids []int64
		err := store.Update(ctx, func(tx qunzhu.Tx) error {
			for range n {
				m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Text: text}
				if _, err := tx.Enqueue(m); err != nil {
					return err
				}
				ids = append(ids, m.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	finish := func(ids []int64, failed bool) {
		for _, id := range ids {
			if err := store.MarkSending(ctx, id); err != nil {
				t.Fatal(err)
			}
			if failed {
				err = store.MarkFailed(ctx, id, "群已解散")
			} else {
				err = store.MarkSent(ctx, id)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// Day 0: 1,100 sent (more than two batches), 3 failed, 2 still pending.
	finish(enqueue(1100, "旧消息"), false)
	finish(enqueue(3, "旧失败"), true)
	pending := enqueue(2, "一直发不出去")
	var digest qunzhu.Digest
	if err := store.Update(ctx, func(tx qunzhu.Tx) error {
		digest = qunzhu.Digest{Source: "hotline-12345", GroupID: g.ID, Unit: "市城管委", DueAt: start.Add(30 * time.Second)}
		return tx.CreateDigest(&digest, &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Text: "汇总",
			NotBefore: digest.DueAt})
	}); err != nil {
		t.Fatal(err)
	}
	// Day 25: more history, still within 30 days at the end.
	clock.Advance(25 * 24 * time.Hour)
	recent := enqueue(5, "近期消息")
	finish(recent, false)

	job := schedule.NewRetention(store, schedule.DefaultRetention)
	clock.Advance(6 * 24 * time.Hour) // day 31
	for range 2 {
		if err := job.Run(ctx, clock.Now()); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	st, err := store.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Left: the 2 pending, the digest's pending message, the 5 recent sent.
	if st.Pending != 3 || st.Sent != 5 || st.Failed != 0 {
		t.Errorf("after pruning: %+v, want 3 pending, 5 sent, 0 failed", st)
	}
	for _, id := range append(pending, recent...) {
		if _, err := store.OutMessage(ctx, id); err != nil {
			t.Errorf("message %d pruned: %v", id, err)
		}
	}
	err = store.Update(ctx, func(tx qunzhu.Tx) error {
		if n, err := tx.PruneDigests(clock.Now(), 10); err != nil || n != 0 {
			t.Errorf("digests left after the job: %d (%v), want 0", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
