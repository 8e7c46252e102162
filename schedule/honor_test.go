package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/schedule"
)

// oneHoliday is a holiday table with a single day off.
type oneHoliday struct{ day time.Time }

func (h oneHoliday) Holiday(y int, m time.Month, d int) (string, bool, bool) {
	if hy, hm, hd := h.day.Date(); hy == y && hm == m && hd == d {
		return "测试假日", true, true
	}
	return "", false, false
}

func honorJob(w *ladderWorld, holiday time.Time) *schedule.HonorJob {
	return schedule.NewHonorJob(w.store, schedule.HonorConfig{
		Weekly:   schedule.TaskWeeklyConfig{Weekday: time.Monday, At: 9 * time.Hour, Location: taskZone},
		Calendar: qunzhu.ReportCalendar{Location: taskZone, Holidays: oneHoliday{holiday}},
		StallFor: 7 * 24 * time.Hour,
	})
}

func TestHonorWeekly_OncePerGroupQuietOnHolidays(t *testing.T) {
	w := newLadderWorld(t)
	w.assign("修复路灯", 24*time.Hour) // overdue by next Monday
	var quiet *qunzhu.Group
	w.update(func(tx qunzhu.Tx) (err error) { quiet, err = tx.CreateGroup("城管工作群"); return err })
	w.sent()

	nextMonday := taskMonday.AddDate(0, 0, 7)
	w.clock.Set(nextMonday.Add(-time.Minute))
	w.run(honorJob(w, time.Time{}))
	if got := w.sent(); len(got) != 0 {
		t.Fatalf("before 09:00: %v", taskTexts(got))
	}
	w.clock.Set(nextMonday.Add(time.Minute))
	job := honorJob(w, time.Time{})
	w.run(job)
	w.run(job)
	w.run(honorJob(w, time.Time{})) // a restart
	got := w.sent()
	if len(got) != 1 || got[0].GroupID != w.group.ID {
		t.Fatalf("boards: %v, want one, in group %d (group %d has nothing to say)", taskTexts(got), w.group.ID, quiet.ID)
	}
	for _, want := range []string{"【红黑榜】11月23日—11月30日", "⚫ 黑榜\n1. 市城管委：最长逾期6天（逾期1项）"} {
		if !strings.Contains(got[0].Text, want) {
			t.Errorf("board lacks %q:\n%s", want, got[0].Text)
		}
	}

	// The Monday after is a holiday: no board that week.
	holiday := nextMonday.AddDate(0, 0, 7)
	w.clock.Set(holiday.Add(time.Minute))
	w.run(honorJob(w, holiday))
	if got := w.sent(); len(got) != 0 {
		t.Errorf("board on a holiday: %v", taskTexts(got))
	}
}
