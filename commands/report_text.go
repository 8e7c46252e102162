package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// The texts of 交作业 that the group reads: the status, the reminder before a
// deadline and the summary at it. The scheduler posts the last two through
// Reports' ReminderText and SummaryText, so one package words the feature.

// monthDay is "11月27日", with the year when it is not now's.
func monthDay(t, now time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Year() != now.In(loc).Year() {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
}

// dateTime is "11月27日（周五）18:00": how a deadline is announced, the way
// every feature writes one (qunzhu.FormatWhen).
func dateTime(t, now time.Time, loc *time.Location) string {
	return qunzhu.FormatWhen(t, now.In(loc))
}

// shortTime is "11月26日 10:02": when a report arrived.
func shortTime(t, now time.Time, loc *time.Location) string {
	return monthDay(t, now, loc) + " " + t.In(loc).Format("15:04")
}

// relativeDeadline is "今天18:00", "明天18:00" or dateTime: what a reminder says.
func relativeDeadline(t, now time.Time, loc *time.Location) string {
	lt, ln := t.In(loc), now.In(loc)
	today := time.Date(ln.Year(), ln.Month(), ln.Day(), 0, 0, 0, 0, loc)
	switch day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc); {
	case day.Equal(today):
		return "今天" + lt.Format("15:04")
	case day.Equal(today.AddDate(0, 0, 1)):
		return "明天" + lt.Format("15:04")
	}
	return dateTime(t, now, loc)
}

// submittedLines lists who handed in, in order of arrival, with times, the
// version count and a late mark.
func submittedLines(b *strings.Builder, st qunzhu.CycleStatus, now time.Time, loc *time.Location) {
	for i, u := range st.Submitted {
		fmt.Fprintf(b, "\n%d. %s %s", i+1, u.Unit, shortTime(u.First.SubmittedAt, now, loc))
		var notes []string
		if u.Late(st.Cycle.Deadline) {
			notes = append(notes, "迟交")
		}
		if u.Versions > 1 {
			notes = append(notes, fmt.Sprintf("第%d版", u.Versions))
		}
		if u.Latest.ImageID != 0 {
			notes = append(notes, "有图")
		}
		if len(notes) > 0 {
			fmt.Fprintf(b, "（%s）", strings.Join(notes, "，"))
		}
	}
}

// lateUnits lists the units that handed in after the deadline, with times.
func lateUnits(st qunzhu.CycleStatus, now time.Time, loc *time.Location) []string {
	var out []string
	for _, u := range st.Submitted {
		if u.Late(st.Cycle.Deadline) {
			out = append(out, fmt.Sprintf("%s（%s）", u.Unit, shortTime(u.First.SubmittedAt, now, loc)))
		}
	}
	return out
}

// statusText is /作业 状态: the current cycle in full and, while its late
// window is open, the previous one's late and missing units.
func statusText(cur qunzhu.CycleStatus, prev *qunzhu.CycleStatus, now time.Time, loc *time.Location) string {
	var b strings.Builder
	c := cur.Cycle
	fmt.Fprintf(&b, "%s作业（截止 %s）：已交 %d/%d", c.Label(now, loc), dateTime(c.Deadline, now, loc),
		len(cur.Submitted), cur.Expected())
	if cur.Expected() == 0 {
		b.WriteString("\n还没有交作业名单。群主或管理员可添加：" + exampleRosterAdd)
	}
	submittedLines(&b, cur, now, loc)
	if len(cur.Missing) > 0 {
		fmt.Fprintf(&b, "\n未交：%s", strings.Join(cur.Missing, "、"))
	}
	if prev != nil && prev.Expected() > 0 {
		fmt.Fprintf(&b, "\n上期 %s（已截止）：按时 %d/%d", prev.Cycle.Label(now, loc), prev.OnTime(), prev.Expected())
		if late := lateUnits(*prev, now, loc); len(late) > 0 {
			fmt.Fprintf(&b, "，迟交：%s", strings.Join(late, "、"))
		}
		if len(prev.Missing) > 0 {
			fmt.Fprintf(&b, "，未交：%s", strings.Join(prev.Missing, "、"))
		}
	}
	return b.String()
}

// SummaryText is the summary posted at a cycle's deadline: 已交 n/m in order
// of arrival with times, then who has not handed in.
func (rp *Reports) SummaryText(st qunzhu.CycleStatus, now time.Time) string {
	loc := rp.cfg.Calendar.Location
	var b strings.Builder
	c := st.Cycle
	fmt.Fprintf(&b, "【交作业汇总】%s作业已截止（%s）：已交 %d/%d", c.Label(now, loc),
		dateTime(c.Deadline, now, loc), len(st.Submitted), st.Expected())
	submittedLines(&b, st, now, loc)
	if len(st.Missing) == 0 {
		b.WriteString("\n全部已交，辛苦了。")
		return b.String()
	}
	fmt.Fprintf(&b, "\n未交：%s", strings.Join(st.Missing, "、"))
	b.WriteString("\n现在交的记为迟交：/交作业 <内容>")
	return b.String()
}

// ReminderText is the reminder before a deadline. It names every missing unit
// and, after it, the unit's bound members: mentioned (@name) when the
// per-person limit allowed it, plainly otherwise. A unit with nobody bound is
// named all the same.
func (rp *Reports) ReminderText(st qunzhu.CycleStatus, mention, quiet map[string][]string, now time.Time) string {
	loc := rp.cfg.Calendar.Location
	var b strings.Builder
	c := st.Cycle
	fmt.Fprintf(&b, "【交作业提醒】%s作业%s截止，还有%d个单位未交（已交 %d/%d）：", c.Label(now, loc),
		relativeDeadline(c.Deadline, now, loc), len(st.Missing), len(st.Submitted), st.Expected())
	for _, unit := range st.Missing {
		fmt.Fprintf(&b, "\n%s", unit)
		if len(mention[unit])+len(quiet[unit]) == 0 {
			b.WriteString("（还没有已认证的成员）")
			continue
		}
		b.WriteString(" ")
		for _, n := range mention[unit] {
			b.WriteString(Mention(n))
		}
		b.WriteString(strings.Join(quiet[unit], "、"))
	}
	b.WriteString("\n请发送：/交作业 <内容>，图片可在2分钟内接着发。")
	return b.String()
}
