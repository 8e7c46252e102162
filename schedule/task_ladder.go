package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
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
	// TaskLimit bounds reminders about one task (key "remind:task:<id>"): 2 a
	// day, at least 12 hours apart, by default.
	TaskLimit qunzhu.Limit
	Batch     int // tasks per transaction (100)
	Logger    *slog.Logger
}

// TaskSweep walks open tasks up the escalation ladder (催办): a reminder
// before the deadline, 到期, 黄牌, 红牌 and daily reminders while overdue. It
// finds due tasks through the index on their next action time, takes each
// step at most once per task (the step's key is stored with the task, in a
// unique history row and in the outbox DedupKey "task:<id>:<step>"), and asks
// the Limiter before every reminder to a person: a refused reminder is tried
// again when the limiter allows, or skipped when the next rung comes first,
// never piled up. Notices to the group are never limited or skipped.
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
	if cfg.TaskLimit.IsZero() {
		cfg.TaskLimit = qunzhu.Limit{Rate: 2, Period: 24 * time.Hour, Burst: 1}
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &TaskSweep{store: store, limiter: limiter, cfg: cfg}
}

// Name names the job in logs.
func (j *TaskSweep) Name() string { return "task-ladder" }

// retryBroken is how long a task whose step failed waits before the next try,
// so one broken row cannot hold up the others.
const retryBroken = 10 * time.Minute

// Run takes every step due at now, a batch of tasks per transaction. If a
// batch fails, its tasks are done one by one and a failing task is put off.
func (j *TaskSweep) Run(ctx context.Context, now time.Time) error {
	for range 10_000 { // a bound, not a limit: each batch moves its tasks past now
		var due []*qunzhu.Task
		err := j.store.Update(ctx, func(tx qunzhu.Tx) (err error) {
			if due, err = tx.DueTasks(now, j.cfg.Batch); err != nil {
				return err
			}
			people := memberCache{}
			for _, task := range due {
				if err := j.step(ctx, tx, people, task, now); err != nil {
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
			return j.step(ctx, tx, memberCache{}, fresh, now)
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

// step takes the steps due for one task and schedules its next look.
func (j *TaskSweep) step(ctx context.Context, tx qunzhu.Tx, people memberCache, task *qunzhu.Task, now time.Time) error {
	if task.Status != qunzhu.TaskOpen {
		return tx.RecordTaskSteps(task.ID, nil, task.LadderStep, time.Time{})
	}
	l := j.cfg.Ladder
	take, passed, next := l.Due(task.Deadline, task.CreatedAt, task.LadderStep, now)
	nextAt := next.At
	var events []*qunzhu.TaskEvent
	n := &taskNotice{tx: tx, task: task, now: now.In(j.cfg.Location), cache: people}
	for _, s := range take {
		people, err := n.assignees()
		if err != nil {
			return err
		}
		if s.IsReminder() {
			allowed, retry, err := j.allow(ctx, task, people)
			if err != nil {
				return err
			}
			if len(allowed) == 0 {
				if at := now.Add(retry); retry > 0 && at.Before(next.At) {
					// Try again when the limiter allows: the ladder stays just
					// before this reminder.
					_, passed, _ = l.Due(task.Deadline, task.CreatedAt, task.LadderStep, s.At.Add(-time.Nanosecond))
					nextAt = at
				}
				j.cfg.Logger.Info("task reminder refused by the limiter", "task_id", task.ID, "step", s.Key(), "retry_at", nextAt)
				continue
			}
			people = allowed
		}
		msg, label, err := n.message(s, people)
		if err != nil {
			return err
		}
		msg.DedupKey = fmt.Sprintf("task:%d:%s", task.ID, s.Key())
		msg.Ref = fmt.Sprintf("task:%d", task.ID)
		if _, err := tx.Enqueue(msg); err != nil {
			return err
		}
		events = append(events, &qunzhu.TaskEvent{Step: s.Key(), ActorName: "系统", Text: label})
	}
	if !nextAt.After(now) { // never: Due's next is after now; a guard against a loop
		nextAt = now.Add(time.Minute)
	}
	return tx.RecordTaskSteps(task.ID, events, passed, nextAt)
}

// allow asks the limiter whether each person, and then the task, may get one
// more reminder. It returns who may, and when to try again if nobody may. The
// task is asked last, so a reminder that reaches nobody uses up no quota of
// the task.
func (j *TaskSweep) allow(ctx context.Context, task *qunzhu.Task, people []*qunzhu.Member) ([]*qunzhu.Member, time.Duration, error) {
	var allowed []*qunzhu.Member
	var wait time.Duration
	for _, m := range people {
		ok := true
		for i, limit := range j.cfg.PersonLimits {
			key := PersonLimitKey(m.ID, i)
			var (
				r   time.Duration
				err error
			)
			if ok, r, err = j.try(ctx, key, limit); err != nil {
				return nil, 0, err
			}
			if !ok {
				wait = max(wait, r)
				break
			}
		}
		if ok {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		return nil, wait, nil
	}
	ok, retry, err := j.try(ctx, "remind:task:"+strconv.FormatInt(task.ID, 10), j.cfg.TaskLimit)
	if err != nil || !ok {
		return nil, retry, err
	}
	return allowed, 0, nil
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

// taskNotice writes the ladder's messages for one task, loading the people it
// names once.
type taskNotice struct {
	tx     qunzhu.Tx
	task   *qunzhu.Task
	now    time.Time
	cache  memberCache
	people []*qunzhu.Member
	loaded bool
}

func (n *taskNotice) assignees() ([]*qunzhu.Member, error) {
	if n.loaded {
		return n.people, nil
	}
	for _, id := range n.task.AssigneeIDs {
		m, err := n.cache.get(n.tx, id)
		if err != nil {
			return nil, err
		}
		n.people = append(n.people, m)
	}
	n.loaded = true
	return n.people, nil
}

// message is the outbox row for step s and the label its history event gets.
func (n *taskNotice) message(s qunzhu.TaskStep, people []*qunzhu.Member) (*qunzhu.OutMessage, string, error) {
	t, now := n.task, n.now
	who := taskMentions(people)
	what := fmt.Sprintf("督办%s「%s」", t.Number(), t.Title)
	due := qunzhu.FormatWhen(t.Deadline, now)
	late := qunzhu.RoughDuration(now.Sub(t.Deadline))
	msg := &qunzhu.OutMessage{GroupID: t.GroupID, Kind: qunzhu.KindAlert, NotBefore: n.now}
	var label string
	switch s.Kind {
	case qunzhu.StepRemind:
		msg.Kind = qunzhu.KindReminder
		label = "到期前提醒"
		msg.Text = fmt.Sprintf("%s提醒：%s将于%s到期（%s），请抓紧办理，办完发送：/办结 %d 内容",
			who, what, due, qunzhu.TimeLeft(t.Deadline, now), t.ID)
	case qunzhu.StepDue:
		label = "到期"
		msg.Text = fmt.Sprintf("【到期】%s已到期（期限%s），责任单位：%s。%s请尽快办结并报告：/办结 %d 内容",
			what, due, t.Unit, who, t.ID)
	case qunzhu.StepYellow:
		label = "黄牌"
		msg.Text = fmt.Sprintf("【黄牌】%s已逾期%s，责任单位：%s。%s请立即办理并报告进展：/进展 %d 内容",
			what, late, t.Unit, who, t.ID)
	case qunzhu.StepRed:
		label = "红牌"
		msg.Urgent = true // copied to the fallback robot during a long WeChat outage
		owners, err := n.owners()
		if err != nil {
			return nil, "", err
		}
		msg.Text = fmt.Sprintf("【红牌】%s已逾期%s，责任单位：%s，请%s关注。%s",
			what, late, t.Unit, orString(taskMentions(owners), "群主"), strings.TrimSuffix(who, "\u2005"))
	case qunzhu.StepDaily:
		msg.Kind = qunzhu.KindReminder
		label = fmt.Sprintf("逾期第%d天提醒", s.N)
		msg.Text = fmt.Sprintf("%s%s已逾期%s（期限%s），请抓紧办理并报告进展：/进展 %d 内容",
			who, what, late, due, t.ID)
	default:
		return nil, "", fmt.Errorf("unknown ladder step %q", s.Kind)
	}
	msg.Priority = msg.Kind.DefaultPriority()
	return msg, label, nil
}

// owners are the group's owners (群主), whom a 红牌 calls on.
func (n *taskNotice) owners() ([]*qunzhu.Member, error) {
	members, err := n.tx.Members(n.task.GroupID)
	if err != nil {
		return nil, err
	}
	var owners []*qunzhu.Member
	for _, m := range members {
		if m.Role == qunzhu.RoleOwner {
			owners = append(owners, m)
		}
	}
	return owners, nil
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
