package sqlite

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// defaultTaskLimit is a page when the caller sets no limit.
const defaultTaskLimit = 100

// listOrder is the order of tasks_list and tasks_unit_list past their
// equality columns, so every list query below reads an index in order and
// stops at its LIMIT instead of sorting the group's tasks.
const listOrder = ` ORDER BY deadline, unit, created_at, id`

// The parts of a list, each a range of tasks_list (or tasks_unit_list).
const (
	// Each repeats "status <> 'closed'": SQLite uses a partial index only when
	// the query states its condition, it does not infer it from status = 'open'.
	partOverdue = ` AND status <> 'closed' AND status = 'open' AND deadline < ? AND suspended_at IS NULL`
	partNotDue  = ` AND status <> 'closed' AND status = 'open' AND deadline >= ?`
	// partSuspended is what partOverdue leaves out: past the deadline but
	// suspended (中止), so not overdue; a range of tasks_suspended.
	partSuspended = ` AND suspended_at IS NOT NULL AND status <> 'closed' AND status = 'open' AND deadline < ?`
	// partOther skips the open range: done, and any other unclosed status.
	partOther = ` AND (status < 'open' OR status > 'open') AND status <> 'closed'`
)

// listQuery reads one part of a list in index order, up to a LIMIT.
func listQuery(where, part string) string {
	return `SELECT ` + taskColumns + ` FROM tasks WHERE ` + where + part + listOrder + ` LIMIT ?`
}

// suspendedQuery is listQuery for partSuspended, naming its index: left to
// itself SQLite reads every overdue task of tasks_list to find the few
// suspended ones.
func suspendedQuery(where string) string {
	return `SELECT ` + taskColumns + ` FROM tasks INDEXED BY tasks_suspended WHERE ` + where + partSuspended +
		listOrder + ` LIMIT ?`
}

// Tasks lists the tasks of a group that are not closed: open ones past their
// deadline first, then the rest, each by deadline.
func (t *tx) Tasks(f qunzhu.TaskFilter) ([]*qunzhu.Task, error) {
	page, err := t.taskPage(f)
	return page, err
}

// TaskPage is Tasks with the number of tasks the filter selects in all.
func (t *tx) TaskPage(f qunzhu.TaskFilter) ([]*qunzhu.Task, int, error) {
	page, err := t.taskPage(f)
	if err != nil {
		return nil, 0, err
	}
	total, err := t.countTasks(f)
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

// taskPage reads the page [Offset, Offset+Limit) of the list. The list is the
// overdue part (status open, deadline before now) then the rest (open and not
// yet due, or done and waiting for 销号) merged by deadline; each part is an
// index range read in order, so the rows read are at most Offset+Limit per
// part, whatever the size of the group.
func (t *tx) taskPage(f qunzhu.TaskFilter) ([]*qunzhu.Task, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultTaskLimit
	}
	want := max(f.Offset, 0) + limit
	at := overdueAt(f, t)
	var list []*qunzhu.Task
	if f.Involving != 0 {
		var err error
		if list, err = t.involvingTasks(f, want); err != nil {
			return nil, err
		}
	} else {
		where, args := t.listWhere(f)
		overdue, err := t.selectTasks(listQuery(where, partOverdue), append(args, ms(at), want)...)
		if err != nil {
			return nil, err
		}
		list = overdue
		if rest := want - len(overdue); rest > 0 && f.OverdueAt.IsZero() {
			// Not yet due, then every other unclosed status (done, and
			// whatever waits for 销号): two ranges of the partial index that
			// skip the open tasks, merged here by deadline.
			notDue, err := t.selectTasks(listQuery(where, partNotDue), append(args, ms(at), rest)...)
			if err != nil {
				return nil, err
			}
			other, err := t.selectTasks(listQuery(where, partOther), append(args, rest)...)
			if err != nil {
				return nil, err
			}
			suspended, err := t.selectTasks(suspendedQuery(where), append(args, ms(at), rest)...)
			if err != nil {
				return nil, err
			}
			merged := append(append(notDue, other...), suspended...)
			slices.SortStableFunc(merged, compareListOrder)
			list = append(list, merged[:min(rest, len(merged))]...)
		}
	}
	if f.Offset >= len(list) {
		return nil, nil
	}
	list = list[max(f.Offset, 0):]
	return list, t.loadAssigneesOf(list)
}

// overdueAt is the time that splits overdue from not yet due: the filter's,
// else the transaction's.
func overdueAt(f qunzhu.TaskFilter, t *tx) time.Time {
	if !f.OverdueAt.IsZero() {
		return f.OverdueAt
	}
	return t.now
}

// listWhere is the filter's condition on tasks, without the status: the
// equality prefix of tasks_list (group) or tasks_unit_list (group and unit).
func (t *tx) listWhere(f qunzhu.TaskFilter) (string, []any) {
	where, args := `group_id = ?`, []any{f.GroupID}
	if f.Unit != "" {
		where += ` AND unit = ?`
		args = append(args, f.Unit)
	}
	return where, args
}

// involvingTasks is /督办 列表 我的: tasks assigned to the member, to their unit
// or by them. Each source is an index; the union is one person's tasks,
// ordered overdue first and cut at want.
func (t *tx) involvingTasks(f qunzhu.TaskFilter, want int) ([]*qunzhu.Task, error) {
	m, err := t.MemberByID(f.Involving)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + taskColumns + ` FROM tasks WHERE group_id = ? AND status <> 'closed' AND id IN (
		SELECT id FROM tasks WHERE group_id = ? AND unit = ? AND unit <> '' AND status <> 'closed'
		UNION SELECT task_id FROM task_assignees WHERE member_id = ?
		UNION SELECT id FROM tasks WHERE assigner_id = ? AND assigner_id IS NOT NULL AND status <> 'closed')`
	args := []any{f.GroupID, f.GroupID, m.Unit, m.ID, m.ID}
	if !f.OverdueAt.IsZero() {
		q += ` AND status = 'open' AND deadline < ? AND suspended_at IS NULL`
		args = append(args, ms(f.OverdueAt))
	}
	q += ` ORDER BY (status = 'open' AND deadline < ? AND suspended_at IS NULL) DESC, deadline, unit, created_at, id LIMIT ?`
	return t.selectTasks(q, append(args, ms(t.now), want)...)
}

// countTasks counts what the filter selects. The overdue part is a covering
// range of tasks_list; everything unclosed comes from task_counts, which has
// a row per unit and day, not per task.
func (t *tx) countTasks(f qunzhu.TaskFilter) (int, error) {
	var n int
	if f.Involving != 0 {
		m, err := t.MemberByID(f.Involving)
		if err != nil {
			return 0, err
		}
		q := `SELECT count(*) FROM tasks WHERE group_id = ? AND status <> 'closed' AND id IN (
			SELECT id FROM tasks WHERE group_id = ? AND unit = ? AND unit <> '' AND status <> 'closed'
			UNION SELECT task_id FROM task_assignees WHERE member_id = ?
			UNION SELECT id FROM tasks WHERE assigner_id = ? AND assigner_id IS NOT NULL AND status <> 'closed')`
		args := []any{f.GroupID, f.GroupID, m.Unit, m.ID, m.ID}
		if !f.OverdueAt.IsZero() {
			q += ` AND status = 'open' AND deadline < ? AND suspended_at IS NULL`
			args = append(args, ms(f.OverdueAt))
		}
		err = t.queryRow(q, args...).Scan(&n)
		return n, wrapCount(err)
	}
	where, args := t.listWhere(f)
	if !f.OverdueAt.IsZero() {
		return t.countOverdue(f.GroupID, f.Unit, f.OverdueAt)
	}
	where = strings.ReplaceAll(where, "group_id", "c.group_id")
	where = strings.ReplaceAll(where, "unit", "c.unit")
	err := t.queryRow(`SELECT coalesce(sum(c.unclosed), 0) FROM task_counts c WHERE `+where, args...).Scan(&n)
	return n, wrapCount(err)
}

// countOverdue counts open tasks of a group (of one unit, if unit is set)
// whose deadline is before at: whole past days from task_open_days, the day
// of at through a short range of tasks_list.
func (t *tx) countOverdue(groupID int64, unit string, at time.Time) (int, error) {
	today := floorDiv(ms(at)+bucketOffset, dayMs)
	dayStart := today*dayMs - bucketOffset
	past, pastArgs := `SELECT coalesce(sum(n), 0) FROM task_open_days WHERE group_id = ? AND day < ?`, []any{groupID, today}
	recent, recentArgs := `SELECT count(*) FROM tasks WHERE group_id = ?`, []any{groupID}
	if unit != "" {
		past += ` AND unit = ?`
		pastArgs = append(pastArgs, unit)
		recent += ` AND unit = ?`
		recentArgs = append(recentArgs, unit)
	}
	recent += partOverdue + ` AND deadline >= ?`
	recentArgs = append(recentArgs, ms(at), dayStart)
	var a, b int
	if err := t.queryRow(past, pastArgs...).Scan(&a); err != nil {
		return 0, wrapCount(err)
	}
	if err := t.queryRow(recent, recentArgs...).Scan(&b); err != nil {
		return 0, wrapCount(err)
	}
	return a + b, nil
}

func wrapCount(err error) error {
	if err != nil {
		return fmt.Errorf("count tasks: %w", err)
	}
	return nil
}

// compareListOrder is listOrder in Go, for merging two ranges.
func compareListOrder(a, b *qunzhu.Task) int {
	return cmp.Or(a.Deadline.Compare(b.Deadline), strings.Compare(a.Unit, b.Unit),
		a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}
