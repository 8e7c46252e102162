package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

func newSnapshotEnv(t *testing.T) *taskEnv {
	e := newTaskEnv(t, commands.TaskConfig{})
	(&commands.Snapshots{}).Register(e.router)
	return e
}

func TestSnapshotText(t *testing.T) {
	for _, tt := range []struct{ in, text, place string }{
		{"福州路河南路口井盖缺失 地点=福州路河南路口", "福州路河南路口井盖缺失", "福州路河南路口"},
		{"井盖缺失，地点：福州路河南路口东侧", "井盖缺失", "福州路河南路口东侧"},
		{"井盖缺失 位置 福州路 近河南路", "井盖缺失", "福州路 近河南路"},
		{"事发地点不明的垃圾堆", "事发地点不明的垃圾堆", ""},
		{"人民路占道经营", "人民路占道经营", ""},
	} {
		text, place := commands.SnapshotText(tt.in)
		if text != tt.text || place != tt.place {
			t.Errorf("%q: %q %q, want %q %q", tt.in, text, place, tt.text, tt.place)
		}
	}
}

// TestSnapshotToTask: a member reports a problem with two photos; the owner
// lists it and makes it a task whose subject and detail come from it.
func TestSnapshotToTask(t *testing.T) {
	e := newSnapshotEnv(t)
	got := e.say(e.sun, "/随手拍 福州路河南路口井盖缺失，地点：福州路河南路口")
	if want := "已记录随手拍1（6月2日（周一）09:00，地点：福州路河南路口）：福州路河南路口井盖缺失。请在2分钟内接着发现场照片（最多9张）。"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	e.sendPicture(e.sun, "\x89PNG 井盖1")
	e.reply(e.sun)
	e.sendPicture(e.sun, "\x89PNG 井盖2")
	if got := e.reply(e.sun); got != "已收到随手拍1的照片（第2张）。" {
		t.Errorf("picture: %q", got)
	}
	if got := e.say(e.sun, "/随手拍 列表"); !strings.Contains(got, "只有群主或管理员可以") {
		t.Errorf("member list: %q", got)
	}
	if got := e.say(e.sun, "/随手拍"); !strings.Contains(got, "例：/随手拍 ") {
		t.Errorf("empty: %q", got)
	}
	got = e.say(e.owner, "/随手拍 列表")
	if !strings.Contains(got, "随手拍1 福州路河南路口井盖缺失｜孙干事 6月2日（周一）09:00｜福州路河南路口｜照片2张") {
		t.Errorf("list: %q", got)
	}
	if got := e.say(e.sun, "/督办 随手拍1 市城管委"); !strings.Contains(got, "只有群主或管理员可以派发督办") {
		t.Errorf("member assigns: %q", got)
	}
	got = e.say(e.owner, "/督办 随手拍1 市城管委 限期3天")
	if !strings.Contains(got, "【督办#1】福州路河南路口井盖缺失\n责任单位：市城管委") ||
		!strings.Contains(got, "来源：随手拍1（孙干事报告于6月2日（周一）09:00，地点：福州路河南路口）") {
		t.Errorf("card: %q", got)
	}
	if got := e.say(e.owner, "/督办 随手拍1 市城管委"); !strings.Contains(got, "随手拍1已经转为督办#1") {
		t.Errorf("twice: %q", got)
	}
	if got := e.say(e.owner, "/督办 随手拍 9 市城管委"); !strings.Contains(got, "本群没有随手拍9") {
		t.Errorf("unknown: %q", got)
	}
	if got := e.say(e.owner, "/随手拍 列表"); !strings.Contains(got, "还没有待处理的随手拍") {
		t.Errorf("list after: %q", got)
	}
	if got := e.say(e.li, "/督办 1"); !strings.Contains(got, "来源：随手拍1，孙干事报告于6月2日（周一）09:00，地点：福州路河南路口，照片2张") {
		t.Errorf("detail: %q", got)
	}
}

// shareLink delivers an article shared by sender, as the adapter does.
func (e *taskEnv) shareLink(sender qunzhu.Identity, title, url string) {
	e.t.Helper()
	e.seq++
	if err := e.router.Handle(e.t.Context(), &qunzhu.Inbound{ID: "link-" + title, GroupID: e.group.ID,
		Sender: sender, Link: &qunzhu.Link{Title: title, URL: url}, At: e.clock.Now()}); err != nil {
		e.t.Fatal(err)
	}
}

// TestArticleToTask: an article shared and a /督办 with only the object and
// the deadline within two minutes make a task titled like the article.
func TestArticleToTask(t *testing.T) {
	e := newSnapshotEnv(t)
	const url = "https://mp.weixin.qq.com/s/AbCdEf123"
	e.shareLink(e.li, "黄浦区福州路违章建筑群众反映强烈", url)
	e.noReply() // sharing is silent
	e.clock.Advance(time.Minute)
	got := e.say(e.owner, "/督办 市城管委 周五")
	if !strings.Contains(got, "【督办#1】黄浦区福州路违章建筑群众反映强烈") || !strings.Contains(got, "原文："+url) {
		t.Errorf("card: %q", got)
	}
	if got := e.say(e.li, "/督办 1"); !strings.Contains(got, "原文：《黄浦区福州路违章建筑群众反映强烈》"+url) {
		t.Errorf("detail: %q", got)
	}
	// One article makes one task.
	if got := e.say(e.owner, "/督办 市城管委 周五"); !strings.Contains(got, "请写上督办事项") {
		t.Errorf("second: %q", got)
	}
	// Too late: more than two minutes after the article.
	e.shareLink(e.li, "另一篇文章", url+"2")
	e.clock.Advance(2*time.Minute + time.Second)
	if got := e.say(e.owner, "/督办 市城管委 周五"); !strings.Contains(got, "请写上督办事项") {
		t.Errorf("late: %q", got)
	}
	// A typed subject wins over the article.
	e.shareLink(e.li, "第三篇文章", url+"3")
	if got := e.say(e.owner, "/督办 市城管委 修复人民路路灯 周五"); !strings.Contains(got, "【督办#2】修复人民路路灯") ||
		strings.Contains(got, "原文") {
		t.Errorf("typed: %q", got)
	}
	// A reply quoting the article takes it however late it comes.
	e.shareLink(e.li, "第四篇文章", url+"4")
	e.clock.Advance(3 * time.Hour)
	e.seq++
	if err := e.router.Handle(t.Context(), &qunzhu.Inbound{ID: "quote-1", GroupID: e.group.ID, Sender: e.owner,
		Member: e.member(e.group, "王书记"), Text: "/督办 市城管委 周五", QuotedID: "link-第四篇文章", At: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := e.reply(e.owner); !strings.Contains(got, "【督办#3】第四篇文章") || !strings.Contains(got, "原文："+url+"4") {
		t.Errorf("quoting reply: %q", got)
	}
	// Links that are not web pages are not kept.
	e.shareLink(e.li, "第五篇文章", url+"5")
	e.shareLink(e.li, "小程序", "weixin://dl/business")
	if got := e.say(e.owner, "/督办 市城管委 周五"); !strings.Contains(got, "【督办#4】第五篇文章") {
		t.Errorf("after a non-web link: %q", got)
	}
}
