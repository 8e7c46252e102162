package sqlite

import (
	"fmt"
	"math"
	"time"

	"github.com/qunzhu/qunzhu"
)

// dayMs is one day; bucketOffset puts task_counts' day boundaries at
// Beijing midnight (UTC+8, no daylight saving time).
const (
	dayMs        = int64(24 * time.Hour / time.Millisecond)
	bucketOffset = int64(8 * time.Hour / time.Millisecond)
)

// TaskStats counts, per unit, the tasks assigned in [since, until), ranked
// worst first (qunzhu.RankTaskStats). Whole days come from task_counts (a row
// per unit and day, kept by triggers); the partial days at either end, if the
// period does not start or end at Beijing midnight, from the covering index
// tasks_created; overdue-now counts from the covering range of tasks_list.
// The cost follows units × days and the overdue tasks, not closed history.
func (t *tx) TaskStats(groupID int64, since, until, now time.Time) ([]qunzhu.TaskUnitStats, error) {
	from, to := int64(math.MinInt64), ms(until)
	if !since.IsZero() {
		from = ms(since)
	}
	acc := map[string]*unitAcc{}
	firstDay := int64(math.MinInt64)
	edgeFrom := from
	if from != math.MinInt64 {
		firstDay = ceilDiv(from+bucketOffset, dayMs)
		edgeFrom = firstDay*dayMs - bucketOffset
	}
	endDay := floorDiv(to+bucketOffset, dayMs)
	edgeTo := endDay*dayMs - bucketOffset
	if firstDay >= endDay {
		if err := t.addExactStats(acc, groupID, from, to); err != nil {
			return nil, err
		}
	} else {
		if err := t.addCountedStats(acc, groupID, firstDay, endDay); err != nil {
			return nil, err
		}
		if from < edgeFrom {
			if err := t.addExactStats(acc, groupID, from, edgeFrom); err != nil {
				return nil, err
			}
		}
		if edgeTo < to {
			if err := t.addExactStats(acc, groupID, edgeTo, to); err != nil {
				return nil, err
			}
		}
	}
	if err := t.addOverdue(acc, groupID, from, to, now); err != nil {
		return nil, err
	}
	list := make([]qunzhu.TaskUnitStats, 0, len(acc))
	for _, a := range acc {
		if a.Assigned == 0 {
			continue
		}
		if n := a.ClosedOnTime + a.ClosedLate; n > 0 {
			a.AvgDaysToClose = float64(a.closedMs) / float64(n) / float64(dayMs)
		}
		list = append(list, a.TaskUnitStats)
	}
	qunzhu.RankTaskStats(list)
	return list, nil
}

// unitAcc adds up one unit's stats from several sources.
type unitAcc struct {
	qunzhu.TaskUnitStats
	closedMs int64
}

func accOf(acc map[string]*unitAcc, unit string) *unitAcc {
	a, ok := acc[unit]
	if !ok {
		a = &unitAcc{TaskUnitStats: qunzhu.TaskUnitStats{Unit: unit}}
		acc[unit] = a
	}
	return a
}

// countedStatsQuery adds up task_counts' whole days [firstDay, endDay).
const countedStatsQuery = `SELECT unit, sum(assigned), sum(closed_on_time), sum(closed_late),
	sum(unclosed), sum(closed_ms), sum(extended), sum(transferred) FROM task_counts
	WHERE group_id = ? AND day >= ? AND day < ? GROUP BY unit`

// exactStatsQuery counts tasks created in a (short) range from the covering
// index tasks_created, for the partial days at a period's ends. Its columns
// are countedStatsQuery's.
const exactStatsQuery = `SELECT unit, count(*),
	coalesce(sum(status = 'closed' AND finished_at <= deadline), 0),
	coalesce(sum(status = 'closed' AND finished_at > deadline), 0),
	coalesce(sum(status <> 'closed'), 0),
	coalesce(sum(CASE WHEN status = 'closed' THEN finished_at - created_at ELSE 0 END), 0),
	coalesce(sum(extensions), 0), coalesce(sum(transfers), 0)
	FROM tasks WHERE group_id = ? AND created_at >= ? AND created_at < ? AND withdrawn = 0
	GROUP BY unit`

func (t *tx) addCountedStats(acc map[string]*unitAcc, groupID, firstDay, endDay int64) error {
	return t.addStats(acc, countedStatsQuery, groupID, firstDay, endDay)
}

func (t *tx) addExactStats(acc map[string]*unitAcc, groupID, from, to int64) error {
	return t.addStats(acc, exactStatsQuery, groupID, from, to)
}

// addStats adds the per-unit rows of a statistics query to acc.
func (t *tx) addStats(acc map[string]*unitAcc, q string, args ...any) error {
	rows, err := t.query(q, args...)
	if err != nil {
		return fmt.Errorf("select task stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			unit                                     string
			assigned, onTime, late, open, cm, ex, tr int64
		)
		if err := rows.Scan(&unit, &assigned, &onTime, &late, &open, &cm, &ex, &tr); err != nil {
			return fmt.Errorf("scan task stats: %w", err)
		}
		a := accOf(acc, unit)
		a.Assigned += int(assigned)
		a.ClosedOnTime += int(onTime)
		a.ClosedLate += int(late)
		a.Open += int(open)
		a.closedMs += cm
		a.Extended += int(ex)
		a.Transferred += int(tr)
	}
	return rows.Err()
}

// overdueStatsQuery counts open tasks past their deadline per unit over the
// covering range (group, 'open', deadline < now) of tasks_list. The unary
// plus keeps SQLite from choosing tasks_created for the creation range, which
// for a whole history would read every task.
const overdueStatsQuery = `SELECT unit, count(*) FROM tasks
	WHERE group_id = ? AND status <> 'closed' AND status = 'open' AND deadline < ? AND suspended_at IS NULL
	AND +created_at >= ? AND +created_at < ?
	GROUP BY unit`

// addOverdue adds the tasks created in [from, to) that are overdue at now.
// For the whole history it sums task_open_days per unit (past days) and
// reads today's deadlines from the index; for a period it counts the
// period's tasks from the covering range.
func (t *tx) addOverdue(acc map[string]*unitAcc, groupID, from, to int64, now time.Time) error {
	if from == math.MinInt64 && to > ms(now) {
		units, err := t.openUnits(groupID)
		if err != nil {
			return err
		}
		for _, unit := range units {
			n, err := t.countOverdue(groupID, unit, now)
			if err != nil {
				return err
			}
			if n > 0 {
				accOf(acc, unit).Overdue += n
			}
		}
		return nil
	}
	rows, err := t.query(overdueStatsQuery, groupID, ms(now), from, to)
	if err != nil {
		return fmt.Errorf("select overdue tasks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			unit string
			n    int
		)
		if err := rows.Scan(&unit, &n); err != nil {
			return fmt.Errorf("scan overdue tasks: %w", err)
		}
		accOf(acc, unit).Overdue += n
	}
	return rows.Err()
}

// openUnits lists the units of a group that have open tasks.
func (t *tx) openUnits(groupID int64) ([]string, error) {
	rows, err := t.query(`SELECT DISTINCT unit FROM task_open_days WHERE group_id = ? AND n > 0`, groupID)
	if err != nil {
		return nil, fmt.Errorf("select open units: %w", err)
	}
	defer rows.Close()
	var units []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("scan open unit: %w", err)
		}
		units = append(units, u)
	}
	return units, rows.Err()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

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
