package commands

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// AttachTask is the picture slot kind of the 督办 feature: a picture right
// after /办结 is the evidence.
const AttachTask = "task"

// FamilyTask is the /帮助 heading of the 督办 commands.
const FamilyTask = "督办"

// Defaults of TaskConfig.
const (
	DefaultTaskDeadline = 72 * time.Hour
	DefaultTaskAssigner = qunzhu.RoleAdmin
)

// DefaultNudgeLimit is how often one task may be nudged (/催办): once every
// two hours, so a nudge stays a signal and not noise.
var DefaultNudgeLimit = qunzhu.Limit{Rate: 1, Period: 2 * time.Hour, Burst: 1}

// Examples shown with the refusals of the 督办 commands.
const (
	exampleTask         = "/督办 市城管委 修复人民路路灯 限期3天"
	exampleTaskMention  = "/督办 @李局长 报送整改方案 周五"
	exampleTaskProgress = "/进展 23 已联系施工队，明天进场"
	exampleTaskDone     = "/办结 23 路灯已修复"
	exampleTaskClose    = "/销号 23"
	exampleTaskReturn   = "/退回 23 照片看不清，请补充现场照片"
	exampleTaskList     = "/督办 列表 逾期"
	exampleTaskStats    = "/督办 统计 本月"
	maxTaskTextRunes    = 500
)

// TaskConfig is what the 督办 commands need besides the store.
type TaskConfig struct {
	// AssignRole is the least role that may assign tasks (/督办 …): owners
	// only, or owners and admins (the default).
	AssignRole qunzhu.Role
	// DefaultDeadline is the deadline when none is written (3 days).
	DefaultDeadline time.Duration
	// PictureWindow is how long after /办结 a picture is taken as evidence (2 minutes).
	PictureWindow time.Duration
	// Workdays says which days are working days (statutory holidays and 调休
	// from its Holidays; Monday to Friday without). DayClose is the working
	// day's close a count of days ends at (18:00).
	Workdays qunzhu.ReportCalendar
	DayClose time.Duration
	// Festivals, when set, lets a deadline name a festival ("元旦前").
	Festivals qunzhu.Calendar
	// Limiter and NudgeLimit bound /催办 per task (one every 2 hours by
	// default); nil Limiter: unlimited.
	Limiter    qunzhu.Limiter
	NudgeLimit qunzhu.Limit
}

// Tasks holds the 督办 (task) commands: assign, report progress and done,
// close or send back, detail, lists and statistics. They are registered from
// the wiring with Specs and Attach, like any feature outside this package.
type Tasks struct {
	cfg TaskConfig
}

// NewTasks returns the 督办 commands with cfg's defaults filled in.
func NewTasks(cfg TaskConfig) *Tasks {
	if !cfg.AssignRole.Valid() || cfg.AssignRole == qunzhu.RoleMember {
		cfg.AssignRole = DefaultTaskAssigner
	}
	if cfg.DefaultDeadline <= 0 {
		cfg.DefaultDeadline = DefaultTaskDeadline
	}
	if cfg.PictureWindow <= 0 {
		cfg.PictureWindow = 2 * time.Minute
	}
	if cfg.DayClose <= 0 {
		cfg.DayClose = EndOfWorkday
	}
	if cfg.NudgeLimit.IsZero() {
		cfg.NudgeLimit = DefaultNudgeLimit
	}
	return &Tasks{cfg: cfg}
}

// Specs are the 督办 commands in the order /帮助 lists them. Reading (/督办
// 23, lists, statistics) is open to everyone in the group, bound or not;
// assigning checks AssignRole in the handler, as its Form says.
func (ts *Tasks) Specs() []Spec {
	return append([]Spec{
		{Name: "督办", Aliases: []string{"task"}, Handle: ts.handleTask, ReadOnlyWhen: isTaskDetail, Forms: ts.taskForms(),
			Detail: deadlineHelp, Example: exampleTask},
		{Name: "督办 列表", Aliases: []string{"task list"}, Handle: ts.handleList, ReadOnly: true,
			Summary: "本群未销号的督办，逾期的在前；可以只看 我的、逾期 或某个单位", Example: exampleTaskList},
		{Name: "督办 统计", Aliases: []string{"task stats"}, Handle: ts.handleStats, ReadOnly: true,
			Summary: "按单位统计交办、按期办结、超期办结、未办结、逾期和平均办结用时，问题多的在前（本周、本月或全部）",
			Example: exampleTaskStats},
		{Name: "进展", Aliases: []string{"progress"}, MinRole: qunzhu.RoleMember, Handle: ts.handleProgress,
			Summary: "责任人或责任单位的成员报告督办进展", Example: exampleTaskProgress},
		{Name: "办结", Aliases: []string{"done"}, MinRole: qunzhu.RoleMember, Handle: ts.handleDoneMany,
			Summary: "报告督办已办结，等待销号；可一次报多件（3、11）；紧接着发的图片（最多9张）作为办结照片", Example: exampleTaskDone},
		{Name: "销号", Aliases: []string{"close"}, MinRole: qunzhu.RoleMember, Handle: ts.handleCloseMany,
			Summary: "督办人或群主确认办结，销号；可一次销多件（3、11）", Example: exampleTaskClose},
		{Name: "退回", Aliases: []string{"reopen"}, MinRole: qunzhu.RoleMember, Handle: ts.handleReturn,
			Summary: "督办人或群主把报办结（或已销号）的督办退回继续办理，要写原因", Example: exampleTaskReturn},
	}, append(ts.workflowSpecs(), ts.batchSpecs()...)...)
}

// Attach is the picture handler to register for AttachTask.
func (ts *Tasks) Attach() (kind string, fn AttachFunc) { return AttachTask, ts.attachEvidence }

// isTaskDetail is "/督办 23", which only reads.
func isTaskDetail(cmd Command) bool {
	if len(cmd.Args) != 1 {
		return false
	}
	_, ok := taskNumber(cmd.Args[0])
	return ok
}

// handleTask is /督办: "/督办 23" shows a task, anything else assigns one.
func (ts *Tasks) handleTask(req *Request) (string, error) {
	if len(req.Cmd.Args) >= 1 {
		if id, ok := taskNumber(req.Cmd.Args[0]); ok {
			if len(req.Cmd.Args) == 1 {
				return ts.detail(req, id)
			}
			// "/督办 1 延期到下周三 理由" is the 延期 people say in one breath.
			if _, after := splitWord(req.Cmd.Rest); strings.HasPrefix(after, "延期") {
				after = strings.TrimLeft(strings.TrimPrefix(after, "延期"), "到至 ")
				return ts.extend(req, req.Cmd.Args[0], after)
			}
		}
	}
	if err := req.Require(ts.cfg.AssignRole, "派发督办"); err != nil {
		return "", err
	}
	if len(req.Cmd.Args) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上督办对象和事项。例：%s", exampleTask)
	}
	tx, groupID := req.Tx, req.In.GroupID
	members, err := tx.Members(groupID)
	if err != nil {
		return "", err
	}
	snap, text, err := ts.takeSnapshotArg(req, req.Cmd.Rest)
	if err != nil {
		return "", err
	}
	assignees, unit, text, err := taskObjects(members, text)
	if err != nil {
		return "", err
	}
	now := req.Local()
	due, title, err := ts.parseDeadline(text, now, true)
	if err != nil {
		return "", err
	}
	deadline := due.At
	origin, title, err := ts.subject(req, snap, title)
	if err != nil {
		return "", err
	}
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上督办事项。例：%s", exampleTask)
	case n > maxTaskTextRunes:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "督办事项太长了（最多%d个字），请写要点。", maxTaskTextRunes)
	}
	task := &qunzhu.Task{GroupID: groupID, Title: title, Unit: unit, Deadline: deadline}
	for _, m := range assignees {
		task.AssigneeIDs = append(task.AssigneeIDs, m.ID)
	}
	if err := tx.CreateTask(task, qunzhu.MemberActor(req.Member())); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "【督办%s】%s\n责任单位：%s %s\n期限：%s（%s）%s\n督办人：%s",
		task.Number(), task.Title, task.Unit, req.Mention(assignees...), qunzhu.FormatWhen(deadline, now),
		qunzhu.TimeLeft(deadline, now), due.Note, task.AssignerName)
	fmt.Fprintf(&b, "\n请及时报告进展：/进展 %d 内容；办完后：/办结 %d 内容（可紧接着发现场照片）", task.ID, task.ID)
	line, err := ts.keepOrigin(req, task, origin)
	if err != nil {
		return "", err
	}
	b.WriteString(line)
	b.WriteString(unboundNote(task.Unit, assignees))
	return b.String(), nil
}

// taskObjects reads the objects at the start of text — @mentions of bound
// members and unit names — and returns who is assigned (a unit's registered
// members, all of them), the responsible unit (the first object's) and the
// text after the objects.
func taskObjects(members []*qunzhu.Member, text string) (assignees []*qunzhu.Member, unit, rest string, err error) {
	units := map[string]bool{}
	for _, m := range members {
		if m.Unit != "" {
			units[m.Unit] = true
		}
	}
	add := func(ms ...*qunzhu.Member) {
		for _, m := range ms {
			if !slices.Contains(assignees, m) {
				assignees = append(assignees, m)
			}
			if unit == "" {
				unit = m.Unit
			}
		}
	}
	rest = text
	for rest != "" {
		word, after := splitWord(rest)
		w := cleanArg(foldString(word))
		switch {
		case strings.HasPrefix(w, "@"):
			for _, name := range strings.Split(strings.TrimLeft(w, "@"), "@") {
				if name == "" {
					continue
				}
				if units[name] { // "@市城管委" names a unit
					unit = cmpOr(unit, name)
					add(unitMembers(members, name)...)
					continue
				}
				m, err := mentionedMember(members, name)
				if err != nil {
					return nil, "", "", err
				}
				add(m)
			}
		case units[w]:
			unit = cmpOr(unit, w)
			add(unitMembers(members, w)...)
		default:
			if len(assignees) == 0 {
				return nil, "", "", errNoObject(units, w)
			}
			return assignees, unit, rest, nil
		}
		rest = after
	}
	if len(assignees) == 0 {
		return nil, "", "", errNoObject(units, "")
	}
	return assignees, unit, "", nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// mentionedMember finds the bound member an "@name" means: by the registered
// name or by the name the group shows now.
func mentionedMember(members []*qunzhu.Member, name string) (*qunzhu.Member, error) {
	var unbound *qunzhu.Member
	for _, m := range members {
		if !qunzhu.ShownAs(m, name) && m.Identity.DisplayName != name && m.Identity.NickName != name {
			continue
		}
		if m.Bound {
			return m, nil
		}
		unbound = m
	}
	if unbound != nil {
		return nil, qunzhu.Errorf(qunzhu.EINVALID,
			"%s还没有认证身份，不能接收督办：请让%s发送 /认证 <认证码>（认证码用 /成员 认证码 %s 重发），或者督办给单位。例：%s",
			unbound.Name, unbound.Name, unbound.Name, exampleTask)
	}
	return nil, qunzhu.Errorf(qunzhu.ENOTFOUND,
		"本群没有已认证的成员「%s」。请先登记：/成员 添加 %s 单位=市城管委，或者督办给单位。例：%s", name, name, exampleTask)
}

// unitMembers are a unit's registered members in the group, bound or not: a
// unit is named so that everyone of it is on the hook.
func unitMembers(members []*qunzhu.Member, unit string) []*qunzhu.Member {
	var out []*qunzhu.Member
	for _, m := range members {
		if m.Unit == unit {
			out = append(out, m)
		}
	}
	return out
}

// errNoObject is the refusal of a /督办 that names nobody, with the units the
// group has so the sender can pick one.
func errNoObject(units map[string]bool, first string) error {
	if looksLikeUnit(first) {
		return errUnknownUnit(first, units)
	}
	return qunzhu.Errorf(qunzhu.EINVALID,
		"请先写督办对象（@成员 或单位名），再写事项。%s例：%s 或 %s", knownUnits(units), exampleTask, exampleTaskMention)
}

// splitWord cuts the first word off s, with the separators Parse uses.
func splitWord(s string) (word, rest string) {
	s = trimLeadingSeps(s)
	i := strings.IndexFunc(s, func(r rune) bool { return isArgSep(fold(r)) })
	if i < 0 {
		return s, ""
	}
	return s[:i], trimLeadingSeps(s[i:])
}

// taskNumber reads a task number as people write it: "23", "#23", "＃23",
// "第23号".
func taskNumber(s string) (int64, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(foldString(s), "#"), "第"), "号")
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// loadTask finds the task a command names and checks that it belongs to this
// group: tasks belong to the group they were created in.
func loadTask(req *Request, arg, example string) (*qunzhu.Task, error) {
	id, ok := taskNumber(arg)
	if !ok {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "请写上督办编号。例：%s", example)
	}
	task, err := req.Tx.TaskByID(id)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有编号为#%d的督办任务。查看本群的督办：/督办 列表", id)
	} else if err != nil {
		return nil, err
	}
	if task.GroupID != req.In.GroupID {
		return nil, qunzhu.Errorf(qunzhu.EFORBIDDEN, "督办#%d是别的群的，本群不能查看或办理。查看本群的督办：/督办 列表", id)
	}
	return task, nil
}

// taskNumberArg splits "23 已联系施工队" (or "#23，已联系", or the number
// glued to the text, "23已联系施工队") into the number as typed and the text
// after it, or refuses with the example when there is no number.
func taskNumberArg(req *Request, example string) (arg, text string, err error) {
	word, rest := splitWord(req.Cmd.Rest)
	if word == "" {
		return "", "", qunzhu.Errorf(qunzhu.EINVALID, "请写上督办编号。例：%s", example)
	}
	if _, ok := taskNumber(word); !ok {
		folded := []rune(foldString(word))
		i := 0
		for i < len(folded) && (folded[i] == '#' || (folded[i] >= '0' && folded[i] <= '9')) {
			i++
		}
		if _, ok := taskNumber(string(folded[:i])); ok {
			glued := []rune(word)[i:]
			word, rest = string(folded[:i]), strings.TrimSpace(string(glued)+" "+rest)
		}
	}
	return word, strings.TrimSpace(rest), nil
}
