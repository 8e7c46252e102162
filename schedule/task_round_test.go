package schedule_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/schedule"
)

// quietSweep is the sweep as the program wires it: 22:00–08:00 and rest days
// quiet, the statutory holiday table, urgent tasks through on rest days.
func (w *ladderWorld) quietSweep() *schedule.TaskSweep {
	return w.sweep(schedule.TaskSweepConfig{Quiet: qunzhu.DefaultQuietHours(), UrgentOnRestDays: true,
		Workdays: qunzhu.ReportCalendar{Location: taskZone, Holidays: festival.StatutoryHolidays{}}})
}

// walk runs job every hour (and at each quarter) until until, and returns what
// was posted, each with the time it was posted at.
func (w *ladderWorld) walk(job schedule.Job, until time.Time) []string {
	w.t.Helper()
	var log []string
	for !w.clock.Now().After(until) {
		w.run(job)
		for _, m := range w.sent() {
			log = append(log, w.clock.Now().In(taskZone).Format("Mon 15:04")+" "+m.Text)
		}
		w.clock.Advance(15 * time.Minute)
	}
	return log
}

// TestTaskLadderWaitsOverTheWeekend: 到期 on Friday 18:00 goes out; the 黄牌
// due Saturday 18:00 and the reminder due Sunday wait for Monday 08:00, where
// only the 黄牌 is posted, once.
func TestTaskLadderWaitsOverTheWeekend(t *testing.T) {
	w := newLadderWorld(t)
	task := w.assign("修复人民路路灯", 4*24*time.Hour+9*time.Hour)                      // Friday 27 November 18:00
	log := w.walk(w.quietSweep(), task.Deadline.Add(3*24*time.Hour-time.Minute)) // to Monday 17:59
	var got []string
	for _, l := range log {
		got = append(got, l[:strings.Index(l, "」")+3])
	}
	want := []string{
		"Thu 18:00 @李局长\u2005@赵科长\u2005提醒：督办#1「修复人民路路灯」",
		"Fri 18:00 【到期】督办#1「修复人民路路灯」",
		"Mon 08:00 【黄牌】督办#1「修复人民路路灯」",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("posted:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
	if got := w.task(task.ID); got.LadderStep != "daily:2" {
		t.Errorf("ladder step %q, want daily:2 passed with the 黄牌", got.LadderStep)
	}
}

// TestTaskLadderUrgentAtNight: "急" given on Friday at 23:51 falls due on
// Saturday 23:51, in the night: it goes out on Sunday 08:00 (urgent tasks
// pass rest days, never nights).
func TestTaskLadderUrgentAtNight(t *testing.T) {
	w := newLadderWorld(t)
	w.clock.Set(time.Date(2026, 11, 27, 23, 51, 0, 0, taskZone))
	task := w.assign("清理占道经营", 24*time.Hour)
	log := w.walk(w.quietSweep(), task.Deadline.Add(9*time.Hour))
	if len(log) != 1 || !strings.HasPrefix(log[0], "Sun 08:06 【到期】督办#1") { // the first tick after 08:00
		t.Errorf("posted %q, want 到期 on Sunday morning only", log)
	}
}

// TestTaskRemindersCombinedPerPerson: three first warnings due in one round
// reach the unit's two people in one message that lists them all.
func TestTaskRemindersCombinedPerPerson(t *testing.T) {
	w := newLadderWorld(t)
	for i, title := range []string{"修复人民路路灯", "清理占道经营", "整改渣土车"} {
		w.assign(title, 72*time.Hour+time.Duration(i)*30*time.Minute)
	}
	w.clock.Set(taskMonday.Add(49 * time.Hour)) // Wednesday 10:00: all three reminders are due
	w.run(w.sweep(schedule.TaskSweepConfig{}))
	msgs := w.sent()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages: %q", len(msgs), taskTexts(msgs))
	}
	want := "@李局长\u2005@赵科长\u2005您有3件督办待办：\n#1「修复人民路路灯」还剩23小时\n#2「清理占道经营」还剩1天\n" +
		"#3「整改渣土车」还剩1天\n请抓紧办理并报告进展：/进展 编号 内容"
	if msgs[0].Text != want || msgs[0].Kind != qunzhu.KindReminder {
		t.Errorf("reminder %q (%s)\nwant %q", msgs[0].Text, msgs[0].Kind, want)
	}
	if len(msgs[0].At) != 2 || msgs[0].At[0].Name != "李局长" || msgs[0].At[1].Name != "赵科长" {
		t.Errorf("At = %+v", msgs[0].At)
	}
	// The next round, a day later, is the 到期 notices: one message for the unit.
	w.clock.Set(taskMonday.Add(73 * time.Hour))
	w.run(w.sweep(schedule.TaskSweepConfig{}))
	msgs = w.sent()
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Text, "【督办提醒】市城管委有3件督办需要处理：到期3件。\n#1「修复人民路路灯」已逾期") ||
		!strings.Contains(msgs[0].Text, "查看：/督办 列表 市城管委") {
		t.Errorf("notices: %q", taskTexts(msgs))
	}
}

// TestTaskCatchUpWithoutAFlood: 20,000 tasks of ten units whose steps were
// never taken (a long outage, a bulk import) give a handful of messages, and
// each task's step is recorded once. Under -race, 2,000 tasks.
func TestTaskCatchUpWithoutAFlood(t *testing.T) {
	n := 20_000
	if raceDetector {
		n = 2_000
	}
	w := newLadderWorld(t)
	ctx := context.Background()
	units := make([]*qunzhu.Member, 10)
	w.update(func(tx qunzhu.Tx) error {
		for i := range units {
			units[i] = &qunzhu.Member{GroupID: w.group.ID, Name: fmt.Sprintf("联络员%d", i), Unit: fmt.Sprintf("单位%d", i), Bound: true,
				Identity: qunzhu.Identity{SessionKey: fmt.Sprintf("@u%d", i), DisplayName: fmt.Sprintf("联络员%d", i)}}
			if err := tx.CreateMember(units[i]); err != nil {
				return err
			}
		}
		return nil
	})
	began := time.Now()
	for start := 0; start < n; start += 1000 {
		w.update(func(tx qunzhu.Tx) error {
			for i := start; i < start+1000; i++ {
				// Most are days overdue by the end of the outage; every tenth
				// is due in the coming day, so its first warning is due too.
				d := time.Duration(i%7+1) * 24 * time.Hour
				if i%13 == 0 {
					d = 8*24*time.Hour + 12*time.Hour
				}
				task := &qunzhu.Task{GroupID: w.group.ID, Title: fmt.Sprintf("事项%d", i), Unit: units[i%10].Unit, Deadline: taskMonday.Add(d)}
				if err := tx.CreateTask(task, qunzhu.MemberActor(w.owner)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	t.Logf("created %d tasks in %v", n, time.Since(began))
	began = time.Now()
	w.clock.Set(taskMonday.Add(8 * 24 * time.Hour)) // a week and a day later, a working Tuesday
	job := w.sweep(schedule.TaskSweepConfig{Batch: 500})
	w.run(job)
	w.run(job)
	t.Logf("swept in %v", time.Since(began))
	msgs, err := w.store.Due(ctx, w.clock.Now(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) > 5 {
		t.Errorf("%d messages for one group, want a handful:\n%s", len(msgs), strings.Join(taskTexts(msgs[:10]), "\n"))
	}
	for _, m := range msgs {
		t.Logf("%s\n", m.Text)
		if r := []rune(m.Text); len(r) > 600 {
			t.Errorf("a message of %d characters", len(r))
		}
	}
	var steps, tasks int
	if err := w.store.View(ctx, func(tx qunzhu.Tx) error {
		for id := int64(1); id <= int64(n); id++ {
			evs, err := tx.TaskEvents(id)
			if err != nil {
				return err
			}
			k := 0
			for _, ev := range evs {
				if ev.Kind == qunzhu.TaskStepped {
					k++
				}
			}
			if k != 1 {
				return fmt.Errorf("task %d has %d steps recorded, want 1", id, k)
			}
			steps += k
			tasks++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if tasks != n || steps != n {
		t.Errorf("%d tasks with %d steps", tasks, steps)
	}
}
