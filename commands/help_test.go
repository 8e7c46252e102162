package commands_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// helpEnv has every feature of this package registered the way the wiring
// does, so /帮助 is what a real group sees.
func helpEnv(t *testing.T) *env {
	e := newEnv(t)
	ts := commands.NewTasks(commands.TaskConfig{})
	e.router.RegisterFamily(commands.FamilyTask, ts.Specs()...)
	commands.NewReports(commands.ReportConfig{}).Register(e.router)
	return e
}

func TestHelp_ListsWhatTheCallerMayRun(t *testing.T) {
	e := helpEnv(t)
	member := e.boundMember(e.group, "赵科长", "市住建局", qunzhu.RoleMember)
	guest := person("路人甲")

	e.send(guest, "/帮助")
	guestHelp := e.reply(guest)
	e.send(member, "@群主助手\u2005/help")
	memberHelp := e.reply(member)
	e.send(e.owner, "／？")
	ownerHelp := e.reply(e.owner)

	tests := []struct {
		who        string
		help       string
		has, hasnt []string
	}{
		{"guest", guestHelp,
			[]string{"【帮助】/帮助 /ping", "【成员】/认证 /成员", "例：/认证 482913", "【督办】/督办", "例：/督办 23", "你还没有认证身份"},
			[]string{"/成员 添加", "/进展", "/办结", "/交作业", "例：/督办 市城管委"}},
		{"member", memberHelp,
			[]string{"【督办】/督办 /进展 /办结 /销号 /退回 /延期 /补图", "例：/督办 23", "【交作业】/交作业 /作业 /补图"},
			[]string{"例：/督办 市城管委", "/成员 添加", "你还没有认证身份"}},
		{"owner", ownerHelp,
			[]string{"【成员】/认证 /成员", "例：/督办 市城管委 修复人民路路灯 限期3天", "详细用法：/帮助 命令名"},
			[]string{"你还没有认证身份", "/task"}},
	}
	for _, tt := range tests {
		for _, s := range tt.has {
			if !strings.Contains(tt.help, s) {
				t.Errorf("%s help lacks %q:\n%s", tt.who, s, tt.help)
			}
		}
		for _, s := range tt.hasnt {
			if strings.Contains(tt.help, s) {
				t.Errorf("%s help shows %q:\n%s", tt.who, s, tt.help)
			}
		}
		if n := strings.Count(tt.help, "\n") + 1; n > 12 {
			t.Errorf("%s help has %d lines, want at most 12:\n%s", tt.who, n, tt.help)
		}
	}
}

// TestHelp_ManyFamiliesStayWithinTwelveLines: commands other features add
// later share one line rather than push /帮助 off the screen.
func TestHelp_ManyFamiliesStayWithinTwelveLines(t *testing.T) {
	e := helpEnv(t)
	for _, name := range []string{"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"} {
		e.router.Register(commands.Spec{Name: "测试" + name, Summary: "测试", Example: "/测试" + name,
			Handle: func(*commands.Request) (string, error) { return "", nil }})
	}
	e.send(e.owner, "/帮助")
	got := e.reply(e.owner)
	if n := strings.Count(got, "\n") + 1; n > 12 {
		t.Errorf("help has %d lines, want at most 12:\n%s", n, got)
	}
	if !strings.Contains(got, "【其他】") || !strings.Contains(got, "/测试癸") {
		t.Errorf("help does not list the extra commands under 其他:\n%s", got)
	}
}

func TestHelp_Detail(t *testing.T) {
	e := helpEnv(t)
	guest := person("路人甲")
	tests := []struct {
		text       string
		has, hasnt []string
	}{
		{"/帮助 成员 添加",
			[]string{"/成员 添加：登记", "谁可以用：群主、管理员", "也可以写：/成员 新增、/成员 登记",
				"例：/成员 添加 张三 单位=市城管委"},
			[]string{"/成员 认证码"}},
		{"/帮助 /成员", // the whole family
			[]string{"/成员：", "谁可以用：所有人", "/成员 添加：", "/成员 认证码："}, nil},
		{"/帮助成员添加", // typed without spaces
			[]string{"/成员 添加："}, []string{"/成员 认证码"}},
		{"/帮助 help", []string{"/帮助：", "谁可以用：所有人", "也可以写：/菜单"}, []string{"/help"}},
		{"/帮助 认证", []string{"/认证：", "例：/认证 482913"}, nil},
		// /督办 assigns for owners and admins only, reads for everyone; never
		// the ASCII alias.
		{"/帮助 督办", []string{"/督办 <对象> <事项> [期限]：派发督办", "谁可以用：群主、管理员；例：/督办 市城管委",
			"/督办 <编号>：查看督办详情", "谁可以用：所有人；例：/督办 23", "/督办 列表", "期限写法：限期3天", "明天下班前"},
			[]string{"/task", "谁可以用：已认证的成员；例：/督办 市城管委"}},
		{"/帮助 办结", []string{"可一次报多件", "最多9张"}, nil},
		{"/帮助 补图", []string{"/补图：", "/补图 作业："}, nil},
	}
	for _, tt := range tests {
		e.send(guest, tt.text)
		got := e.reply(guest)
		for _, s := range tt.has {
			if !strings.Contains(got, s) {
				t.Errorf("%q: reply lacks %q:\n%s", tt.text, s, got)
			}
		}
		for _, s := range tt.hasnt {
			if strings.Contains(got, s) {
				t.Errorf("%q: reply shows %q:\n%s", tt.text, s, got)
			}
		}
		if n := utf8.RuneCountInString(got); n > 600 {
			t.Errorf("%q: %d characters, too long for a phone screen:\n%s", tt.text, n, got)
		}
	}

	e.send(guest, "/帮助 打卡")
	if got, want := e.reply(guest), "没有「/打卡」这个命令。发送 /帮助 查看可用命令，例：/帮助 督办"; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
	e.send(guest, "/帮助 督查")
	if got, want := e.reply(guest), "没有「/督查」这个命令。你是不是要：/督办？例：/帮助 督办"; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
}

// TestHelp_AssignRoleOwner: with tasks.assign_role owner, help says only the
// owner assigns, and an admin is not shown the assigning example.
func TestHelp_AssignRoleOwner(t *testing.T) {
	e := newEnv(t)
	e.router.RegisterFamily(commands.FamilyTask, commands.NewTasks(commands.TaskConfig{AssignRole: qunzhu.RoleOwner}).Specs()...)
	admin := e.boundMember(e.group, "钱主任", "市委办", qunzhu.RoleAdmin)
	e.send(admin, "/帮助")
	if got := e.reply(admin); strings.Contains(got, "例：/督办 市城管委") || !strings.Contains(got, "例：/督办 23") {
		t.Errorf("admin help:\n%s", got)
	}
	e.send(admin, "/帮助 督办")
	if got := e.reply(admin); !strings.Contains(got, "派发督办") || !strings.Contains(got, "谁可以用：群主；") {
		t.Errorf("admin help detail:\n%s", got)
	}
}
