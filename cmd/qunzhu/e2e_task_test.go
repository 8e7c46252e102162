package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// These tests use 督办 as people in 区委干部工作群 would: 张书记 (the
// configured owner) registers colleagues, hands out a task, and the group
// reads the cards, replies and escalation notices the bot posts.

// taskAsk posts text as from and returns the bot's answer to from (a reply
// starts with a mention of its sender).
func (d *demo) taskAsk(from, text string) string {
	d.t.Helper()
	seq := d.lastSeq(cadres)
	d.say(cadres, from, text)
	return d.expectFromBot(cadres, seq, "@"+from+"\u2005").Text
}

// taskAskUntil repeats a command until its answer contains want: the
// configured owner is bound by display name during the first login, so a
// first command may come before that.
func (d *demo) taskAskUntil(from, text, want string) string {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := d.taskAsk(from, text)
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s %q: answer %q, want %q", from, text, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// taskBind has 张书记 register name in unit, and name bind with the code.
func (d *demo) taskBind(name, unit string) {
	d.t.Helper()
	after := d.lastSeq(cadres)
	d.taskAskUntil("张书记", fmt.Sprintf("/成员 添加 %s 单位=%s", name, unit), "认证码已私信")
	code := d.privateCode("张书记", after)
	if got := d.taskAsk(name, "/认证 "+code); !strings.Contains(got, name+" 已认证") {
		d.t.Fatalf("%s binding: %q", name, got)
	}
}

// taskPicture posts a real PNG (a photo of the repaired street lamp, roughly)
// as from.
func (d *demo) taskPicture(from string) {
	d.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 12, 12))
	for i := range 12 {
		img.Set(6, i, color.RGBA{R: 90, G: 90, B: 90, A: 255})
		img.Set(i/2+3, 1, color.RGBA{R: 250, G: 220, B: 40, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		d.t.Fatal(err)
	}
	code, body := d.postJSON(d.emu+"/_emu/groups/"+url.PathEscape(cadres)+"/messages",
		map[string]string{"from": from, "image_base64": base64.StdEncoding.EncodeToString(buf.Bytes())})
	if code != http.StatusAccepted {
		d.t.Fatalf("post picture: %d %s", code, body)
	}
}

// taskAdvance jumps the demo clock (which ticks the scheduler at once).
func (d *demo) taskAdvance(by string) {
	d.t.Helper()
	if code, body := d.postJSON(d.http+"/_demo/clock", map[string]string{"advance": by}); code != http.StatusOK {
		d.t.Fatalf("advance clock by %s: %d %s", by, code, body)
	}
}

// taskCount counts the bot's messages in the group that contain s.
func (d *demo) taskCount(s string) int {
	d.t.Helper()
	n := 0
	for _, m := range d.messages(cadres, 0) {
		if m.From == "群主助手" && strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

var taskCardNumber = regexp.MustCompile(`【督办#(\d+)】`)

// taskAssign hands out a task as 张书记 and returns its number.
func (d *demo) taskAssign(text string) (string, string) {
	d.t.Helper()
	card := d.taskAskUntil("张书记", text, "【督办#")
	return regexpFind(d.t.(*testing.T), taskCardNumber.String(), card), card
}

// TestDemoTaskLifecycle: a task to a unit, progress, done with a picture, a
// member refused closing it, the owner closing it, and the statistics before,
// while open and after.
func TestDemoTaskLifecycle(t *testing.T) {
	d := startDemo(t, nil)
	// A working Monday 10:00: "限期3天" is then Thursday 18:00, "还剩3天8小时".
	// From the wall clock, after 18:30 in Beijing the card said "还剩2天23小时".
	d.workingMonday()
	d.taskBind("李局长", "市城管委")
	d.taskBind("孙干事", "区委办")

	if got := d.taskAsk("张书记", "/督办 统计"); !strings.Contains(got, "还没有督办任务") {
		t.Fatalf("stats before: %q", got)
	}
	n, card := d.taskAssign("/督办 市城管委 修复人民路路灯 限期3天")
	for _, want := range []string{"修复人民路路灯", "责任单位：市城管委 @李局长\n期限：", "还剩3天", "督办人：张书记", "/进展 " + n} {
		if !strings.Contains(card, want) {
			t.Errorf("card %q lacks %q", card, want)
		}
	}
	if got := d.taskAsk("李局长", "/进展 "+n+" 已联系施工队，明天进场"); !strings.Contains(got, "已记录督办#"+n+"「修复人民路路灯」的进展") {
		t.Errorf("progress: %q", got)
	}
	if got := d.taskAsk("李局长", "/办结 "+n+" 路灯已修复"); !strings.Contains(got, "等待@张书记\u2005核实销号：/销号 "+n) {
		t.Errorf("done: %q", got)
	}
	seq := d.lastSeq(cadres)
	d.taskPicture("李局长")
	d.expectFromBot(cadres, seq, "已收到督办#"+n+"的办结照片")

	if got, want := d.taskAsk("孙干事", "/销号 "+n), "只有督办人（张书记）或群主可以给督办#"+n+"销号或退回。"; !strings.Contains(got, want) {
		t.Errorf("member closing: %q, want %q", got, want)
	}
	// Another group's owner cannot read or close it by its number.
	for _, text := range []string{"/督办 " + n, "/销号 " + n} {
		seq := d.lastSeq("城管工作群")
		d.say("城管工作群", "周局长", text)
		d.expectFromBot("城管工作群", seq, "@周局长\u2005督办#"+n+"是别的群的，本群不能查看或办理。")
	}
	if got, want := d.taskAsk("孙干事", "/督办 统计"), "市城管委：交办1，按期办结0，超期办结0，未办结1"; !strings.Contains(got, want) {
		t.Errorf("stats while open: %q, want %q", got, want)
	}
	if got := d.taskAsk("张书记", "/销号 "+n); !strings.Contains(got, "已销号（市城管委，按期办结）") {
		t.Errorf("close: %q", got)
	}
	if got, want := d.taskAsk("张书记", "/督办 统计"), "市城管委：交办1，按期办结1，超期办结0，未办结0"; !strings.Contains(got, want) {
		t.Errorf("stats after: %q, want %q", got, want)
	}
	detail := d.taskAsk("孙干事", "/督办 "+n)
	for _, want := range []string{"状态：已销号（按期办结）", "张书记 派发", "李局长 进展：已联系施工队，明天进场",
		"李局长 报办结：路灯已修复", "李局长 办结照片", "张书记 销号"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail %q lacks %q", detail, want)
		}
	}
}

// TestDemoTaskEscalation: from a working Monday, the demo clock is moved to a
// day before the deadline, past it, a day further and three days further (a
// Saturday, so the 红牌 waits for Monday morning); the assignee reads the
// reminder and the group 到期, 黄牌 and 红牌, each exactly once.
func TestDemoTaskEscalation(t *testing.T) {
	d := startDemo(t, nil)
	d.taskBind("李局长", "市城管委")
	monday := d.workingMonday()
	n, _ := d.taskAssign("/督办 市城管委 清理人民路占道经营 48小时")

	seq := d.lastSeq(cadres)
	d.taskAdvance("24h1m")
	remind := d.expectFromBot(cadres, seq, "@李局长\u2005提醒：督办#"+n)
	if !strings.Contains(remind.Text, "「清理人民路占道经营」将于") || !strings.Contains(remind.Text, "/办结 "+n) {
		t.Errorf("reminder: %q", remind.Text)
	}
	seq = d.lastSeq(cadres)
	d.taskAdvance("24h")
	due := d.expectFromBot(cadres, seq, "【到期】督办#"+n)
	if !strings.Contains(due.Text, "责任单位：市城管委") || !strings.Contains(due.Text, "@李局长\u2005") {
		t.Errorf("到期: %q", due.Text)
	}
	seq = d.lastSeq(cadres)
	d.taskAdvance("24h")
	yellow := d.expectFromBot(cadres, seq, "【黄牌】督办#"+n)
	if !strings.Contains(yellow.Text, "已逾期1天，责任单位：市城管委") {
		t.Errorf("黄牌: %q", yellow.Text)
	}
	seq = d.lastSeq(cadres)
	d.taskAdvance("48h") // Saturday: quiet
	time.Sleep(300 * time.Millisecond)
	if got := d.taskCount("【红牌】督办#" + n); got != 0 {
		t.Errorf("红牌 posted on Saturday")
	}
	d.advanceTo(monday.Add(7*24*time.Hour - 2*time.Hour + time.Minute)) // Monday 08:01
	red := d.expectFromBot(cadres, seq, "【红牌】督办#"+n)
	if !strings.Contains(red.Text, "已逾期4天22小时，责任单位：市城管委，请@张书记\u2005关注") {
		t.Errorf("红牌: %q", red.Text)
	}
	// More ticks must not repeat a step: tick twice more and look again.
	d.taskAdvance("1m")
	d.taskAdvance("1m")
	time.Sleep(500 * time.Millisecond)
	for _, s := range []string{"提醒：督办#" + n, "【到期】督办#" + n, "【黄牌】督办#" + n, "【红牌】督办#" + n} {
		if got := d.taskCount(s); got != 1 {
			t.Errorf("%s posted %d times, want once", s, got)
		}
	}
	if got := d.taskAsk("李局长", "/督办 "+n); !strings.Contains(got, "系统 催办：到期前提醒") || !strings.Contains(got, "系统 催办：到期") ||
		!strings.Contains(got, "系统 催办：黄牌") || !strings.Contains(got, "系统 催办：红牌") {
		t.Errorf("history lacks the ladder: %q", got)
	}
}
