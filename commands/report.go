package commands

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Examples shown with refusals of the 交作业 commands.
const (
	exampleRosterAdd = "/作业 名单 添加 成都市 绵阳市 德阳市"
	exampleSubmit    = "/交作业 本周完成整改3项，剩余2项下周完成"
	exampleView      = "/作业 查看 成都市 上周"
	exampleStats     = "/作业 统计 最近4期"
	maxUnitRunes     = 32
	maxReportRunes   = 4000
	// PictureWindow is how long after /交作业 the sender's picture is attached.
	PictureWindow = 2 * time.Minute
	// attachReport is the picture-slot kind of a report.
	attachReport = "report"
	// familyReport is the /帮助 heading of every 交作业 command.
	familyReport = "交作业"
)

// ReportConfig tunes 交作业. The calendar must be the one the scheduler uses,
// so the deadline a reply announces is the one reminders and summaries keep.
type ReportConfig struct {
	Calendar qunzhu.ReportCalendar // Location defaults to the router's
	// RemindBefore is the reminder lead time when /作业 设置 names none.
	RemindBefore time.Duration
	// LateWindow is how long after a deadline a report still counts as late
	// for that cycle; 0 means until the next deadline.
	LateWindow time.Duration
}

// Reports is the 交作业 feature's command side: /作业 …, /交作业 and the picture
// after it. It also writes the reminder and summary texts the scheduler posts,
// so every sentence of the feature lives in this package.
type Reports struct {
	cfg ReportConfig
}

// NewReports returns the feature; Register plugs it into a router.
func NewReports(cfg ReportConfig) *Reports { return &Reports{cfg: cfg} }

// Register adds the 交作业 commands and the picture handler to r, in the
// order /帮助 lists them.
func (rp *Reports) Register(r *Router) {
	if rp.cfg.Calendar.Location == nil {
		rp.cfg.Calendar.Location = r.Location()
	}
	r.Register(Spec{
		Family:  familyReport,
		Name:    "交作业",
		Aliases: []string{"作业 提交", "提交作业"},
		MinRole: qunzhu.RoleMember,
		Summary: "替本单位交本期作业；再交一次会替换内容（旧版本保留），图片在2分钟内接着发即可附上",
		Example: exampleSubmit,
		Handle:  rp.handleSubmit,
	})
	r.Register(Spec{
		Family:   familyReport,
		Name:     "作业",
		Aliases:  []string{"作业 状态"},
		Summary:  "本期作业谁交了（时间）、谁没交，以及上期的迟交",
		Example:  "/作业 状态",
		Handle:   rp.handleStatus,
		ReadOnly: true,
	})
	r.Register(Spec{
		Family:  familyReport,
		Name:    "作业 查看",
		Summary: "查看某单位某期的作业内容；加“历史”看每一版",
		Example: exampleView,
		// Not read-only: a hand-in with pictures is answered with its own
		// messages, enqueued by the handler.
		Handle: rp.handleView,
	})
	r.Register(Spec{
		Family:   familyReport,
		Name:     "作业 统计",
		Summary:  "最近几期各单位按时、迟交、未交的次数，差的排前面",
		Example:  exampleStats,
		Handle:   rp.handleStats,
		ReadOnly: true,
	})
	r.Register(Spec{
		Family:  familyReport,
		Name:    "作业 名单",
		Summary: "查看要交作业的单位；群主或管理员可添加、移除",
		Example: exampleRosterAdd,
		Handle:  rp.handleRoster,
	})
	r.Register(Spec{
		Family:  familyReport,
		Name:    "作业 设置",
		MinRole: qunzhu.RoleAdmin,
		Summary: "设置交作业周期和截止前提醒",
		Example: exampleSetCycle,
		Handle:  rp.handleSet,
	})
	r.RegisterAttach(attachReport, rp.attachPicture)
	rp.registerPictures(r)
}

// errNoSchedule points the group to /作业 设置.
var errNoSchedule = qunzhu.Errorf(qunzhu.ENOTFOUND,
	"本群还没有设置交作业周期，请群主或管理员先设置。例：%s", exampleSetCycle)

// schedule returns the group's schedule and its current cycle, creating the
// cycles the scheduler has not created yet.
func (rp *Reports) schedule(req *Request) (*qunzhu.ReportSchedule, *qunzhu.ReportCycle, error) {
	s, err := req.Tx.ReportSchedule(req.In.GroupID)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return nil, nil, errNoSchedule
	} else if err != nil {
		return nil, nil, err
	}
	c, err := qunzhu.EnsureReportCycles(req.Tx, s, rp.cfg.Calendar, req.Now)
	return s, c, err
}

// handleRoster shows the roster (名单) or, for owners and admins, adds or
// removes units. A unit with no bound member is still on it and still counted
// as missing; the reply says so, so the owner registers someone.
func (rp *Reports) handleRoster(req *Request) (string, error) {
	if len(req.Cmd.Args) == 0 {
		return rp.rosterText(req)
	}
	verb, units := req.Cmd.Args[0], req.Cmd.Args[1:]
	var add bool
	switch verb {
	case "添加", "增加", "加入", "新增":
		add = true
	case "移除", "删除", "去掉", "减少", "移出":
	default:
		return "", qunzhu.Errorf(qunzhu.EINVALID,
			"不认识「/作业 名单 %s」。可以用：/作业 名单、%s、/作业 名单 移除 德阳市", verb, exampleRosterAdd)
	}
	if err := req.Require(qunzhu.RoleAdmin, "修改交作业名单"); err != nil {
		return "", err
	}
	if len(units) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上单位名称，多个单位用空格或顿号隔开。例：%s", exampleRosterAdd)
	}
	for _, u := range units {
		if utf8.RuneCountInString(u) > maxUnitRunes || strings.ContainsAny(u, "=/") {
			return "", qunzhu.Errorf(qunzhu.EINVALID, "单位名称「%s」不对：请直接写单位名，最多%d个字。例：%s", u, maxUnitRunes, exampleRosterAdd)
		}
	}
	if add {
		return rp.rosterAdd(req, units)
	}
	return rp.rosterRemove(req, units)
}

func (rp *Reports) rosterAdd(req *Request, units []string) (string, error) {
	var added, already []string
	for _, u := range units {
		ok, err := req.Tx.AddRosterUnit(req.In.GroupID, u)
		if err != nil {
			return "", err
		}
		if ok {
			added = append(added, u)
		} else {
			already = append(already, u)
		}
	}
	roster, err := req.Tx.Roster(req.In.GroupID, req.Now)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if len(added) > 0 {
		fmt.Fprintf(&b, "已加入交作业名单：%s。", strings.Join(added, "、"))
	}
	if len(already) > 0 {
		fmt.Fprintf(&b, "%s已在名单上。", strings.Join(already, "、"))
	}
	fmt.Fprintf(&b, "名单共%d个单位。", len(roster))
	bound, err := boundByUnit(req)
	if err != nil {
		return "", err
	}
	var nobody []string
	for _, u := range added {
		if len(bound[u]) == 0 {
			nobody = append(nobody, u)
		}
	}
	if len(nobody) > 0 {
		fmt.Fprintf(&b, "\n%s还没有已认证的成员，请登记：/成员 添加 <名字> 单位=%s", strings.Join(nobody, "、"), nobody[0])
	}
	return b.String(), nil
}

func (rp *Reports) rosterRemove(req *Request, units []string) (string, error) {
	var removed, absent []string
	for _, u := range units {
		ok, err := req.Tx.RemoveRosterUnit(req.In.GroupID, u)
		if err != nil {
			return "", err
		}
		if ok {
			removed = append(removed, u)
		} else {
			absent = append(absent, u)
		}
	}
	if len(removed) == 0 {
		roster, err := req.Tx.Roster(req.In.GroupID, req.Now)
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("「%s」不在交作业名单上。%s", strings.Join(absent, "、"), rosterLine(roster))
		if len(roster) > 0 {
			msg += "例：/作业 名单 移除 " + roster[0].Unit
		} else {
			msg += "例：" + exampleRosterAdd
		}
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "%s", msg)
	}
	msg := fmt.Sprintf("已从交作业名单移除：%s。", strings.Join(removed, "、"))
	if len(absent) > 0 {
		msg += fmt.Sprintf("%s本来就不在名单上。", strings.Join(absent, "、"))
	}
	return msg + "以前各期的记录保留。", nil
}

// rosterText lists the roster with the bound members of each unit.
func (rp *Reports) rosterText(req *Request) (string, error) {
	roster, err := req.Tx.Roster(req.In.GroupID, req.Now)
	if err != nil {
		return "", err
	}
	if len(roster) == 0 {
		return "本群还没有交作业名单。群主或管理员可添加：" + exampleRosterAdd, nil
	}
	bound, err := boundByUnit(req)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "交作业名单（%d个单位）：", len(roster))
	for _, u := range roster {
		if names := bound[u.Unit]; len(names) > 0 {
			fmt.Fprintf(&b, "\n%s：%s", u.Unit, strings.Join(names, "、"))
		} else {
			fmt.Fprintf(&b, "\n%s：还没有已认证的成员", u.Unit)
		}
	}
	return b.String(), nil
}

// rosterLine is "名单：成都市、绵阳市。" or a hint to create one.
func rosterLine(roster []*qunzhu.RosterUnit) string {
	if len(roster) == 0 {
		return "本群还没有交作业名单。"
	}
	return "名单：" + strings.Join(unitNames(roster), "、") + "。"
}

// boundByUnit maps each unit to the names of its bound members.
func boundByUnit(req *Request) (map[string][]string, error) {
	members, err := req.Tx.Members(req.In.GroupID)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, m := range members {
		if m.Bound {
			out[m.Unit] = append(out[m.Unit], m.Name)
		}
	}
	return out, nil
}

func unitNames(roster []*qunzhu.RosterUnit) []string {
	out := make([]string, len(roster))
	for i, u := range roster {
		out[i] = u.Unit
	}
	return out
}

// expectedUnits are the units that must hand in for c: the roster at its deadline.
func expectedUnits(tx qunzhu.Tx, c *qunzhu.ReportCycle) ([]string, error) {
	roster, err := tx.Roster(c.GroupID, c.Deadline)
	if err != nil {
		return nil, err
	}
	return unitNames(roster), nil
}

// cycleStatus loads the status of c.
func cycleStatus(tx qunzhu.Tx, c *qunzhu.ReportCycle) (qunzhu.CycleStatus, error) {
	return qunzhu.LoadCycleStatus(tx, c)
}

// onRoster reports whether unit is among roster.
func onRoster(roster []*qunzhu.RosterUnit, unit string) bool {
	return slices.ContainsFunc(roster, func(u *qunzhu.RosterUnit) bool { return u.Unit == unit })
}
