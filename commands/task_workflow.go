package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// The 督查督办 workflow: 延期 asked by the assignee and decided by the
// assigner or an owner, 转办, 撤销, 中止/恢复 and 催办.

// Examples shown with the workflow's refusals.
const (
	exampleExtend   = "/延期 23 下周三 施工队未到位"
	exampleApprove  = "/同意 延期 23"
	exampleRefuse   = "/驳回 延期 23 请按期完成"
	exampleTransfer = "/转办 23 区房管局"
	exampleWithdraw = "/撤销 23 已由市里统一处理"
	exampleSuspend  = "/中止 23 等待规划局批复"
	exampleResume   = "/恢复 23 限期5天"
	exampleNudge    = "/催办 23"
)

// workflowSpecs are the workflow's commands, registered with the others.
func (ts *Tasks) workflowSpecs() []Spec {
	return []Spec{
		{Name: "延期", Aliases: []string{"extend"}, MinRole: qunzhu.RoleMember, Handle: ts.handleExtend,
			Summary: "责任人申请延期：编号、新期限和理由，督办人或群主审批（督办人或群主发则直接延期）", Example: exampleExtend},
		{Name: "同意 延期", Aliases: []string{"同意延期", "approve"}, MinRole: qunzhu.RoleAdmin, Handle: ts.handleApprove,
			Summary: "督办人或群主同意延期申请，按新期限重新催办", Example: exampleApprove},
		{Name: "驳回 延期", Aliases: []string{"驳回延期", "refuse"}, MinRole: qunzhu.RoleAdmin, Handle: ts.handleRefuse,
			Summary: "督办人或群主驳回延期申请，要写理由，期限不变", Example: exampleRefuse},
		{Name: "转办", Aliases: []string{"transfer"}, MinRole: qunzhu.RoleAdmin, Handle: ts.handleTransfer,
			Summary: "督办人或群主把督办转给别的单位或成员（可带新期限），历史保留", Example: exampleTransfer},
		{Name: "撤销", Aliases: []string{"withdraw"}, MinRole: qunzhu.RoleAdmin, Handle: ts.handleWithdraw,
			Summary: "督办人或群主撤销不再需要办理的督办，要写理由，不计入统计", Example: exampleWithdraw},
		{Name: "中止", Aliases: []string{"suspend"}, MinRole: qunzhu.RoleAdmin, Handle: ts.handleSuspend,
			Summary: "督办人或群主中止等待外部条件的督办，暂停计时和催办", Example: exampleSuspend},
		{Name: "恢复", Aliases: []string{"resume"}, MinRole: qunzhu.RoleAdmin, Handle: ts.handleResume,
			Summary: "恢复中止的督办，可写新期限（不写则顺延中止的时间）", Example: exampleResume},
		{Name: "催办", Aliases: []string{"nudge"}, MinRole: qunzhu.RoleAdmin, Handle: ts.handleNudge,
			Summary: "群主或管理员在群里点名催办责任人（同一督办两小时一次）", Example: exampleNudge},
	}
}

// mayManage is mayClose for the workflow: the assigner or an owner.
func mayManage(req *Request, task *qunzhu.Task, what string) error {
	m := req.Member()
	if m != nil && (m.Role == qunzhu.RoleOwner || (task.AssignerID != 0 && m.ID == task.AssignerID)) {
		return nil
	}
	if task.AssignerID != 0 {
		return qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有督办人（%s）或群主可以%s督办%s。", task.AssignerName, what, task.Number())
	}
	return qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有群主可以%s督办%s。", what, task.Number())
}

// numbered loads the task the command's first word names; text follows it.
func numbered(req *Request, example string) (*qunzhu.Task, string, error) {
	arg, text, err := taskNumberArg(req, example)
	if err != nil {
		return nil, "", err
	}
	task, err := loadTask(req, arg, example)
	if err != nil {
		return nil, "", err
	}
	if utf8.RuneCountInString(text) > maxTaskTextRunes {
		return nil, "", qunzhu.Errorf(qunzhu.EINVALID, "内容太长了（最多%d个字），请写要点。", maxTaskTextRunes)
	}
	return task, text, nil
}

// handleExtend is /延期 <编号> <新期限> <理由>.
func (ts *Tasks) handleExtend(req *Request) (string, error) {
	arg, text, err := taskNumberArg(req, exampleExtend)
	if err != nil {
		return "", err
	}
	return ts.extend(req, arg, text)
}

// extend asks for (or, from the assigner or an owner, grants) a new deadline.
func (ts *Tasks) extend(req *Request, arg, text string) (string, error) {
	task, err := loadTask(req, arg, exampleExtend)
	if err != nil {
		return "", err
	}
	now := req.Local()
	due, reason, err := ts.parseDeadline(text, now, false)
	if err != nil {
		return "", err
	}
	if due.At.IsZero() {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上新期限和理由。例：%s\n可以这样写期限：%s", exampleExtend, deadlineForms)
	}
	if reason == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上延期理由。例：%s", exampleExtend)
	}
	if utf8.RuneCountInString(reason) > maxTaskTextRunes {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "内容太长了（最多%d个字），请写要点。", maxTaskTextRunes)
	}
	m := req.Member()
	manager := mayManage(req, task, "延期") == nil
	if !manager {
		ok, err := isResponsible(req.Tx, task, m)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有督办%s的责任人或%s的成员可以申请延期。", task.Number(), task.Unit)
		}
	}
	actor := qunzhu.MemberActor(m)
	note := fmt.Sprintf("申请延期至%s：%s", qunzhu.FormatWhen(due.At, now), reason)
	if _, err := req.Tx.RequestExtension(task.ID, actor, due.At, reason, note); err != nil {
		return "", err
	}
	if manager {
		if _, err := req.Tx.DecideExtension(task.ID, actor, true, grantNote(task, due.At, now)); err != nil {
			return "", err
		}
		who, err := ts.assigneesMentioned(req, task)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("督办%s「%s」期限已延至%s%s，重新开始催办。%s", task.Number(), task.Title,
			qunzhu.FormatWhen(due.At, now), due.Note, who), nil
	}
	who := "群主"
	if a, err := ts.assigner(req, task); err != nil {
		return "", err
	} else if a != nil {
		who = Mention(mentionName(a))
		req.MentionAll([]*qunzhu.Member{a})
	}
	return fmt.Sprintf("已申请督办%s「%s」延期至%s%s，理由：%s\n请%s审批：/同意 延期 %d 或 /驳回 延期 %d 理由",
		task.Number(), task.Title, qunzhu.FormatWhen(due.At, now), due.Note, reason, who, task.ID, task.ID), nil
}

// grantNote is the history's text of a granted extension.
func grantNote(task *qunzhu.Task, deadline, now time.Time) string {
	return fmt.Sprintf("期限由%s延至%s", qunzhu.FormatWhen(task.Deadline, now), qunzhu.FormatWhen(deadline, now))
}

// assigner is the task's assigner as a member, nil for the system.
func (ts *Tasks) assigner(req *Request, task *qunzhu.Task) (*qunzhu.Member, error) {
	if task.AssignerID == 0 {
		return nil, nil
	}
	return req.Tx.MemberByID(task.AssignerID)
}

// assigneesMentioned mentions the task's people in the reply text and in At.
func (ts *Tasks) assigneesMentioned(req *Request, task *qunzhu.Task) (string, error) {
	ms, err := assigneeMembers(req.Tx, task)
	if err != nil {
		return "", err
	}
	req.MentionAll(ms)
	return mentions(ms), nil
}

// handleApprove is /同意 延期 <编号>.
func (ts *Tasks) handleApprove(req *Request) (string, error) { return ts.decide(req, true) }

// handleRefuse is /驳回 延期 <编号> <理由>.
func (ts *Tasks) handleRefuse(req *Request) (string, error) { return ts.decide(req, false) }

func (ts *Tasks) decide(req *Request, grant bool) (string, error) {
	example := exampleApprove
	if !grant {
		example = exampleRefuse
	}
	task, text, err := numbered(req, example)
	if err != nil {
		return "", err
	}
	if err := mayManage(req, task, "审批延期"); err != nil {
		return "", err
	}
	if !grant && text == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上驳回理由。例：%s", exampleRefuse)
	}
	ext, err := req.Tx.PendingExtension(task.ID)
	if err != nil {
		return "", err
	}
	now := req.Local()
	if grant {
		text = grantNote(task, ext.NewDeadline, now)
	}
	if _, err := req.Tx.DecideExtension(task.ID, qunzhu.MemberActor(req.Member()), grant, text); err != nil {
		return "", err
	}
	who, err := ts.assigneesMentioned(req, task)
	if err != nil {
		return "", err
	}
	if grant {
		return fmt.Sprintf("已同意督办%s「%s」延期：期限延至%s，重新开始催办。%s", task.Number(), task.Title,
			qunzhu.FormatWhen(ext.NewDeadline, now), who), nil
	}
	return fmt.Sprintf("已驳回督办%s「%s」的延期申请，理由：%s\n期限仍为%s（%s）。%s", task.Number(), task.Title, text,
		qunzhu.FormatWhen(task.Deadline, now), qunzhu.TimeLeft(task.Deadline, now), who), nil
}

// handleTransfer is /转办 <编号> <对象> [期限] [说明].
func (ts *Tasks) handleTransfer(req *Request) (string, error) {
	task, text, err := numbered(req, exampleTransfer)
	if err != nil {
		return "", err
	}
	if err := mayManage(req, task, "转办"); err != nil {
		return "", err
	}
	if text == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上转给谁（单位名或 @成员）。例：%s", exampleTransfer)
	}
	members, err := req.Tx.Members(req.In.GroupID)
	if err != nil {
		return "", err
	}
	assignees, unit, rest, err := taskObjects(members, text)
	if err != nil {
		return "", err
	}
	now := req.Local()
	due, _, err := ts.parseDeadline(rest, now, false)
	if err != nil {
		return "", err
	}
	tr := qunzhu.Transfer{Unit: unit, Deadline: due.At, Note: fmt.Sprintf("由%s转%s", task.Unit, unit)}
	if !due.At.IsZero() {
		tr.Note += "，期限" + qunzhu.FormatWhen(due.At, now)
	}
	for _, m := range assignees {
		tr.AssigneeIDs = append(tr.AssigneeIDs, m.ID)
	}
	old := task.Unit
	if _, err := req.Tx.TransferTask(task.ID, qunzhu.MemberActor(req.Member()), tr); err != nil {
		return "", err
	}
	req.MentionAll(assignees)
	deadline := task.Deadline
	if !due.At.IsZero() {
		deadline = due.At
	}
	return fmt.Sprintf("督办%s「%s」已由%s转%s办理。%s\n期限：%s（%s）%s\n请及时报告进展：/进展 %d 内容", task.Number(), task.Title,
		old, unit, mentions(assignees), qunzhu.FormatWhen(deadline, now), qunzhu.TimeLeft(deadline, now), due.Note, task.ID), nil
}

// handleWithdraw is /撤销 <编号> <理由>.
func (ts *Tasks) handleWithdraw(req *Request) (string, error) {
	task, reason, err := numbered(req, exampleWithdraw)
	if err != nil {
		return "", err
	}
	if err := mayManage(req, task, "撤销"); err != nil {
		return "", err
	}
	if reason == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上撤销理由。例：%s", exampleWithdraw)
	}
	if _, err := req.Tx.WithdrawTask(task.ID, qunzhu.MemberActor(req.Member()), reason); err != nil {
		return "", err
	}
	who, err := ts.assigneesMentioned(req, task)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("督办%s「%s」已撤销，不再办理，也不计入统计。理由：%s %s", task.Number(), task.Title, reason, who), nil
}

// handleSuspend is /中止 <编号> <理由>.
func (ts *Tasks) handleSuspend(req *Request) (string, error) {
	task, reason, err := numbered(req, exampleSuspend)
	if err != nil {
		return "", err
	}
	if err := mayManage(req, task, "中止"); err != nil {
		return "", err
	}
	if reason == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上中止原因（在等什么）。例：%s", exampleSuspend)
	}
	if _, err := req.Tx.SuspendTask(task.ID, qunzhu.MemberActor(req.Member()), reason); err != nil {
		return "", err
	}
	return fmt.Sprintf("督办%s「%s」已中止，暂停计时和催办。原因：%s\n条件具备后恢复：/恢复 %d [新期限]", task.Number(), task.Title,
		reason, task.ID), nil
}

// handleResume is /恢复 <编号> [新期限].
func (ts *Tasks) handleResume(req *Request) (string, error) {
	task, text, err := numbered(req, exampleResume)
	if err != nil {
		return "", err
	}
	if err := mayManage(req, task, "恢复"); err != nil {
		return "", err
	}
	now := req.Local()
	due, _, err := ts.parseDeadline(text, now, false)
	if err != nil {
		return "", err
	}
	deadline := due.At
	if deadline.IsZero() {
		deadline = task.ResumedDeadline(now)
	}
	if _, err := req.Tx.ResumeTask(task.ID, qunzhu.MemberActor(req.Member()), deadline, "期限"+qunzhu.FormatWhen(deadline, now)); err != nil {
		return "", err
	}
	fresh, err := req.Tx.TaskByID(task.ID)
	if err != nil {
		return "", err
	}
	who, err := ts.assigneesMentioned(req, fresh)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("督办%s「%s」已恢复办理。期限：%s（%s）%s %s", task.Number(), task.Title,
		qunzhu.FormatWhen(fresh.Deadline, now), qunzhu.TimeLeft(fresh.Deadline, now), due.Note, who), nil
}

// handleNudge is /催办 <编号> [话]: a public nudge naming the responsible
// people, at most once per NudgeLimit per task.
func (ts *Tasks) handleNudge(req *Request) (string, error) {
	task, text, err := numbered(req, exampleNudge)
	if err != nil {
		return "", err
	}
	if err := task.Allows(qunzhu.TaskNudged); err != nil {
		return "", err
	}
	switch {
	case task.Status == qunzhu.TaskDone:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "督办%s已报办结，在等销号，不需要催办。销号：/销号 %d", task.Number(), task.ID)
	case !task.SuspendedAt.IsZero():
		return "", qunzhu.Errorf(qunzhu.EINVALID, "督办%s已中止，不需要催办。恢复：/恢复 %d", task.Number(), task.ID)
	}
	if ts.cfg.Limiter != nil {
		res, err := ts.cfg.Limiter.Allow(req.Ctx, "nudge:task:"+strconv.FormatInt(task.ID, 10), ts.cfg.NudgeLimit)
		if err != nil {
			return "", err
		}
		if !res.Allowed {
			return "", qunzhu.Errorf(qunzhu.ECONFLICT, "督办%s刚催办过，%s后可以再催。先看进展：/督办 %d",
				task.Number(), qunzhu.RoughDuration(res.RetryAfter), task.ID)
		}
	}
	if _, err := req.Tx.NudgeTask(task.ID, qunzhu.MemberActor(req.Member()), text); err != nil {
		return "", err
	}
	who, err := ts.assigneesMentioned(req, task)
	if err != nil {
		return "", err
	}
	now := req.Local()
	say := ""
	if text != "" {
		say = "\n" + strings.TrimSpace(text)
	}
	return fmt.Sprintf("【催办】督办%s「%s」，责任单位：%s，期限%s（%s）。%s 请抓紧办理并报告进展：/进展 %d 内容%s",
		task.Number(), task.Title, task.Unit, qunzhu.FormatWhen(task.Deadline, now), qunzhu.TimeLeft(task.Deadline, now),
		who, task.ID, say), nil
}
