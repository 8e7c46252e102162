package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

const taskColumns = `id, group_id, status, unit, deadline, next_action_at, ladder_step,
	created_at, updated_at, last_progress_at, done_at, closed_at, assigner_id, assigner_name,
	source, external_id, title, withdrawn, suspended_at, ladder_round, extensions, transfers`

// maxTitleRunes bounds a task's 事项 so a pasted document does not become a card.
const maxTitleRunes = 500

// CreateTask stores a new open task and its "created" event. The scheduler
// sees it at once (next_action_at = now) and works out the ladder itself, so
// callers — chat commands, the hotline intake — need not know the ladder.
func (t *tx) CreateTask(task *qunzhu.Task, by qunzhu.TaskActor) error {
	task.Title = strings.TrimSpace(task.Title)
	switch {
	case task.Title == "":
		return qunzhu.Errorf(qunzhu.EINVALID, "督办事项不能为空。")
	case len([]rune(task.Title)) > maxTitleRunes:
		return qunzhu.Errorf(qunzhu.EINVALID, "督办事项太长了（最多%d个字）。", maxTitleRunes)
	case task.Deadline.IsZero():
		return qunzhu.Errorf(qunzhu.EINVALID, "督办任务没有期限。")
	}
	if _, err := t.GroupByID(task.GroupID); err != nil {
		return err
	}
	if err := t.resolveAssignees(task); err != nil {
		return err
	}
	task.Status, task.LadderStep = qunzhu.TaskOpen, ""
	task.AssignerID, task.AssignerName = by.MemberID, by.Name
	task.CreatedAt, task.UpdatedAt, task.NextActionAt = t.now, t.now, t.now
	task.LastProgressAt, task.DoneAt, task.ClosedAt = time.Time{}, time.Time{}, time.Time{}
	// A task.ID set by the caller is a number reserved by Journal.Accept;
	// 0 takes the next one.
	res, err := t.exec(`INSERT INTO tasks (id, group_id, status, unit, deadline, next_action_at, ladder_step,
		created_at, updated_at, assigner_id, assigner_name, source, external_id, title)
		VALUES (NULLIF(?, 0), ?, 'open', ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)`,
		task.ID, task.GroupID, task.Unit, ms(task.Deadline), ms(task.NextActionAt), ms(t.now), ms(t.now),
		taskRef(by.MemberID), by.Name, task.Source, task.ExternalID, task.Title)
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "%s编号%s已经有督办任务了。", task.Source, task.ExternalID)
	} else if err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	if task.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert task: last id: %w", err)
	}
	for i, id := range task.AssigneeIDs {
		if _, err := t.exec(`INSERT INTO task_assignees (task_id, member_id, position) VALUES (?, ?, ?)`,
			task.ID, id, i); err != nil && !isUnique(err) {
			return fmt.Errorf("insert task assignee: %w", err)
		}
	}
	return t.insertTaskEvent(&qunzhu.TaskEvent{TaskID: task.ID, Kind: qunzhu.TaskCreated,
		ActorID: by.MemberID, ActorName: by.Name})
}

// resolveAssignees checks that the named members belong to the task's group
// and fills in the unit, or, for a unit alone, assigns its registered members.
func (t *tx) resolveAssignees(task *qunzhu.Task) error {
	if len(task.AssigneeIDs) == 0 {
		if task.Unit == "" {
			return qunzhu.Errorf(qunzhu.EINVALID, "督办任务没有责任单位或责任人。")
		}
		rows, err := t.query(`SELECT id FROM members WHERE group_id = ? AND unit = ? ORDER BY id`,
			task.GroupID, task.Unit)
		if err != nil {
			return fmt.Errorf("select unit members: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return fmt.Errorf("scan unit member: %w", err)
			}
			task.AssigneeIDs = append(task.AssigneeIDs, id)
		}
		return rows.Err()
	}
	for _, id := range task.AssigneeIDs {
		m, err := t.MemberByID(id)
		if err != nil {
			return err
		}
		if m.GroupID != task.GroupID {
			return qunzhu.Errorf(qunzhu.EINVALID, "成员「%s」不在本群。", m.Name)
		}
		if task.Unit == "" {
			task.Unit = m.Unit
		}
	}
	return nil
}

// TaskByID returns a task with its assignees.
func (t *tx) TaskByID(id int64) (*qunzhu.Task, error) {
	task, err := scanTask(t.queryRow(`SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有编号为#%d的督办任务。", id)
	} else if err != nil {
		return nil, fmt.Errorf("select task %d: %w", id, err)
	}
	return task, t.loadAssignees(task)
}

// TaskByExternal finds the task made from an outside record, e.g. a ticket.
func (t *tx) TaskByExternal(source, externalID string) (*qunzhu.Task, error) {
	if externalID == "" {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有外部编号。")
	}
	task, err := scanTask(t.queryRow(`SELECT `+taskColumns+` FROM tasks
		WHERE source = ? AND external_id = ? AND external_id <> ''`, source, externalID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有%s编号为%s的督办任务。", source, externalID)
	} else if err != nil {
		return nil, fmt.Errorf("select task by external id: %w", err)
	}
	return task, t.loadAssignees(task)
}

func (t *tx) loadAssignees(task *qunzhu.Task) error {
	rows, err := t.query(`SELECT member_id FROM task_assignees WHERE task_id = ? ORDER BY position`, task.ID)
	if err != nil {
		return fmt.Errorf("select assignees of task %d: %w", task.ID, err)
	}
	defer rows.Close()
	task.AssigneeIDs = task.AssigneeIDs[:0]
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("scan assignee: %w", err)
		}
		task.AssigneeIDs = append(task.AssigneeIDs, id)
	}
	return rows.Err()
}

// TaskEvents returns the task's history, oldest first.
func (t *tx) TaskEvents(taskID int64) ([]*qunzhu.TaskEvent, error) {
	rows, err := t.query(`SELECT `+taskEventColumns+` FROM task_events WHERE task_id = ? ORDER BY id`, taskID)
	return collect(rows, err, scanTaskEvent, "task events")
}

const taskEventColumns = `id, task_id, kind, step, actor_id, actor_name, text, image_id, created_at`

func scanTaskEvent(row scanner) (*qunzhu.TaskEvent, error) {
	var (
		ev             qunzhu.TaskEvent
		kind           string
		actor, imageID sql.NullInt64
		at             int64
	)
	err := row.Scan(&ev.ID, &ev.TaskID, &kind, &ev.Step, &actor, &ev.ActorName, &ev.Text, &imageID, &at)
	ev.Kind, ev.ActorID, ev.ImageID, ev.At = qunzhu.TaskEventKind(kind), actor.Int64, imageID.Int64, fromMs(at)
	return &ev, err
}

// ProgressTask appends progress and moves the "last progress" time.
func (t *tx) ProgressTask(id int64, by qunzhu.TaskActor, text string) (*qunzhu.TaskEvent, error) {
	return t.changeTask(id, by, qunzhu.TaskProgress, text, 0,
		`last_progress_at = :now`)
}

// FinishTask records the report that the work is done; the ladder stops while
// the task waits for 销号.
func (t *tx) FinishTask(id int64, by qunzhu.TaskActor, text string) (*qunzhu.TaskEvent, error) {
	return t.changeTask(id, by, qunzhu.TaskFinished, text, 0,
		`status = 'done', done_at = :now, next_action_at = NULL, suspended_at = NULL`)
}

// AttachTaskEvidence records a picture for the task.
func (t *tx) AttachTaskEvidence(id int64, by qunzhu.TaskActor, imageID int64) (*qunzhu.TaskEvent, error) {
	if _, err := t.ImageByID(imageID); err != nil {
		return nil, err
	}
	return t.changeTask(id, by, qunzhu.TaskEvidence, "", imageID, ``)
}

// CloseTask closes the task; the time it was finished (the /办结 report if
// there was one) is kept for the on-time statistics.
func (t *tx) CloseTask(id int64, by qunzhu.TaskActor, note string) (*qunzhu.TaskEvent, error) {
	return t.changeTask(id, by, qunzhu.TaskClose, note, 0,
		`status = 'closed', closed_at = :now, finished_at = coalesce(done_at, :now), next_action_at = NULL`)
}

// ReturnTask sends a done task back (退回) or reopens a closed one; the
// scheduler looks at it at once and resumes the ladder after its last step.
func (t *tx) ReturnTask(id int64, by qunzhu.TaskActor, reason string) (*qunzhu.TaskEvent, error) {
	task, err := t.TaskByID(id)
	if err != nil {
		return nil, err
	}
	kind := qunzhu.TaskReturned
	if task.Status == qunzhu.TaskClosed {
		kind = qunzhu.TaskReopened
	}
	return t.changeTask(id, by, kind, reason, 0,
		`status = 'open', done_at = NULL, closed_at = NULL, finished_at = NULL, next_action_at = :now`)
}

// changeTask applies one change: checks the status allows it, updates the row
// with set (":now" is the transaction's time, "?" take args) and writes the
// event.
func (t *tx) changeTask(id int64, by qunzhu.TaskActor, kind qunzhu.TaskEventKind, text string,
	imageID int64, set string, args ...any) (*qunzhu.TaskEvent, error) {
	task, err := t.TaskByID(id)
	if err != nil {
		return nil, err
	}
	if err := task.Allows(kind); err != nil {
		return nil, err
	}
	set = strings.ReplaceAll(set, ":now", fmt.Sprint(ms(t.now)))
	if set != "" {
		set += ", "
	}
	args = append(args, ms(t.now), id)
	if _, err := t.exec(`UPDATE tasks SET `+set+`updated_at = ? WHERE id = ?`, args...); err != nil {
		return nil, fmt.Errorf("update task %d (%s): %w", id, kind, err)
	}
	ev := &qunzhu.TaskEvent{TaskID: id, Kind: kind, ActorID: by.MemberID, ActorName: by.Name,
		Text: strings.TrimSpace(text), ImageID: imageID}
	return ev, t.insertTaskEvent(ev)
}

// insertTaskEvent appends ev to the history and sets its ID and time. A
// ladder step taken twice is ECONFLICT.
func (t *tx) insertTaskEvent(ev *qunzhu.TaskEvent) error {
	ev.At = t.now
	res, err := t.exec(`INSERT INTO task_events (task_id, kind, step, actor_id, actor_name, text, image_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ev.TaskID, string(ev.Kind), ev.Step, taskRef(ev.ActorID),
		ev.ActorName, ev.Text, taskRef(ev.ImageID), ms(ev.At))
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "督办#%d的「%s」已经做过了。", ev.TaskID, ev.Step)
	} else if err != nil {
		return fmt.Errorf("insert task event: %w", err)
	}
	ev.ID, err = res.LastInsertId()
	return err
}

// DueTasks is the sweep's query (see dueTasksQuery), with each task's assignees.
func (t *tx) DueTasks(now time.Time, n int) ([]*qunzhu.Task, error) {
	if n <= 0 {
		return nil, nil
	}
	list, err := t.selectTasks(dueTasksQuery, ms(now), n)
	if err != nil {
		return nil, err
	}
	for _, task := range list {
		if err := t.loadAssignees(task); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// dueTasksQuery reads the tasks_next_action partial index from its start up
// to now: its cost is the number of due tasks, however many are open. Shared
// with the test that checks its query plan.
const dueTasksQuery = `SELECT ` + taskColumns + ` FROM tasks
	WHERE next_action_at IS NOT NULL AND next_action_at <= ?
	ORDER BY next_action_at LIMIT ?`

// RecordTaskSteps writes what the sweep did for one task. A step already in
// the history is not written again (the unique index task_events_step).
func (t *tx) RecordTaskSteps(taskID int64, taken []*qunzhu.TaskEvent, lastStep string, next time.Time) error {
	task := &qunzhu.Task{ID: taskID}
	err := t.queryRow(`SELECT status FROM tasks WHERE id = ?`, taskID).Scan(&task.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "没有编号为#%d的督办任务。", taskID)
	} else if err != nil {
		return fmt.Errorf("select task %d status: %w", taskID, err)
	}
	if len(taken) > 0 {
		if err := task.Allows(qunzhu.TaskStepped); err != nil {
			return err
		}
	}
	for _, ev := range taken {
		ev.TaskID, ev.Kind = taskID, qunzhu.TaskStepped
		if ev.Step == "" {
			return fmt.Errorf("record task step: event without a step")
		}
		// A step taken before (the ladder's offsets were reconfigured) stays
		// recorded once; its outbox DedupKey kept the message from repeating.
		if err := t.insertTaskEvent(ev); err != nil && qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
			return err
		}
	}
	if _, err := t.exec(`UPDATE tasks SET ladder_step = ?, next_action_at = ?, updated_at = ? WHERE id = ?`,
		lastStep, nullMs(next), ms(t.now), taskID); err != nil {
		return fmt.Errorf("update ladder of task %d: %w", taskID, err)
	}
	return nil
}

// selectTasksWithAssignees is selectTasks for lists that show who does what.
func (t *tx) selectTasksWithAssignees(q string, args ...any) ([]*qunzhu.Task, error) {
	list, err := t.selectTasks(q, args...)
	if err != nil {
		return nil, err
	}
	return list, t.loadAssigneesOf(list)
}

func (t *tx) selectTasks(q string, args ...any) ([]*qunzhu.Task, error) {
	rows, err := t.query(q, args...)
	return collect(rows, err, scanTask, "tasks")
}

func scanTask(row scanner) (*qunzhu.Task, error) {
	var (
		task                                         qunzhu.Task
		status                                       string
		deadline, created, updated                   int64
		next, lastProgress, done, closed, assignerID sql.NullInt64
		suspended                                    sql.NullInt64
	)
	if err := row.Scan(&task.ID, &task.GroupID, &status, &task.Unit, &deadline, &next, &task.LadderStep,
		&created, &updated, &lastProgress, &done, &closed, &assignerID, &task.AssignerName,
		&task.Source, &task.ExternalID, &task.Title, &task.Withdrawn, &suspended, &task.LadderRound,
		&task.Extensions, &task.Transfers); err != nil {
		return nil, err
	}
	task.Status = qunzhu.TaskStatus(status)
	task.Deadline, task.CreatedAt, task.UpdatedAt = fromMs(deadline), fromMs(created), fromMs(updated)
	task.NextActionAt, task.LastProgressAt = fromNullMs(next), fromNullMs(lastProgress)
	task.DoneAt, task.ClosedAt = fromNullMs(done), fromNullMs(closed)
	task.AssignerID, task.SuspendedAt = assignerID.Int64, fromNullMs(suspended)
	return &task, nil
}

// taskRef stores id 0 ("none", "the system") as NULL so foreign keys hold.
func taskRef(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
