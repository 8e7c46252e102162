package commands_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

func TestHelp_ListsWhatTheCallerMayRun(t *testing.T) {
	e := newEnv(t)
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
			[]string{"/帮助：", "/ping：", "/认证：", "例：/认证 482913", "你还没有认证身份"},
			[]string{"/成员：", "/成员 添加", "/成员 认证码"}},
		{"member", memberHelp,
			[]string{"/帮助：", "/认证：", "/成员：", "例：/成员 列表"},
			[]string{"/成员 添加", "/成员 认证码", "你还没有认证身份"}},
		{"owner", ownerHelp,
			[]string{"/帮助：", "/成员：", "/成员 添加：", "例：/成员 添加 张三 单位=市城管委", "/成员 认证码："},
			[]string{"你还没有认证身份"}},
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
	}
}

func TestHelp_Detail(t *testing.T) {
	e := newEnv(t)
	guest := person("路人甲")
	tests := []struct {
		text       string
		has, hasnt []string
	}{
		{"/帮助 成员 添加",
			[]string{"/成员 添加：登记一位成员", "谁可以用：群主、管理员", "也可以写：/成员 新增、/成员 登记",
				"例：/成员 添加 张三 单位=市城管委"},
			[]string{"/成员 认证码"}},
		{"/帮助 /成员", // the whole family
			[]string{"/成员：", "谁可以用：已认证的成员", "/成员 添加：", "/成员 认证码："}, nil},
		{"/帮助成员添加", // typed without spaces
			[]string{"/成员 添加："}, []string{"/成员 认证码"}},
		{"/帮助 help", []string{"/帮助：", "谁可以用：所有人", "也可以写：/help、/?、/菜单"}, nil},
		{"/帮助 认证", []string{"/认证：", "例：/认证 482913"}, nil},
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
	}

	e.send(guest, "/帮助 打卡")
	if got, want := e.reply(guest), "没有「/打卡」这个命令。发送 /帮助 查看可用命令。"; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
}
