package qunzhu

import (
	"fmt"
	"strconv"
	"time"
)

// The 督查督办 workflow beyond assign–report–close: an assignee asks for more
// time (延期) and the assigner or an owner grants or refuses it; the assigner
// transfers (转办) a task sent to the wrong unit, withdraws (撤销) one that is
// no longer needed, suspends (中止) one that waits on something outside the
// group and resumes (恢复) it; anyone who may close a task may nudge (催办) it.

// Kinds of history events of the workflow.
const (
	TaskExtensionAsked   TaskEventKind = "extension_asked"   // 申请延期
	TaskExtended         TaskEventKind = "extended"          // 同意延期
	TaskExtensionRefused TaskEventKind = "extension_refused" // 驳回延期
	TaskTransferred      TaskEventKind = "transferred"       // 转办
	TaskWithdrawn        TaskEventKind = "withdrawn"         // 撤销
	TaskNudged           TaskEventKind = "nudged"            // 催办 (by a person)
	TaskSuspended        TaskEventKind = "suspended"         // 中止
	TaskResumed          TaskEventKind = "resumed"           // 恢复
)

func (k TaskEventKind) workflowChinese() string {
	switch k {
	case TaskExtensionAsked:
		return "申请延期"
	case TaskExtended:
		return "同意延期"
	case TaskExtensionRefused:
		return "驳回延期"
	case TaskTransferred:
		return "转办"
	case TaskWithdrawn:
		return "撤销"
	case TaskNudged:
		return "人工催办"
	case TaskSuspended:
		return "中止"
	case TaskResumed:
		return "恢复"
	}
	return string(k)
}

// allowsWorkflow is Allows for the workflow's kinds and for what a
// suspension changes.
func (t *Task) allowsWorkflow(kind TaskEventKind) error {
	n := t.ID
	suspended := !t.SuspendedAt.IsZero()
	switch kind {
	case TaskExtensionAsked, TaskExtended:
		if t.Status != TaskOpen {
			return Errorf(EINVALID, "督办#%d不在办理中，不能延期。", n)
		}
		if suspended {
			return Errorf(EINVALID, "督办#%d已中止，恢复时再定新期限：/恢复 %d 新期限", n, n)
		}
	case TaskTransferred, TaskNudged:
		if t.Status == TaskClosed {
			return Errorf(EINVALID, "督办#%d已销号，不能%s。", n, kind.workflowChinese())
		}
	case TaskWithdrawn:
		if t.Status == TaskClosed {
			return Errorf(ECONFLICT, "督办#%d已销号，不需要撤销。", n)
		}
	case TaskSuspended:
		if t.Status != TaskOpen {
			return Errorf(EINVALID, "督办#%d不在办理中，不能中止。", n)
		}
		if suspended {
			return Errorf(ECONFLICT, "督办#%d已经中止了。恢复：/恢复 %d", n, n)
		}
	case TaskResumed:
		if !suspended {
			return Errorf(ECONFLICT, "督办#%d没有中止，不需要恢复。", n)
		}
	case TaskStepped:
		if suspended {
			return Errorf(EINVALID, "督办#%d已中止，不再催办。", n)
		}
	}
	return nil
}

// StepEventKey is the history key of a ladder step in a round: "yellow" in
// the first round, "r2:yellow" after the second new deadline.
func StepEventKey(round int, key string) string {
	if round <= 0 {
		return key
	}
	return "r" + strconv.Itoa(round) + ":" + key
}

// ExtensionState is where an extension request (延期申请) stands.
type ExtensionState string

// Extension states.
const (
	ExtensionPending ExtensionState = "pending" // 待审批
	ExtensionGranted ExtensionState = "granted" // 已同意
	ExtensionRefused ExtensionState = "refused" // 已驳回
)

// TaskExtension is an assignee's request for a later deadline, decided by the
// task's assigner or an owner. A task has at most one pending request.
type TaskExtension struct {
	ID            int64
	TaskID        int64
	State         ExtensionState
	RequesterID   int64
	RequesterName string
	OldDeadline   time.Time
	NewDeadline   time.Time
	Reason        string
	DeciderID     int64
	DeciderName   string
	Decision      string // the refusal's reason, or a note
	CreatedAt     time.Time
	DecidedAt     time.Time
}

// Transfer is a 转办: the new responsible unit and people, and optionally a
// new deadline (zero keeps the old one).
type Transfer struct {
	Unit        string
	AssigneeIDs []int64
	Deadline    time.Time
	Note        string // the history's text, "由市城管委转区委办"
}

// ResumedDeadline is the deadline a suspended task gets back when resumed at
// now without a new one: the old one moved by the time it was suspended.
func (t *Task) ResumedDeadline(now time.Time) time.Time {
	if t.SuspendedAt.IsZero() {
		return t.Deadline
	}
	return t.Deadline.Add(now.Sub(t.SuspendedAt))
}

// LadderPending is a ladder step taken and recorded but not yet posted: the
// sweep combines the due ones of a group into few messages (one per unit, or
// one per person for reminders) so a catch-up never floods a group.
type LadderPending struct {
	ID        int64
	GroupID   int64
	TaskID    int64
	MemberID  int64  // the person a reminder is for; 0 for a notice to the group
	Step      string // the ladder key, "yellow" or "daily:3"
	EventStep string // the history key with the round, "r1:yellow"
	// Passed is where the ladder stood after the step, with the round
	// (StepEventKey of the task's LadderRound and LadderStep): when the task
	// is no longer there, the step is stale and is not posted.
	Passed    string
	NotBefore time.Time
}

// TaskWorkflowTx is the part of a transaction that runs the workflow. Like
// TaskTx, each change checks the task's state (an *Error in Chinese when it
// does not allow it) and writes a history event; who may do it is the
// caller's rule.
type TaskWorkflowTx interface {
	// RequestExtension records an assignee's request for newDeadline;
	// ECONFLICT when one is pending already. note is the history's text (the
	// caller writes times in the group's zone).
	RequestExtension(taskID int64, by TaskActor, newDeadline time.Time, reason, note string) (*TaskExtension, error)
	// PendingExtension is the task's pending request; ENOTFOUND when none.
	PendingExtension(taskID int64) (*TaskExtension, error)
	// DecideExtension grants or refuses the pending request. Granting moves
	// the deadline, counts an extension and starts a new ladder round. text
	// is the refusal's reason, or the history's note of a grant.
	DecideExtension(taskID int64, by TaskActor, grant bool, text string) (*TaskExtension, error)
	// TransferTask hands the task to another unit and people (转办), keeping
	// its history; a deadline in tr starts a new ladder round.
	TransferTask(taskID int64, by TaskActor, tr Transfer) (*TaskEvent, error)
	// WithdrawTask withdraws the task (撤销): closed, out of the statistics.
	WithdrawTask(taskID int64, by TaskActor, reason string) (*TaskEvent, error)
	// SuspendTask stops the clock (中止) until ResumeTask, which sets the
	// new deadline (see Task.ResumedDeadline) and starts a new ladder round.
	SuspendTask(taskID int64, by TaskActor, reason string) (*TaskEvent, error)
	ResumeTask(taskID int64, by TaskActor, deadline time.Time, note string) (*TaskEvent, error)
	// NudgeTask records a manual 催办.
	NudgeTask(taskID int64, by TaskActor, text string) (*TaskEvent, error)

	// AddLadderPending stores steps to post (not those already in the
	// task's history: call it before RecordTaskSteps); DueLadderPending returns those
	// due at now (up to n, by group then id); DoneLadderPending deletes posted
	// or stale ones; DeferLadderPending puts some off (a person's limit).
	AddLadderPending(items []*LadderPending) error
	DueLadderPending(now time.Time, n int) ([]*LadderPending, error)
	DoneLadderPending(ids []int64) error
	DeferLadderPending(ids []int64, notBefore time.Time) error
}

// ExtensionSummary is how a card or a reply names a request: "#12 延期至12月9日（周三）18:00".
func (e *TaskExtension) ExtensionSummary(now time.Time) string {
	return fmt.Sprintf("#%d 延期至%s", e.TaskID, FormatWhen(e.NewDeadline, now))
}
