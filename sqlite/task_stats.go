package sqlite

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/qunzhu/qunzhu"
)

// taskStatsQuery counts a group's tasks assigned in a period, per unit, in
// one pass over the covering index tasks_created (no table reads).
const taskStatsQuery = `SELECT unit,
	count(*),
	coalesce(sum(status = 'closed' AND finished_at <= deadline), 0),
	coalesce(sum(status = 'closed' AND finished_at > deadline), 0),
	coalesce(sum(status <> 'closed'), 0),
	coalesce(sum(status = 'open' AND deadline < ? AND suspended_at IS NULL), 0),
	avg(CASE WHEN status = 'closed' THEN finished_at - created_at END),
	coalesce(sum(extensions), 0), coalesce(sum(transfers), 0)
	FROM tasks WHERE group_id = ? AND created_at >= ? AND created_at < ? AND withdrawn = 0
	GROUP BY unit`

// TaskStats counts, per unit, the tasks assigned in [since, until), ranked
// worst first (qunzhu.RankTaskStats).
func (t *tx) TaskStats(groupID int64, since, until, now time.Time) ([]qunzhu.TaskUnitStats, error) {
	from := int64(math.MinInt64)
	if !since.IsZero() {
		from = ms(since)
	}
	rows, err := t.query(taskStatsQuery, ms(now), groupID, from, ms(until))
	if err != nil {
		return nil, fmt.Errorf("select task stats: %w", err)
	}
	defer rows.Close()
	var list []qunzhu.TaskUnitStats
	for rows.Next() {
		var (
			s   qunzhu.TaskUnitStats
			avg sql.NullFloat64
		)
		if err := rows.Scan(&s.Unit, &s.Assigned, &s.ClosedOnTime, &s.ClosedLate, &s.Open, &s.Overdue, &avg,
			&s.Extended, &s.Transferred); err != nil {
			return nil, fmt.Errorf("scan task stats: %w", err)
		}
		if avg.Valid {
			s.AvgDaysToClose = avg.Float64 / float64(24*time.Hour/time.Millisecond)
		}
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select task stats: %w", err)
	}
	qunzhu.RankTaskStats(list)
	return list, nil
}

// taskWeekQuery adds up, per unit, the tasks created and closed in a period
// and those open past their deadline now, each through its own index.
const taskWeekQuery = `SELECT unit, sum(n), sum(c), sum(o) FROM (
	SELECT unit, 1 AS n, 0 AS c, 0 AS o FROM tasks
		WHERE group_id = ? AND created_at >= ? AND created_at < ? AND withdrawn = 0
	UNION ALL
	SELECT unit, 0, 1, 0 FROM tasks
		WHERE group_id = ? AND closed_at >= ? AND closed_at < ? AND withdrawn = 0
	UNION ALL
	SELECT unit, 0, 0, 1 FROM tasks
		WHERE group_id = ? AND status <> 'closed' AND status = 'open' AND deadline < ? AND suspended_at IS NULL
) GROUP BY unit ORDER BY sum(o) DESC, unit`

// TaskWeek counts what happened in a group in [since, until), and what is
// overdue at now, per unit, for the weekly summary.
func (t *tx) TaskWeek(groupID int64, since, until, now time.Time) ([]qunzhu.TaskWeekStats, error) {
	rows, err := t.query(taskWeekQuery, groupID, ms(since), ms(until), groupID, ms(since), ms(until),
		groupID, ms(now))
	if err != nil {
		return nil, fmt.Errorf("select task week: %w", err)
	}
	defer rows.Close()
	var list []qunzhu.TaskWeekStats
	for rows.Next() {
		var s qunzhu.TaskWeekStats
		if err := rows.Scan(&s.Unit, &s.New, &s.Closed, &s.Overdue); err != nil {
			return nil, fmt.Errorf("scan task week: %w", err)
		}
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select task week: %w", err)
	}
	return list, nil
}
