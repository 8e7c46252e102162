package qunzhu

import (
	"fmt"
	"strings"
	"time"
)

// CycleKind is the shape of a report cycle (作业周期): which days have a
// deadline. The time of day is the same for every deadline of a cycle.
type CycleKind string

// Cycle kinds, as owners write them.
const (
	CycleDaily            CycleKind = "daily"              // 每天17:30
	CycleWorkdays         CycleKind = "workdays"           // 每个工作日17:30 (调休 included)
	CycleWeekly           CycleKind = "weekly"             // 每周五18:00, 每周一、周四12:00, 每两周周五18:00
	CycleMonthly          CycleKind = "monthly"            // 每月15日18:00, 每月最后一天18:00
	CycleMonthLastWorkday CycleKind = "month_last_workday" // 每月最后一个工作日18:00
)

// LastDayOfMonth is CycleRule.Day for "每月最后一天".
const LastDayOfMonth = -1

// WeekdaySet is a set of weekdays, bit d for time.Weekday d, so a rule such as
// 每周一、周四 is one value that stores as one integer.
type WeekdaySet uint8

// Weekdays returns the set of the given days.
func Weekdays(days ...time.Weekday) WeekdaySet {
	var s WeekdaySet
	for _, d := range days {
		s |= 1 << uint(d)
	}
	return s
}

// Has reports whether d is in the set.
func (s WeekdaySet) Has(d time.Weekday) bool { return s&(1<<uint(d)) != 0 }

// Len is the number of days in the set.
func (s WeekdaySet) Len() int {
	n := 0
	for d := time.Sunday; d <= time.Saturday; d++ {
		if s.Has(d) {
			n++
		}
	}
	return n
}

// String lists the days Monday first, the way a Chinese week runs: "周一、周四".
func (s WeekdaySet) String() string {
	var names []string
	for i := 1; i <= 7; i++ {
		if d := time.Weekday(i % 7); s.Has(d) {
			names = append(names, WeekdayName(d))
		}
	}
	return strings.Join(names, "、")
}

// CycleRule says when a group's reports are due. It is what /作业 设置 parses
// and stores; ReportCalendar turns it into concrete deadlines.
type CycleRule struct {
	Kind     CycleKind
	Weekdays WeekdaySet // CycleWeekly: the days with a deadline
	// EveryWeeks is 1, or 2 for 每两周: then only weeks an even number of
	// weeks away from Anchor's week have deadlines.
	EveryWeeks int
	Anchor     time.Time // CycleWeekly with EveryWeeks 2: a day in a week with deadlines
	Day        int       // CycleMonthly: 1..31 (clamped to short months) or LastDayOfMonth
	Hour       int       // 0..23
	Minute     int       // 0..59
}

// Validate reports a rule that cannot produce deadlines; the parser never
// makes one, so this guards the store and hand-built rules.
func (r CycleRule) Validate() error {
	bad := func(what string) error { return Errorf(EINVALID, "作业周期有误：%s。", what) }
	if r.Hour < 0 || r.Hour > 23 || r.Minute < 0 || r.Minute > 59 {
		return bad("时间应在 00:00 到 23:59 之间")
	}
	switch r.Kind {
	case CycleDaily, CycleWorkdays, CycleMonthLastWorkday:
	case CycleWeekly:
		if r.Weekdays == 0 || r.Weekdays >= 1<<7 {
			return bad("每周至少要有一天")
		}
		if r.EveryWeeks != 1 && r.EveryWeeks != 2 {
			return bad("只支持每周或每两周")
		}
		if r.EveryWeeks == 2 && (r.Anchor.IsZero() || r.Weekdays.Len() != 1) {
			return bad("每两周只能选一天")
		}
	case CycleMonthly:
		if r.Day != LastDayOfMonth && (r.Day < 1 || r.Day > 31) {
			return bad("日期应在 1 到 31 日之间")
		}
	default:
		return bad("不认识的周期类型")
	}
	return nil
}

// String writes the rule the way owners write it, canonically: "每周五18:00",
// "每周一、周四12:00", "每月最后一个工作日18:00". Replies echo it so the owner
// sees how their words were understood.
func (r CycleRule) String() string {
	clock := fmt.Sprintf("%02d:%02d", r.Hour, r.Minute)
	switch r.Kind {
	case CycleDaily:
		return "每天" + clock
	case CycleWorkdays:
		return "每个工作日" + clock
	case CycleWeekly:
		if r.EveryWeeks == 2 {
			return "每两周" + r.Weekdays.String() + clock
		}
		return "每" + r.Weekdays.String() + clock
	case CycleMonthly:
		if r.Day == LastDayOfMonth {
			return "每月最后一天" + clock
		}
		return fmt.Sprintf("每月%d日%s", r.Day, clock)
	case CycleMonthLastWorkday:
		return "每月最后一个工作日" + clock
	}
	return string(r.Kind) + " " + clock
}

// LabelKind is how the cycles of a rule are named in chat: by ISO week when a
// week has one deadline ("第48周"), by date when it has several ("12月4日"),
// by month for monthly rules ("12月").
func (r CycleRule) LabelKind() LabelKind {
	switch {
	case r.Kind == CycleMonthly || r.Kind == CycleMonthLastWorkday:
		return LabelMonth
	case r.Kind == CycleWeekly && r.Weekdays.Len() == 1:
		return LabelWeek
	}
	return LabelDay
}

// LabelKind names cycles; see CycleRule.LabelKind.
type LabelKind string

// Label kinds.
const (
	LabelWeek  LabelKind = "week"
	LabelDay   LabelKind = "day"
	LabelMonth LabelKind = "month"
)

// Holidays is the statutory holiday table (法定节假日 and 调休上班 days),
// published yearly by the State Council. The root package only declares it;
// the table itself comes from a library (festival.StatutoryHolidays).
type Holidays interface {
	// Holiday says what the table lists for a date: off is true for a day off
	// (放假) and false for an adjusted working day (调休上班); listed is false
	// for an ordinary day.
	Holiday(year int, month time.Month, day int) (name string, off, listed bool)
}

// ReportCalendar turns cycle rules into deadlines: in which time zone, with
// which holiday table, and whether a deadline on a statutory holiday moves to
// the previous working day. Commands and the scheduler share one value so the
// deadline a reply announces is the one the scheduler keeps.
type ReportCalendar struct {
	Location     *time.Location // default UTC+8
	Holidays     Holidays       // nil: Monday to Friday are working days
	MoveHolidays bool
}

// loc is the calendar's zone, China Standard Time when unset.
func (c ReportCalendar) loc() *time.Location {
	if c.Location == nil {
		return time.FixedZone("CST", 8*3600)
	}
	return c.Location
}

// IsWorkday reports whether people work on the date of t (in the calendar's
// zone): Monday to Friday unless the table lists a day off, and Saturdays or
// Sundays the table lists as 调休上班.
func (c ReportCalendar) IsWorkday(t time.Time) bool {
	t = t.In(c.loc())
	if c.Holidays != nil {
		if _, off, listed := c.Holidays.Holiday(t.Date()); listed {
			return !off
		}
	}
	return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
}

// DayOff returns the name of the statutory holiday on the date of t, "" when it
// is not one. Weekends are not holidays here: an owner who chose 每周六 meant it.
func (c ReportCalendar) DayOff(t time.Time) string {
	if c.Holidays == nil {
		return ""
	}
	name, off, listed := c.Holidays.Holiday(t.In(c.loc()).Date())
	if !listed || !off {
		return ""
	}
	if name == "" {
		name = "法定节假日"
	}
	return name
}

// Deadline is one concrete deadline of a rule. Nominal is where the rule put
// it and At where it really is: earlier when a holiday moved it. A cycle is
// named after Nominal, so moving 每周一 back to the previous Friday does not
// give two cycles the same week number.
type Deadline struct {
	At, Nominal time.Time
	Holiday     string // the holiday that moved it, "" when not moved
}

// searchDays bounds the search for the next deadline: every valid rule has one
// within two months, holidays included.
const searchDays = 800

// NextDeadline returns the earliest deadline of r at or after t: a report
// handed in exactly at the deadline is on time. Moved deadlines that land on
// another deadline merge with it (每天 over the National Day week gives one
// deadline on the last working day before it). ok is false only for an
// invalid rule.
func (c ReportCalendar) NextDeadline(r CycleRule, t time.Time) (d Deadline, ok bool) {
	if r.Validate() != nil {
		return Deadline{}, false
	}
	loc := c.loc()
	lt := t.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < searchDays; i++ {
		date := day.AddDate(0, 0, i)
		if !c.hasDeadline(r, date) {
			continue
		}
		nominal := time.Date(date.Year(), date.Month(), date.Day(), r.Hour, r.Minute, 0, 0, loc)
		d := Deadline{At: nominal, Nominal: nominal}
		if c.MoveHolidays {
			if name := c.DayOff(nominal); name != "" {
				d.At, d.Holiday = c.previousWorkday(nominal), name
			}
		}
		if !d.At.Before(t) {
			return d, true
		}
	}
	return Deadline{}, false
}

// previousWorkday is the same time of day on the last working day before t.
func (c ReportCalendar) previousWorkday(t time.Time) time.Time {
	for i := 1; i <= searchDays; i++ {
		if p := t.AddDate(0, 0, -i); c.IsWorkday(p) {
			return p
		}
	}
	return t
}

// hasDeadline reports whether the rule puts a (nominal) deadline on date,
// given at local midnight.
func (c ReportCalendar) hasDeadline(r CycleRule, date time.Time) bool {
	switch r.Kind {
	case CycleDaily:
		return true
	case CycleWorkdays:
		return c.IsWorkday(date)
	case CycleWeekly:
		if !r.Weekdays.Has(date.Weekday()) {
			return false
		}
		return r.EveryWeeks != 2 || weeksBetween(r.Anchor.In(date.Location()), date)%2 == 0
	case CycleMonthly:
		last := daysIn(date.Year(), date.Month())
		want := r.Day
		if want == LastDayOfMonth || want > last {
			want = last
		}
		return date.Day() == want
	case CycleMonthLastWorkday:
		// No month has two weeks of days off at its end; skip the lookups before.
		if daysIn(date.Year(), date.Month())-date.Day() > 14 {
			return false
		}
		return sameDate(date, c.lastWorkday(date.Year(), date.Month(), date.Location()))
	}
	return false
}

// lastWorkday is the last working day of a month, holidays and 调休 included.
func (c ReportCalendar) lastWorkday(y int, m time.Month, loc *time.Location) time.Time {
	d := time.Date(y, m, daysIn(y, m), 0, 0, 0, 0, loc)
	for i := 0; i < 31; i++ {
		if p := d.AddDate(0, 0, -i); c.IsWorkday(p) {
			return p
		}
	}
	return d
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// weeksBetween counts whole weeks between the Mondays of a's and b's weeks.
func weeksBetween(a, b time.Time) int {
	monday := func(t time.Time) time.Time {
		off := (int(t.Weekday()) + 6) % 7
		y, m, d := t.AddDate(0, 0, -off).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	days := int(monday(b).Sub(monday(a)) / (24 * time.Hour)) // both at UTC midnight: exact
	if days < 0 {
		days = -days
	}
	return days / 7
}

// CycleLabel names a cycle in chat from its nominal deadline: "第48周" (the ISO
// week, Monday first), "12月4日" or "12月". The year is added ("2025年第52周")
// when it is not the year of now, so labels stay unambiguous around New Year.
func CycleLabel(kind LabelKind, nominal, now time.Time, loc *time.Location) string {
	n := nominal.In(loc)
	switch kind {
	case LabelWeek:
		y, w := n.ISOWeek()
		if y != now.In(loc).Year() {
			return fmt.Sprintf("%d年第%d周", y, w)
		}
		return fmt.Sprintf("第%d周", w)
	case LabelMonth:
		if n.Year() != now.In(loc).Year() {
			return fmt.Sprintf("%d年%d月", n.Year(), n.Month())
		}
		return fmt.Sprintf("%d月", n.Month())
	}
	if n.Year() != now.In(loc).Year() {
		return fmt.Sprintf("%d年%d月%d日", n.Year(), n.Month(), n.Day())
	}
	return fmt.Sprintf("%d月%d日", n.Month(), n.Day())
}
