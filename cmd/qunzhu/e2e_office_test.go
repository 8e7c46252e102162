package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// These tests play issue 14's office habits through the whole program: the
// real openwechat client logged in to the emulator, the demo's groups and
// clock. Commands written without the slash, several photos, photos added
// later, a unit registered in one message, a 随手拍 and a shared article
// made into tasks.

// shareArticle posts an article shared by from, as WeChat delivers it (an
// app message of type 5 carrying the title and the link), and returns its seq.
func (d *demo) shareArticle(group, from, title, link string) int64 {
	d.t.Helper()
	code, body := d.postJSON(d.emu+"/_emu/groups/"+url.PathEscape(group)+"/messages",
		map[string]any{"from": from, "link": map[string]string{"title": title, "url": link, "description": "摘要"}})
	if code != http.StatusAccepted {
		d.t.Fatalf("share article: %d %s", code, body)
	}
	var out struct{ Seq int64 }
	if err := json.Unmarshal(body, &out); err != nil {
		d.t.Fatal(err)
	}
	return out.Seq
}

// quoteAsk posts text as from replying to (quoting) message seq, and returns
// the bot's answer.
func (d *demo) quoteAsk(group, from, text string, seq int64) string {
	d.t.Helper()
	last := d.lastSeq(group)
	code, body := d.postJSON(d.emu+"/_emu/groups/"+url.PathEscape(group)+"/messages",
		map[string]any{"from": from, "text": text, "quote": seq})
	if code != http.StatusAccepted {
		d.t.Fatalf("quote: %d %s", code, body)
	}
	return d.expectFromBot(group, last, "@"+from+"\u2005").Text
}

// TestDemoIntentHandIn: "交作业：…" without the slash is handed in, and "@群主助手
// 帮助" answers with the short help.
func TestDemoIntentHandIn(t *testing.T) {
	d := startDemo(t, nil)
	_, label := d.setUpReports(t)
	got := d.ask(reportGroup, "德阳市副市长", "交作业：本周完成整改3项，剩余2项下周完成")
	if !strings.Contains(got, "已收到 德阳市 "+label+"作业") {
		t.Fatalf("交作业：… answered %q", got)
	}
	got = d.ask(reportGroup, "德阳市副市长", "@群主助手\u2005帮助")
	if n := strings.Count(got, "\n") + 1; !strings.Contains(got, "【交作业】") || n > 12 {
		t.Errorf("@bot 帮助 (%d lines): %q", n, got)
	}
	if got := d.ask(reportGroup, "德阳市副市长", "/ 作业 状态"); !strings.Contains(got, "德阳市") {
		t.Errorf("spaced slash: %q", got)
	}
	if got := d.ask(reportGroup, "德阳市副市长", "/交做业 补充"); !strings.Contains(got, "你是不是要：/交作业") {
		t.Errorf("typo: %q", got)
	}
}

// TestDemoThreePhotosAndMore: three photos after "/办结 N、M" go to both
// tasks; /补图 adds one later.
func TestDemoThreePhotosAndMore(t *testing.T) {
	d := startDemo(t, nil)
	d.taskBind("李局长", "市城管委")
	a, _ := d.taskAssign("/督办 市城管委 修复人民路路灯 限期3天")
	b, _ := d.taskAssign("/督办 市城管委 清理福州路占道 限期3天")
	if got := d.taskAsk("李局长", "/办结 "+a+"、"+b+" 已整改"); !strings.Contains(got, "督办#"+a) || !strings.Contains(got, "督办#"+b) {
		t.Fatalf("done: %q", got)
	}
	for _, n := range []string{"1", "2", "3"} {
		seq := d.lastSeq(cadres)
		d.taskPicture("李局长")
		d.expectFromBot(cadres, seq, "已收到督办#"+a+"、#"+b+"的办结照片（第"+n+"张）")
	}
	if got := d.taskAsk("李局长", "/补图 "+a); !strings.Contains(got, "请在2分钟内发送督办#"+a+"的照片") {
		t.Fatalf("补图: %q", got)
	}
	seq := d.lastSeq(cadres)
	d.taskPicture("李局长")
	d.expectFromBot(cadres, seq, "已收到督办#"+a+"的办结照片（第1张）")
	detail := d.taskAsk("张书记", "/督办 "+a)
	if got := strings.Count(detail, "李局长 办结照片"); got != 4 {
		t.Errorf("detail has %d photos, want 4:\n%s", got, detail)
	}
	if got := d.taskAsk("张书记", "/销号 "+a+" "+b); !strings.Contains(got, "督办#"+a) || !strings.Contains(got, "督办#"+b) ||
		strings.Count(got, "已销号") != 2 {
		t.Errorf("close both: %q", got)
	}
}

// TestDemoBulkRegistration: one message registers three people of 区房管局,
// who bind under their real-name nicknames; an unbound reader may list tasks;
// a task to a unit nobody bound warns in the card.
func TestDemoBulkRegistration(t *testing.T) {
	d := startDemo(t, nil)
	after := d.lastSeq(cadres)
	reply := d.taskAskUntil("张书记", "/成员 添加 单位=区房管局 马骏 赵磊 钱芳", "已登记区房管局3人")
	if regexp.MustCompile(`\d{6}`).MatchString(reply) {
		t.Fatalf("a code in the group: %q", reply)
	}
	// Each code went privately to 张书记, who registered them.
	codes := map[string]string{}
	d.eventually("three codes in the private chat with 张书记", func() error {
		for _, m := range d.privateMessages("张书记", after) {
			if c := regexp.MustCompile(`【认证码】(\S+?)（.*的认证码：(\d{6})`).FindStringSubmatch(m.Text); c != nil {
				codes[c[1]] = c[2]
			}
		}
		if len(codes) < 3 {
			return fmt.Errorf("%d codes", len(codes))
		}
		return nil
	})
	card := d.taskAskUntil("张书记", "/督办 区房管局 排查老旧小区燃气管道 限期3天", "【督办#")
	if !strings.Contains(card, "注意：区房管局还没有人认证") {
		t.Errorf("no warning in %q", card)
	}
	if got := d.taskAsk("钱芳", "/督办 列表"); !strings.Contains(got, "排查老旧小区燃气管道") {
		t.Errorf("unbound reader: %q", got)
	}
	for name, nick := range map[string]string{"马骏": "区房管局 马骏", "赵磊": "区房管局-赵磊", "钱芳": "钱芳"} {
		if got := d.taskAsk(nick, "/认证 "+codes[name]); !strings.Contains(got, name+" 已认证，角色 成员（区房管局）") {
			t.Errorf("%s as %q: %q", name, nick, got)
		}
	}
	if got := d.taskAsk("区房管局 马骏", "/进展 1 已排查3个小区"); !strings.Contains(got, "已记录督办#1") {
		t.Errorf("progress by 马骏: %q", got)
	}
	if got := d.taskAsk("张书记", "/督办 区城管执法局 拆除违建"); !strings.Contains(got, "本群没有登记「区城管执法局」这个单位") {
		t.Errorf("unknown unit: %q", got)
	}
}

// TestDemoSnapshotAndArticleToTask: a 随手拍 with two photos becomes a task; an
// article shared into the group followed by "/督办 <对象> <期限>" becomes a
// task titled like the article that keeps its link.
func TestDemoSnapshotAndArticleToTask(t *testing.T) {
	d := startDemo(t, nil)
	d.taskBind("孙干事", "区委办")
	d.taskBind("李局长", "市城管委")
	got := d.taskAsk("孙干事", "/随手拍 福州路河南路口井盖缺失 地点=福州路河南路口")
	if !strings.Contains(got, "已记录随手拍1") {
		t.Fatalf("随手拍: %q", got)
	}
	for _, n := range []string{"1", "2"} {
		seq := d.lastSeq(cadres)
		d.taskPicture("孙干事")
		d.expectFromBot(cadres, seq, "已收到随手拍1的照片（第"+n+"张）")
	}
	if got := d.taskAskUntil("张书记", "/随手拍 列表", "随手拍1"); !strings.Contains(got, "照片") {
		t.Errorf("list: %q", got)
	}
	card := d.taskAsk("张书记", "/督办 随手拍1 市城管委 限期3天")
	if !strings.Contains(card, "福州路河南路口井盖缺失") || !strings.Contains(card, "来源：随手拍1") {
		t.Errorf("snapshot card: %q", card)
	}

	const link = "https://mp.weixin.qq.com/s/Hp2026FzLu"
	d.shareArticle(cadres, "李局长", "黄浦区福州路违章建筑群众反映强烈", link)
	card = d.taskAskUntil("张书记", "/督办 市城管委 周五", "【督办#")
	if !strings.Contains(card, "黄浦区福州路违章建筑群众反映强烈") || !strings.Contains(card, "原文："+link) {
		t.Fatalf("article card: %q", card)
	}
	n := regexpFind(t, taskCardNumber.String(), card)
	if got := d.taskAsk("李局长", "/督办 "+n); !strings.Contains(got, "原文：《黄浦区福州路违章建筑群众反映强烈》"+link) {
		t.Errorf("article detail: %q", got)
	}

	// An hour later, a reply quoting another article still takes it.
	seq := d.shareArticle(cadres, "李局长", "人民路夜市油烟扰民调查", link+"2")
	d.taskAdvance("1h")
	card = d.quoteAsk(cadres, "张书记", "/督办 市城管委 下周一", seq)
	if !strings.Contains(card, "人民路夜市油烟扰民调查") || !strings.Contains(card, "原文："+link+"2") {
		t.Errorf("quoting card: %q", card)
	}
}
