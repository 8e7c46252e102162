package qunzhu

import "time"

// QuietHours (免打扰) is when the ladder and reminders keep still: nights
// (From–To, 22:00–08:00 by default) and, with RestDays, weekends and statutory
// holidays (调休 working days count as working days). What falls due in quiet
// time goes out when it ends, at To on the next day that is not quiet. The
// zero value is never quiet.
type QuietHours struct {
	Night    bool
	From, To time.Duration // times of day; From > To spans midnight
	RestDays bool
}

// DefaultQuietHours is 22:00–08:00 and rest days.
func DefaultQuietHours() QuietHours {
	return QuietHours{Night: true, From: 22 * time.Hour, To: 8 * time.Hour, RestDays: true}
}

// Off reports whether nothing is ever quiet.
func (q QuietHours) Off() bool { return !q.Night && !q.RestDays }

// Quiet reports whether t is in quiet time under cal's working days.
func (q QuietHours) Quiet(t time.Time, cal ReportCalendar) bool {
	t = t.In(cal.loc())
	if q.RestDays && !cal.IsWorkday(t) {
		return true
	}
	if !q.Night || q.From == q.To {
		return false
	}
	tod := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	if q.From > q.To {
		return tod >= q.From || tod < q.To
	}
	return tod >= q.From && tod < q.To
}

// NextOpen is t when it is not quiet, else the end of the quiet time: To on
// the first day after t that is not quiet then ("Friday 23:00" → "Monday
// 08:00" with RestDays).
func (q QuietHours) NextOpen(t time.Time, cal ReportCalendar) time.Time {
	if !q.Quiet(t, cal) {
		return t
	}
	lt := t.In(cal.loc())
	y, m, d := lt.Date()
	for i := 0; i < 60; i++ {
		open := time.Date(y, m, d+i, 0, 0, 0, 0, lt.Location()).Add(q.To)
		if open.After(t) && !q.Quiet(open, cal) {
			return open
		}
	}
	return t // a calendar of 60 rest days in a row: never hold a message forever
}
