package sqlite

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// fillOutbox adds sent rows of history and pending rows due now, fast, in one
// statement each.
func fillOutbox(tb testing.TB, s *Store, groupID int64, sent, pending int) {
	tb.Helper()
	const fill = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO outbox (status, priority, not_before, group_id, kind, attempts,
			created_at, updated_at, sent_at, text, platform)
		SELECT ?, 10 + (i % 4) * 10, 0, ?, 'reminder', 0, i, i, ?, '请于本周五18:00前交作业，第' || i || '次提醒。',
			(SELECT platform FROM "groups" WHERE id = ?)
		FROM n`
	for _, f := range []struct {
		status string
		n      int
		sentAt any
	}{{"sent", sent, 1}, {"pending", pending, nil}} {
		if f.n == 0 {
			continue
		}
		if _, err := s.writeExec(context.Background(), fill, f.n, f.status, groupID, f.sentAt, groupID); err != nil {
			tb.Fatalf("fill outbox: %v", err)
		}
	}
}

func BenchmarkEnqueue(b *testing.B) {
	s := openTest(b, nil)
	g := mustGroup(b, s, "区委干部群")
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		err := s.Update(ctx, func(tx qunzhu.Tx) error {
			_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindWebhook,
				Text: "【12345】工单超期，请市城管委今日办结。", DedupKey: fmt.Sprintf("hotline:%d:overdue", i)})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnqueueParallel is 32 callers enqueueing at once, each Update
// acknowledged only after its commit is on disk: group commit shares
// transactions and fsyncs among them. It reports callers per transaction.
// Run: go test -run '^$' -bench EnqueueParallel ./sqlite/
func BenchmarkEnqueueParallel(b *testing.B) {
	s := openTest(b, nil)
	g := mustGroup(b, s, "区委干部群")
	ctx := context.Background()
	var n atomic.Int64
	before := s.w.batches.Load()
	b.SetParallelism(32 / max(1, runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			err := s.Update(ctx, func(tx qunzhu.Tx) error {
				_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindWebhook,
					Text: "【12345】工单超期，请市城管委今日办结。", DedupKey: fmt.Sprintf("hotline:%d:overdue", i)})
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/float64(max(1, s.w.batches.Load()-before)), "callers/tx")
}

// BenchmarkDue reads the queue the way the sender does, with 100k sent rows of
// history and 100 pending: its cost must follow the queue, not the history.
func BenchmarkDue(b *testing.B) {
	s := openTest(b, nil)
	g := mustGroup(b, s, "区委干部群")
	fillOutbox(b, s, g.ID, 100_000, 100)
	if _, err := s.writeExec(context.Background(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		ms, err := s.Due(ctx, now, 10)
		if err != nil || len(ms) != 10 {
			b.Fatalf("Due = %d messages, %v; want 10", len(ms), err)
		}
	}
}

// BenchmarkOutboxStats is what /readyz pays with the same history.
func BenchmarkOutboxStats(b *testing.B) {
	s := openTest(b, nil)
	g := mustGroup(b, s, "区委干部群")
	fillOutbox(b, s, g.ID, 100_000, 100)
	ctx := context.Background()
	for b.Loop() {
		st, err := s.OutboxStats(ctx)
		if err != nil || st.Sent != 100_000 || st.Pending != 100 {
			b.Fatalf("OutboxStats = %+v, %v", st, err)
		}
	}
}

// BenchmarkDueWithBacklog is a sender lane's wake-up while one WeChat group
// has 100,000 messages waiting (a flood of webhooks, a paused account): the
// lane of that platform takes the next 20, another platform's lane finds
// nothing. Neither should cost more than the rows it returns.
// Run: go test -run '^$' -bench DueWithBacklog ./sqlite/
func BenchmarkDueWithBacklog(b *testing.B) {
	s := openTest(b, nil)
	g := mustGroup(b, s, "区委干部群")
	fillOutbox(b, s, g.ID, 0, 100_000)
	ctx := context.Background()
	now := time.UnixMilli(1_000_000)
	for _, p := range []qunzhu.Platform{qunzhu.PlatformWeChat, qunzhu.PlatformDingTalk} {
		b.Run(string(p), func(b *testing.B) {
			want := 20
			if p != qunzhu.PlatformWeChat {
				want = 0
			}
			for b.Loop() {
				due, err := s.DueOn(ctx, p, now, 20)
				if err != nil || len(due) != want {
					b.Fatalf("DueOn = %d messages, %v; want %d", len(due), err, want)
				}
				if _, _, err := s.NextDueOn(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
