package festival_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
)

func TestStatutoryHolidays_Table(t *testing.T) {
	tests := []struct {
		date        time.Time
		name        string
		off, listed bool
	}{
		{time.Date(2026, 10, 1, 0, 0, 0, 0, reportZone), "国庆节", true, true},
		{time.Date(2026, 9, 20, 0, 0, 0, 0, reportZone), "国庆节", false, true}, // 调休: a Sunday worked
		{time.Date(2026, 2, 28, 0, 0, 0, 0, reportZone), "春节", false, true},  // 调休: a Saturday worked
		{time.Date(2026, 10, 20, 0, 0, 0, 0, reportZone), "", false, false},
	}
	for _, tt := range tests {
		name, off, listed := festival.StatutoryHolidays{}.Holiday(tt.date.Date())
		if name != tt.name || off != tt.off || listed != tt.listed {
			t.Errorf("Holiday(%s) = %q %v %v, want %q %v %v", tt.date.Format(time.DateOnly), name, off, listed, tt.name, tt.off, tt.listed)
		}
	}
}

// TestNextDeadline_WithTheStatutoryTable reads 周期 as owners write them and
// computes the next deadline with lunar-go's holiday table: a holiday move,
// month ends (one on a weekend, one on a 调休 Saturday) and a deadline just
// passed.
func TestNextDeadline_WithTheStatutoryTable(t *testing.T) {
	at := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, reportZone)
	}
	tests := []struct {
		cycle   string
		now     time.Time
		move    bool
		want    time.Time
		holiday string
	}{
		{"每周四18:00", at(2026, 9, 28, 9, 0), true, at(2026, 9, 30, 18, 0), "国庆节"},
		{"每周四18:00", at(2026, 9, 28, 9, 0), false, at(2026, 10, 1, 18, 0), ""},
		{"每周一、周四12:00", at(2026, 9, 29, 9, 0), true, at(2026, 9, 30, 12, 0), "国庆节"},
		{"每周五下午6点", at(2026, 9, 28, 9, 0), true, at(2026, 9, 30, 18, 0), "国庆节"},
		{"每周五18:00", at(2026, 9, 30, 18, 0).Add(time.Second), true, at(2026, 10, 9, 18, 0), ""},
		{"每天17:30", at(2026, 9, 30, 17, 31), true, at(2026, 10, 8, 17, 30), ""},
		{"每个工作日17:30", at(2026, 9, 18, 17, 31), true, at(2026, 9, 20, 17, 30), ""}, // the 调休 Sunday
		{"每月最后一个工作日18:00", at(2027, 2, 1, 9, 0), true, at(2027, 2, 26, 18, 0), ""},
		{"每月最后一个工作日18:00", at(2026, 2, 1, 9, 0), true, at(2026, 2, 28, 18, 0), ""},
		{"每月最后一个工作日18:00", at(2026, 9, 30, 18, 0).Add(time.Minute), true, at(2026, 10, 30, 18, 0), ""},
		{"每月最后一个工作日18:00", at(2026, 12, 31, 17, 0), true, at(2026, 12, 31, 18, 0), ""},
		{"每月15日18:00", at(2026, 9, 15, 18, 0), true, at(2026, 9, 15, 18, 0), ""},
		{"每月15日18:00", at(2026, 9, 15, 18, 1), true, at(2026, 10, 15, 18, 0), ""},
		{"每月1日9:00", at(2026, 9, 2, 9, 0), true, at(2026, 9, 30, 9, 0), "国庆节"},
		{"每月最后一天18:00", at(2027, 2, 1, 0, 0), true, at(2027, 2, 28, 18, 0), ""}, // a Sunday, not a holiday: stays
	}
	for _, tt := range tests {
		rule, err := commands.ParseCycle(tt.cycle, tt.now)
		if err != nil {
			t.Errorf("ParseCycle(%q): %v", tt.cycle, err)
			continue
		}
		cal := qunzhu.ReportCalendar{Location: reportZone, Holidays: festival.StatutoryHolidays{}, MoveHolidays: tt.move}
		d, ok := cal.NextDeadline(rule, tt.now)
		if !ok || !d.At.Equal(tt.want) || d.Holiday != tt.holiday {
			t.Errorf("%s from %v (move %v) = %v %q, want %v %q", tt.cycle, tt.now, tt.move, d.At, d.Holiday, tt.want, tt.holiday)
		}
	}
}

// BenchmarkNextDeadline_LastWorkday is the most lookup-heavy rule; commands
// and the sweep compute deadlines often.
func BenchmarkNextDeadline_LastWorkday(b *testing.B) {
	now := time.Date(2026, 9, 30, 18, 1, 0, 0, reportZone)
	rule, _ := commands.ParseCycle("每月最后一个工作日18:00", now)
	cal := qunzhu.ReportCalendar{Location: reportZone, Holidays: festival.StatutoryHolidays{}, MoveHolidays: true}
	for b.Loop() {
		cal.NextDeadline(rule, now)
	}
}

var reportZone = commands.ChinaTime()
