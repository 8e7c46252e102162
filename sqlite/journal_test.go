package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func accept(tb testing.TB, s *Store, e *qunzhu.IntakeEntry) bool {
	tb.Helper()
	dup, err := s.Accept(context.Background(), e)
	if err != nil {
		tb.Fatalf("Accept(%s): %v", e.Key, err)
	}
	return dup
}

func backlog(tb testing.TB, s *Store) qunzhu.IntakeBacklog {
	tb.Helper()
	var b qunzhu.IntakeBacklog
	view(tb, s, func(tx qunzhu.Tx) (err error) { b, err = tx.IntakeBacklog(); return err })
	return b
}

// An entry is accepted once per (source, key); a duplicate writes nothing and
// learns the first entry's numbers.
func TestAcceptDuplicates(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	first := &qunzhu.IntakeEntry{Source: "hotline", Kind: "message", Key: "dedup:a", Payload: []byte(`{}`), ReserveOutbox: true, ReserveTask: true}
	if accept(t, s, first) {
		t.Fatal("first accept reported a duplicate")
	}
	if first.ID == 0 || first.OutboxID == 0 || first.TaskID == 0 || !first.AcceptedAt.Equal(t0) {
		t.Fatalf("first = %+v, want an id, both numbers and the clock's time", first)
	}
	again := &qunzhu.IntakeEntry{Source: "hotline", Kind: "message", Key: "dedup:a", Payload: []byte(`{"other":1}`), ReserveOutbox: true, ReserveTask: true}
	if !accept(t, s, again) {
		t.Fatal("same key again was not a duplicate")
	}
	if again.ID != first.ID || again.OutboxID != first.OutboxID || again.TaskID != first.TaskID {
		t.Errorf("duplicate = %+v, want the first's numbers %+v", again, first)
	}
	other := &qunzhu.IntakeEntry{Source: "alerts", Kind: "message", Key: "dedup:a", Payload: []byte(`{}`), ReserveOutbox: true}
	if accept(t, s, other) {
		t.Error("the same key from another source was a duplicate")
	}
	if other.OutboxID == first.OutboxID {
		t.Errorf("two entries got outbox id %d", other.OutboxID)
	}
	if b := backlog(t, s); b.Pending != 2 || !b.Oldest.Equal(t0) {
		t.Errorf("backlog = %+v, want 2 pending since t0", b)
	}
	for _, bad := range []*qunzhu.IntakeEntry{
		{Kind: "message", Key: "k", Payload: []byte(`{}`)},
		{Source: "s", Kind: "message", Key: "", Payload: []byte(`{}`)},
		{Source: "s", Kind: "message", Key: "k"},
	} {
		if _, err := s.Accept(context.Background(), bad); qunzhu.ErrorCode(err) != qunzhu.EINVALID {
			t.Errorf("Accept(%+v) = %v, want EINVALID", bad, err)
		}
	}
}

// A reserved number is never taken by a row inserted without one, before or
// after the reserved row is created, and the reserved row gets exactly it.
func TestReservedNumbersStayFree(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "区委干部群")
	e := &qunzhu.IntakeEntry{Source: "hotline", Kind: "hotline", Key: "ticket:1:overdue", Payload: []byte(`{}`), ReserveOutbox: true, ReserveTask: true}
	accept(t, s, e)

	// Others write meanwhile.
	var other *qunzhu.OutMessage
	var otherTask *qunzhu.Task
	update(t, s, func(tx qunzhu.Tx) error {
		other = &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "回复"}
		if _, err := tx.Enqueue(other); err != nil {
			return err
		}
		otherTask = &qunzhu.Task{GroupID: g.ID, Title: "手工督办", Unit: "市城管委", Deadline: t0.Add(time.Hour)}
		return tx.CreateTask(otherTask, qunzhu.SystemActor("测试"))
	})
	if other.ID <= e.OutboxID || otherTask.ID <= e.TaskID {
		t.Fatalf("rows inserted later got ids %d/%d, not above the reserved %d/%d", other.ID, otherTask.ID, e.OutboxID, e.TaskID)
	}
	// The applier creates the rows with the reserved numbers.
	res, err := s.ApplyIntake(context.Background(), 10, func(tx qunzhu.Tx, in *qunzhu.IntakeEntry) error {
		m := &qunzhu.OutMessage{Reserved: in.OutboxID, GroupID: g.ID, Kind: qunzhu.KindAlert, Text: "超期工单"}
		if _, err := tx.Enqueue(m); err != nil {
			return err
		}
		if m.ID != in.OutboxID {
			return fmt.Errorf("enqueued as %d, want %d", m.ID, in.OutboxID)
		}
		task := &qunzhu.Task{ID: in.TaskID, GroupID: g.ID, Title: "热线工单", Unit: "市城管委", Deadline: t0.Add(time.Hour)}
		if err := tx.CreateTask(task, qunzhu.SystemActor("12345热线")); err != nil {
			return err
		}
		if task.ID != in.TaskID {
			return fmt.Errorf("task created as %d, want %d", task.ID, in.TaskID)
		}
		return nil
	})
	if err != nil || res.Applied != 1 || len(res.Failed) != 0 {
		t.Fatalf("ApplyIntake = %+v, %v (failed: %v)", res, err, failures(res))
	}
	if got := getOut(t, s, e.OutboxID); got.Text != "超期工单" {
		t.Errorf("outbox row %d = %q", e.OutboxID, got.Text)
	}
	// And the next row without a number still comes after everything.
	update(t, s, func(tx qunzhu.Tx) error {
		m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "再回复"}
		if _, err := tx.Enqueue(m); err != nil {
			return err
		}
		if m.ID <= other.ID {
			return fmt.Errorf("next id %d not above %d", m.ID, other.ID)
		}
		return nil
	})
	if b := backlog(t, s); b.Pending != 0 || b.Failed != 0 {
		t.Errorf("backlog after apply = %+v", b)
	}
}

func failures(res qunzhu.IntakeResult) []string {
	var out []string
	for _, e := range res.Failed {
		out = append(out, e.Key+": "+e.Error)
	}
	return out
}

// Entries are applied in acceptance order, n at a time; one that fails or
// panics is undone alone and kept with its reason, and the rest go on. (fn
// may run again for an entry whose group was undone, so the order checked
// is the order of the effects kept.)
func TestApplyIntakeOrderAndFailures(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "区委干部群")
	for i := range 5 {
		accept(t, s, &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: fmt.Sprintf("k%d", i), Payload: []byte(fmt.Sprintf("%d", i))})
	}
	fn := func(tx qunzhu.Tx, e *qunzhu.IntakeEntry) error {
		// Every entry writes first, so a failure must undo it.
		if _, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindWebhook, Text: "entry " + e.Key}); err != nil {
			return err
		}
		switch e.Key {
		case "k1":
			return qunzhu.Errorf(qunzhu.ENOTFOUND, "群已不存在")
		case "k3":
			panic("bad entry")
		}
		return nil
	}
	// Batches of at most 3; one may end earlier at its time budget (a
	// loaded machine under -race), so apply until nothing is left.
	var failed []string
	batches := 0
	for more := true; more; batches++ {
		res, err := s.ApplyIntake(context.Background(), 3, fn)
		if err != nil || res.Applied == 0 || res.Applied > 3 {
			t.Fatalf("batch %d = %+v, %v; want 1 to 3 applied", batches, res, err)
		}
		failed = append(failed, failures(res)...)
		more = res.More
	}
	if batches < 2 {
		t.Errorf("5 entries applied in %d batch of at most 3", batches)
	}
	due, err := s.Due(context.Background(), t0.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range due {
		order = append(order, strings.TrimPrefix(m.Text, "entry "))
	}
	if got := strings.Join(order, ","); got != "k0,k2,k4" {
		t.Errorf("effects kept in order %s, want k0,k2,k4", got)
	}
	if len(failed) != 2 || !strings.Contains(failed[0], "k1: ") || !strings.Contains(failed[0], "群已不存在") ||
		!strings.Contains(failed[1], "k3: ") || !strings.Contains(failed[1], "bad entry") {
		t.Errorf("failed = %q", failed)
	}
	if st := stats(t, s); st.Pending != 3 {
		t.Errorf("outbox pending = %d, want 3 (the failed entries' rows undone)", st.Pending)
	}
	if b := backlog(t, s); b.Pending != 0 || b.Failed != 2 {
		t.Errorf("backlog = %+v, want 0 pending and 2 failed", b)
	}
	view(t, s, func(tx qunzhu.Tx) error {
		ok, err := tx.IntakeByKey("src", "k2")
		if err != nil || ok.AppliedAt.IsZero() || ok.Error != "" || len(ok.Payload) != 0 {
			t.Errorf("applied entry = %+v, %v; want applied with its payload cleared", ok, err)
		}
		bad, err := tx.IntakeByKey("src", "k1")
		if err != nil || string(bad.Payload) != "1" {
			t.Errorf("failed entry = %+v, %v; want its payload kept", bad, err)
		}
		return nil
	})
}

// A failure of the store itself (here the caller's deadline) is no reason to
// give up on an entry: the batch is abandoned and tried again.
func TestApplyIntakeStoreFailureKeepsEntries(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	accept(t, s, &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: "k", Payload: []byte(`1`)})
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.ApplyIntake(ctx, 10, func(tx qunzhu.Tx, e *qunzhu.IntakeEntry) error {
		cancel()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ApplyIntake = %v, want the cancellation", err)
	}
	if b := backlog(t, s); b.Pending != 1 || b.Failed != 0 {
		t.Errorf("backlog = %+v, want the entry still pending", b)
	}
}

// What was accepted survives a restart that applied nothing, numbers and all.
func TestAcceptedSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qunzhu.db")
	s, err := Open(context.Background(), path, qunzhu.NewFakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	e := &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: "k", Payload: []byte(`{"text":"x"}`), ReserveOutbox: true}
	accept(t, s, e)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), path, qunzhu.NewFakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []*qunzhu.IntakeEntry
	if _, err := s.ApplyIntake(context.Background(), 10, func(tx qunzhu.Tx, in *qunzhu.IntakeEntry) error {
		got = append(got, in)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != e.ID || got[0].OutboxID != e.OutboxID || string(got[0].Payload) != `{"text":"x"}` {
		t.Errorf("after reopen applied %+v, want the entry %+v", got, e)
	}
	// A number reserved before the restart stays below what comes after it.
	next := &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: "k2", Payload: []byte(`1`), ReserveOutbox: true}
	accept(t, s, next)
	if next.OutboxID <= e.OutboxID {
		t.Errorf("after reopen reserved %d, not above %d", next.OutboxID, e.OutboxID)
	}
}

// Pruning forgets applied entries older than the cutoff and keeps failed ones.
func TestPruneIntake(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	for _, k := range []string{"ok", "bad"} {
		accept(t, s, &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: k, Payload: []byte(`1`)})
	}
	if _, err := s.ApplyIntake(context.Background(), 10, func(tx qunzhu.Tx, e *qunzhu.IntakeEntry) error {
		if e.Key == "bad" {
			return errors.New("cannot")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(48 * time.Hour)
	accept(t, s, &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: "new", Payload: []byte(`1`)})
	var n int
	update(t, s, func(tx qunzhu.Tx) (err error) { n, err = tx.PruneIntake(t0.Add(time.Hour), 100); return err })
	if n != 1 {
		t.Errorf("pruned %d, want the one applied entry", n)
	}
	view(t, s, func(tx qunzhu.Tx) error {
		for key, want := range map[string]bool{"ok": false, "bad": true, "new": true} {
			_, err := tx.IntakeByKey("src", key)
			if got := err == nil; got != want {
				t.Errorf("entry %s kept = %v, want %v (%v)", key, got, want, err)
			}
		}
		return nil
	})
}

// Entry ids come from the largest id in the table, so pruning keeps the
// newest entry however old: a new entry never takes the id of a forgotten
// one that a log line may name.
func TestPruneIntakeKeepsTheNewestID(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	var last int64
	for _, k := range []string{"a", "b", "c"} {
		e := &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: k, Payload: []byte(`1`)}
		accept(t, s, e)
		last = e.ID
	}
	if _, err := s.ApplyIntake(context.Background(), 10, func(qunzhu.Tx, *qunzhu.IntakeEntry) error { return nil }); err != nil {
		t.Fatal(err)
	}
	clock.Advance(48 * time.Hour)
	var n int
	update(t, s, func(tx qunzhu.Tx) (err error) { n, err = tx.PruneIntake(clock.Now(), 100); return err })
	if n != 2 {
		t.Errorf("pruned %d, want 2 (all applied entries but the newest)", n)
	}
	next := &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: "d", Payload: []byte(`1`)}
	accept(t, s, next)
	if next.ID <= last {
		t.Errorf("entry accepted after pruning got id %d, want more than %d", next.ID, last)
	}
}

// PendingIntake finds a ticket's events that are accepted and not applied.
func TestPendingIntake(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	for _, k := range []string{"ticket:1:overdue", "ticket:1:closed", "ticket:2:overdue"} {
		accept(t, s, &qunzhu.IntakeEntry{Source: "h", Kind: "hotline", Key: k, Payload: []byte(`1`)})
	}
	var got []string
	view(t, s, func(tx qunzhu.Tx) error {
		es, err := tx.PendingIntake("h", "ticket:1:overdue", "ticket:1:closed", "ticket:9:closed")
		for _, e := range es {
			got = append(got, e.Key)
		}
		return err
	})
	if strings.Join(got, ",") != "ticket:1:overdue,ticket:1:closed" {
		t.Errorf("pending = %v", got)
	}
}

// GroupsVersion moves after a commit that adds or renames a group, and not
// after other writes: the webhook intake's group cache depends on it.
func TestGroupsVersion(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	v0 := s.GroupsVersion()
	g := mustGroup(t, s, "区委干部群")
	v1 := s.GroupsVersion()
	if v1 == v0 {
		t.Fatal("adding a group did not move the version")
	}
	enqueue(t, s, &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "x"})
	if s.GroupsVersion() != v1 {
		t.Error("an outbox write moved the version")
	}
	update(t, s, func(tx qunzhu.Tx) error { return tx.RenameGroup(g.ID, "区委干部工作群") })
	if s.GroupsVersion() == v1 {
		t.Error("renaming a group did not move the version")
	}
}

// ApplyIntake reads pending entries a chunk at a time (applyChunk) and
// applies them a group at a time (applyGroupSize): across chunk and group
// boundaries, with failures among them and a batch limit that is not a
// multiple of the chunk, every entry's effect is kept once, in order, a
// failed entry's effect never, and More is false only when none is left.
func TestApplyIntakeAcrossChunks(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	const total = 3*applyChunk + 5
	for i := range total {
		accept(t, s, &qunzhu.IntakeEntry{Source: "src", Kind: "message", Key: fmt.Sprintf("k%03d", i), Payload: []byte("p")})
	}
	// fn's effect is a row in a table of its own, so only what a committed
	// run wrote is counted: a group with a failing entry is rolled back and
	// its entries run again one at a time.
	if _, err := s.writeExec(context.Background(), `CREATE TABLE applied_log (seq INTEGER PRIMARY KEY, key TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	fn := func(tx qunzhu.Tx, e *qunzhu.IntakeEntry) error {
		if _, err := tx.(*sqliteTx).exec(`INSERT INTO applied_log (key) VALUES (?)`, e.Key); err != nil {
			return err
		}
		if strings.HasSuffix(e.Key, "7") {
			return qunzhu.Errorf(qunzhu.EINVALID, "bad")
		}
		return nil
	}
	limit := applyChunk + applyChunk/2
	applied, failed := 0, 0
	for more := true; more; {
		res, err := s.ApplyIntake(context.Background(), limit, fn)
		if err != nil || res.Applied == 0 || res.Applied > limit {
			t.Fatalf("batch = %+v, %v; want 1 to %d applied", res, err, limit)
		}
		applied += res.Applied
		failed += len(res.Failed)
		more = res.More
		if more != (applied < total) {
			t.Fatalf("More = %v after %d of %d applied", more, applied, total)
		}
	}
	var order []string
	rows, err := s.read.Query(`SELECT key FROM applied_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		order = append(order, k)
	}
	rows.Close()
	var want []string
	for i := range total {
		if k := fmt.Sprintf("k%03d", i); !strings.HasSuffix(k, "7") {
			want = append(want, k)
		}
	}
	if applied != total || !slices.Equal(order, want) {
		t.Fatalf("applied %d of %d; effects kept, in order: %v, want %v", applied, total, order, want)
	}
	if want := (total + 2) / 10; failed != want {
		t.Errorf("failed = %d, want %d", failed, want)
	}
	if b := backlog(t, s); b.Pending != 0 {
		t.Errorf("backlog = %+v, want none pending", b)
	}
	res, err := s.ApplyIntake(context.Background(), limit, fn)
	if err != nil || res.Applied != 0 || res.More {
		t.Errorf("on an empty journal ApplyIntake = %+v, %v", res, err)
	}
}
