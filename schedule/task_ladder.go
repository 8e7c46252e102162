package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// TaskSweepConfig tunes the 督办 escalation job. The zero value works.
type TaskSweepConfig struct {
	Ladder   qunzhu.TaskLadder // DefaultTaskLadder when zero
	Location *time.Location    // where times are shown; Asia/Shanghai (UTC+8) when nil
	// PersonLimits bound reminders to one person, across tasks and the other
	// features that remind people (under the shared keys of PersonLimitKey):
	// DefaultPersonLimits, one every 2 hours and 3 a day (DESIGN).
	PersonLimits []qunzhu.Limit
	Batch        int // tasks per transaction (100)
	Logger       *slog.Logger

	// Quiet is when no step is taken (免打扰; the zero value: never quiet):
	// a step due then waits for the end of the quiet time. QuietByGroup
	// overrides it for groups by name. Workdays says which days are rest
	// days. Urgent tasks (given a day or less) and hotline tasks ignore
	// rest days when UrgentOnRestDays is set; nights hold them too.
	Quiet            qunzhu.QuietHours
	QuietByGroup     map[string]qunzhu.QuietHours
	Workdays         qunzhu.ReportCalendar
	UrgentOnRestDays bool
	// UnitThreshold is how many units may get their own combined notice in
	// one round before the group gets one message for all (5).
	UnitThreshold int
	// PeopleThreshold is how many separate reminders (one per person, or per
	// people sharing the same tasks) a round may post in a group before they
	// are combined into one (8).
	PeopleThreshold int
}

// TaskSweep walks open tasks up the escalation ladder (催办): a reminder
// before the deadline, 到期, 黄牌, 红牌 and daily reminders while overdue. It
// finds due tasks through the index on their next action time, takes each
// step at most once per task (the step's key is stored with the task and in
// a unique history row), never more than one step per task at a time, and
// nothing in quiet time. Steps taken are queued and posted at the end of the
// run, combined per unit and per person (see task_round.go); the Limiter is
// asked once per person and round: a refused reminder is tried again when
// the limiter allows, or dropped when the task's next rung comes first.
// Notices to the group are never limited.
type TaskSweep struct {
	store   qunzhu.Store
	limiter qunzhu.Limiter
	cfg     TaskSweepConfig
}

// NewTaskSweep returns the ladder job with cfg's defaults filled in.
func NewTaskSweep(store qunzhu.Store, limiter qunzhu.Limiter, cfg TaskSweepConfig) *TaskSweep {
	if cfg.Ladder == (qunzhu.TaskLadder{}) {
		cfg.Ladder = qunzhu.DefaultTaskLadder()
	}
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("CST", 8*3600)
	}
	if cfg.PersonLimits == nil {
		cfg.PersonLimits = DefaultPersonLimits()
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.UnitThreshold <= 0 {
		cfg.UnitThreshold = 5
	}
	if cfg.PeopleThreshold <= 0 {
		cfg.PeopleThreshold = 8
	}
	if cfg.Workdays.Location == nil {
		cfg.Workdays.Location = cfg.Location
	}
	return &TaskSweep{store: store, limiter: limiter, cfg: cfg}
}

// Name names the job in logs.
func (j *TaskSweep) Name() string { return "task-ladder" }

// retryBroken is how long a task whose step failed waits before the next try,
// so one broken row cannot hold up the others.
const retryBroken = 10 * time.Minute

// Run takes every step due at now, a batch of tasks per transaction (if a
// batch fails, its tasks are done one by one and a failing task is put off),
// then posts what the steps pending in each group call for in few messages.
func (j *TaskSweep) Run(ctx context.Context, now time.Time) error {
	if err := j.steps(ctx, now); err != nil {
		return err
	}
	return j.post(ctx, now)
}

// steps records the steps due at now and queues their notices.
func (j *TaskSweep) steps(ctx context.Context, now time.Time) error {
	for range 10_000 { // a bound, not a limit: each batch moves its tasks past now
		var due []*qunzhu.Task
		err := j.store.Update(ctx, func(tx qunzhu.Tx) (err error) {
			if due, err = tx.DueTasks(now, j.cfg.Batch); err != nil {
				return err
			}
			groups := groupCache{}
			for _, task := range due {
				if err := j.step(tx, groups, task, now); err != nil {
					return fmt.Errorf("task %d: %w", task.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			j.cfg.Logger.Warn("task ladder batch failed; stepping one by one", "err", err)
			if err := j.oneByOne(ctx, due, now); err != nil {
				return err
			}
		}
		if len(due) < j.cfg.Batch {
			return nil
		}
	}
	return nil
}

// oneByOne steps tasks in their own transactions and puts off any that fail.
func (j *TaskSweep) oneByOne(ctx context.Context, due []*qunzhu.Task, now time.Time) error {
	for _, task := range due {
		err := j.store.Update(ctx, func(tx qunzhu.Tx) error {
			fresh, err := tx.TaskByID(task.ID)
			if err != nil {
				return err
			}
			if fresh.NextActionAt.IsZero() || fresh.NextActionAt.After(now) {
				return nil // done meanwhile
			}
			return j.step(tx, groupCache{}, fresh, now)
		})
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		j.cfg.Logger.Error("task ladder step failed; retrying later", "task_id", task.ID, "err", err)
		if err := j.store.Update(ctx, func(tx qunzhu.Tx) error {
			return tx.RecordTaskSteps(task.ID, nil, task.LadderStep, now.Add(retryBroken))
		}); err != nil {
			return fmt.Errorf("put off task %d: %w", task.ID, err)
		}
	}
	return nil
}

// step takes the step due for one task (at most one: see TaskLadder.Due),
// unless the group is in quiet time, and schedules the task's next look. A
// step taken is recorded in the history and queued for posting, a notice for
// the group and a reminder for each assignee.
func (j *TaskSweep) step(tx qunzhu.Tx, groups groupCache, task *qunzhu.Task, now time.Time) error {
	if task.Status != qunzhu.TaskOpen || task.Withdrawn || !task.SuspendedAt.IsZero() {
		return tx.RecordTaskSteps(task.ID, nil, task.LadderStep, time.Time{})
	}
	take, passed, next := j.cfg.Ladder.Due(task.Deadline, task.CreatedAt, task.LadderStep, now)
	if len(take) == 0 {
		return tx.RecordTaskSteps(task.ID, nil, passed, j.later(next.At, now))
	}
	quiet, err := j.quietFor(tx, groups, task)
	if err != nil {
		return err
	}
	if open := quiet.NextOpen(now, j.cfg.Workdays); open.After(now) {
		// Quiet time: look again when it ends; the step is still due then
		// (or a later one, which replaces it).
		return tx.RecordTaskSteps(task.ID, nil, task.LadderStep, open)
	}
	s := take[0]
	key := qunzhu.StepEventKey(task.LadderRound, s.Key())
	at := qunzhu.StepEventKey(task.LadderRound, passed)
	var items []*qunzhu.LadderPending
	if s.IsReminder() {
		for _, id := range task.AssigneeIDs {
			items = append(items, &qunzhu.LadderPending{GroupID: task.GroupID, TaskID: task.ID, MemberID: id,
				Step: s.Key(), EventStep: key, Passed: at, NotBefore: now})
		}
	} else {
		items = append(items, &qunzhu.LadderPending{GroupID: task.GroupID, TaskID: task.ID, Step: s.Key(),
			EventStep: key, Passed: at, NotBefore: now})
	}
	if err := tx.AddLadderPending(items); err != nil {
		return err
	}
	ev := &qunzhu.TaskEvent{Step: key, ActorName: "系统", Text: stepLabel(s)}
	return tx.RecordTaskSteps(task.ID, []*qunzhu.TaskEvent{ev}, passed, j.later(next.At, now))
}

// later guards against a loop: the next look is always after now.
func (j *TaskSweep) later(at, now time.Time) time.Time {
	if !at.After(now) {
		return now.Add(time.Minute)
	}
	return at
}

// quietFor is the quiet time of the task's group, with rest days lifted for
// urgent and hotline tasks when configured.
func (j *TaskSweep) quietFor(tx qunzhu.Tx, groups groupCache, task *qunzhu.Task) (qunzhu.QuietHours, error) {
	q := j.cfg.Quiet
	if len(j.cfg.QuietByGroup) > 0 {
		g, err := groups.get(tx, task.GroupID)
		if err != nil {
			return q, err
		}
		if gq, ok := j.cfg.QuietByGroup[g.Name]; ok {
			q = gq
		}
	}
	urgent := task.Source == qunzhu.TaskSourceHotline || task.Deadline.Sub(task.CreatedAt) <= 24*time.Hour
	if urgent && j.cfg.UrgentOnRestDays {
		q.RestDays = false
	}
	return q, nil
}

// stepLabel names a step in the task's history.
func stepLabel(s qunzhu.TaskStep) string {
	switch s.Kind {
	case qunzhu.StepRemind:
		return "到期前提醒"
	case qunzhu.StepDue:
		return "到期"
	case qunzhu.StepYellow:
		return "黄牌"
	case qunzhu.StepRed:
		return "红牌"
	}
	return fmt.Sprintf("逾期第%d天提醒", s.N)
}

// try is one Allow; an infrastructure failure allows the reminder (a missed
// reminder is worse than one too many) and is logged.
func (j *TaskSweep) try(ctx context.Context, key string, limit qunzhu.Limit) (bool, time.Duration, error) {
	res, err := j.limiter.Allow(ctx, key, limit)
	if err != nil {
		if ctx.Err() != nil {
			return false, 0, ctx.Err()
		}
		j.cfg.Logger.Warn("limiter failed; reminding anyway", "key", key, "err", err)
		return true, 0, nil
	}
	return res.Allowed, res.RetryAfter, nil
}

// groupCache keeps the groups one transaction of the sweep has read.
type groupCache map[int64]*qunzhu.Group

func (c groupCache) get(tx qunzhu.Tx, id int64) (*qunzhu.Group, error) {
	if g, ok := c[id]; ok {
		return g, nil
	}
	g, err := tx.GroupByID(id)
	if err != nil {
		return nil, err
	}
	c[id] = g
	return g, nil
}

// memberCache keeps the members one transaction of the sweep has read: the
// same unit's people are named in many tasks.
type memberCache map[int64]*qunzhu.Member

func (c memberCache) get(tx qunzhu.Tx, id int64) (*qunzhu.Member, error) {
	if m, ok := c[id]; ok {
		return m, nil
	}
	m, err := tx.MemberByID(id)
	if err != nil {
		return nil, err
	}
	c[id] = m
	return m, nil
}

// taskMentions writes "@name\u2005" for each member, with the name the group
// shows now (the web protocol cannot send real mentions; see DESIGN).
func taskMentions(ms []*qunzhu.Member) string {
	var b strings.Builder
	for _, m := range ms {
		name := m.Name
		if m.Bound && m.Identity.Name() != "" {
			name = m.Identity.Name()
		}
		b.WriteString(qunzhu.Mention(name))
	}
	return b.String()
}

// orString is a, or b when a is empty.
func orString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
