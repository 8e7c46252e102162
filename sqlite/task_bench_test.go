package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/schedule"
)

// sweepDue is how many tasks are due in BenchmarkTaskSweep: 1% of 100,000.
const sweepDue = 1000

// fillTasks adds open tasks fast, in one transaction of set-based INSERTs:
// n tasks assigned to two members of 市城管委, of which every (n/due)-th
// reached its deadline a minute before now (its 到期 notice is due) and the
// rest are due later, spread over the next 30 days.
func fillTasks(tb testing.TB, s *Store, groupID int64, memberIDs [2]int64, n, due int, now time.Time) {
	tb.Helper()
	every := n / due
	err := s.w.do(context.Background(), func(tx *tx) error {
		const fill = `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		INSERT INTO tasks (group_id, status, unit, deadline, next_action_at, ladder_step,
			created_at, updated_at, assigner_name, title)
		SELECT ?, 'open', '市城管委',
			CASE WHEN i % ? = 0 THEN ?1 ELSE ? + (i % 43200) * 60000 END,
			CASE WHEN i % ? = 0 THEN ?1 ELSE ? + (i % 43200) * 60000 END,
			'remind', ?, ?, '张书记', '修复人民路第' || i || '号路灯'
		FROM k`
		dueAt, later, created := ms(now.Add(-time.Minute)), ms(now.Add(time.Hour)), ms(now.Add(-72*time.Hour))
		if _, err := tx.exec(strings.ReplaceAll(fill, "?1", fmt.Sprint(dueAt)),
			n, groupID, every, later, every, later, created, created); err != nil {
			return fmt.Errorf("fill tasks: %w", err)
		}
		for pos, m := range memberIDs {
			if _, err := tx.exec(`INSERT INTO task_assignees (task_id, member_id, position)
			SELECT id, ?, ? FROM tasks`, m, pos); err != nil {
				return fmt.Errorf("fill assignees: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.writeExec(context.Background(), "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
}

// resetDue puts the due tasks back at their 到期 step and forgets what the
// last sweep wrote, so every iteration does the same work.
func resetDue(tb testing.TB, s *Store, dueAt time.Time) {
	tb.Helper()
	for _, q := range []string{
		`DELETE FROM task_events`,
		`DELETE FROM outbox`,
		`UPDATE tasks SET ladder_step = 'remind', next_action_at = deadline WHERE deadline = ` + fmt.Sprint(ms(dueAt)),
	} {
		if _, err := s.writeExec(context.Background(), q); err != nil {
			tb.Fatalf("reset: %v", err)
		}
	}
}

// allowAll is a limiter that allows everything (the due steps here are
// notices, which are never limited anyway).
type allowAll struct{}

func (allowAll) Allow(context.Context, string, qunzhu.Limit) (qunzhu.LimitResult, error) {
	return qunzhu.LimitResult{Allowed: true}, nil
}

// BenchmarkTaskSweep measures one run of the 督办 ladder job over 100,000 and
// 200,000 open tasks with the same 1,000 due: finding them through the
// tasks_next_action index, and for each one taking its 到期 step (a history
// row and the ladder update; the notices go out combined, one message per
// group) in batched transactions. The
// cost follows the due tasks; doubling the open ones adds one level of
// B-tree at most.
func BenchmarkTaskSweep(b *testing.B) {
	for _, open := range []int{100_000, 200_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			s := openTest(b, qunzhu.NewFakeClock(now))
			g := mustGroup(b, s, "区委干部工作群")
			var ids [2]int64
			update(b, s, func(tx qunzhu.Tx) error {
				for i, name := range []string{"李局长", "赵科长"} {
					m := &qunzhu.Member{GroupID: g.ID, Name: name, Unit: "市城管委"}
					if err := tx.CreateMember(m); err != nil {
						return err
					}
					ids[i] = m.ID
				}
				return nil
			})
			fillTasks(b, s, g.ID, ids, open, sweepDue, now)
			if plan := queryPlan(b, s, dueTasksQuery, ms(now), 100); !strings.Contains(plan, "USING INDEX tasks_next_action") {
				b.Fatalf("the sweep does not use its index:\n%s", plan)
			}
			job := schedule.NewTaskSweep(s, allowAll{}, schedule.TaskSweepConfig{})
			ctx := context.Background()
			dueAt := now.Add(-time.Minute)
			for b.Loop() {
				b.StopTimer()
				resetDue(b, s, dueAt)
				b.StartTimer()
				if err := job.Run(ctx, now); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			// Each due task took its step (a history row each); the notices
			// are combined into one message per group.
			var events int
			if err := s.read.QueryRow(`SELECT count(*) FROM task_events`).Scan(&events); err != nil {
				b.Fatal(err)
			}
			if events != sweepDue {
				b.Fatalf("the sweep recorded %d task steps, want %d", events, sweepDue)
			}
			if got := stats(b, s).Pending; got < 1 {
				b.Fatalf("the sweep enqueued %d notices, want at least one", got)
			}
			b.ReportMetric(sweepDue, "due-tasks/op")
		})
	}
}
