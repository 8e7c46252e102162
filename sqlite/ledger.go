package sqlite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// maxLedger bounds one ledger read: a district's year of tasks fits, and a
// page or a workbook never grows without bound.
const maxLedger = 5000

// placeholders returns "?, ?, ?" for n values and the values as args.
func placeholders(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", "), args
}

// LedgerTasks lists the tasks of the 督办台账, closed ones included, newest
// first, through the tasks_created index.
func (t *tx) LedgerTasks(f qunzhu.LedgerFilter) ([]*qunzhu.Task, error) {
	if len(f.GroupIDs) == 0 {
		return nil, nil
	}
	in, args := placeholders(f.GroupIDs)
	q := `SELECT ` + taskColumns + ` FROM tasks WHERE group_id IN (` + in + `)`
	if f.Unit != "" {
		q += ` AND unit = ?`
		args = append(args, f.Unit)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if !f.OverdueAt.IsZero() {
		q += ` AND status = 'open' AND deadline < ?`
		args = append(args, ms(f.OverdueAt))
	}
	if !f.CreatedSince.IsZero() {
		q += ` AND created_at >= ?`
		args = append(args, ms(f.CreatedSince))
	}
	if !f.CreatedUntil.IsZero() {
		q += ` AND created_at < ?`
		args = append(args, ms(f.CreatedUntil))
	}
	limit := f.Limit
	if limit <= 0 || limit > maxLedger {
		limit = maxLedger
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	return t.selectTasksWithAssignees(q, args...)
}

// GroupTickets lists the hotline tickets whose task belongs to the groups.
// A ticket with no task (its unit had no group) belongs to no group and is
// not shown to anyone here.
func (t *tx) GroupTickets(groupIDs []int64, limit int) ([]*qunzhu.Ticket, error) {
	if len(groupIDs) == 0 {
		return nil, nil
	}
	if limit <= 0 || limit > maxLedger {
		limit = maxLedger
	}
	in, args := placeholders(groupIDs)
	cols := "h." + strings.ReplaceAll(strings.Join(strings.Fields(ticketColumns), " "), ", ", ", h.")
	rows, err := t.query(`SELECT `+cols+` FROM hotline_tickets h JOIN tasks k ON k.id = h.task_id
		WHERE k.group_id IN (`+in+`) ORDER BY h.updated_at DESC, h.id DESC LIMIT ?`, append(args, limit)...)
	return collect(rows, err, scanTicket, "tickets")
}

// OutboxCounts counts the whole outbox by group, kind, priority and status.
// It reads every row once; the metrics scrape calls it at most every few
// seconds (see metrics.Config.CacheFor).
func (t *tx) OutboxCounts() ([]qunzhu.OutboxCount, error) {
	rows, err := t.query(`SELECT group_id, kind, priority, status, count(*) FROM outbox
		GROUP BY group_id, kind, priority, status`)
	return collect(rows, err, func(r scanner) (qunzhu.OutboxCount, error) {
		var c qunzhu.OutboxCount
		var kind, status string
		err := r.Scan(&c.GroupID, &kind, &c.Priority, &status, &c.N)
		c.Kind, c.Status = qunzhu.MessageKind(kind), qunzhu.OutStatus(status)
		return c, err
	}, "outbox counts")
}

// LadderStepCounts counts escalation steps by key, through the partial
// task_events_step index.
func (t *tx) LadderStepCounts() (map[string]int, error) {
	rows, err := t.query(`SELECT step, count(*) FROM task_events WHERE step <> '' GROUP BY step`)
	type kv struct {
		step string
		n    int
	}
	list, err := collect(rows, err, func(r scanner) (kv, error) {
		var x kv
		return x, r.Scan(&x.step, &x.n)
	}, "ladder steps")
	if err != nil {
		return nil, fmt.Errorf("count ladder steps: %w", err)
	}
	out := make(map[string]int, len(list))
	for _, x := range list {
		out[x.step] = x.n
	}
	return out, nil
}

// TaskEventsOf reads the histories of many tasks at once (the ledger's
// pages and workbooks), in chunks that stay under SQLite's variable limit.
func (t *tx) TaskEventsOf(taskIDs []int64) (map[int64][]*qunzhu.TaskEvent, error) {
	out := make(map[int64][]*qunzhu.TaskEvent, len(taskIDs))
	for chunk := range slices.Chunk(taskIDs, 500) {
		in, args := placeholders(chunk)
		rows, err := t.query(`SELECT `+taskEventColumns+` FROM task_events WHERE task_id IN (`+in+`) ORDER BY task_id, id`, args...)
		list, err := collect(rows, err, scanTaskEvent, "task events")
		if err != nil {
			return nil, err
		}
		for _, ev := range list {
			out[ev.TaskID] = append(out[ev.TaskID], ev)
		}
	}
	return out, nil
}

// LedgerUnits lists the units the groups' tasks were assigned to, sorted,
// for the ledger's filter.
func (t *tx) LedgerUnits(groupIDs []int64) ([]string, error) {
	if len(groupIDs) == 0 {
		return nil, nil
	}
	in, args := placeholders(groupIDs)
	rows, err := t.query(`SELECT DISTINCT unit FROM tasks WHERE group_id IN (`+in+`) AND unit <> '' ORDER BY unit`, args...)
	return collect(rows, err, func(r scanner) (string, error) {
		var u string
		return u, r.Scan(&u)
	}, "ledger units")
}

// loadAssigneesOf fills the assignees of many tasks with one query per 500,
// rather than one per task.
func (t *tx) loadAssigneesOf(list []*qunzhu.Task) error {
	byID := make(map[int64]*qunzhu.Task, len(list))
	ids := make([]int64, len(list))
	for i, task := range list {
		task.AssigneeIDs = task.AssigneeIDs[:0]
		byID[task.ID], ids[i] = task, task.ID
	}
	for chunk := range slices.Chunk(ids, 500) {
		in, args := placeholders(chunk)
		rows, err := t.query(`SELECT task_id, member_id FROM task_assignees WHERE task_id IN (`+in+`) ORDER BY task_id, position`, args...)
		pairs, err := collect(rows, err, func(r scanner) ([2]int64, error) {
			var p [2]int64
			return p, r.Scan(&p[0], &p[1])
		}, "assignees")
		if err != nil {
			return err
		}
		for _, p := range pairs {
			task := byID[p[0]]
			task.AssigneeIDs = append(task.AssigneeIDs, p[1])
		}
	}
	return nil
}
