package sqlite

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestLedgerTasks_FiltersAndNoGroupsMeansNothing(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	s := openTest(t, clock)
	a, b := mustGroup(t, s, "甲群"), mustGroup(t, s, "乙群")
	var open, closed, other *qunzhu.Task
	update(t, s, func(tx qunzhu.Tx) error {
		open = &qunzhu.Task{GroupID: a.ID, Title: "路灯", Unit: "市城管委", Deadline: clock.Now().Add(time.Hour)}
		closed = &qunzhu.Task{GroupID: a.ID, Title: "下水道", Unit: "市水务局", Deadline: clock.Now().Add(time.Hour)}
		other = &qunzhu.Task{GroupID: b.ID, Title: "乙群的事", Unit: "市城管委", Deadline: clock.Now().Add(time.Hour)}
		for _, task := range []*qunzhu.Task{open, closed, other} {
			if err := tx.CreateTask(task, qunzhu.SystemActor("")); err != nil {
				return err
			}
		}
		_, err := tx.CloseTask(closed.ID, qunzhu.SystemActor(""), "")
		return err
	})
	clock.Advance(2 * time.Hour)
	ids := func(f qunzhu.LedgerFilter) []int64 {
		var out []int64
		view(t, s, func(tx qunzhu.Tx) error {
			list, err := tx.LedgerTasks(f)
			for _, task := range list {
				out = append(out, task.ID)
			}
			return err
		})
		return out
	}
	for name, tt := range map[string]struct {
		f    qunzhu.LedgerFilter
		want []int64
	}{
		"no groups":   {qunzhu.LedgerFilter{}, nil},
		"group a":     {qunzhu.LedgerFilter{GroupIDs: []int64{a.ID}}, []int64{closed.ID, open.ID}},
		"both":        {qunzhu.LedgerFilter{GroupIDs: []int64{a.ID, b.ID}}, []int64{other.ID, closed.ID, open.ID}},
		"unit":        {qunzhu.LedgerFilter{GroupIDs: []int64{a.ID, b.ID}, Unit: "市城管委"}, []int64{other.ID, open.ID}},
		"closed":      {qunzhu.LedgerFilter{GroupIDs: []int64{a.ID}, Status: qunzhu.TaskClosed}, []int64{closed.ID}},
		"overdue":     {qunzhu.LedgerFilter{GroupIDs: []int64{a.ID}, OverdueAt: clock.Now()}, []int64{open.ID}},
		"before":      {qunzhu.LedgerFilter{GroupIDs: []int64{a.ID}, CreatedUntil: clock.Now().Add(-3 * time.Hour)}, nil},
		"since, hits": {qunzhu.LedgerFilter{GroupIDs: []int64{a.ID}, CreatedSince: clock.Now().Add(-3 * time.Hour), Limit: 1}, []int64{closed.ID}},
	} {
		if got := ids(tt.f); len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("%s: %v, want %v", name, got, tt.want)
		}
	}
	// Tickets belong to a group through their task.
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.SaveTicket(&qunzhu.Ticket{Source: "h", TicketID: "1", Status: qunzhu.TicketOverdue, TaskID: other.ID}); err != nil {
			return err
		}
		return tx.SaveTicket(&qunzhu.Ticket{Source: "h", TicketID: "2", Status: qunzhu.TicketOverdue})
	})
	view(t, s, func(tx qunzhu.Tx) error {
		for _, g := range []struct {
			ids  []int64
			want int
		}{{[]int64{a.ID}, 0}, {[]int64{b.ID}, 1}, {nil, 0}} {
			list, err := tx.GroupTickets(g.ids, 0)
			if err != nil {
				return err
			}
			if len(list) != g.want {
				t.Errorf("tickets of %v: %d, want %d", g.ids, len(list), g.want)
			}
		}
		return nil
	})
}

func TestPraises_WeekRange(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	s := openTest(t, clock)
	g := mustGroup(t, s, "甲群")
	update(t, s, func(tx qunzhu.Tx) error {
		return tx.AddPraise(&qunzhu.Praise{GroupID: g.ID, Unit: "市城管委", MemberName: "张书记", Text: "好"})
	})
	var bad error
	update(t, s, func(tx qunzhu.Tx) error {
		bad = tx.AddPraise(&qunzhu.Praise{GroupID: g.ID, Unit: "市城管委"})
		return nil
	})
	if qunzhu.ErrorCode(bad) != qunzhu.EINVALID {
		t.Errorf("praise without text: %v", bad)
	}
	view(t, s, func(tx qunzhu.Tx) error {
		now := clock.Now()
		in, err := tx.Praises(g.ID, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			return err
		}
		out, err := tx.Praises(g.ID, now.Add(time.Millisecond), now.Add(time.Hour))
		if len(in) != 1 || in[0].Text != "好" || in[0].MemberName != "张书记" || !in[0].At.Equal(now) || len(out) != 0 {
			t.Errorf("praises: in %+v, out %+v", in, out)
		}
		return err
	})
}

// BenchmarkOutboxCounts is the metrics scrape's store read with 100k rows of
// history: it reads the whole outbox, so its cost follows the history.
func BenchmarkOutboxCounts(b *testing.B) {
	s := openTest(b, nil)
	g := mustGroup(b, s, "区委干部群")
	fillOutbox(b, s, g.ID, 100_000, 100)
	b.ReportAllocs()
	for b.Loop() {
		view(b, s, func(tx qunzhu.Tx) error {
			counts, err := tx.OutboxCounts()
			if err == nil && len(counts) != 8 {
				b.Fatalf("%d series, want 8", len(counts))
			}
			return err
		})
	}
}
