package qunzhu

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Task (督办) is a problem a leader named in a group and handed to a unit
// (单位) or to people, with a deadline, kept visible until it is closed. Its
// number (#23) is its ID: global across groups, so a number always means one
// task and a number from another group can be recognised and refused. A task
// belongs to the group it was created in.
type Task struct {
	ID      int64
	GroupID int64
	Title   string // 事项
	// Unit is the responsible unit (责任单位): the unit named, or the unit of
	// the first person named (the lead unit, 牵头单位). Statistics count by it.
	Unit string
	// AssigneeIDs are the members the task was handed to (the unit's registered
	// members when a unit was named); they are mentioned in every notice.
	AssigneeIDs []int64

	// AssignerID is the member who assigned it (督办人); 0 for the system,
	// e.g. a hotline ticket. AssignerName is shown either way.
	AssignerID   int64
	AssignerName string
	// Source is where the task came from: "" for chat, TaskSourceHotline for a
	// 12345 ticket, whose id is ExternalID. (Source, ExternalID) is unique when
	// ExternalID is set, so a ticket becomes one task however often it is sent.
	Source     string
	ExternalID string

	Deadline time.Time
	Status   TaskStatus

	// LadderStep is the key of the last escalation step taken ("" none yet);
	// NextActionAt is when the scheduler must look at the task again, zero when
	// nothing is scheduled (closed, or waiting for 销号).
	LadderStep   string
	NextActionAt time.Time

	// Withdrawn is set on a task withdrawn (撤销) by its assigner or an
	// owner: it is closed, out of every list and statistic, kept for history.
	Withdrawn bool
	// SuspendedAt is when the task was suspended (中止) to wait for
	// something outside the group; zero when it is not. A suspended task is
	// never overdue and the ladder waits until it is resumed (恢复).
	SuspendedAt time.Time
	// LadderRound counts the new deadlines the task got (an extension, a
	// transfer with a deadline, a resumption): the ladder starts again for
	// each, its steps recorded as "r<round>:<key>".
	LadderRound int
	Extensions  int // extensions granted (延期)
	Transfers   int // transfers to another unit (转办)

	LastProgressAt time.Time // zero until the first /进展
	DoneAt         time.Time // when the assignee reported it done (/办结)
	ClosedAt       time.Time // when it was closed (/销号)
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TaskSourceHotline is Task.Source for tasks created from 12345 hotline tickets.
const TaskSourceHotline = "12345"

// TaskStatus is where a task is in its life.
type TaskStatus string

// Task statuses. A task is open until the assignee reports it done; it then
// waits for the assigner or an owner to close it (销号) or send it back (退回).
const (
	TaskOpen   TaskStatus = "open"   // 办理中
	TaskDone   TaskStatus = "done"   // 已报办结，待销号
	TaskClosed TaskStatus = "closed" // 已销号
)

// Chinese is the status as the group reads it.
func (s TaskStatus) Chinese() string {
	switch s {
	case TaskOpen:
		return "办理中"
	case TaskDone:
		return "待销号"
	case TaskClosed:
		return "已销号"
	}
	return string(s)
}

// Overdue reports whether the task is still being worked on past its deadline:
// a task reported done waits for confirmation, not for the assignee.
func (t *Task) Overdue(now time.Time) bool {
	return t.Status == TaskOpen && t.SuspendedAt.IsZero() && now.After(t.Deadline)
}

// Finished is when the work was finished for the statistics: the /办结 report
// that led to the close, else the close itself; zero while not closed.
func (t *Task) Finished() time.Time {
	switch {
	case t.Status != TaskClosed:
		return time.Time{}
	case !t.DoneAt.IsZero():
		return t.DoneAt
	}
	return t.ClosedAt
}

// Number is how people write the task's number: "#23".
func (t *Task) Number() string { return "#" + strconv.FormatInt(t.ID, 10) }

// Allows returns nil when an event of kind may happen to the task in its
// status, else the *Error (with a Chinese sentence and what to do instead)
// the sender reads. Who may do it is the caller's rule.
func (t *Task) Allows(kind TaskEventKind) error {
	n := t.ID
	if t.Withdrawn {
		return Errorf(ECONFLICT, "督办#%d已撤销，不能再办理。", n)
	}
	if err := t.allowsWorkflow(kind); err != nil {
		return err
	}
	switch {
	case kind == TaskProgress && t.Status == TaskClosed:
		return Errorf(EINVALID, "督办#%d已销号，不能再报进展。如需继续办理，请督办人发送：/退回 %d 原因", n, n)
	case kind == TaskFinished && t.Status == TaskDone:
		return Errorf(ECONFLICT, "督办#%d已报办结，正在等待销号。", n)
	case kind == TaskFinished && t.Status == TaskClosed:
		return Errorf(ECONFLICT, "督办#%d已销号，不需要再报办结。", n)
	case kind == TaskClose && t.Status == TaskClosed:
		return Errorf(ECONFLICT, "督办#%d已经销号了。", n)
	case (kind == TaskReturned || kind == TaskReopened) && t.Status == TaskOpen:
		return Errorf(EINVALID, "督办#%d正在办理中，不需要退回。", n)
	case kind == TaskStepped && t.Status != TaskOpen:
		return Errorf(EINVALID, "督办#%d不在办理中，不再催办。", n)
	}
	return nil
}

// TaskEventKind is what happened to a task, one row of its history.
type TaskEventKind string

// Kinds of task history events.
const (
	TaskCreated  TaskEventKind = "created"  // 派发
	TaskProgress TaskEventKind = "progress" // 进展
	TaskFinished TaskEventKind = "done"     // 报办结
	TaskEvidence TaskEventKind = "evidence" // 办结照片
	TaskClose    TaskEventKind = "closed"   // 销号
	TaskReturned TaskEventKind = "returned" // 退回：待销号 → 办理中
	TaskReopened TaskEventKind = "reopened" // 重新打开：已销号 → 办理中
	TaskStepped  TaskEventKind = "step"     // an escalation step: 提醒、到期、黄牌、红牌
)

// Chinese names the event in the history the detail card shows.
func (k TaskEventKind) Chinese() string {
	switch k {
	case TaskCreated:
		return "派发"
	case TaskProgress:
		return "进展"
	case TaskFinished:
		return "报办结"
	case TaskEvidence:
		return "办结照片"
	case TaskClose:
		return "销号"
	case TaskReturned:
		return "退回"
	case TaskReopened:
		return "重新打开"
	case TaskStepped:
		return "催办"
	}
	return k.workflowChinese()
}

// TaskEvent is one entry of a task's history: who, when, what. Every change
// to a task writes one, so the detail card can show the whole story.
type TaskEvent struct {
	ID        int64
	TaskID    int64
	Kind      TaskEventKind
	Step      string // the ladder step's key for TaskStepped, else ""
	ActorID   int64  // the member; 0 for the system
	ActorName string // shown in the history, e.g. "张书记", "12345热线", "系统"
	Text      string // progress, closing note, reason, notice
	ImageID   int64  // a picture (evidence), 0 for none
	At        time.Time
}

// TaskActor is who does something to a task: a member, or the system (a
// hotline ticket, the scheduler) with MemberID 0 and a name to show.
type TaskActor struct {
	MemberID int64
	Name     string
}

// MemberActor is the actor for a bound member.
func MemberActor(m *Member) TaskActor { return TaskActor{MemberID: m.ID, Name: m.Name} }

// SystemActor is the actor for a system, named as the history should show it
// ("12345热线").
func SystemActor(name string) TaskActor {
	if name == "" {
		name = "系统"
	}
	return TaskActor{Name: name}
}

// TaskFilter selects tasks for /督办 列表.
type TaskFilter struct {
	GroupID int64
	// Involving keeps tasks assigned to this member or to their unit, or
	// assigned by them (/督办 列表 我的); 0 for any.
	Involving int64
	Unit      string    // keeps one unit's tasks; "" for any
	OverdueAt time.Time // keeps tasks open past their deadline at this time; zero for any
	Limit     int       // at most this many (100 when 0)
	Offset    int       // skips this many first, for pages
}

// TaskUnitStats is one unit's line in /督办 统计, for the tasks assigned in a
// period.
type TaskUnitStats struct {
	Unit         string
	Assigned     int
	ClosedOnTime int // finished (see Task.Finished) by the deadline
	ClosedLate   int
	Open         int // not closed yet, including those waiting for 销号
	Overdue      int // open past the deadline now
	Extended     int // extensions granted (延期) on these tasks
	Transferred  int // times these tasks were transferred (转办)
	// AvgDaysToClose is the mean time from assignment to when the closed ones
	// were finished (Task.Finished, the same instant "on time" is judged by),
	// in days; 0 when none is closed. A slow 销号 does not count against the
	// unit.
	AvgDaysToClose float64
}

// RankTaskStats orders units worst first, which is how the group reads a
// ranking (点名): most overdue now, then most closed late, then the lowest
// share closed on time, then the most still open; ties by unit name.
func RankTaskStats(s []TaskUnitStats) {
	rate := func(u TaskUnitStats) float64 {
		if u.Assigned == 0 {
			return 1
		}
		return float64(u.ClosedOnTime) / float64(u.Assigned)
	}
	slices.SortStableFunc(s, func(a, b TaskUnitStats) int {
		return cmp.Or(
			cmp.Compare(b.Overdue, a.Overdue),
			cmp.Compare(b.ClosedLate, a.ClosedLate),
			cmp.Compare(rate(a), rate(b)),
			cmp.Compare(b.Open, a.Open),
			strings.Compare(a.Unit, b.Unit))
	})
}

// TaskWeekStats is one unit's line in the weekly summary (督办周报).
type TaskWeekStats struct {
	Unit    string
	New     int // assigned during the week
	Closed  int // closed during the week
	Overdue int // open past the deadline when the summary is made
}

// TaskTx is the part of a transaction that keeps tasks and their history. The
// methods that change a task check that its status allows the change and
// return an *Error with a Chinese sentence when not; who may make the change
// is the caller's rule (the chat commands check roles, a hotline is trusted).
// Every change writes a history event.
type TaskTx interface {
	// CreateTask stores t as a new open task assigned by by, sets its ID,
	// Status, AssignerID/Name and times, and writes the "created" event. With
	// no AssigneeIDs and a Unit, every registered member of that unit in the
	// group is assigned. Title, GroupID and Deadline are required; ECONFLICT
	// when (Source, ExternalID) already exists. The scheduler picks the new
	// task up at once (NextActionAt is now) and works out its ladder. An ID
	// set beforehand is a number reserved by Journal.Accept and is used;
	// leave it 0 for a new number.
	CreateTask(t *Task, by TaskActor) error
	// TaskByID returns a task with its assignees; ENOTFOUND if there is none.
	TaskByID(id int64) (*Task, error)
	// TaskByExternal finds the task made from an outside system's record,
	// e.g. ("12345", ticket id); ENOTFOUND if there is none.
	TaskByExternal(source, externalID string) (*Task, error)
	// TaskEvents is the task's history, oldest first.
	TaskEvents(taskID int64) ([]*TaskEvent, error)

	// ProgressTask appends progress (/进展); refused once the task is closed.
	ProgressTask(id int64, by TaskActor, text string) (*TaskEvent, error)
	// FinishTask records the assignee's report that the work is done (/办结);
	// the task then waits for 销号 and the ladder stops.
	FinishTask(id int64, by TaskActor, text string) (*TaskEvent, error)
	// AttachTaskEvidence records a picture as evidence for the task.
	AttachTaskEvidence(id int64, by TaskActor, imageID int64) (*TaskEvent, error)
	// CloseTask closes the task (销号) with an optional note, from open or done.
	CloseTask(id int64, by TaskActor, note string) (*TaskEvent, error)
	// ReturnTask sends a task back to work: a done task is "returned" (退回),
	// a closed one "reopened". The ladder resumes where it stopped.
	ReturnTask(id int64, by TaskActor, reason string) (*TaskEvent, error)

	// DueTasks returns up to n tasks whose NextActionAt is at or before now,
	// earliest first, through an index: the scheduler's sweep.
	DueTasks(now time.Time, n int) ([]*Task, error)
	// RecordTaskSteps is the sweep's write for one task: a history event per
	// step taken (each step at most once per task: one taken before is not
	// written again), the key of the last step the ladder passed and when to
	// look again (zero for never). Steps are refused unless the task is open.
	RecordTaskSteps(taskID int64, taken []*TaskEvent, lastStep string, next time.Time) error

	// Tasks lists the tasks of a group that are not closed, overdue first,
	// then by deadline.
	Tasks(f TaskFilter) ([]*Task, error)
	// TaskPage is Tasks with the total number of tasks the filter selects,
	// for "共 1,234 件，第 1–20 件". Both are read through indexes in list
	// order, so a page costs the same with 100 or 100,000 open tasks.
	TaskPage(f TaskFilter) (page []*Task, total int, err error)
	// TaskStats counts, per unit, the group's tasks assigned in [since, until)
	// (zero since: from the beginning), with "open" and "overdue" as of now.
	TaskStats(groupID int64, since, until, now time.Time) ([]TaskUnitStats, error)
	// TaskWeek counts, per unit, the tasks a group created and closed in
	// [since, until) and those overdue at now.
	TaskWeek(groupID int64, since, until, now time.Time) ([]TaskWeekStats, error)
}
