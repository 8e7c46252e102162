package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// The env starts on Monday 2025-06-02 09:00: 端午 2025 (05-31) has passed, so
// the next one is 2026-06-19.

func TestFestivalSet(t *testing.T) {
	e := newBroadcastEnv(t)
	e.send(e.owner, "/节日 设置 端午节 9:00 {节日}安康！{群名}的同志们辛苦了！")
	got := e.reply(e.owner)
	for _, want := range []string{
		"已设置节日祝福（编号1）：每年端午节 09:00 发往3个群：成都市城市管理工作群、锦江区街道工作群、防汛值班群",
		"下次：2026年6月19日（周五）09:00",
		"本群收到的样子：端午节安康！成都市城市管理工作群的同志们辛苦了！",
		"要附图片，请在2分钟内发一张图片。取消：/节日 取消 端午",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	e.sendPicture(e.owner, "zongzi.png")
	if got := e.reply(e.owner); got != "图片已附到端午祝福（编号1），每年会跟在文字后面发出。" {
		t.Errorf("picture reply = %q", got)
	}

	// Set again: replaced, not doubled.
	e.send(e.owner, "/节日 设置 端午 上午10点半 端午安康")
	if got := e.reply(e.owner); !strings.Contains(got, "已更新节日祝福（编号1）：每年端午节 10:30") {
		t.Errorf("reset = %q", got)
	}
	e.send(e.owner, "/节日 设置 中秋 下午3点 {节日}快乐，阖家团圆")
	if got := e.reply(e.owner); !strings.Contains(got, "下次：10月6日（周一）15:00") {
		t.Errorf("中秋 = %q", got)
	}

	e.send(e.owner, "/节日 列表")
	got = e.reply(e.owner)
	for _, want := range []string{
		"本群设置的节日祝福（每年自动发送）：",
		"#2 中秋：下次10月6日（周一）15:00，3个群，王书记设置：{节日}快乐，阖家团圆",
		"#1 端午：下次2026年6月19日（周五）10:30，3个群，王书记设置：端午安康",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks %q:\n%s", want, got)
		}
	}
	// 儿童节 (06-01) has passed; 端午 2025 (05-31) too.
	if !strings.Contains(got, "近期节日：\n建党节 7月1日（周二）\n建军节 8月1日（周五）\n七夕 8月29日（周五）") {
		t.Errorf("upcoming festivals wrong:\n%s", got)
	}
}

func TestFestivalSet_Refusals(t *testing.T) {
	e := newBroadcastEnv(t)
	member := e.boundMember(e.group, "赵科长", "市住建局", qunzhu.RoleMember)
	tests := []struct {
		who        qunzhu.Identity
		text, want string
	}{
		{e.owner, "/节日 设置", "请写上节日、时间和内容。例：/节日 设置 端午 9:00 {节日}安康！{群名}的同志们辛苦了"},
		{e.owner, "/节日 设置 圣诞节 9:00 圣诞快乐", "不认识节日「圣诞节」。可以设置：元旦、腊八、除夕、春节、元宵"},
		{e.owner, "/节日 设置 端午 祝大家端午安康", "请在节日后面写上发送的钟点，如 9:00、上午9点、下午3点半。"},
		{e.owner, "/节日 设置 端午 明天9点 祝大家端午安康", "请在节日后面写上发送的钟点"},
		{e.owner, "/节日 设置 端午 9:00", "请写上祝福的内容。"},
		{member, "/节日 设置 端午 9:00 端午安康", "只有群主可以使用 /节日 设置。"},
		{e.owner, "/节日 取消 中秋", "本群没有设置「中秋」的节日祝福。"},
		{e.owner, "/节日 取消", "请写上要取消的节日或编号。"},
	}
	for _, tt := range tests {
		e.send(tt.who, tt.text)
		if got := e.reply(tt.who); !strings.Contains(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestFestivalCancel(t *testing.T) {
	e := newBroadcastEnv(t)
	deputy := e.boundMember(e.group, "李副书记", "市委", qunzhu.RoleOwner)
	e.send(e.owner, "/节日 设置 国庆 9:00 祝大家{节日}快乐")
	e.reply(e.owner)
	e.send(deputy, "/节日 取消 国庆")
	if got := e.reply(deputy); got != "只有设置人王书记可以取消这条节日祝福（编号1）。" {
		t.Errorf("cancel by another owner = %q", got)
	}
	e.send(e.owner, "/节日 取消 国庆节")
	if got := e.reply(e.owner); got != "已取消国庆祝福（编号1），以后不再发送。" {
		t.Errorf("cancel = %q", got)
	}
	e.send(e.owner, "/节日")
	if got := e.reply(e.owner); !strings.HasPrefix(got, "本群还没有设置节日祝福。") {
		t.Errorf("list after cancel = %q", got)
	}
	// A cancelled greeting can be set again.
	e.send(e.owner, "/节日 设置 国庆 9:00 祝大家{节日}快乐")
	if got := e.reply(e.owner); !strings.Contains(got, "已设置节日祝福（编号2）") {
		t.Errorf("set again = %q", got)
	}
	e.clock.Advance(time.Minute)
	e.send(e.owner, "/节日 取消 #2")
	if got := e.reply(e.owner); got != "已取消国庆祝福（编号2），以后不再发送。" {
		t.Errorf("cancel by number = %q", got)
	}
}

// TestFestivalSet_FromAnotherGroupReplaces: the same owner setting the same
// festival from another of their groups replaces the first greeting (with
// its picture) rather than adding a second one that would greet every group
// twice.
func TestFestivalSet_FromAnotherGroupReplaces(t *testing.T) {
	e := newBroadcastEnv(t)
	e.send(e.owner, "/节日 设置 中秋 9:00 {节日}快乐！")
	e.reply(e.owner)
	e.sendPicture(e.owner, "moon.png")
	e.reply(e.owner)

	e.sendIn(e.street, "street-1", e.owner, "/节日 设置 中秋节 上午10点 中秋节快乐，街道的同志们辛苦了")
	got := texts(e.sent())
	want := "已更新节日祝福（编号2，替换在「成都市城市管理工作群」设置的编号1）：每年中秋节 10:00 发往3个群"
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Fatalf("set from another group = %q, want %q", got, want)
	}
	e.send(e.owner, "/节日 列表")
	if got := e.reply(e.owner); !strings.HasPrefix(got, "本群还没有设置节日祝福。") {
		t.Errorf("list in the first group = %q, want none left there", got)
	}
	err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) error {
		first, err := tx.GreetingByID(1)
		if err != nil {
			return err
		}
		second, err := tx.GreetingByID(2)
		if err != nil {
			return err
		}
		if first.Status != qunzhu.GreetingCancelled || second.Status != qunzhu.GreetingActive {
			t.Errorf("statuses = %s, %s; want cancelled, active", first.Status, second.Status)
		}
		if second.ImageID == 0 || second.ImageID != first.ImageID {
			t.Errorf("picture of the replacement = %d, want the first one's %d", second.ImageID, first.ImageID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
