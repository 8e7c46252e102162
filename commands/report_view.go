package commands

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

const (
	defaultStatsCycles = 4
	maxStatsCycles     = 52
)

// handleStatus shows the current cycle — who handed in, when, who has not —
// and the previous cycle's late and missing units while it may still be
// handed in late.
func (rp *Reports) handleStatus(req *Request) (string, error) {
	if len(req.Cmd.Args) > 0 {
		// Quote only what was typed after the command: it may have come
		// through the alias "/作业 状态".
		if utf8.RuneCountInString(req.Cmd.Rest) > maxHanName {
			// "作业：本周完成整改3项…" is a hand-in written as a heading: say how.
			return "", qunzhu.Errorf(qunzhu.EINVALID, "要交作业请写 /交作业 加内容，例：%s。查看可以用：/作业 状态、%s",
				exampleSubmit, exampleView)
		}
		return "", qunzhu.Errorf(qunzhu.EINVALID, "看不懂「%s」。可以用：/作业 状态、%s、%s、/作业 名单、%s",
			strings.Join(req.Cmd.Args, " "), exampleView, exampleStats, exampleSetCycle)
	}
	_, open, err := rp.schedule(req)
	if err != nil {
		return "", err
	}
	tx, now := req.Tx, req.Now
	cur, err := cycleStatus(tx, open)
	if err != nil {
		return "", err
	}
	var prev *qunzhu.CycleStatus
	closed, err := tx.ReportCycles(req.In.GroupID, now.Add(-time.Millisecond), 1)
	if err != nil {
		return "", err
	}
	if len(closed) == 1 && qunzhu.LateWindowOpen(closed[0].Deadline, open.Deadline, now, rp.cfg.LateWindow) {
		st, err := cycleStatus(tx, closed[0])
		if err != nil {
			return "", err
		}
		prev = &st
	}
	return statusText(cur, prev, now, rp.cfg.Calendar.Location), nil
}

// handleView shows a unit's report for a cycle (its latest report by
// default), with the picture, and every version with "历史".
func (rp *Reports) handleView(req *Request) (string, error) {
	args := req.Cmd.Args
	if len(args) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上要查看的单位。例：%s", exampleView)
	}
	unit, ref, history := strings.TrimLeft(args[0], "@＠"), "", false
	for _, a := range args[1:] {
		switch {
		case a == "历史" || a == "全部版本" || a == "所有版本":
			history = true
		case ref == "" && isCycleWord(a):
			ref = a
		default:
			return "", qunzhu.Errorf(qunzhu.EINVALID, "看不懂「%s」：单位后面可以写 上周、第48周 或 历史。例：%s", a, exampleView)
		}
	}
	_, open, err := rp.schedule(req)
	if err != nil {
		return "", err
	}
	tx, g, now, loc := req.Tx, req.In.GroupID, req.Now, rp.cfg.Calendar.Location
	latest, err := tx.LatestSubmission(g, unit)
	if err != nil && qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		return "", err
	}
	roster, rerr := tx.Roster(g, now)
	if rerr != nil {
		return "", rerr
	}
	if latest == nil && !onRoster(roster, unit) {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "没有单位「%s」。%s例：%s", unit, rosterLine(roster), exampleView)
	}
	var c *qunzhu.ReportCycle
	switch {
	case ref != "":
		if c, err = rp.findCycle(req, ref, open, "/作业 查看 "+unit); err != nil {
			return "", err
		}
	case latest == nil:
		return fmt.Sprintf("%s还没有交过作业。", unit), nil
	default:
		if c, err = tx.ReportCycleByID(latest.CycleID); err != nil {
			return "", err
		}
	}
	st, err := cycleStatus(tx, c)
	if err != nil {
		return "", err
	}
	subs, err := tx.Submissions(c.ID)
	if err != nil {
		return "", err
	}
	var versions []*qunzhu.Submission
	for _, s := range subs {
		if s.Unit == unit {
			versions = append(versions, s)
		}
	}
	label := c.Label(now, loc)
	if len(versions) == 0 {
		if c.Deadline.Before(now) {
			return fmt.Sprintf("%s %s作业没有交。", unit, label), nil
		}
		return fmt.Sprintf("%s %s作业还没有交（截止 %s）。", unit, label, dateTime(c.Deadline, now, loc)), nil
	}
	first, last := versions[0], versions[len(versions)-1]
	state := "按时"
	if first.SubmittedAt.After(c.Deadline) {
		state = "迟交"
	}
	if _, expected := st.Unit(unit); !expected {
		state = "不在当期名单"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s作业（%s，%s 由%s提交", unit, label, state, shortTime(last.SubmittedAt, now, loc), last.MemberName)
	if len(versions) > 1 {
		fmt.Fprintf(&b, "，第%d版", last.Version)
	}
	fmt.Fprintf(&b, "）：\n%s", last.Content)
	if history && len(versions) > 1 {
		for i := len(versions) - 2; i >= 0; i-- {
			v := versions[i]
			fmt.Fprintf(&b, "\n—— 第%d版（%s 由%s提交）——\n%s", v.Version, shortTime(v.SubmittedAt, now, loc), v.MemberName, v.Content)
		}
	} else if len(versions) > 1 {
		fmt.Fprintf(&b, "\n（之前还有%d版，发送「/作业 查看 %s %s 历史」查看）", len(versions)-1, unit, label)
	}
	if last.ImageID == 0 {
		return b.String(), nil
	}
	img, err := tx.ImageByID(last.ImageID)
	if err != nil {
		return "", err
	}
	// The reply carries the picture: enqueue it here, as the router would
	// enqueue a text reply, so text and picture go out as one message.
	out := replyMessage(req.In, b.String(), now)
	out.Image = img.Data
	if dup, err := tx.Enqueue(out); err != nil {
		return "", err
	} else if dup {
		return "", errDuplicate
	}
	return "", nil
}

var statsArg = regexp.MustCompile(`^(最近|近)?([0-9]+|[一二两三四五六七八九十]+)期$`)

// handleStats counts, for the last N closed cycles, each unit's reports on
// time, late and missing, worst first: the public ranking (点名).
func (rp *Reports) handleStats(req *Request) (string, error) {
	n := defaultStatsCycles
	if arg := strings.Join(req.Cmd.Args, ""); arg != "" {
		m := statsArg.FindStringSubmatch(arg)
		if m == nil {
			return "", qunzhu.Errorf(qunzhu.EINVALID, "看不懂「%s」。例：%s", arg, exampleStats)
		}
		p := &cycleScanner{s: []rune(m[2])}
		v, ok := p.number()
		if !ok || !p.done() || v < 1 || v > maxStatsCycles {
			return "", qunzhu.Errorf(qunzhu.EINVALID, "期数要在1到%d之间。例：%s", maxStatsCycles, exampleStats)
		}
		n = v
	}
	_, open, err := rp.schedule(req)
	if err != nil {
		return "", err
	}
	tx, now, loc := req.Tx, req.Now, rp.cfg.Calendar.Location
	cycles, err := tx.ReportCycles(req.In.GroupID, now.Add(-time.Millisecond), n)
	if err != nil {
		return "", err
	}
	if len(cycles) == 0 {
		return fmt.Sprintf("还没有已截止的作业周期。第一次截止是 %s（%s）。", dateTime(open.Deadline, now, loc), open.Label(now, loc)), nil
	}
	var order []string
	recs := map[string]*qunzhu.UnitRecord{}
	rec := func(unit string) *qunzhu.UnitRecord {
		if recs[unit] == nil {
			recs[unit] = &qunzhu.UnitRecord{Unit: unit}
			order = append(order, unit)
		}
		return recs[unit]
	}
	for _, c := range cycles {
		st, err := cycleStatus(tx, c)
		if err != nil {
			return "", err
		}
		for _, u := range st.Submitted {
			if u.Late(c.Deadline) {
				rec(u.Unit).Late++
			} else {
				rec(u.Unit).OnTime++
			}
		}
		for _, u := range st.Missing {
			rec(u).Missing++
		}
	}
	list := make([]qunzhu.UnitRecord, 0, len(order))
	for _, u := range order {
		list = append(list, *recs[u])
	}
	qunzhu.RankRecords(list)
	var b strings.Builder
	first, last := cycles[len(cycles)-1].Label(now, loc), cycles[0].Label(now, loc)
	span := first
	if len(cycles) > 1 {
		span = first + "至" + last
	}
	fmt.Fprintf(&b, "最近%d期交作业统计（%s）：", len(cycles), span)
	if len(list) == 0 {
		b.WriteString("\n这几期没有名单上的单位。")
	}
	for i, r := range list {
		fmt.Fprintf(&b, "\n%d. %s：按时%d，迟交%d，未交%d", i+1, r.Unit, r.OnTime, r.Late, r.Missing)
	}
	return b.String(), nil
}
