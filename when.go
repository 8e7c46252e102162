package qunzhu

import (
	"fmt"
	"time"
)

// FormatWhen writes a deadline or a send time the way cards, reminders and
// replies show it, "6月5日（周四）18:00", with the year when it is not now's.
// now carries the location to show it in (the group's, Asia/Shanghai).
func FormatWhen(t, now time.Time) string {
	t = t.In(now.Location())
	date := fmt.Sprintf("%d月%d日", t.Month(), t.Day())
	if t.Year() != now.Year() {
		date = fmt.Sprintf("%d年%s", t.Year(), date)
	}
	return fmt.Sprintf("%s（%s）%02d:%02d", date, WeekdayName(t.Weekday()), t.Hour(), t.Minute())
}

// TimeLeft says how far a deadline is, "还剩3天2小时", "还剩45分钟" or
// "已逾期1天3小时": the pressure a card puts on the assignee in one phrase.
func TimeLeft(deadline, now time.Time) string {
	d := deadline.Sub(now)
	if d < 0 {
		return "已逾期" + RoughDuration(-d)
	}
	return "还剩" + RoughDuration(d)
}

// RoughDuration writes d in days and hours, rounded to the hour, or under a
// day in hours and minutes, rounded to the minute ("3天2小时", "5小时30分钟"):
// a deadline "限期3天" set a few seconds ago is still "3天" away. At least "1分钟".
func RoughDuration(d time.Duration) string {
	if d >= 24*time.Hour-30*time.Minute {
		d = d.Round(time.Hour)
	} else {
		d = d.Round(time.Minute)
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%d天%d小时", days, hours)
	case days > 0:
		return fmt.Sprintf("%d天", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%d小时%d分钟", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%d小时", hours)
	}
	return fmt.Sprintf("%d分钟", max(mins, 1))
}

// WeekdayName is "周一" … "周日", how officials name days.
func WeekdayName(d time.Weekday) string {
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[d]
}
