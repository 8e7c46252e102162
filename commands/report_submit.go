package commands

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// maxLateCycles bounds how many closed cycles a late report is matched
// against; only a late window longer than that many cycles would notice.
const maxLateCycles = 60

// handleSubmit records the sender's unit's report (交作业) for the cycle it
// belongs to (see qunzhu.ChooseSubmissionCycle): the current one, or the one
// that just closed if the unit still owes it, as 迟交. A first word naming a
// cycle ("上周", "第48周") picks it explicitly, which is how a late report is
// corrected. Handing in again adds a version; the picture sent within two
// minutes is attached to it.
func (rp *Reports) handleSubmit(req *Request) (string, error) {
	m := req.Member()
	_, open, err := rp.schedule(req)
	if err != nil {
		return "", err
	}
	content, ref := strings.TrimSpace(req.Cmd.Rest), ""
	if len(req.Cmd.Args) > 0 && rp.namesCycle(req, req.Cmd.Args[0], open) {
		ref, content = req.Cmd.Args[0], cutFirstWord(req.Cmd.Rest)
	}
	switch {
	case content == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请在 /交作业 后面写上作业内容，图片可在2分钟内接着发。例：%s", exampleSubmit)
	case utf8.RuneCountInString(content) > maxReportRunes:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "作业内容太长了（最多%d个字），请精简后再交，或分成文字和图片。", maxReportRunes)
	case m.Unit == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "你没有登记所在单位，不能替单位交作业。请群主或管理员登记交作业的人，例：/成员 添加 张三 单位=成都市")
	}
	tx, g, now, loc := req.Tx, req.In.GroupID, req.Now, rp.cfg.Calendar.Location
	roster, err := tx.Roster(g, now)
	if err != nil {
		return "", err
	}
	if !onRoster(roster, m.Unit) {
		return "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "你的单位「%s」不在本群的交作业名单上。%s如需加入，请群主或管理员发送：/作业 名单 添加 %s",
			m.Unit, rosterLine(roster), m.Unit)
	}
	closed, err := tx.ReportCycles(g, now.Add(-time.Millisecond), maxLateCycles)
	if err != nil {
		return "", err
	}
	c, err := rp.submissionCycle(req, m.Unit, ref, open, closed)
	if err != nil {
		return "", err
	}
	subs, err := tx.Submissions(c.ID)
	if err != nil {
		return "", err
	}
	sub := &qunzhu.Submission{GroupID: g, CycleID: c.ID, Unit: m.Unit, MemberID: m.ID, MemberName: m.Name,
		Content: content, SubmittedAt: now}
	for _, s := range subs {
		if s.Unit == m.Unit && s.ImageID != 0 {
			sub.ImageID = s.ImageID // the picture stays until a new one comes
		}
	}
	if err := tx.AddSubmission(sub); err != nil {
		return "", err
	}
	if err := req.ExpectPictures(attachReport, []int64{sub.ID}, qunzhu.MaxPictures, PictureWindow); err != nil {
		return "", err
	}
	st, err := cycleStatus(tx, c)
	if err != nil {
		return "", err
	}
	u, _ := st.Unit(m.Unit)
	notes := []string{fmt.Sprintf("%d/%d", len(st.Submitted), st.Expected())}
	if u.Late(c.Deadline) {
		notes = append([]string{"迟交"}, notes...)
	}
	msg := fmt.Sprintf("已收到 %s %s作业（%s）", m.Unit, c.Label(now, loc), strings.Join(notes, "，"))
	if sub.Version > 1 {
		msg += fmt.Sprintf("，已替换第%d版，旧版本保留在历史里", sub.Version-1)
	}
	return msg + "。", nil
}

// submissionCycle picks the cycle for a report: the one named by ref, or by
// the late rule.
func (rp *Reports) submissionCycle(req *Request, unit, ref string, open *qunzhu.ReportCycle, closed []*qunzhu.ReportCycle) (*qunzhu.ReportCycle, error) {
	tx, now := req.Tx, req.Now
	owes := func(c *qunzhu.ReportCycle) (bool, error) {
		units, err := expectedUnits(tx, c)
		if err != nil || !slices.Contains(units, unit) {
			return false, err
		}
		subs, err := tx.Submissions(c.ID)
		for _, s := range subs {
			if s.Unit == unit {
				return false, err
			}
		}
		return true, err
	}
	if ref == "" {
		var ferr error
		c := qunzhu.ChooseSubmissionCycle(open, closed, now, rp.cfg.LateWindow, func(c *qunzhu.ReportCycle) bool {
			ok, err := owes(c)
			if err != nil {
				ferr = err
			}
			return ok
		})
		return c, ferr
	}
	c, err := rp.findCycle(req, ref, open, exampleSubmit)
	if err != nil || c.ID == open.ID {
		return c, err
	}
	label := c.Label(now, rp.cfg.Calendar.Location)
	next := open.Deadline
	for _, x := range closed {
		if x.ID == c.ID {
			break
		}
		next = x.Deadline
	}
	if !qunzhu.LateWindowOpen(c.Deadline, next, now, rp.cfg.LateWindow) {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "%s作业已过补交期限，不能再交。交本期作业请直接发送：%s", label, exampleSubmit)
	}
	units, err := expectedUnits(tx, c)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(units, unit) {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "%s不在%s作业的名单上，不用交。交本期作业请直接发送：%s", unit, label, exampleSubmit)
	}
	return c, nil
}

// strongCycleWords name a cycle relative to now; a report starting with one
// is always read as naming its cycle.
var (
	strongCycleWords = map[string]bool{"本周": true, "这周": true, "本期": true, "这期": true, "本月": true,
		"上周": true, "上期": true, "上月": true}
	weekLabel = regexp.MustCompile(`^(\d{4}年)?第\d{1,2}周$`)
	dateLabel = regexp.MustCompile(`^(\d{4}年)?\d{1,2}月(\d{1,2}日)?$`)
)

// isCycleWord reports whether w names a cycle ("上周", "第48周", "12月4日").
func isCycleWord(w string) bool {
	return strongCycleWords[w] || weekLabel.MatchString(w) || dateLabel.MatchString(w)
}

// namesCycle reports whether the first word of a report names its cycle:
// always for "上周" or "第48周" (a wrong one is refused, not filed as text),
// and for a date such as "12月" only when a cycle has that label, since a
// report may well start with a month.
func (rp *Reports) namesCycle(req *Request, w string, open *qunzhu.ReportCycle) bool {
	if strongCycleWords[w] || weekLabel.MatchString(w) {
		return true
	}
	if !dateLabel.MatchString(w) {
		return false
	}
	_, err := rp.findCycle(req, w, open, exampleSubmit)
	return err == nil
}

// findCycle resolves a cycle named as people name it: "本周"/"本期" is the
// current cycle, "上周"/"上期" the last closed one, anything else a label
// ("第48周", "2025年第52周", "12月4日", "12月") of a cycle that exists. A
// refusal shows example, a command that works where the cycle was named.
func (rp *Reports) findCycle(req *Request, word string, open *qunzhu.ReportCycle, example string) (*qunzhu.ReportCycle, error) {
	tx, g, now, loc := req.Tx, req.In.GroupID, req.Now, rp.cfg.Calendar.Location
	switch word {
	case "本周", "这周", "本期", "这期", "本月":
		return open, nil
	case "上周", "上期", "上月":
		cs, err := tx.ReportCycles(g, now.Add(-time.Millisecond), 1)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "还没有已截止的作业周期，本期是%s。例：%s", open.Label(now, loc), example)
		}
		return cs[0], nil
	}
	cs, err := tx.ReportCycles(g, open.Deadline, 400)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Label(now, loc) == word || qunzhu.CycleLabel(c.LabelKind, c.Nominal, time.Time{}, loc) == word {
			return c, nil
		}
	}
	var recent []string
	for i := 0; i < len(cs) && i < 3; i++ {
		recent = append(recent, cs[i].Label(now, loc))
	}
	return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到「%s」的作业周期。最近的周期：%s。例：%s",
		word, strings.Join(recent, "、"), example)
}

// attachPicture attaches the picture sent within two minutes of /交作业 to
// that version of the report.
func (rp *Reports) attachPicture(req *Request, slot *qunzhu.AttachSlot, imageID int64) (string, error) {
	sub, err := req.Tx.SubmissionByID(slot.RefID)
	if err != nil {
		return "", err
	}
	// The first picture after /交作业 replaces the version's picture; the
	// next ones, and those after /补图 作业, are kept beside it.
	n := 1
	if slot.Count == 1 && slot.Kind == attachReport {
		err = req.Tx.SetSubmissionImage(sub.ID, imageID)
	} else {
		n, err = req.Tx.AddRefImage(attachReport, sub.ID, imageID)
		if sub.ImageID != 0 {
			n++
		}
	}
	if err != nil {
		return "", err
	}
	c, err := req.Tx.ReportCycleByID(sub.CycleID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("已附上 %s %s作业的图片（共%d张）。", sub.Unit, c.Label(req.Now, rp.cfg.Calendar.Location), n), nil
}
