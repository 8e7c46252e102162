package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// exportEnv registers /导出 and /后台 with a link maker that records what
// was asked for.
func exportEnv(t *testing.T) (*env, *[]qunzhu.ExportRequest) {
	e := newEnv(t)
	var asked []qunzhu.ExportRequest
	link := func(r qunzhu.ExportRequest) (string, time.Time) {
		asked = append(asked, r)
		return "https://qz.example/ui/download?t=SIGNED", start.Add(24 * time.Hour)
	}
	for _, s := range commands.NewExports(link).Specs() {
		e.router.Register(s)
	}
	return e, &asked
}

func TestExport_TasksThisMonth(t *testing.T) {
	e, asked := exportEnv(t)
	e.send(e.owner, "/导出 督办 本月")
	reply := e.reply(e.owner)
	for _, want := range []string{"督办台账（本月：6月1日—6月30日）已生成：https://qz.example/ui/download?t=SIGNED",
		"6月3日09:00 前有效", "督办台账-本月.xlsx"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply %q lacks %q", reply, want)
		}
	}
	if len(*asked) != 1 {
		t.Fatalf("asked %d links", len(*asked))
	}
	r := (*asked)[0]
	if r.Kind != qunzhu.ExportTasks || r.GroupID != e.group.ID || !r.Since.Equal(time.Date(2025, 6, 1, 0, 0, 0, 0, start.Location())) ||
		!r.Until.Equal(time.Date(2025, 7, 1, 0, 0, 0, 0, start.Location())) {
		t.Errorf("request %+v", r)
	}
}

func TestExport_ReportsAndDefaults(t *testing.T) {
	e, asked := exportEnv(t)
	for text, want := range map[string]int{"/导出 作业 最近8期": 8, "/导出 作业 最近 12 期": 12, "/导出 作业": 8, "/导出 作业 3": 3} {
		e.send(e.owner, text)
		reply := e.reply(e.owner)
		r := (*asked)[len(*asked)-1]
		if r.Kind != qunzhu.ExportReports || r.Cycles != want || !strings.Contains(reply, "作业汇总（最近") {
			t.Errorf("%s: %+v, reply %q", text, r, reply)
		}
	}
	e.send(e.owner, "/导出 督办")
	if r := (*asked)[len(*asked)-1]; r.Label != "本月" {
		t.Errorf("/导出 督办 without a period: label %q, want 本月", r.Label)
	}
}

func TestExport_BadInputChangesNothing(t *testing.T) {
	e, asked := exportEnv(t)
	member := e.boundMember(e.group, "李局长", "市城管委", qunzhu.RoleMember)
	for _, tt := range []struct {
		who  qunzhu.Identity
		text string
		want string
	}{
		{e.owner, "/导出", "请写要导出什么"},
		{e.owner, "/导出 会议纪要", "只能导出 督办 或 作业"},
		{e.owner, "/导出 督办 明年", "不认识导出范围「明年」"},
		{e.owner, "/导出 作业 最近100期", "1 到 52"},
		{e.owner, "/导出 作业 最近零期", "1 到 52"},
		{member, "/导出 督办 本月", "管理员"},
	} {
		e.send(tt.who, tt.text)
		if reply := e.reply(tt.who); !strings.Contains(reply, tt.want) {
			t.Errorf("%s: reply %q lacks %q", tt.text, reply, tt.want)
		}
	}
	if len(*asked) != 0 {
		t.Errorf("refused commands made %d links", len(*asked))
	}
}

func TestDashboardCommand_NoLinkInTheGroup(t *testing.T) {
	e, asked := exportEnv(t)
	e.send(e.owner, "/后台")
	reply := e.reply(e.owner)
	for _, want := range []string{"@王书记\u2005", "不在群里发", "IT 管理员", "群主链接"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply %q lacks %q", reply, want)
		}
	}
	if strings.Contains(reply, "http") || len(*asked) != 0 {
		t.Errorf("/后台 put a link into the group: %q", reply)
	}
	admin := e.boundMember(e.group, "王主任", "区委办", qunzhu.RoleAdmin)
	e.send(admin, "/后台")
	if reply := e.reply(admin); !strings.Contains(reply, "群主") {
		t.Errorf("an admin's /后台: %q, want a refusal naming 群主", reply)
	}
}

// TestExport_NoPublicURL: without public_url the link would be relative,
// useless in a chat; the command says so instead of posting it.
func TestExport_NoPublicURL(t *testing.T) {
	e := newEnv(t)
	for _, s := range commands.NewExports(func(qunzhu.ExportRequest) (string, time.Time) {
		return "/ui/download?t=X", start.Add(24 * time.Hour)
	}).Specs() {
		e.router.Register(s)
	}
	e.send(e.owner, "/导出 督办 本月")
	if got := e.reply(e.owner); !strings.Contains(got, "public_url") || strings.Contains(got, "/ui/download") {
		t.Errorf("reply %q", got)
	}
}
