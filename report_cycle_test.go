package qunzhu_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

var cst = time.FixedZone("CST", 8*3600)

func at(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, cst) }

// table is a stand-in with the shape of the statutory table: the real one
// (lunar-go's) is tested with these same dates in package schedule. Here the
// rule alone is under test.
type table map[string]struct {
	name string
	off  bool
}

func (t table) Holiday(y int, m time.Month, d int) (string, bool, bool) {
	h, ok := t[time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)]
	return h.name, h.off, ok
}

var nationalDay2026 = table{
	"2026-09-20": {"国庆节", false}, // 调休: a Sunday worked
	"2026-09-25": {"中秋节", true},
	"2026-10-01": {"国庆节", true}, "2026-10-02": {"国庆节", true}, "2026-10-03": {"国庆节", true},
	"2026-10-04": {"国庆节", true}, "2026-10-05": {"国庆节", true}, "2026-10-06": {"国庆节", true},
	"2026-10-07": {"国庆节", true},
	"2026-10-10": {"国庆节", false}, // 调休: a Saturday worked
	"2026-02-28": {"春节", false},  // 调休: the last day of February 2026 is a working Saturday
}

func TestNextDeadline(t *testing.T) {
	weekly := func(h, m int, days ...time.Weekday) qunzhu.CycleRule {
		return qunzhu.CycleRule{Kind: qunzhu.CycleWeekly, Weekdays: qunzhu.Weekdays(days...), EveryWeeks: 1, Hour: h, Minute: m}
	}
	fri18 := weekly(18, 0, time.Friday)
	monThu12 := weekly(12, 0, time.Monday, time.Thursday)
	daily := qunzhu.CycleRule{Kind: qunzhu.CycleDaily, Hour: 17, Minute: 30}
	workdays := qunzhu.CycleRule{Kind: qunzhu.CycleWorkdays, Hour: 17, Minute: 30}
	lastWorkday := qunzhu.CycleRule{Kind: qunzhu.CycleMonthLastWorkday, Hour: 18}
	day15 := qunzhu.CycleRule{Kind: qunzhu.CycleMonthly, Day: 15, Hour: 18}
	day31 := qunzhu.CycleRule{Kind: qunzhu.CycleMonthly, Day: 31, Hour: 18}
	lastDay := qunzhu.CycleRule{Kind: qunzhu.CycleMonthly, Day: qunzhu.LastDayOfMonth, Hour: 18}
	biweekly := fri18
	biweekly.EveryWeeks, biweekly.Anchor = 2, at(2026, 11, 27, 18, 0)

	tests := []struct {
		name    string
		rule    qunzhu.CycleRule
		move    bool
		now     time.Time
		want    time.Time
		nominal time.Time // zero: same as want
		holiday string
	}{
		{"Wednesday → this Friday", fri18, true, at(2026, 11, 25, 15, 0), at(2026, 11, 27, 18, 0), time.Time{}, ""},
		{"Friday before the deadline", fri18, true, at(2026, 11, 27, 17, 59), at(2026, 11, 27, 18, 0), time.Time{}, ""},
		{"exactly at the deadline is still this one", fri18, true, at(2026, 11, 27, 18, 0), at(2026, 11, 27, 18, 0), time.Time{}, ""},
		{"a deadline just passed → next week's", fri18, true, at(2026, 11, 27, 18, 0).Add(time.Second), at(2026, 12, 4, 18, 0), time.Time{}, ""},
		{"Saturday → next Friday", fri18, true, at(2026, 11, 28, 9, 0), at(2026, 12, 4, 18, 0), time.Time{}, ""},
		{"Monday morning → Monday noon", monThu12, true, at(2026, 11, 23, 9, 0), at(2026, 11, 23, 12, 0), time.Time{}, ""},
		{"Monday afternoon → Thursday", monThu12, true, at(2026, 11, 23, 12, 1), at(2026, 11, 26, 12, 0), time.Time{}, ""},
		{"Thursday afternoon → next Monday", monThu12, true, at(2026, 11, 26, 13, 0), at(2026, 11, 30, 12, 0), time.Time{}, ""},

		// A holiday move: Thursday 2026-10-01 is National Day.
		{"National Day moves to 30 September", monThu12, true, at(2026, 9, 29, 9, 0),
			at(2026, 9, 30, 12, 0), at(2026, 10, 1, 12, 0), "国庆节"},
		{"without the option it stays", monThu12, false, at(2026, 9, 29, 9, 0), at(2026, 10, 1, 12, 0), time.Time{}, ""},
		{"Friday 2 October moves to Wednesday too", fri18, true, at(2026, 9, 28, 9, 0),
			at(2026, 9, 30, 18, 0), at(2026, 10, 2, 18, 0), "国庆节"},
		{"after the moved deadline → the week after the holiday", fri18, true, at(2026, 9, 30, 18, 1), at(2026, 10, 9, 18, 0), time.Time{}, ""},
		{"Friday 25 September (中秋) moves to Thursday", fri18, true, at(2026, 9, 21, 9, 0),
			at(2026, 9, 24, 18, 0), at(2026, 9, 25, 18, 0), "中秋节"},
		{"every day over the holiday merges into 30 September", daily, true, at(2026, 9, 30, 17, 31), at(2026, 10, 8, 17, 30), time.Time{}, ""},
		{"every day without the option", daily, false, at(2026, 9, 30, 17, 31), at(2026, 10, 1, 17, 30), time.Time{}, ""},
		{"working days include the 调休 Saturday", workdays, true, at(2026, 10, 9, 17, 31), at(2026, 10, 10, 17, 30), time.Time{}, ""},
		{"working days skip the holiday", workdays, false, at(2026, 9, 30, 17, 31), at(2026, 10, 8, 17, 30), time.Time{}, ""},
		{"working days skip the weekend", workdays, true, at(2026, 11, 27, 17, 31), at(2026, 11, 30, 17, 30), time.Time{}, ""},

		// Month ends.
		{"last working day of September 2026", lastWorkday, true, at(2026, 9, 1, 9, 0), at(2026, 9, 30, 18, 0), time.Time{}, ""},
		{"last working day of October 2026 (a Saturday month end)", lastWorkday, true, at(2026, 10, 1, 9, 0), at(2026, 10, 30, 18, 0), time.Time{}, ""},
		{"February 2027 ends on a Sunday", lastWorkday, true, at(2027, 2, 1, 9, 0), at(2027, 2, 26, 18, 0), time.Time{}, ""},
		{"February 2026 ends on a 调休 Saturday", lastWorkday, true, at(2026, 2, 27, 19, 0), at(2026, 2, 28, 18, 0), time.Time{}, ""},
		{"just after the last working day → next month's", lastWorkday, true, at(2026, 9, 30, 18, 1), at(2026, 10, 30, 18, 0), time.Time{}, ""},
		{"15th of the month", day15, true, at(2026, 11, 16, 9, 0), at(2026, 12, 15, 18, 0), time.Time{}, ""},
		{"31st in February is its last day", day31, false, at(2027, 2, 1, 0, 0), at(2027, 2, 28, 18, 0), time.Time{}, ""},
		{"31st in a 30-day month", day31, false, at(2026, 11, 1, 0, 0), at(2026, 11, 30, 18, 0), time.Time{}, ""},
		{"last day of February in a leap year", lastDay, false, at(2028, 2, 10, 0, 0), at(2028, 2, 29, 18, 0), time.Time{}, ""},
		{"last day across the year end", lastDay, false, at(2026, 12, 31, 18, 1), at(2027, 1, 31, 18, 0), time.Time{}, ""},

		// Every two weeks, from the anchor's week.
		{"biweekly: the anchor week", biweekly, false, at(2026, 11, 25, 9, 0), at(2026, 11, 27, 18, 0), time.Time{}, ""},
		{"biweekly: skips the odd week", biweekly, false, at(2026, 11, 27, 18, 1), at(2026, 12, 11, 18, 0), time.Time{}, ""},
		{"biweekly: also before the anchor", biweekly, false, at(2026, 11, 10, 9, 0), at(2026, 11, 13, 18, 0), time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := qunzhu.ReportCalendar{Location: cst, Holidays: nationalDay2026, MoveHolidays: tt.move}
			d, ok := cal.NextDeadline(tt.rule, tt.now)
			if !ok {
				t.Fatalf("NextDeadline(%s, %v) found none", tt.rule, tt.now)
			}
			nominal := tt.nominal
			if nominal.IsZero() {
				nominal = tt.want
			}
			if !d.At.Equal(tt.want) || !d.Nominal.Equal(nominal) || d.Holiday != tt.holiday {
				t.Errorf("NextDeadline(%s, %v) = %v (nominal %v, %q), want %v (nominal %v, %q)",
					tt.rule, tt.now, d.At, d.Nominal, d.Holiday, tt.want, nominal, tt.holiday)
			}
		})
	}
}

func TestNextDeadline_InvalidRule(t *testing.T) {
	cal := qunzhu.ReportCalendar{Location: cst}
	for _, r := range []qunzhu.CycleRule{
		{Kind: qunzhu.CycleWeekly, EveryWeeks: 1, Hour: 18},
		{Kind: qunzhu.CycleDaily, Hour: 24},
		{Kind: qunzhu.CycleMonthly, Day: 32},
		{Kind: "yearly"},
	} {
		if _, ok := cal.NextDeadline(r, at(2026, 1, 1, 0, 0)); ok {
			t.Errorf("NextDeadline(%+v) found a deadline for an invalid rule", r)
		}
	}
}

func TestCycleLabel(t *testing.T) {
	now := at(2026, 11, 25, 9, 0)
	tests := []struct {
		kind    qunzhu.LabelKind
		nominal time.Time
		want    string
	}{
		{qunzhu.LabelWeek, at(2026, 11, 27, 18, 0), "第48周"},
		{qunzhu.LabelWeek, at(2026, 1, 2, 18, 0), "第1周"},
		{qunzhu.LabelWeek, at(2025, 12, 26, 18, 0), "2025年第52周"},
		{qunzhu.LabelWeek, at(2026, 12, 28, 18, 0), "第53周"},
		{qunzhu.LabelDay, at(2026, 12, 4, 17, 30), "12月4日"},
		{qunzhu.LabelDay, at(2027, 1, 4, 17, 30), "2027年1月4日"},
		{qunzhu.LabelMonth, at(2026, 12, 31, 18, 0), "12月"},
	}
	for _, tt := range tests {
		if got := qunzhu.CycleLabel(tt.kind, tt.nominal, now, cst); got != tt.want {
			t.Errorf("CycleLabel(%s, %v) = %q, want %q", tt.kind, tt.nominal, got, tt.want)
		}
	}
}

func TestCycleRule_LabelKind(t *testing.T) {
	tests := []struct {
		rule qunzhu.CycleRule
		want qunzhu.LabelKind
	}{
		{qunzhu.CycleRule{Kind: qunzhu.CycleWeekly, Weekdays: qunzhu.Weekdays(time.Friday)}, qunzhu.LabelWeek},
		{qunzhu.CycleRule{Kind: qunzhu.CycleWeekly, Weekdays: qunzhu.Weekdays(time.Monday, time.Thursday)}, qunzhu.LabelDay},
		{qunzhu.CycleRule{Kind: qunzhu.CycleDaily}, qunzhu.LabelDay},
		{qunzhu.CycleRule{Kind: qunzhu.CycleWorkdays}, qunzhu.LabelDay},
		{qunzhu.CycleRule{Kind: qunzhu.CycleMonthLastWorkday}, qunzhu.LabelMonth},
		{qunzhu.CycleRule{Kind: qunzhu.CycleMonthly, Day: 15}, qunzhu.LabelMonth},
	}
	for _, tt := range tests {
		if got := tt.rule.LabelKind(); got != tt.want {
			t.Errorf("%s.LabelKind() = %s, want %s", tt.rule, got, tt.want)
		}
	}
}
