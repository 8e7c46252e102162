package qunzhu

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TaskLadder is the escalation ladder (催办): what happens to an open task as
// its deadline comes and goes. Offsets are from the deadline.
type TaskLadder struct {
	RemindBefore time.Duration // a reminder to the assignees this long before (24h)
	YellowAfter  time.Duration // 黄牌 in the group, naming the unit (24h)
	RedAfter     time.Duration // 红牌 naming the unit and the owners (72h)
	DailyEvery   time.Duration // while overdue, a reminder this often (24h)
}

// DefaultTaskLadder is the ladder the issue describes: a reminder a day
// before, 到期 at the deadline, 黄牌 one day and 红牌 three days overdue, and a
// reminder every day while overdue.
func DefaultTaskLadder() TaskLadder {
	return TaskLadder{RemindBefore: 24 * time.Hour, YellowAfter: 24 * time.Hour,
		RedAfter: 72 * time.Hour, DailyEvery: 24 * time.Hour}
}

// Validate says which offset makes the ladder unusable.
func (l TaskLadder) Validate() error {
	switch {
	case l.RemindBefore <= 0:
		return fmt.Errorf("remind_before must be positive")
	case l.YellowAfter <= 0:
		return fmt.Errorf("yellow_after must be positive")
	case l.RedAfter <= l.YellowAfter:
		return fmt.Errorf("red_after (%s) must be later than yellow_after (%s)", l.RedAfter, l.YellowAfter)
	case l.DailyEvery < time.Hour:
		return fmt.Errorf("daily_every must be at least 1h")
	}
	return nil
}

// TaskStepKind is the kind of an escalation step.
type TaskStepKind string

// Escalation steps. Reminders go to the assignees and are rate-limited per
// person; notices go to the whole group and always happen.
const (
	StepRemind TaskStepKind = "remind" // before the deadline (reminder)
	StepDue    TaskStepKind = "due"    // 到期 (notice)
	StepYellow TaskStepKind = "yellow" // 黄牌 (notice)
	StepRed    TaskStepKind = "red"    // 红牌 (notice)
	StepDaily  TaskStepKind = "daily"  // every day while overdue (reminder)
)

// TaskStep is one rung of the ladder for one task.
type TaskStep struct {
	Kind TaskStepKind
	N    int       // for StepDaily: days overdue (1, 2, …)
	At   time.Time // when it is due
}

// Key names the step uniquely within a task ("yellow", "daily:4"); it is
// stored so the step happens once, and it ends the outbox DedupKey
// "task:<id>:<key>".
func (s TaskStep) Key() string {
	if s.Kind == StepDaily {
		return "daily:" + strconv.Itoa(s.N)
	}
	return string(s.Kind)
}

// IsReminder reports whether the step is a reminder to people (rate-limited,
// skippable) rather than a notice to the group.
func (s TaskStep) IsReminder() bool { return s.Kind == StepRemind || s.Kind == StepDaily }

// offset is where a step key sits relative to the deadline; ok is false for
// "" (before every step) and unknown keys.
func (l TaskLadder) offset(key string) (time.Duration, bool) {
	switch TaskStepKind(key) {
	case StepRemind:
		return -l.RemindBefore, true
	case StepDue:
		return 0, true
	case StepYellow:
		return l.YellowAfter, true
	case StepRed:
		return l.RedAfter, true
	}
	if n, found := strings.CutPrefix(key, "daily:"); found {
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			return time.Duration(v) * l.DailyEvery, true
		}
	}
	return 0, false
}

// after returns the first step strictly after offset o (any step when first).
// A daily reminder that falls on a notice's time gives way to the notice.
func (l TaskLadder) after(deadline time.Time, o time.Duration, first bool) TaskStep {
	best := TaskStep{}
	consider := func(s TaskStep, off time.Duration) {
		if (first || off > o) && (best.Kind == "" || s.At.Before(best.At)) {
			best = s
		}
	}
	fixed := []struct {
		kind TaskStepKind
		off  time.Duration
	}{{StepRemind, -l.RemindBefore}, {StepDue, 0}, {StepYellow, l.YellowAfter}, {StepRed, l.RedAfter}}
	for _, f := range fixed {
		consider(TaskStep{Kind: f.kind, At: deadline.Add(f.off)}, f.off)
	}
	n := 1
	if !first && o >= 0 {
		n = int(o/l.DailyEvery) + 1
	}
	for ; ; n++ {
		off := time.Duration(n) * l.DailyEvery
		if !slices.ContainsFunc(fixed, func(f struct {
			kind TaskStepKind
			off  time.Duration
		}) bool {
			return f.off == off
		}) {
			consider(TaskStep{Kind: StepDaily, N: n, At: deadline.Add(off)}, off)
			return best
		}
	}
}

// Next is the first step after the step keyed last ("" for none yet) that is
// due after created: steps that fell due before the task existed (a task
// given 12 hours has no "one day before" reminder; a hotline ticket that
// arrives overdue starts at its next rung) never happen.
func (l TaskLadder) Next(deadline, created time.Time, last string) TaskStep {
	o, ok := l.offset(last)
	s := l.after(deadline, o, !ok)
	if s.At.After(created) {
		return s
	}
	// Every step up to created is skipped. Steps are ordered by their
	// offset, so the answer is the first step after created's own offset,
	// found at once: a ticket that arrives a year overdue must not walk
	// through the 365 daily reminders it never had (that walk took the
	// ladder job a millisecond per task).
	return l.after(deadline, created.Sub(deadline), false)
}

// Due is the escalation rule: which step to take at now for a task whose
// last step was last, and the step after it. At most one step is taken, so a
// catch-up after downtime or quiet hours never floods a group: the most
// serious notice (到期, 黄牌, 红牌) among the steps due, else the latest
// reminder — a reminder overtaken by a later step is stale. passed is the
// key of the last step that is due, taken or skipped: store it so no step
// happens twice.
func (l TaskLadder) Due(deadline, created time.Time, last string, now time.Time) (take []TaskStep, passed string, next TaskStep) {
	passed = last
	for s := l.Next(deadline, created, last); ; s = l.Next(deadline, created, passed) {
		if s.At.After(now) {
			next = s
			break
		}
		if len(take) == 0 || !s.IsReminder() || take[0].IsReminder() {
			take = append(take[:0], s) // a later notice, or a reminder after a reminder
		}
		passed = s.Key()
	}
	return take, passed, next
}
