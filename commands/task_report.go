package commands

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// handleProgress is /进展: the assignee, or anyone of the responsible unit,
// appends progress to the task's history.
func (ts *Tasks) handleProgress(req *Request) (string, error) {
	task, text, err := ts.reportable(req, exampleTaskProgress, "报告进展")
	if err != nil {
		return "", err
	}
	if text == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上进展内容。例：%s", exampleTaskProgress)
	}
	if _, err := req.Tx.ProgressTask(task.ID, qunzhu.MemberActor(req.Member()), text); err != nil {
		return "", err
	}
	now := req.Local()
	return fmt.Sprintf("已记录督办%s「%s」的进展（%s）。期限：%s（%s）",
		task.Number(), task.Title, qunzhu.FormatWhen(now, now), qunzhu.FormatWhen(task.Deadline, now),
		qunzhu.TimeLeft(task.Deadline, now)), nil
}

// handleDone is /办结: the assignee reports the work done. The task waits for
// the assigner's 销号; a picture sent right after is kept as evidence.
func (ts *Tasks) handleDone(req *Request) (string, error) {
	task, text, err := ts.reportable(req, exampleTaskDone, "报办结")
	if err != nil {
		return "", err
	}
	if _, err := req.Tx.FinishTask(task.ID, qunzhu.MemberActor(req.Member()), text); err != nil {
		return "", err
	}
	if err := req.ExpectPictures(AttachTask, []int64{task.ID}, qunzhu.MaxPictures, ts.cfg.PictureWindow); err != nil {
		return "", err
	}
	who := "群主"
	if task.AssignerID != 0 {
		if m, err := req.Tx.MemberByID(task.AssignerID); err == nil {
			who = Mention(mentionName(m))
		}
	}
	late := ""
	if now := req.Local(); now.After(task.Deadline) {
		late = "（超期" + qunzhu.RoughDuration(now.Sub(task.Deadline)) + "）"
	}
	return fmt.Sprintf("已记录督办%s「%s」办结%s，等待%s核实销号：/销号 %d。如有现场照片，请在%s内发到群里。",
		task.Number(), task.Title, late, who, task.ID, chineseDuration(ts.cfg.PictureWindow)), nil
}

// reportable loads the task named by the first argument and checks that the
// sender may report on it; text is what follows the number.
func (ts *Tasks) reportable(req *Request, example, what string) (*qunzhu.Task, string, error) {
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
	m := req.Member()
	ok, err := isResponsible(req.Tx, task, m)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有督办%s的责任人或%s的成员可以%s。", task.Number(), task.Unit, what)
	}
	return task, text, nil
}

// isResponsible reports whether m is an assignee of the task or belongs to
// the responsible unit or to an assignee's unit.
func isResponsible(tx qunzhu.Tx, task *qunzhu.Task, m *qunzhu.Member) (bool, error) {
	if m == nil {
		return false, nil
	}
	if slices.Contains(task.AssigneeIDs, m.ID) || (m.Unit != "" && m.Unit == task.Unit) {
		return true, nil
	}
	for _, id := range task.AssigneeIDs {
		a, err := tx.MemberByID(id)
		if err != nil {
			return false, err
		}
		if a.Unit != "" && a.Unit == m.Unit {
			return true, nil
		}
	}
	return false, nil
}

// mayClose reports whether m may close or send back the task: its assigner,
// or an owner of the group.
func mayClose(req *Request, task *qunzhu.Task) error {
	m := req.Member()
	if m != nil && (m.Role == qunzhu.RoleOwner || (task.AssignerID != 0 && m.ID == task.AssignerID)) {
		return nil
	}
	if task.AssignerID != 0 {
		return qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有督办人（%s）或群主可以给督办%s销号或退回。", task.AssignerName, task.Number())
	}
	return qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有群主可以给督办%s销号或退回。", task.Number())
}

// handleClose is /销号: the assigner or an owner confirms the task is done.
func (ts *Tasks) handleClose(req *Request) (string, error) {
	arg, note, err := taskNumberArg(req, exampleTaskClose)
	if err != nil {
		return "", err
	}
	task, err := loadTask(req, arg, exampleTaskClose)
	if err != nil {
		return "", err
	}
	if err := mayClose(req, task); err != nil {
		return "", err
	}
	if _, err := req.Tx.CloseTask(task.ID, qunzhu.MemberActor(req.Member()), note); err != nil {
		return "", err
	}
	now := req.Local()
	finished := task.DoneAt
	if task.Status != qunzhu.TaskDone {
		finished = now
	}
	verdict := "按期办结"
	if finished.After(task.Deadline) {
		verdict = "超期" + qunzhu.RoughDuration(finished.Sub(task.Deadline)) + "办结"
	}
	who, err := assigneeMentions(req.Tx, task)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("督办%s「%s」已销号（%s，%s）。%s", task.Number(), task.Title, task.Unit, verdict, who), nil
}

// handleReturn is /退回: the assigner or an owner sends a task reported done
// (or already closed) back to work, with a reason everyone reads.
func (ts *Tasks) handleReturn(req *Request) (string, error) {
	arg, reason, err := taskNumberArg(req, exampleTaskReturn)
	if err != nil {
		return "", err
	}
	task, err := loadTask(req, arg, exampleTaskReturn)
	if err != nil {
		return "", err
	}
	if err := mayClose(req, task); err != nil {
		return "", err
	}
	if reason == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上退回原因。例：%s", exampleTaskReturn)
	}
	ev, err := req.Tx.ReturnTask(task.ID, qunzhu.MemberActor(req.Member()), reason)
	if err != nil {
		return "", err
	}
	who, err := assigneeMentions(req.Tx, task)
	if err != nil {
		return "", err
	}
	now := req.Local()
	verb := "已退回，请继续办理"
	if ev.Kind == qunzhu.TaskReopened {
		verb = "已重新打开，请继续办理"
	}
	return fmt.Sprintf("督办%s「%s」%s。原因：%s\n期限：%s（%s）%s", task.Number(), task.Title, verb, reason,
		qunzhu.FormatWhen(task.Deadline, now), qunzhu.TimeLeft(task.Deadline, now), who), nil
}

// attachEvidence keeps a picture sent right after /办结 (or /补图) with every
// task the command named.
func (ts *Tasks) attachEvidence(r *Request, slot *qunzhu.AttachSlot, imageID int64) (string, error) {
	m := r.Member()
	if m == nil {
		return "", nil // the slot was opened by a bound member; their binding is gone
	}
	numbers := make([]string, 0, len(slot.Refs()))
	for _, id := range slot.Refs() {
		ev, err := r.Tx.AttachTaskEvidence(id, qunzhu.MemberActor(m), imageID)
		if err != nil {
			return "", err
		}
		numbers = append(numbers, fmt.Sprintf("#%d", ev.TaskID))
	}
	return fmt.Sprintf("已收到督办%s的办结照片（第%d张）。", strings.Join(numbers, "、"), slot.Count), nil
}

// mentionName is the name a mention of m must carry: what the group shows now.
func mentionName(m *qunzhu.Member) string {
	if m.Bound && m.Identity.Name() != "" {
		return m.Identity.Name()
	}
	return m.Name
}

// mentions writes "@甲\u2005@乙" for members: each mention ends with the
// U+2005 WeChat puts after it, except the last, because the list always ends
// a line or the message and a trailing U+2005 there shows as a stray space.
func mentions(ms []*qunzhu.Member) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(Mention(mentionName(m)))
	}
	return strings.TrimSuffix(b.String(), "\u2005")
}

// assigneeMentions mentions everyone a task is assigned to.
func assigneeMentions(tx qunzhu.Tx, task *qunzhu.Task) (string, error) {
	ms, err := assigneeMembers(tx, task)
	return mentions(ms), err
}

func assigneeMembers(tx qunzhu.Tx, task *qunzhu.Task) ([]*qunzhu.Member, error) {
	ms := make([]*qunzhu.Member, 0, len(task.AssigneeIDs))
	for _, id := range task.AssigneeIDs {
		m, err := tx.MemberByID(id)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}
