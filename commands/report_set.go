package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// maxReportRemind keeps a reminder within a week of its deadline.
const maxReportRemind = 7 * 24 * time.Hour

// handleSet sets the group's 作业周期 and answers with the next deadline, so
// the owner sees at once how the words were understood.
func (rp *Reports) handleSet(req *Request) (string, error) {
	cycleText, remindText := SplitSchedule(req.Cmd.Rest)
	rule, err := ParseCycle(cycleText, req.Local())
	if err != nil {
		return "", err
	}
	remind, found, err := ParseRemind(remindText)
	if err != nil {
		return "", err
	}
	if !found {
		remind = rp.cfg.RemindBefore
	}
	s := &qunzhu.ReportSchedule{GroupID: req.In.GroupID, Rule: rule, RemindBefore: remind, SetBy: req.Member().ID}
	if err := req.Tx.SetReportSchedule(s); err != nil {
		return "", err
	}
	c, err := qunzhu.EnsureReportCycles(req.Tx, s, rp.cfg.Calendar, req.Now)
	if err != nil {
		return "", err
	}
	loc := rp.cfg.Calendar.Location
	var b strings.Builder
	fmt.Fprintf(&b, "已设置交作业周期：%s", rule)
	if remind > 0 {
		fmt.Fprintf(&b, "，截止前%s提醒未交的单位", chineseDuration(remind))
	} else {
		b.WriteString("，不提前提醒")
	}
	fmt.Fprintf(&b, "。\n下次截止：%s（%s）", dateTime(c.Deadline, req.Now, loc), c.Label(req.Now, loc))
	if d, ok := rp.cfg.Calendar.NextDeadline(rule, req.Now); ok && d.Holiday != "" && d.At.Equal(c.Deadline) {
		fmt.Fprintf(&b, "，%s是%s，已提前到上一个工作日", monthDay(d.Nominal, req.Now, loc), d.Holiday)
	}
	b.WriteString("。")
	roster, err := req.Tx.Roster(req.In.GroupID, req.Now)
	if err != nil {
		return "", err
	}
	if len(roster) == 0 {
		fmt.Fprintf(&b, "\n还没有交作业名单，请添加：%s", exampleRosterAdd)
	} else {
		fmt.Fprintf(&b, "\n名单%d个单位：%s", len(roster), strings.Join(unitNames(roster), "、"))
	}
	return b.String(), nil
}

// ParseRemind reads the reminder clause of /作业 设置: "提前2小时提醒",
// "提前30分钟", "提前半小时", "提前1天", or "不提醒" (0). found is false when
// text has none, so the configured default applies.
func ParseRemind(text string) (d time.Duration, found bool, err error) {
	src := normCycleText(text)
	if src == "" {
		return 0, false, nil
	}
	for _, w := range []string{"不提醒", "不用提醒", "无需提醒", "无提醒", "不要提醒"} {
		if src == w {
			return 0, true, nil
		}
	}
	bad := qunzhu.Errorf(qunzhu.EINVALID, "看不懂提醒「%s」：请写 提前2小时提醒、提前30分钟提醒 或 不提醒。例：%s", src, exampleSetCycle)
	p := &cycleScanner{s: []rune(src)}
	p.eat("提醒")
	if !p.eat("提前") {
		return 0, true, bad
	}
	half := p.eat("半")
	n, ok := p.number()
	switch {
	case half && ok, !half && !ok:
		return 0, true, bad
	case !half && p.eat("个半"):
		n, half = n*2+1, true // 一个半小时 = 3 half hours
	case !half:
		p.eat("个")
	}
	switch {
	case p.eat("小时", "钟头"):
		d = time.Duration(n) * time.Hour
	case p.eat("分钟", "分") && !half:
		d = time.Duration(n) * time.Minute
	case p.eat("天") && !half:
		d = time.Duration(n) * 24 * time.Hour
	default:
		return 0, true, bad
	}
	if half {
		d = time.Duration(max(n, 1)) * 30 * time.Minute
	}
	p.eat("提醒")
	if !p.done() {
		return 0, true, bad
	}
	if d > maxReportRemind {
		return 0, true, qunzhu.Errorf(qunzhu.EINVALID, "提醒最多提前7天。例：%s", exampleSetCycle)
	}
	return d, true, nil
}

// SplitSchedule cuts the text after "/作业 设置" into the 周期 and the reminder
// clause, which starts at the first of "提前", "提醒" ("提醒提前3小时") or
// "不提醒"; no 周期 contains either word.
func SplitSchedule(rest string) (cycle, remind string) {
	cut := -1
	for _, w := range []string{"提前", "提醒", "不提醒", "不用提醒", "无需提醒", "无提醒", "不要提醒"} {
		if i := strings.Index(rest, w); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return rest, ""
	}
	return strings.TrimRight(rest[:cut], " ,，、;；。"), rest[cut:]
}
