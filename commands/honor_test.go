package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

func honorEnv(t *testing.T) *env {
	e := newEnv(t)
	for _, s := range commands.NewHonor(0).Specs() {
		e.router.Register(s)
	}
	ts := commands.NewTasks(commands.TaskConfig{})
	for _, s := range ts.Specs() {
		e.router.Register(s)
	}
	return e
}

func TestPraiseAndBoard(t *testing.T) {
	e := honorEnv(t)
	li := e.boundMember(e.group, "李局长", "市城管委", qunzhu.RoleMember)
	e.boundMember(e.group, "赵处长", "市水务局", qunzhu.RoleMember)
	e.send(e.owner, "/督办 市城管委 修复人民路路灯 限期1天")
	e.sent()
	e.send(e.owner, "/督办 市水务局 疏通下水道 限期3天")
	e.sent()

	e.send(e.owner, "/点赞 1 路灯当天就修好了")
	if got := e.reply(e.owner); !strings.Contains(got, "👍【点赞】王书记为市城管委（督办#1）点赞：路灯当天就修好了") {
		t.Errorf("praise by number: %q", got)
	}
	e.send(e.owner, "/点赞 市水务局 汛期准备充分")
	if got := e.reply(e.owner); !strings.Contains(got, "王书记为市水务局点赞：汛期准备充分") {
		t.Errorf("praise by unit: %q", got)
	}
	for _, tt := range []struct {
		who        qunzhu.Identity
		text, want string
	}{
		{li, "/点赞 市城管委 自己夸自己", "群主"},
		{e.owner, "/点赞", "请写上督办编号或单位"},
		{e.owner, "/点赞 市城管委", "请写上督办编号或单位"},
		{e.owner, "/点赞 市教育局 好", "本群没有单位「市教育局」"},
		{e.owner, "/点赞 99 好", "没有编号为#99"},
		{e.owner, "/点赞 市城管委 " + strings.Repeat("好", 201), "最多200个字"},
	} {
		e.send(tt.who, tt.text)
		if got := e.reply(tt.who); !strings.Contains(got, tt.want) {
			t.Errorf("%.40s: %q lacks %q", tt.text, got, tt.want)
		}
	}

	// Two days later the lamp is a day overdue; the water task is not.
	e.clock.Advance(48 * time.Hour)
	e.send(li, "/红黑榜")
	board := e.reply(li)
	for _, want := range []string{"【红黑榜】", "🔴 红榜", "1. 市水务局：获点赞1次（王书记：汛期准备充分）",
		"⚫ 黑榜", "1. 市城管委：最长逾期1天（逾期1项）"} {
		if !strings.Contains(board, want) {
			t.Errorf("board lacks %q:\n%s", want, board)
		}
	}
	// A unit on the 黑榜 is not on the 红榜, praise or not.
	if red := board[:strings.Index(board, "⚫")]; strings.Contains(red, "市城管委") {
		t.Errorf("市城管委 is overdue but on the 红榜:\n%s", board)
	}
}

// TestHelpListsTheNewCommandsByRole: an owner's /帮助 shows /导出, /后台,
// /红黑榜 and /点赞 with examples; a member's only /红黑榜.
func TestHelpListsTheNewCommandsByRole(t *testing.T) {
	e := honorEnv(t)
	for _, s := range commands.NewExports(func(qunzhu.ExportRequest) (string, time.Time) { return "", time.Time{} }).Specs() {
		e.router.Register(s)
	}
	member := e.boundMember(e.group, "李局长", "市城管委", qunzhu.RoleMember)
	e.send(e.owner, "/帮助")
	owner := e.reply(e.owner)
	for _, want := range []string{"/导出", "/后台", "/红黑榜", "/点赞"} {
		if !strings.Contains(owner, want) {
			t.Errorf("owner's /帮助 lacks %q:\n%s", want, owner)
		}
	}
	e.send(member, "/帮助")
	got := e.reply(member)
	if !strings.Contains(got, "/红黑榜") || strings.Contains(got, "/点赞") || strings.Contains(got, "/导出") || strings.Contains(got, "/后台") {
		t.Errorf("member's /帮助:\n%s", got)
	}
}
