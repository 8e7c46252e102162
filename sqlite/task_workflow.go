package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// The 督办 workflow's writes (see qunzhu.TaskWorkflowTx): extensions,
// transfers, withdrawal, suspension and nudges, and the ladder's pending
// notices.

// newRound is the SET clause that starts a new ladder round from a deadline
// given as the first argument: the scheduler looks at the task at once.
const newRound = `deadline = ?, ladder_round = ladder_round + 1, ladder_step = '', next_action_at = :now`

// RequestExtension records an assignee's 延期 request.
func (t *tx) RequestExtension(taskID int64, by qunzhu.TaskActor, newDeadline time.Time, reason, note string) (*qunzhu.TaskExtension, error) {
	task, err := t.TaskByID(taskID)
	if err != nil {
		return nil, err
	}
	if err := task.Allows(qunzhu.TaskExtensionAsked); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "请写上延期理由。")
	case !newDeadline.After(task.Deadline):
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "新期限要晚于现在的期限（%s）。", qunzhu.FormatWhen(task.Deadline, t.now))
	}
	ext := &qunzhu.TaskExtension{TaskID: taskID, State: qunzhu.ExtensionPending, RequesterID: by.MemberID,
		RequesterName: by.Name, OldDeadline: task.Deadline, NewDeadline: newDeadline, Reason: reason, CreatedAt: t.now}
	res, err := t.exec(`INSERT INTO task_extensions (task_id, state, requested_by, requester_name, old_deadline,
		new_deadline, reason, created_at) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?)`,
		taskID, taskRef(by.MemberID), by.Name, ms(task.Deadline), ms(newDeadline), reason, ms(t.now))
	if isUnique(err) {
		return nil, qunzhu.Errorf(qunzhu.ECONFLICT, "督办#%d已有一个延期申请在等待审批。", taskID)
	} else if err != nil {
		return nil, fmt.Errorf("insert extension: %w", err)
	}
	if ext.ID, err = res.LastInsertId(); err != nil {
		return nil, err
	}
	if _, err := t.changeTask(taskID, by, qunzhu.TaskExtensionAsked, note, 0, ``); err != nil {
		return nil, err
	}
	return ext, nil
}

const extensionColumns = `id, task_id, state, requested_by, requester_name, old_deadline, new_deadline,
	reason, decided_by, decider_name, decision, created_at, decided_at`

// PendingExtension returns the task's pending 延期 request.
func (t *tx) PendingExtension(taskID int64) (*qunzhu.TaskExtension, error) {
	var (
		e                             qunzhu.TaskExtension
		state                         string
		requester, decider, decidedAt sql.NullInt64
		oldD, newD, created           int64
	)
	err := t.queryRow(`SELECT `+extensionColumns+` FROM task_extensions WHERE task_id = ? AND state = 'pending'`,
		taskID).Scan(&e.ID, &e.TaskID, &state, &requester, &e.RequesterName, &oldD, &newD, &e.Reason,
		&decider, &e.DeciderName, &e.Decision, &created, &decidedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "督办#%d没有待审批的延期申请。", taskID)
	} else if err != nil {
		return nil, fmt.Errorf("select extension: %w", err)
	}
	e.State, e.RequesterID, e.DeciderID = qunzhu.ExtensionState(state), requester.Int64, decider.Int64
	e.OldDeadline, e.NewDeadline, e.CreatedAt, e.DecidedAt = fromMs(oldD), fromMs(newD), fromMs(created), fromNullMs(decidedAt)
	return &e, nil
}

// DecideExtension grants or refuses the pending request.
func (t *tx) DecideExtension(taskID int64, by qunzhu.TaskActor, grant bool, text string) (*qunzhu.TaskExtension, error) {
	e, err := t.PendingExtension(taskID)
	if err != nil {
		return nil, err
	}
	if grant && !e.NewDeadline.After(t.now) {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "申请的新期限已经过了，不能同意。请驳回：/驳回 延期 %d 理由，再让责任人重新申请。", taskID)
	}
	e.State, e.DeciderID, e.DeciderName, e.Decision, e.DecidedAt = qunzhu.ExtensionRefused, by.MemberID, by.Name, strings.TrimSpace(text), t.now
	if grant {
		e.State, e.Decision = qunzhu.ExtensionGranted, ""
	}
	if _, err := t.exec(`UPDATE task_extensions SET state = ?, decided_by = ?, decider_name = ?, decision = ?,
		decided_at = ? WHERE id = ?`, string(e.State), taskRef(by.MemberID), by.Name, e.Decision, ms(t.now), e.ID); err != nil {
		return nil, fmt.Errorf("decide extension: %w", err)
	}
	if !grant {
		_, err = t.changeTask(taskID, by, qunzhu.TaskExtensionRefused, e.Decision, 0, ``)
		return e, err
	}
	_, err = t.changeTask(taskID, by, qunzhu.TaskExtended, text, 0,
		newRound+`, extensions = extensions + 1`, ms(e.NewDeadline))
	return e, err
}

// TransferTask hands the task to another unit (转办).
func (t *tx) TransferTask(taskID int64, by qunzhu.TaskActor, tr qunzhu.Transfer) (*qunzhu.TaskEvent, error) {
	task, err := t.TaskByID(taskID)
	if err != nil {
		return nil, err
	}
	moved := &qunzhu.Task{GroupID: task.GroupID, Unit: tr.Unit, AssigneeIDs: tr.AssigneeIDs}
	if err := t.resolveAssignees(moved); err != nil {
		return nil, err
	}
	if moved.Unit == task.Unit && moved.Unit != "" {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "督办#%d已经是%s在办理。", taskID, task.Unit)
	}
	set, args := `unit = ?, transfers = transfers + 1`, []any{moved.Unit}
	if !tr.Deadline.IsZero() {
		set, args = set+`, `+newRound, append(args, ms(tr.Deadline))
	}
	ev, err := t.changeTask(taskID, by, qunzhu.TaskTransferred, tr.Note, 0, set, args...)
	if err != nil {
		return nil, err
	}
	if _, err := t.exec(`DELETE FROM task_assignees WHERE task_id = ?`, taskID); err != nil {
		return nil, fmt.Errorf("transfer task %d: %w", taskID, err)
	}
	for i, id := range moved.AssigneeIDs {
		if _, err := t.exec(`INSERT INTO task_assignees (task_id, member_id, position) VALUES (?, ?, ?)`,
			taskID, id, i); err != nil && !isUnique(err) {
			return nil, fmt.Errorf("insert task assignee: %w", err)
		}
	}
	// Reminders waiting for the old unit's people are theirs no more.
	_, err = t.exec(`DELETE FROM task_ladder_pending WHERE task_id = ?`, taskID)
	return ev, err
}

// WithdrawTask withdraws the task (撤销).
func (t *tx) WithdrawTask(taskID int64, by qunzhu.TaskActor, reason string) (*qunzhu.TaskEvent, error) {
	ev, err := t.changeTask(taskID, by, qunzhu.TaskWithdrawn, reason, 0,
		`status = 'closed', withdrawn = 1, closed_at = :now, finished_at = NULL, next_action_at = NULL, suspended_at = NULL`)
	if err != nil {
		return nil, err
	}
	return ev, t.dropTaskPending(taskID, by, "督办已撤销")
}

// dropTaskPending refuses a pending extension and forgets pending notices of
// a task that ended.
func (t *tx) dropTaskPending(taskID int64, by qunzhu.TaskActor, why string) error {
	if _, err := t.exec(`UPDATE task_extensions SET state = 'refused', decided_by = ?, decider_name = ?,
		decision = ?, decided_at = ? WHERE task_id = ? AND state = 'pending'`,
		taskRef(by.MemberID), by.Name, why, ms(t.now), taskID); err != nil {
		return fmt.Errorf("drop extension of task %d: %w", taskID, err)
	}
	_, err := t.exec(`DELETE FROM task_ladder_pending WHERE task_id = ?`, taskID)
	return err
}

// SuspendTask stops the task's clock (中止).
func (t *tx) SuspendTask(taskID int64, by qunzhu.TaskActor, reason string) (*qunzhu.TaskEvent, error) {
	ev, err := t.changeTask(taskID, by, qunzhu.TaskSuspended, reason, 0, `suspended_at = :now, next_action_at = NULL`)
	if err != nil {
		return nil, err
	}
	return ev, t.dropTaskPending(taskID, by, "督办已中止")
}

// ResumeTask restarts a suspended task (恢复) with a new deadline.
func (t *tx) ResumeTask(taskID int64, by qunzhu.TaskActor, deadline time.Time, note string) (*qunzhu.TaskEvent, error) {
	task, err := t.TaskByID(taskID)
	if err != nil {
		return nil, err
	}
	if err := task.Allows(qunzhu.TaskResumed); err != nil {
		return nil, err
	}
	if !deadline.After(t.now) {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "新期限要晚于现在。")
	}
	return t.changeTask(taskID, by, qunzhu.TaskResumed, note, 0,
		`suspended_at = NULL, `+newRound, ms(deadline))
}

// NudgeTask records a manual 催办.
func (t *tx) NudgeTask(taskID int64, by qunzhu.TaskActor, text string) (*qunzhu.TaskEvent, error) {
	return t.changeTask(taskID, by, qunzhu.TaskNudged, text, 0, ``)
}

// AddLadderPending stores steps to post, except those whose step is in the
// task's history already (taken before a reconfiguration of the ladder).
func (t *tx) AddLadderPending(items []*qunzhu.LadderPending) error {
	for _, p := range items {
		res, err := t.exec(`INSERT INTO task_ladder_pending (group_id, task_id, member_id, step, event_step,
			passed, not_before, created_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?
			WHERE NOT EXISTS (SELECT 1 FROM task_events WHERE task_id = ? AND step = ?)`,
			p.GroupID, p.TaskID, taskRef(p.MemberID), p.Step, p.EventStep, p.Passed, ms(p.NotBefore), ms(t.now),
			p.TaskID, p.EventStep)
		if err != nil {
			return fmt.Errorf("insert ladder pending: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

// DueLadderPending returns pending steps due at now, a group's together.
func (t *tx) DueLadderPending(now time.Time, n int) ([]*qunzhu.LadderPending, error) {
	rows, err := t.query(`SELECT id, group_id, task_id, member_id, step, event_step, passed, not_before
		FROM task_ladder_pending WHERE not_before <= ? ORDER BY group_id, id LIMIT ?`, ms(now), n)
	return collect(rows, err, func(row scanner) (*qunzhu.LadderPending, error) {
		var (
			p      qunzhu.LadderPending
			member sql.NullInt64
			nb     int64
		)
		err := row.Scan(&p.ID, &p.GroupID, &p.TaskID, &member, &p.Step, &p.EventStep, &p.Passed, &nb)
		p.MemberID, p.NotBefore = member.Int64, fromMs(nb)
		return &p, err
	}, "ladder pending")
}

// DoneLadderPending deletes posted or stale pending steps.
func (t *tx) DoneLadderPending(ids []int64) error {
	return t.eachChunk(ids, `DELETE FROM task_ladder_pending WHERE id IN (%s)`)
}

// eachChunk runs q (with "%s" for the placeholders) over ids, 500 at a time.
func (t *tx) eachChunk(ids []int64, q string, first ...any) error {
	for len(ids) > 0 {
		n := min(500, len(ids))
		args := append(slices.Clone(first), make([]any, n)...)
		for i, id := range ids[:n] {
			args[len(first)+i] = id
		}
		if _, err := t.exec(fmt.Sprintf(q, strings.TrimSuffix(strings.Repeat("?,", n), ",")), args...); err != nil {
			return fmt.Errorf("ladder pending: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// DeferLadderPending puts pending steps off until notBefore.
func (t *tx) DeferLadderPending(ids []int64, notBefore time.Time) error {
	return t.eachChunk(ids, `UPDATE task_ladder_pending SET not_before = ? WHERE id IN (%s)`, ms(notBefore))
}
