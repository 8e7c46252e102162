package commands_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/commands"
)

// TestIntent: what people type when they mean a command but do not write it
// exactly: the bot's name first, a space after the slash, a colon after the
// command word. Each is run as the command.
func TestIntent(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	ts := commands.NewTasks(commands.TaskConfig{})
	for _, s := range ts.Specs() {
		e.router.Register(s)
	}
	e.setUp()
	tests := []struct {
		from  string
		text  string
		reply string // a fragment of the answer
	}{
		{"王书记", "@群主助手\u2005帮助", "督办"},
		{"王书记", "@群主助手 ping", "pong"},
		{"王书记", "＠群主助手\u2005督办 列表", "本群未销号的督办"},
		{"王书记", "/ 督办 列表", "本群未销号的督办"},
		{"王书记", "／　督办　列表", "本群未销号的督办"},
		{"王书记", "/  ping", "pong"},
		{"德阳市副市长", "交作业：本周完成整改3项，剩余2项下周完成", "已收到 德阳市"},
		{"成都市副市长", "交作业:本周完成整改5项", "已收到 成都市"},
		{"绵阳市副市长", "交作业 ： 本周完成整改1项", "已收到 绵阳市"},
		{"王书记", "督办：列表", "本群未销号的督办"},
		{"成都市副市长", "作业：本周完成整改3项，剩余2项下周完成", "要交作业请写 /交作业 加内容，例：/交作业 "},
		{"王书记", "@群主助手\u2005交作业：本周完成3项", "不在本群的交作业名单上"},
		{"王书记", "@群主助手\u2005", "我在"},
		{"王书记", "@群主助手\u2005在吗", "/帮助"},
		{"王书记", "@群主助手\u2005督察 列表", "你是不是要：/督办"},
		{"王书记", "/督察 23", "未知命令「/督察」。你是不是要：/督办"},
		{"王书记", "/交做业 本周完成", "你是不是要：/交作业"},
		{"王书记", "/程员 添加 张三", "你是不是要：/成员"},
	}
	for _, tt := range tests {
		sender := person(tt.from)
		switch tt.from {
		case "王书记":
			sender = e.owner
		case "德阳市副市长":
			sender = e.deyang
		case "成都市副市长":
			sender = e.chengdu
		case "绵阳市副市长":
			sender = e.mianyang
		}
		if got := e.ask(sender, tt.text); !strings.Contains(got, tt.reply) {
			t.Errorf("%q: reply %q, want it to contain %q", tt.text, got, tt.reply)
		}
	}
}

// TestIntentIgnoresChatter: a colon, a mention or a spaced slash in ordinary
// talk is not a command.
func TestIntentIgnoresChatter(t *testing.T) {
	e := newEnv(t)
	for _, text := range []string{
		"收到：明天上午到",
		"注意：本周五交作业",
		"@李局长\u2005帮助一下",
		"/ 今天下午开会",
		"ping: 8.8.8.8",
		"作业情况：良好",
	} {
		e.send(e.owner, text)
	}
	e.noReply()
}

// TestIntentHugeInput: a 1 MiB message addressed to the bot, or a colon after
// a megabyte, is answered at once with the one-line hint or ignored.
func TestIntentHugeInput(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("督", 1<<20/3)
	e.send(e.owner, "@群主助手\u2005"+big)
	if got := e.reply(e.owner); !strings.Contains(got, "/帮助") {
		t.Errorf("reply %q", got[:min(len(got), 80)])
	}
	e.send(e.owner, big+"：帮助") // not a command word before the colon
	e.noReply()
	e.send(e.owner, "帮助："+big) // help on a command that does not exist
	if got := e.reply(e.owner); utf8.RuneCountInString(got) > 100 || !strings.Contains(got, "没有「/督督督") {
		t.Errorf("reply of %d runes: %q", utf8.RuneCountInString(got), got[:min(len(got), 120)])
	}
}
