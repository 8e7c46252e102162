package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/schedule"
)

// TestTaskRedCardIsUrgent: the 红牌 is the one rung marked urgent, so that
// during a long WeChat outage the fallback robot gets a copy (issue 6: "urgent
// messages (overdue hotline tickets, 红牌) also go to the fallback robot").
func TestTaskRedCardIsUrgent(t *testing.T) {
	w := newLadderWorld(t)
	task := w.assign("修复人民路路灯", 72*time.Hour)
	job := w.sweep(schedule.TaskSweepConfig{})
	reds := 0
	for w.clock.Now().Before(task.Deadline.Add(5*24*time.Hour + time.Minute)) {
		w.run(job)
		for _, m := range w.sent() {
			red := strings.HasPrefix(m.Text, "【红牌】")
			if red {
				reds++
			}
			if m.Urgent != red {
				t.Errorf("%q: Urgent = %v, want %v", m.Text, m.Urgent, red)
			}
		}
		w.clock.Advance(time.Hour)
	}
	if reds != 1 {
		t.Errorf("红牌 sent %d times, want 1", reds)
	}
}
