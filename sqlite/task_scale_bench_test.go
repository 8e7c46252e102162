package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// fillScale adds n open tasks over ten units in one statement (the triggers
// keep task_counts), a third of them overdue at now.
func fillScale(tb testing.TB, s *Store, groupID int64, n int, now time.Time) {
	tb.Helper()
	const fill = `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		INSERT INTO tasks (group_id, status, unit, deadline, ladder_step, created_at, updated_at, assigner_name, title)
		SELECT ?, 'open', '单位' || (i % 10),
			CASE WHEN i % 3 = 0 THEN ? - (i % 2000) * 3600000 ELSE ? + (i % 4320) * 2700000 END,
			'red', ? - (i % 300) * 86400000, ?, '张书记', '整改事项' || i
		FROM k`
	if _, err := s.writeExec(context.Background(), fill, n, groupID, ms(now), ms(now), ms(now), ms(now)); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.writeExec(context.Background(), "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkTaskScale measures the list, overdue list, unit list and
// statistics of a group with 100,000 open tasks, in the store alone.
func BenchmarkTaskScale(b *testing.B) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := openTest(b, qunzhu.NewFakeClock(now))
	g := mustGroup(b, s, "区委干部工作群")
	fillScale(b, s, g.ID, 100000, now)
	for _, bc := range []struct {
		name string
		fn   func(tx qunzhu.Tx) error
	}{
		{"list", func(tx qunzhu.Tx) error {
			_, _, err := tx.TaskPage(qunzhu.TaskFilter{GroupID: g.ID, Limit: 20})
			return err
		}},
		{"overdue", func(tx qunzhu.Tx) error {
			_, _, err := tx.TaskPage(qunzhu.TaskFilter{GroupID: g.ID, Limit: 20, OverdueAt: now})
			return err
		}},
		{"unit", func(tx qunzhu.Tx) error {
			_, _, err := tx.TaskPage(qunzhu.TaskFilter{GroupID: g.ID, Limit: 20, Unit: "单位3"})
			return err
		}},
		{"stats", func(tx qunzhu.Tx) error {
			_, err := tx.TaskStats(g.ID, time.Time{}, now.Add(time.Hour), now)
			return err
		}},
		{"detail", func(tx qunzhu.Tx) error {
			if _, err := tx.TaskByID(777); err != nil {
				return err
			}
			_, err := tx.TaskEvents(777)
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := s.View(b.Context(), bc.fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
