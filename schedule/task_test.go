package schedule_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/ratelimit"
	"github.com/qunzhu/qunzhu/schedule"
	"github.com/qunzhu/qunzhu/sqlite"
)

var taskZone = time.FixedZone("CST", 8*3600)

// taskMonday is 9:00 on Monday 23 November 2026, when tasks are handed out.
var taskMonday = time.Date(2026, 11, 23, 9, 0, 0, 0, taskZone)

// ladderWorld is a store with a district group: 张书记 (owner), and 市城管委's
// 李局长 (bound) and 赵科长 (registered), on a fake clock shared with the
// in-process limiter.
type ladderWorld struct {
	t        testing.TB
	store    *sqlite.Store
	clock    *qunzhu.FakeClock
	limiter  *ratelimit.Local
	group    *qunzhu.Group
	owner    *qunzhu.Member
	li, zhao *qunzhu.Member
}

func newLadderWorld(t testing.TB) *ladderWorld {
	t.Helper()
	w := &ladderWorld{t: t, clock: qunzhu.NewFakeClock(taskMonday)}
	var err error
	w.store, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "qunzhu.db"), w.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.store.Close() })
	w.limiter = ratelimit.NewLocal(w.clock)
	w.update(func(tx qunzhu.Tx) (err error) {
		if w.group, err = tx.CreateGroup("区委干部工作群"); err != nil {
			return err
		}
		w.owner = &qunzhu.Member{GroupID: w.group.ID, Name: "张书记", Unit: "区委", Role: qunzhu.RoleOwner, Bound: true,
			Identity: qunzhu.Identity{SessionKey: "@zhang", DisplayName: "张书记"}}
		w.li = &qunzhu.Member{GroupID: w.group.ID, Name: "李局长", Unit: "市城管委", Bound: true,
			Identity: qunzhu.Identity{SessionKey: "@li", DisplayName: "李局长"}}
		w.zhao = &qunzhu.Member{GroupID: w.group.ID, Name: "赵科长", Unit: "市城管委"}
		for _, m := range []*qunzhu.Member{w.owner, w.li, w.zhao} {
			if err := tx.CreateMember(m); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

func (w *ladderWorld) update(fn func(tx qunzhu.Tx) error) {
	w.t.Helper()
	if err := w.store.Update(context.Background(), fn); err != nil {
		w.t.Fatal(err)
	}
}

// assign creates a task for 市城管委 due after d.
func (w *ladderWorld) assign(title string, d time.Duration) *qunzhu.Task {
	w.t.Helper()
	task := &qunzhu.Task{GroupID: w.group.ID, Title: title, Unit: "市城管委", Deadline: w.clock.Now().Add(d)}
	w.update(func(tx qunzhu.Tx) error { return tx.CreateTask(task, qunzhu.MemberActor(w.owner)) })
	return task
}

func (w *ladderWorld) sweep(cfg schedule.TaskSweepConfig) *schedule.TaskSweep {
	cfg.Location = taskZone
	return schedule.NewTaskSweep(w.store, w.limiter, cfg)
}

// run runs the job at the clock's now.
func (w *ladderWorld) run(j schedule.Job) {
	w.t.Helper()
	if err := j.Run(context.Background(), w.clock.Now()); err != nil {
		w.t.Fatalf("%s.Run: %v", j.Name(), err)
	}
}

// sent drains the outbox the way the sender does and returns the texts.
func (w *ladderWorld) sent() []*qunzhu.OutMessage {
	w.t.Helper()
	ctx := context.Background()
	msgs, err := w.store.Due(ctx, w.clock.Now(), 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, m := range msgs {
		if err := w.store.MarkSending(ctx, m.ID); err != nil {
			w.t.Fatal(err)
		}
		if err := w.store.MarkSent(ctx, m.ID); err != nil {
			w.t.Fatal(err)
		}
	}
	return msgs
}

func (w *ladderWorld) task(id int64) *qunzhu.Task {
	w.t.Helper()
	var task *qunzhu.Task
	if err := w.store.View(context.Background(), func(tx qunzhu.Tx) (err error) {
		task, err = tx.TaskByID(id)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return task
}

// TestTaskLadderFiresEachStepOnce walks a week hour by hour, runs the job
// twice per tick and restarts it half way, and reads what the group got:
// each rung once, at its time, with the right people named.
func TestTaskLadderFiresEachStepOnce(t *testing.T) {
	w := newLadderWorld(t)
	task := w.assign("修复人民路路灯", 72*time.Hour) // Thursday 09:00
	job := w.sweep(schedule.TaskSweepConfig{})
	type got struct {
		at   time.Duration // after the deadline
		kind qunzhu.MessageKind
		text string
	}
	var log []got
	for w.clock.Now().Before(task.Deadline.Add(5*24*time.Hour + time.Minute)) {
		w.run(job)
		w.run(job) // a second tick at the same time does nothing
		for _, m := range w.sent() {
			if m.DedupKey == "" || m.Ref != fmt.Sprintf("task:%d", task.ID) {
				t.Errorf("message %q: DedupKey %q Ref %q", m.Text, m.DedupKey, m.Ref)
			}
			log = append(log, got{w.clock.Now().Sub(task.Deadline), m.Kind, m.Text})
		}
		if w.clock.Now().Equal(task.Deadline.Add(36 * time.Hour)) {
			job = w.sweep(schedule.TaskSweepConfig{}) // a restart
		}
		w.clock.Advance(time.Hour)
	}
	h := time.Hour
	want := []got{
		{-24 * h, qunzhu.KindReminder, "@李局长\u2005@赵科长\u2005提醒：督办#1「修复人民路路灯」将于11月26日（周四）09:00到期（还剩1天），请抓紧办理，办完发送：/办结 1 内容"},
		{0, qunzhu.KindAlert, "【到期】督办#1「修复人民路路灯」已到期（期限11月26日（周四）09:00），责任单位：市城管委。@李局长\u2005@赵科长\u2005请尽快办结并报告：/办结 1 内容"},
		{24 * h, qunzhu.KindAlert, "【黄牌】督办#1「修复人民路路灯」已逾期1天，责任单位：市城管委。@李局长\u2005@赵科长\u2005请立即办理并报告进展：/进展 1 内容"},
		{48 * h, qunzhu.KindReminder, "@李局长\u2005@赵科长\u2005督办#1「修复人民路路灯」已逾期2天（期限11月26日（周四）09:00），请抓紧办理并报告进展：/进展 1 内容"},
		{72 * h, qunzhu.KindAlert, "【红牌】督办#1「修复人民路路灯」已逾期3天，责任单位：市城管委，请@张书记\u2005关注。@李局长\u2005@赵科长"},
		{96 * h, qunzhu.KindReminder, "@李局长\u2005@赵科长\u2005督办#1「修复人民路路灯」已逾期4天（期限11月26日（周四）09:00），请抓紧办理并报告进展：/进展 1 内容"},
		{120 * h, qunzhu.KindReminder, "@李局长\u2005@赵科长\u2005督办#1「修复人民路路灯」已逾期5天（期限11月26日（周四）09:00），请抓紧办理并报告进展：/进展 1 内容"},
	}
	if !slices.Equal(log, want) {
		t.Errorf("the group got:\n%s\nwant:\n%s", fmt.Sprint(log), fmt.Sprint(want))
	}
	var steps []string
	if err := w.store.View(context.Background(), func(tx qunzhu.Tx) error {
		evs, err := tx.TaskEvents(task.ID)
		for _, ev := range evs {
			if ev.Kind == qunzhu.TaskStepped {
				steps = append(steps, ev.Step+"="+ev.Text)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wantSteps := []string{"remind=到期前提醒", "due=到期", "yellow=黄牌", "daily:2=逾期第2天提醒", "red=红牌", "daily:4=逾期第4天提醒", "daily:5=逾期第5天提醒"}
	if !slices.Equal(steps, wantSteps) {
		t.Errorf("history steps = %v, want %v", steps, wantSteps)
	}
}

// TestTaskLadderStopsWhenDoneAndResumesWhenReturned: a task reported done
// waits quietly for 销号; sent back, it resumes after its last rung.
func TestTaskLadderStopsWhenDoneAndResumesWhenReturned(t *testing.T) {
	w := newLadderWorld(t)
	task := w.assign("整改材料", 48*time.Hour)
	job := w.sweep(schedule.TaskSweepConfig{})
	w.run(job)
	w.clock.Set(task.Deadline.Add(-24 * time.Hour))
	w.run(job)
	if msgs := w.sent(); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "提醒") {
		t.Fatalf("before the deadline: %v", taskTexts(msgs))
	}
	w.update(func(tx qunzhu.Tx) error {
		_, err := tx.FinishTask(task.ID, qunzhu.MemberActor(w.li), "已报送")
		return err
	})
	w.clock.Set(task.Deadline.Add(30 * time.Hour))
	w.run(job)
	if msgs := w.sent(); len(msgs) != 0 {
		t.Fatalf("done task escalated: %v", taskTexts(msgs))
	}
	w.update(func(tx qunzhu.Tx) error {
		_, err := tx.ReturnTask(task.ID, qunzhu.MemberActor(w.owner), "材料不全")
		return err
	})
	w.run(job)
	msgs := w.sent()
	if got := taskTexts(msgs); len(got) != 1 || !strings.HasPrefix(got[0], "【黄牌】") {
		t.Fatalf("after the return: %v, want the 黄牌 (the latest missed step) only", got)
	}
	if got := w.task(task.ID); got.LadderStep != "yellow" || !got.NextActionAt.Equal(task.Deadline.Add(48*time.Hour)) {
		t.Errorf("ladder = %q next %v", got.LadderStep, got.NextActionAt)
	}
}

// TestTaskLadderCatchesUpAfterDowntime: of the steps that fell due while the
// service was down, the latest notice is given; 到期 and the reminder are not.
func TestTaskLadderCatchesUpAfterDowntime(t *testing.T) {
	w := newLadderWorld(t)
	task := w.assign("清理占道经营", 72*time.Hour)
	w.clock.Set(task.Deadline.Add(25 * time.Hour))
	w.run(w.sweep(schedule.TaskSweepConfig{}))
	got := taskTexts(w.sent())
	if len(got) != 1 || !strings.HasPrefix(got[0], "【黄牌】") {
		t.Errorf("after downtime: %v, want 黄牌 only", got)
	}
}

func TestTaskLadderShortDeadlineHasNoEarlyReminder(t *testing.T) {
	w := newLadderWorld(t)
	task := w.assign("今天下班前报送值班表", 9*time.Hour)
	job := w.sweep(schedule.TaskSweepConfig{})
	for w.clock.Now().Before(task.Deadline.Add(time.Minute)) {
		w.run(job)
		w.clock.Advance(30 * time.Minute)
	}
	if got := taskTexts(w.sent()); len(got) != 1 || !strings.HasPrefix(got[0], "【到期】") {
		t.Errorf("got %v, want only 到期", got)
	}
}

// TestTaskRemindersAreRateLimitedPerPerson: a person reminded recently (by
// any feature using the same key) is left out; when everyone is, the reminder
// waits for the limiter, or is skipped when the next rung comes first.
func TestTaskRemindersAreRateLimitedPerPerson(t *testing.T) {
	ctx := context.Background()
	remindedJustNow := func(w *ladderWorld, m *qunzhu.Member) {
		res, err := w.limiter.Allow(ctx, fmt.Sprintf("remind:member:%d", m.ID), qunzhu.Limit{Rate: 1, Period: 2 * time.Hour, Burst: 1})
		if err != nil || !res.Allowed {
			t.Fatalf("prime limiter: %v %v", res, err)
		}
	}
	t.Run("one person left out", func(t *testing.T) {
		w := newLadderWorld(t)
		task := w.assign("修复路灯", 72*time.Hour)
		w.clock.Set(task.Deadline.Add(-24*time.Hour - 30*time.Minute))
		remindedJustNow(w, w.li)
		w.clock.Advance(30 * time.Minute)
		w.run(w.sweep(schedule.TaskSweepConfig{}))
		got := taskTexts(w.sent())
		if len(got) != 1 || strings.Contains(got[0], "李局长") || !strings.HasPrefix(got[0], "@赵科长\u2005提醒") {
			t.Errorf("got %v, want a reminder to 赵科长 only", got)
		}
	})
	t.Run("everyone refused: tried again when allowed", func(t *testing.T) {
		w := newLadderWorld(t)
		task := w.assign("修复路灯", 72*time.Hour)
		w.clock.Set(task.Deadline.Add(-24*time.Hour - 30*time.Minute))
		remindedJustNow(w, w.li)
		remindedJustNow(w, w.zhao)
		w.clock.Advance(30 * time.Minute)
		job := w.sweep(schedule.TaskSweepConfig{})
		w.run(job)
		if got := taskTexts(w.sent()); len(got) != 0 {
			t.Fatalf("reminded while limited: %v", got)
		}
		// The step is taken and its reminder waits for the limiter.
		w.clock.Set(task.Deadline.Add(-22*time.Hour - 31*time.Minute))
		w.run(job)
		if got := taskTexts(w.sent()); len(got) != 0 {
			t.Fatalf("reminded while limited: %v", got)
		}
		w.clock.Set(task.Deadline.Add(-22*time.Hour - 30*time.Minute))
		w.run(job)
		if got := taskTexts(w.sent()); len(got) != 1 || !strings.Contains(got[0], "@李局长\u2005@赵科长\u2005提醒") {
			t.Errorf("retry: %v, want one reminder to both", got)
		}
		w.run(job)
		if got := taskTexts(w.sent()); len(got) != 0 {
			t.Errorf("a second reminder: %v", got)
		}
	})
	t.Run("refused until after the next rung: skipped", func(t *testing.T) {
		w := newLadderWorld(t)
		task := w.assign("修复路灯", 72*time.Hour)
		daily := qunzhu.Limit{Rate: 1, Period: 30 * time.Hour, Burst: 1}
		job := w.sweep(schedule.TaskSweepConfig{PersonLimits: []qunzhu.Limit{daily}})
		w.clock.Set(task.Deadline.Add(-25 * time.Hour)) // allowed again 29 hours later, after 到期
		for _, m := range []*qunzhu.Member{w.li, w.zhao} {
			if _, err := w.limiter.Allow(ctx, fmt.Sprintf("remind:member:%d", m.ID), daily); err != nil {
				t.Fatal(err)
			}
		}
		w.clock.Set(task.Deadline.Add(-24 * time.Hour))
		w.run(job)
		if got := w.task(task.ID); got.LadderStep != "remind" || !got.NextActionAt.Equal(task.Deadline) {
			t.Errorf("ladder %q next %v, want the reminder skipped and 到期 next", got.LadderStep, got.NextActionAt)
		}
		w.clock.Set(task.Deadline)
		w.run(job)
		if got := taskTexts(w.sent()); len(got) != 1 || !strings.HasPrefix(got[0], "【到期】") {
			t.Errorf("got %v, want only 到期 (notices are never limited)", got)
		}
	})
}

func TestTaskWeeklySummary(t *testing.T) {
	w := newLadderWorld(t)
	// Last week: three tasks; one closed, one overdue.
	w.clock.Set(taskMonday.AddDate(0, 0, -7))
	closed := w.assign("修复路灯", 24*time.Hour)
	w.assign("清理占道经营", 48*time.Hour)
	w.update(func(tx qunzhu.Tx) error {
		task := &qunzhu.Task{GroupID: w.group.ID, Title: "整理纪要", AssigneeIDs: []int64{w.owner.ID}, Deadline: taskMonday.Add(48 * time.Hour)}
		return tx.CreateTask(task, qunzhu.MemberActor(w.owner))
	})
	w.clock.Advance(24 * time.Hour)
	w.update(func(tx qunzhu.Tx) error {
		_, err := tx.CloseTask(closed.ID, qunzhu.MemberActor(w.owner), "")
		return err
	})
	quiet := &qunzhu.Group{}
	w.update(func(tx qunzhu.Tx) (err error) { quiet, err = tx.CreateGroup("城管工作群"); return err })

	job := schedule.NewTaskWeekly(w.store, schedule.TaskWeeklyConfig{Weekday: time.Monday, At: 9 * time.Hour, Location: taskZone})
	w.clock.Set(taskMonday.Add(-time.Minute)) // Monday 08:59: last week's summary was a week ago
	w.run(job)
	if got := w.sent(); len(got) != 0 {
		t.Fatalf("before 09:00: %v", taskTexts(got))
	}
	w.clock.Set(taskMonday.Add(time.Minute))
	w.run(job)
	w.run(job)
	w.run(schedule.NewTaskWeekly(w.store, schedule.TaskWeeklyConfig{Weekday: time.Monday, At: 9 * time.Hour, Location: taskZone})) // a restart
	got := w.sent()
	want := "【督办周报】11月16日—11月22日：新增3项，销号1项，当前逾期1项。\n市城管委：新增2，销号1，逾期1\n区委：新增1，销号0，逾期0\n逾期的请抓紧办理，查看：/督办 列表 逾期"
	if len(got) != 1 || got[0].Text != want || got[0].GroupID != w.group.ID {
		t.Fatalf("summary: %v\nwant [%s] once, in %d (not in %d)", taskTexts(got), want, w.group.ID, quiet.ID)
	}
	// Missed by more than the grace: skipped, not posted a day late.
	w.clock.Set(taskMonday.AddDate(0, 0, 7).Add(13 * time.Hour))
	w.run(schedule.NewTaskWeekly(w.store, schedule.TaskWeeklyConfig{Weekday: time.Monday, At: 9 * time.Hour, Location: taskZone}))
	if got := w.sent(); len(got) != 0 {
		t.Errorf("late summary posted: %v", taskTexts(got))
	}
}

func TestTaskWeeklyScheduled(t *testing.T) {
	job := schedule.NewTaskWeekly(nil, schedule.TaskWeeklyConfig{Weekday: time.Monday, At: 9 * time.Hour, Location: taskZone})
	for _, tt := range []struct{ now, want time.Time }{
		{taskMonday, taskMonday},
		{taskMonday.Add(-time.Second), taskMonday.AddDate(0, 0, -7)},
		{taskMonday.Add(50 * time.Hour), taskMonday},
		{taskMonday.AddDate(0, 0, 6), taskMonday},
	} {
		if got := job.Scheduled(tt.now); !got.Equal(tt.want) {
			t.Errorf("Scheduled(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

func taskTexts(msgs []*qunzhu.OutMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// TestTaskLadderReconfiguredNeverRepeatsAStep: after a restart with other
// offsets the ladder may pass a rung it passed before; the group does not
// hear it twice and the task keeps going.
func TestTaskLadderReconfiguredNeverRepeatsAStep(t *testing.T) {
	w := newLadderWorld(t)
	task := w.assign("清理占道经营", 24*time.Hour)
	w.clock.Set(task.Deadline.Add(97 * time.Hour))
	w.run(w.sweep(schedule.TaskSweepConfig{})) // 红牌 (到期, 黄牌 and daily:4 passed)
	if got := taskTexts(w.sent()); len(got) != 1 {
		t.Fatalf("first run: %v", got)
	}
	twice := qunzhu.TaskLadder{RemindBefore: 24 * time.Hour, YellowAfter: 24 * time.Hour, RedAfter: 72 * time.Hour, DailyEvery: 12 * time.Hour}
	w.run(w.sweep(schedule.TaskSweepConfig{Ladder: twice})) // "daily:4" is now 48h: 红牌 looks due again
	for _, text := range taskTexts(w.sent()) {
		if strings.Contains(text, "【红牌】") {
			t.Errorf("红牌 repeated: %q", text)
		}
	}
	if got := w.task(task.ID); !got.NextActionAt.After(w.clock.Now()) {
		t.Errorf("next action %v is not after now", got.NextActionAt)
	}
}
