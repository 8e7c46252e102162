package sqlite

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// TestTaskPage_OrderTotalsAndPages walks a list page by page: overdue first by
// deadline, then the rest (open and done) by deadline; the pages join into
// the whole list with nothing repeated or missed, and the totals match.
func TestTaskPage_OrderTotalsAndPages(t *testing.T) {
	w := newTaskWorld(t)
	owner := qunzhu.MemberActor(w.owner)
	rng := rand.New(rand.NewPCG(1, 2))
	var all []*qunzhu.Task
	for i := range 57 {
		unit := []string{"市城管委", "区委办"}[i%2]
		// Deadlines from 10 days ago to 10 days ahead, some equal.
		d := t0.Add(time.Duration(rng.IntN(20)-10) * 24 * time.Hour)
		all = append(all, w.create(t, &qunzhu.Task{Title: fmt.Sprintf("事项%d", i), Unit: unit, Deadline: d}, owner))
	}
	// Some are reported done, some closed (closed ones are not listed).
	update(t, w.s, func(tx qunzhu.Tx) error {
		for i, task := range all {
			switch i % 5 {
			case 1:
				if _, err := tx.FinishTask(task.ID, qunzhu.MemberActor(w.li), "好了"); err != nil {
					return err
				}
			case 2:
				if _, err := tx.CloseTask(task.ID, owner, ""); err != nil {
					return err
				}
			case 3:
				if _, err := tx.SuspendTask(task.ID, owner, "等批复"); err != nil {
					return err
				}
			}
		}
		return nil
	})

	for _, f := range []qunzhu.TaskFilter{
		{GroupID: w.g.ID},
		{GroupID: w.g.ID, Unit: "市城管委"},
		{GroupID: w.g.ID, OverdueAt: t0},
		{GroupID: w.g.ID, Unit: "区委办", OverdueAt: t0},
		{GroupID: w.g.ID, Involving: w.li.ID},
	} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			// The expected list, computed the slow way.
			var want []int64
			var rows []*qunzhu.Task
			for _, task := range all {
				got := w.get(t, task.ID)
				overdue := got.Overdue(t0)
				switch {
				case got.Status == qunzhu.TaskClosed,
					f.Unit != "" && got.Unit != f.Unit,
					!f.OverdueAt.IsZero() && !overdue,
					f.Involving != 0 && got.Unit != "市城管委" && got.AssignerID != f.Involving:
					continue
				}
				rows = append(rows, got)
			}
			slices.SortStableFunc(rows, func(a, b *qunzhu.Task) int {
				ao, bo := a.Overdue(t0), b.Overdue(t0)
				if ao != bo {
					if ao {
						return -1
					}
					return 1
				}
				return compareListOrder(a, b)
			})
			for _, r := range rows {
				want = append(want, r.ID)
			}

			var got []int64
			for page := 0; page < 10; page++ {
				f := f
				f.Limit, f.Offset = 7, page*7
				var list []*qunzhu.Task
				var total int
				view(t, w.s, func(tx qunzhu.Tx) (err error) {
					list, total, err = tx.TaskPage(f)
					return err
				})
				if total != len(want) {
					t.Fatalf("page %d: total = %d, want %d", page, total, len(want))
				}
				for _, task := range list {
					got = append(got, task.ID)
					if len(task.AssigneeIDs) == 0 {
						t.Errorf("task #%d listed without its assignees", task.ID)
					}
				}
				if len(list) < 7 {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages joined = %v\nwant          %v", got, want)
			}
		})
	}
}

// TestTaskCounts_MatchAFullCount changes tasks every way the domain can
// (create, done, close, return, reopen, and a raw unit and deadline change as
// a transfer or an extension would) and checks that the trigger-kept
// task_counts give the same statistics as counting every task, for periods
// that start and end at and between Beijing midnights.
func TestTaskCounts_MatchAFullCount(t *testing.T) {
	w := newTaskWorld(t)
	owner, li := qunzhu.MemberActor(w.owner), qunzhu.MemberActor(w.li)
	rng := rand.New(rand.NewPCG(7, 9))
	var ids []int64
	applied := map[int]int{}
	for range 400 {
		w.clock.Advance(time.Duration(rng.IntN(300)) * time.Minute)
		switch op := rng.IntN(16); {
		case op < 4 || len(ids) == 0:
			unit := []string{"市城管委", "区委办", "区委"}[rng.IntN(3)]
			d := w.clock.Now().Add(time.Duration(rng.IntN(96)-24) * time.Hour)
			ids = append(ids, w.create(t, &qunzhu.Task{Title: "事项", Unit: unit, Deadline: d}, owner).ID)
		default:
			id := ids[rng.IntN(len(ids))]
			s := w.s
			err := s.Update(t.Context(), func(qtx qunzhu.Tx) error {
				var err error
				switch op {
				case 4, 5:
					_, err = qtx.FinishTask(id, li, "")
				case 6, 7:
					_, err = qtx.CloseTask(id, owner, "")
				case 8:
					_, err = qtx.ReturnTask(id, owner, "重办")
				case 9:
					_, err = qtx.(*tx).exec(`UPDATE tasks SET unit = ?, deadline = deadline + 3600000 WHERE id = ?`,
						[]string{"市城管委", "区委办"}[rng.IntN(2)], id)
				case 10:
					_, err = qtx.WithdrawTask(id, owner, "派错了")
				case 11:
					_, err = qtx.SuspendTask(id, owner, "等上级批复")
				case 12:
					_, err = qtx.ResumeTask(id, owner, w.clock.Now().Add(30*time.Hour), "")
				case 13:
					_, err = qtx.TransferTask(id, owner, qunzhu.Transfer{Unit: "区委办", AssigneeIDs: []int64{w.sun.ID}, Note: "转区委办"})
				case 14, 15:
					if _, err = qtx.RequestExtension(id, li, w.clock.Now().Add(48*time.Hour), "材料未齐", ""); err == nil {
						_, err = qtx.DecideExtension(id, owner, op == 14, "")
					}
				}
				return err // refusals (e.g. closing a closed task) roll back
			})
			if err == nil {
				applied[op]++
			}
		}
	}
	// Every kind of change happened at least once, or the test proves less
	// than it says.
	for op := 4; op < 16; op++ {
		if applied[op] == 0 {
			t.Errorf("operation %d never applied (applied: %v)", op, applied)
		}
	}
	now := w.clock.Now()
	midnight := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	periods := [][2]time.Time{
		{{}, now.Add(time.Hour)},
		{midnight, now.Add(time.Hour)},
		{midnight.Add(24 * time.Hour), midnight.Add(72 * time.Hour)},
		{t0.Add(5*time.Hour + 7*time.Minute), now.Add(-3 * time.Hour)},
		{t0.Add(30 * time.Hour), t0.Add(31 * time.Hour)},
	}
	for _, p := range periods {
		var got []qunzhu.TaskUnitStats
		view(t, w.s, func(tx qunzhu.Tx) (err error) {
			got, err = tx.TaskStats(w.g.ID, p[0], p[1], now)
			return err
		})
		want := fullCountStats(t, w.s, w.g.ID, p[0], p[1], now)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("period %v–%v:\n got %v\nwant %v", p[0], p[1], got, want)
		}
	}
}

// fullCountStats is /督办 统计 counted from every task, as before task_counts.
func fullCountStats(t *testing.T, s *Store, groupID int64, since, until, now time.Time) []qunzhu.TaskUnitStats {
	t.Helper()
	from := int64(math.MinInt64)
	if !since.IsZero() {
		from = ms(since)
	}
	rows, err := s.read.Query(`SELECT unit, count(*),
		coalesce(sum(status = 'closed' AND finished_at <= deadline), 0),
		coalesce(sum(status = 'closed' AND finished_at > deadline), 0),
		coalesce(sum(status <> 'closed'), 0),
		coalesce(sum(status = 'open' AND deadline < ? AND suspended_at IS NULL), 0),
		coalesce(sum(CASE WHEN status = 'closed' THEN finished_at - created_at END), 0),
		coalesce(sum(extensions), 0), coalesce(sum(transfers), 0)
		FROM tasks WHERE group_id = ? AND created_at >= ? AND created_at < ? AND withdrawn = 0 GROUP BY unit`,
		ms(now), groupID, from, ms(until))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var list []qunzhu.TaskUnitStats
	for rows.Next() {
		var s qunzhu.TaskUnitStats
		var closedMs int64
		if err := rows.Scan(&s.Unit, &s.Assigned, &s.ClosedOnTime, &s.ClosedLate, &s.Open, &s.Overdue, &closedMs,
			&s.Extended, &s.Transferred); err != nil {
			t.Fatal(err)
		}
		if n := s.ClosedOnTime + s.ClosedLate; n > 0 {
			s.AvgDaysToClose = float64(closedMs) / float64(n) / float64(dayMs)
		}
		list = append(list, s)
	}
	qunzhu.RankTaskStats(list)
	return list
}
