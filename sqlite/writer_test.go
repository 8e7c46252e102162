package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// holdWriter starts an Update whose fn waits until release is called, so the
// writer is busy and later Updates queue behind it; its fn then works for
// slow more. It returns the batch number the held fn ran in and a release
// func that waits for its commit.
func holdWriter(t *testing.T, s *Store, slow time.Duration) (seq uint64, release func()) {
	t.Helper()
	started, gate, done := make(chan uint64), make(chan struct{}), make(chan error)
	go func() {
		done <- s.Update(context.Background(), func(tx qunzhu.Tx) error {
			started <- tx.(*sqliteTx).b.seq
			<-gate
			time.Sleep(slow) // the slow work itself, not a wait for something
			_, err := tx.CreateGroup("先到的群")
			return err
		})
	}()
	seq = <-started
	return seq, func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("held Update: %v", err)
		}
	}
}

// waitQueued waits until n Updates wait for the writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.w.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d Updates queued, want %d", len(s.w.reqs), n)
		}
		runtime.Gosched()
	}
}

// outcome is what one queued Update saw.
type outcome struct {
	seq      uint64
	err      error
	panicked any
}

// queue starts fn as an Update in its own goroutine and waits until it is
// queued; the outcome arrives on the returned channel.
func queue(t *testing.T, s *Store, ctx context.Context, fn func(qunzhu.Tx) error) <-chan outcome {
	t.Helper()
	n := len(s.w.reqs)
	ch := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			o.panicked = recover()
			ch <- o
		}()
		o.err = s.Update(ctx, func(tx qunzhu.Tx) error {
			o.seq = tx.(*sqliteTx).b.seq
			return fn(tx)
		})
	}()
	waitQueued(t, s, n+1)
	return ch
}

func createGroup(name string) func(qunzhu.Tx) error {
	return func(tx qunzhu.Tx) error {
		_, err := tx.CreateGroup(name)
		return err
	}
}

func groupExists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	var found bool
	view(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.GroupByName(name)
		found = err == nil
		if err != nil && qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("GroupByName(%s): %v", name, err)
		}
		return nil
	})
	return found
}

// Callers queued together share one transaction; one caller's error or panic
// undoes that caller's work only, and a caller whose context ended is not run.
func TestUpdate_GroupCommitRollsBackOnlyTheFailingCaller(t *testing.T) {
	s := openTest(t, nil)
	s.w.budget = time.Minute // everyone queued joins the held caller's batch
	g := mustGroup(t, s, "区委干部群")
	drain(s)
	heldSeq, release := holdWriter(t, s, 0)

	boom := errors.New("boom")
	ok := queue(t, s, t.Context(), createGroup("甲群"))
	failing := queue(t, s, t.Context(), func(tx qunzhu.Tx) error {
		if _, err := tx.CreateGroup("乙群"); err != nil {
			return err
		}
		if _, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "不该发出"}); err != nil {
			return err
		}
		return boom
	})
	panicking := queue(t, s, t.Context(), func(tx qunzhu.Tx) error {
		if _, err := tx.CreateGroup("丙群"); err != nil {
			return err
		}
		panic("handler bug")
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancelled := queue(t, s, ctx, createGroup("丁群"))
	cancel()
	enqueuing := queue(t, s, t.Context(), func(tx qunzhu.Tx) error {
		_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "收到"})
		return err
	})
	release()

	if o := <-ok; o.err != nil || o.panicked != nil || o.seq != heldSeq {
		t.Errorf("good caller: err %v, panic %v, batch %d; want nil, nil, %d", o.err, o.panicked, o.seq, heldSeq)
	}
	if o := <-failing; !errors.Is(o.err, boom) || o.seq != heldSeq {
		t.Errorf("failing caller: err %v, batch %d; want %v, %d", o.err, o.seq, boom, heldSeq)
	}
	if o := <-panicking; o.panicked != "handler bug" || o.err != nil {
		t.Errorf("panicking caller: panic %v, err %v; want the panic raised in its own goroutine", o.panicked, o.err)
	}
	if o := <-cancelled; !errors.Is(o.err, context.Canceled) {
		t.Errorf("cancelled caller: err %v, want context.Canceled", o.err)
	}
	if o := <-enqueuing; o.err != nil || o.seq != heldSeq {
		t.Errorf("enqueuing caller: err %v, batch %d; want nil, %d", o.err, o.seq, heldSeq)
	}

	for name, want := range map[string]bool{"先到的群": true, "甲群": true, "乙群": false, "丙群": false, "丁群": false} {
		if got := groupExists(t, s, name); got != want {
			t.Errorf("group %s stored = %v, want %v", name, got, want)
		}
	}
	if got := stats(t, s).Pending; got != 1 {
		t.Errorf("%d messages pending, want 1 (the failing caller's rolled back)", got)
	}
	if !drain(s) {
		t.Error("no Enqueued signal for the committed message")
	}
}

// Callers queued in order run in that order in one transaction: each sees what
// the ones before it wrote, and ids follow the queue.
func TestUpdate_GroupCommitKeepsOrder(t *testing.T) {
	s := openTest(t, nil)
	s.w.budget = time.Minute
	_, release := holdWriter(t, s, 0)
	var ids [3]int64
	var outs []<-chan outcome
	for i, name := range []string{"一群", "二群", "三群"} {
		outs = append(outs, queue(t, s, t.Context(), func(tx qunzhu.Tx) error {
			if i > 0 {
				prev := []string{"一群", "二群"}[i-1]
				if _, err := tx.GroupByName(prev); err != nil {
					return fmt.Errorf("caller %d does not see %s: %w", i, prev, err)
				}
			}
			g, err := tx.CreateGroup(name)
			if err == nil {
				ids[i] = g.ID
			}
			return err
		}))
	}
	release()
	for _, ch := range outs {
		if o := <-ch; o.err != nil {
			t.Fatal(o.err)
		}
	}
	if !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Errorf("ids %v, want increasing in queue order", ids)
	}
}

// Many goroutines writing at once: every Update commits, and they share
// transactions (the point of group commit).
func TestUpdate_ConcurrentCallersShareCommits(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	before := s.w.batches.Load()
	const workers, each = 32, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				errs <- s.Update(t.Context(), func(tx qunzhu.Tx) error {
					_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindWebhook,
						Text: "告警", DedupKey: fmt.Sprintf("w%d-%d", w, i)})
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := stats(t, s).Pending; got != workers*each {
		t.Errorf("%d pending, want %d", got, workers*each)
	}
	batches := s.w.batches.Load() - before
	if batches >= workers*each {
		t.Errorf("%d Updates took %d transactions: none were shared", workers*each, batches)
	}
	t.Logf("%d Updates from %d goroutines in %d transactions", workers*each, workers, batches)
}

// A slow caller holds up only its own batch: whoever queued behind it commits
// in the very next batch, all together, not one batch each.
func TestUpdate_SlowCallerDelaysOthersByOneBatch(t *testing.T) {
	s := openTest(t, nil)
	// The slow caller works past the budget; the 20 quick ones fit in it.
	s.w.budget = 200 * time.Millisecond
	heldSeq, release := holdWriter(t, s, 250*time.Millisecond)
	var outs []<-chan outcome
	for i := range 20 {
		outs = append(outs, queue(t, s, t.Context(), createGroup(fmt.Sprintf("群%d", i))))
	}
	release()
	for _, ch := range outs {
		o := <-ch
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.seq != heldSeq+1 {
			t.Errorf("a caller queued behind the slow one committed in batch %d, want %d", o.seq, heldSeq+1)
		}
	}
}

// Statements that run again and again are prepared once and reused by later
// transactions; a query built with literal values is not kept.
func TestUpdate_ReusesPreparedStatements(t *testing.T) {
	s := openTest(t, nil)
	for i := range 3 {
		mustGroup(t, s, fmt.Sprintf("群%d", i))
	}
	var found bool
	for q := range s.w.stmts {
		found = found || containsInsertGroups(q)
	}
	if !found {
		t.Fatalf("no prepared INSERT INTO groups among %d statements", len(s.w.stmts))
	}
	for i := range 3 {
		q := fmt.Sprintf("SELECT %d", i)
		update(t, s, func(tx qunzhu.Tx) error {
			_, err := tx.(*sqliteTx).exec(q)
			return err
		})
		if _, ok := s.w.stmts[q]; ok {
			t.Errorf("one-off query %q was prepared", q)
		}
	}
}

func containsInsertGroups(q string) bool { return strings.Contains(q, `INSERT INTO "groups"`) }

// After Close, Update answers at once with an error instead of waiting.
func TestUpdate_AfterClose(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir()+"/qunzhu.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), createGroup("晚到的群")); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v, want %v", err, ErrClosed)
	}
}

// sqliteTx names the store's tx type where a parameter called tx hides it.
type sqliteTx = tx

// A caller without a savepoint (writeReq.bare) that fails halfway marks the
// transaction broken: nothing of its batch is kept, and every caller in it
// is told, instead of keeping half of the bare caller's work.
func TestUpdate_BrokenBareCallerRollsBackTheBatch(t *testing.T) {
	s := openTest(t, nil)
	s.w.budget = time.Minute
	started, gate, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- s.Update(t.Context(), func(tx qunzhu.Tx) error {
			close(started)
			<-gate
			_, err := tx.CreateGroup("先到的群")
			return err
		})
	}()
	<-started
	other := queue(t, s, t.Context(), createGroup("甲群"))
	half := errors.New("second statement failed")
	bare := make(chan error, 1)
	n := len(s.w.reqs)
	go func() {
		bare <- s.w.doBare(t.Context(), func(t *tx) error {
			if _, err := t.exec(`INSERT INTO "groups" (platform, chat_id, name, created_at, updated_at) VALUES ('wechat', '', '乙群', 1, 1)`); err != nil {
				return err
			}
			t.broken = half
			return half
		})
	}()
	waitQueued(t, s, n+1)
	close(gate)

	if err := <-bare; !errors.Is(err, half) {
		t.Errorf("bare caller: err %v, want %v", err, half)
	}
	if err := <-held; err == nil {
		t.Error("caller before the bare one in its batch: no error, want one (its work was rolled back)")
	}
	if o := <-other; o.err == nil {
		t.Error("caller after the bare one in its batch: no error, want one")
	}
	for _, name := range []string{"先到的群", "甲群", "乙群"} {
		if groupExists(t, s, name) {
			t.Errorf("group %s stored from a broken batch", name)
		}
	}
	// The writer goes on.
	if err := s.Update(t.Context(), createGroup("丙群")); err != nil || !groupExists(t, s, "丙群") {
		t.Errorf("Update after a broken batch: %v", err)
	}
}
