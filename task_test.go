package qunzhu_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

var taskZone = time.FixedZone("CST", 8*3600)

// taskDeadline is Friday 27 November 2026, 18:00, the end of a working week.
var taskDeadline = time.Date(2026, 11, 27, 18, 0, 0, 0, taskZone)

func stepKeys(steps []qunzhu.TaskStep) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Key()
	}
	return out
}

func TestTaskLadderNext(t *testing.T) {
	l := qunzhu.DefaultTaskLadder()
	h := time.Hour
	created := taskDeadline.Add(-72 * h)
	tests := []struct {
		name    string
		created time.Time
		last    string
		want    string
		at      time.Time
	}{
		{"first: a reminder a day before", created, "", "remind", taskDeadline.Add(-24 * h)},
		{"then 到期", created, "remind", "due", taskDeadline},
		{"then 黄牌 a day overdue", created, "due", "yellow", taskDeadline.Add(24 * h)},
		{"then the daily reminder of day 2", created, "yellow", "daily:2", taskDeadline.Add(48 * h)},
		{"then 红牌 three days overdue", created, "daily:2", "red", taskDeadline.Add(72 * h)},
		{"daily reminders go on", created, "red", "daily:4", taskDeadline.Add(96 * h)},
		{"and on", created, "daily:4", "daily:5", taskDeadline.Add(120 * h)},
		{"a task given 12 hours has no reminder the day before", taskDeadline.Add(-12 * h), "", "due", taskDeadline},
		{"an urgent task created exactly a day before neither", taskDeadline.Add(-24 * h), "", "due", taskDeadline},
		{"a ticket that arrives two days overdue starts at 红牌", taskDeadline.Add(50 * h), "", "red", taskDeadline.Add(72 * h)},
		{"an unknown key starts over", created, "bogus", "remind", taskDeadline.Add(-24 * h)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := l.Next(taskDeadline, tt.created, tt.last)
			if got.Key() != tt.want || !got.At.Equal(tt.at) {
				t.Errorf("Next(%q) = %s at %v, want %s at %v", tt.last, got.Key(), got.At, tt.want, tt.at)
			}
		})
	}
}

// slowNext is Next as first written: it walks the ladder step by step from
// last until a step falls after created. TestTaskLadderNextJumps checks the
// direct answer against it.
func slowNext(l qunzhu.TaskLadder, deadline, created time.Time, last string) qunzhu.TaskStep {
	s := l.Next(deadline, deadline.Add(-100*365*24*time.Hour), last) // nothing skipped for its creation
	for !s.At.After(created) {
		s = l.Next(deadline, deadline.Add(-100*365*24*time.Hour), s.Key())
	}
	return s
}

// Next skips the steps that fell due before the task existed by jumping
// straight past its creation: the same step as walking there, for tasks
// created before, at and long after their deadline, with any last step.
func TestTaskLadderNextJumps(t *testing.T) {
	ladders := []qunzhu.TaskLadder{qunzhu.DefaultTaskLadder(),
		{RemindBefore: 3 * time.Hour, YellowAfter: 12 * time.Hour, RedAfter: 48 * time.Hour, DailyEvery: 12 * time.Hour}}
	lasts := []string{"", "remind", "due", "yellow", "red", "daily:1", "daily:2", "daily:5", "daily:40", "bogus"}
	for li, l := range ladders {
		for _, after := range []time.Duration{-30 * time.Hour, -24 * time.Hour, -time.Minute, 0, time.Nanosecond,
			11 * time.Hour, 12 * time.Hour, 24 * time.Hour, 50 * time.Hour, 72 * time.Hour, 1000 * time.Hour, 555 * 24 * time.Hour} {
			created := taskDeadline.Add(after)
			for _, last := range lasts {
				got, want := l.Next(taskDeadline, created, last), slowNext(l, taskDeadline, created, last)
				if got != want {
					t.Errorf("ladder %d, created %v after the deadline, last %q: Next = %s at %v, walking gives %s at %v",
						li, after, last, got.Key(), got.At, want.Key(), want.At)
				}
			}
		}
	}
}

// TestTaskLadderWalk ticks a fake clock through a week, hour by hour, the way
// the scheduler does, and shows each step taken exactly once, in order.
func TestTaskLadderWalk(t *testing.T) {
	for _, tt := range []struct {
		name   string
		ladder qunzhu.TaskLadder
		want   []string
	}{
		{"default", qunzhu.DefaultTaskLadder(),
			[]string{"remind", "due", "yellow", "daily:2", "red", "daily:4", "daily:5", "daily:6"}},
		{"yellow after 12h, red after 36h", qunzhu.TaskLadder{RemindBefore: 2 * time.Hour, YellowAfter: 12 * time.Hour,
			RedAfter: 36 * time.Hour, DailyEvery: 24 * time.Hour},
			[]string{"remind", "due", "yellow", "daily:1", "red", "daily:2", "daily:3", "daily:4", "daily:5", "daily:6"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := qunzhu.NewFakeClock(taskDeadline.Add(-72 * time.Hour))
			created, last := clock.Now(), ""
			var taken []string
			for clock.Now().Before(taskDeadline.Add(6*24*time.Hour + 30*time.Minute)) {
				take, passed, next := tt.ladder.Due(taskDeadline, created, last, clock.Now())
				taken = append(taken, stepKeys(take)...)
				last = passed
				if !next.At.After(clock.Now()) {
					t.Fatalf("next step %s at %v is not after now %v", next.Key(), next.At, clock.Now())
				}
				clock.Advance(time.Hour)
			}
			if !slices.Equal(taken, tt.want) {
				t.Errorf("taken = %v\nwant    %v", taken, tt.want)
			}
		})
	}
}

// TestTaskLadderDueCatchesUp: after downtime one step is taken, the most
// serious notice that fell due, else the latest reminder.
func TestTaskLadderDueCatchesUp(t *testing.T) {
	l := qunzhu.DefaultTaskLadder()
	created := taskDeadline.Add(-72 * time.Hour)
	tests := []struct {
		name, last   string
		taskNow      time.Time
		take         []string
		passed, next string
	}{
		{"nothing due yet", "", taskDeadline.Add(-30 * time.Hour), nil, "", "remind"},
		{"the reminder on time", "", taskDeadline.Add(-23 * time.Hour), []string{"remind"}, "remind", "due"},
		{"down over the taskDeadline and a day: the stale reminder is skipped", "", taskDeadline.Add(25 * time.Hour),
			[]string{"yellow"}, "yellow", "daily:2"},
		{"down for days: 红牌, not the daily reminder after it", "yellow", taskDeadline.Add(100 * time.Hour),
			[]string{"red"}, "daily:4", "daily:5"},
		{"down over two daily reminders: the latest", "red", taskDeadline.Add(121 * time.Hour),
			[]string{"daily:5"}, "daily:5", "daily:6"},
		{"already done", "red", taskDeadline.Add(73 * time.Hour), nil, "red", "daily:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			take, passed, next := l.Due(taskDeadline, created, tt.last, tt.taskNow)
			if !slices.Equal(stepKeys(take), tt.take) || passed != tt.passed || next.Key() != tt.next {
				t.Errorf("Due = %v, %q, %s; want %v, %q, %s", stepKeys(take), passed, next.Key(), tt.take, tt.passed, tt.next)
			}
		})
	}
}

func TestTaskLadderValidate(t *testing.T) {
	h := time.Hour
	for _, tt := range []struct {
		l    qunzhu.TaskLadder
		want string
	}{
		{qunzhu.DefaultTaskLadder(), ""},
		{qunzhu.TaskLadder{RemindBefore: 0, YellowAfter: h, RedAfter: 2 * h, DailyEvery: 24 * h}, "remind_before"},
		{qunzhu.TaskLadder{RemindBefore: h, YellowAfter: 0, RedAfter: 2 * h, DailyEvery: 24 * h}, "yellow_after"},
		{qunzhu.TaskLadder{RemindBefore: h, YellowAfter: 2 * h, RedAfter: 2 * h, DailyEvery: 24 * h}, "red_after"},
		{qunzhu.TaskLadder{RemindBefore: h, YellowAfter: h, RedAfter: 2 * h, DailyEvery: time.Minute}, "daily_every"},
	} {
		err := tt.l.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.l, err, tt.want)
		}
	}
}

func TestTaskAllows(t *testing.T) {
	tests := []struct {
		status qunzhu.TaskStatus
		kind   qunzhu.TaskEventKind
		want   string // "" allowed
	}{
		{qunzhu.TaskOpen, qunzhu.TaskProgress, ""},
		{qunzhu.TaskDone, qunzhu.TaskProgress, ""},
		{qunzhu.TaskClosed, qunzhu.TaskProgress, "督办#23已销号，不能再报进展。如需继续办理，请督办人发送：/退回 23 原因"},
		{qunzhu.TaskOpen, qunzhu.TaskFinished, ""},
		{qunzhu.TaskDone, qunzhu.TaskFinished, "督办#23已报办结，正在等待销号。"},
		{qunzhu.TaskOpen, qunzhu.TaskClose, ""},
		{qunzhu.TaskDone, qunzhu.TaskClose, ""},
		{qunzhu.TaskClosed, qunzhu.TaskClose, "督办#23已经销号了。"},
		{qunzhu.TaskOpen, qunzhu.TaskReturned, "督办#23正在办理中，不需要退回。"},
		{qunzhu.TaskDone, qunzhu.TaskReturned, ""},
		{qunzhu.TaskClosed, qunzhu.TaskReopened, ""},
		{qunzhu.TaskDone, qunzhu.TaskStepped, "督办#23不在办理中，不再催办。"},
		{qunzhu.TaskClosed, qunzhu.TaskEvidence, ""},
	}
	for _, tt := range tests {
		task := &qunzhu.Task{ID: 23, Status: tt.status}
		if got := qunzhu.ErrorMessage(task.Allows(tt.kind)); got != tt.want {
			t.Errorf("%s task, %s: %q, want %q", tt.status, tt.kind, got, tt.want)
		}
	}
}

func TestRankTaskStatsWorstFirst(t *testing.T) {
	s := []qunzhu.TaskUnitStats{
		{Unit: "市教育局", Assigned: 4, ClosedOnTime: 4},
		{Unit: "市住建局", Assigned: 4, ClosedOnTime: 2, ClosedLate: 1, Open: 1},
		{Unit: "市城管委", Assigned: 5, ClosedOnTime: 1, Open: 4, Overdue: 2},
		{Unit: "市水务局", Assigned: 4, ClosedOnTime: 1, Open: 3},
		{Unit: "市交通局", Assigned: 3, ClosedOnTime: 1, ClosedLate: 1, Open: 1}, // lower on-time share
	}
	qunzhu.RankTaskStats(s)
	var got []string
	for _, u := range s {
		got = append(got, u.Unit)
	}
	want := []string{"市城管委", "市交通局", "市住建局", "市水务局", "市教育局"}
	if !slices.Equal(got, want) {
		t.Errorf("ranking = %v, want %v", got, want)
	}
}

func TestTaskFinishedAndOverdue(t *testing.T) {
	done, closed := taskDeadline.Add(-time.Hour), taskDeadline.Add(time.Hour)
	task := &qunzhu.Task{Status: qunzhu.TaskClosed, Deadline: taskDeadline, DoneAt: done, ClosedAt: closed}
	if !task.Finished().Equal(done) {
		t.Errorf("Finished = %v, want the /办结 time %v", task.Finished(), done)
	}
	task.DoneAt = time.Time{}
	if !task.Finished().Equal(closed) {
		t.Errorf("Finished without a report = %v, want the close %v", task.Finished(), closed)
	}
	open := &qunzhu.Task{Status: qunzhu.TaskOpen, Deadline: taskDeadline}
	waiting := &qunzhu.Task{Status: qunzhu.TaskDone, Deadline: taskDeadline}
	if !open.Overdue(closed) || open.Overdue(done) || waiting.Overdue(closed) {
		t.Error("Overdue: want only an open task past its taskDeadline")
	}
}

func TestFormatWhenAndTimeLeft(t *testing.T) {
	tests := []struct {
		t          time.Time
		when, left string
	}{
		{taskAt(2026, 12, 1, 18, 0), "12月1日（周二）18:00", "还剩6天8小时"},
		{taskAt(2026, 11, 25, 18, 0), "11月25日（周三）18:00", "还剩7小时30分钟"},
		{taskAt(2026, 11, 25, 11, 0), "11月25日（周三）11:00", "还剩30分钟"},
		{taskAt(2026, 11, 24, 9, 30), "11月24日（周二）09:30", "已逾期1天1小时"},
		{taskAt(2027, 1, 10, 18, 0), "2027年1月10日（周日）18:00", "还剩46天8小时"},
		{taskNow.Add(72*time.Hour - 37*time.Second), "11月28日（周六）10:29", "还剩3天"}, // "限期3天" a few seconds ago
		{taskNow.Add(-time.Hour - 20*time.Second), "11月25日（周三）09:29", "已逾期1小时"},
	}
	for _, tt := range tests {
		if got := qunzhu.FormatWhen(tt.t, taskNow); got != tt.when {
			t.Errorf("FormatWhen(%v) = %q, want %q", tt.t, got, tt.when)
		}
		if got := qunzhu.TimeLeft(tt.t, taskNow); got != tt.left {
			t.Errorf("TimeLeft(%v) = %q, want %q", tt.t, got, tt.left)
		}
	}
}

func taskAt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, taskZone)
}

// taskNow is Wednesday 25 November 2026, 10:30 in Beijing.
var taskNow = taskAt(2026, 11, 25, 10, 30)
