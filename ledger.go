package qunzhu

import "time"

// LedgerFilter picks tasks for the 督办台账 (the ledger leaders bring to the
// weekly meeting): unlike TaskFilter, which serves the chat's open list, it
// spans several groups and keeps closed tasks.
type LedgerFilter struct {
	// GroupIDs are the groups to read; empty reads none (a reader who may see
	// no group sees nothing, never everything).
	GroupIDs []int64
	Unit     string     // one unit's tasks; "" for any
	Status   TaskStatus // one status; "" for any
	// OverdueAt keeps tasks open past their deadline at this time; zero for any.
	OverdueAt time.Time
	// CreatedSince and CreatedUntil bound when tasks were assigned; zero for open.
	CreatedSince time.Time
	CreatedUntil time.Time
	Limit        int // at most this many, newest first (1000 when 0)
}

// OutboxCount is how many outbox rows of a group share a kind, priority and
// status: what the metrics count as enqueued, sent and failed, read from the
// store so the numbers survive restarts and agree with the outbox itself.
type OutboxCount struct {
	GroupID  int64
	Kind     MessageKind
	Priority Priority
	Status   OutStatus
	N        int
}

// LedgerTx is the read side the dashboard, the exports, the 红黑榜 and the
// metrics need beyond what the chat features read. Every method only reads.
type LedgerTx interface {
	// LedgerTasks lists tasks matching f, newest first, with their assignees.
	LedgerTasks(f LedgerFilter) ([]*Task, error)
	// GroupTickets lists hotline tickets whose task is in one of the groups,
	// newest first.
	GroupTickets(groupIDs []int64, limit int) ([]*Ticket, error)
	// OutboxCounts counts every outbox row by group, kind, priority and status.
	OutboxCounts() ([]OutboxCount, error)
	// LadderStepCounts counts the escalation steps taken, by step key.
	LadderStepCounts() (map[string]int, error)
	// TaskEventsOf reads the histories of many tasks, each oldest first.
	TaskEventsOf(taskIDs []int64) (map[int64][]*TaskEvent, error)
	// LedgerUnits lists the units of the groups' tasks, sorted.
	LedgerUnits(groupIDs []int64) ([]string, error)
}

// DaysOverdue is how many whole days an open task is past its deadline at
// now (0 when it is not overdue): the 台账's 逾期天数.
func (t *Task) DaysOverdue(now time.Time) int {
	if !t.Overdue(now) {
		return 0
	}
	return int(now.Sub(t.Deadline) / (24 * time.Hour))
}

// LastActivity is when anything last moved on the task: the latest progress,
// else its creation. A task with no progress for long is 停滞 (stalled).
func (t *Task) LastActivity() time.Time {
	if t.LastProgressAt.After(t.CreatedAt) {
		return t.LastProgressAt
	}
	return t.CreatedAt
}
