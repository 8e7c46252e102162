package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests run the demo with the real DingTalk Stream SDK connected to the
// built-in DingTalk emulator (dtemu): people post into the DingTalk group
// through the emulator's control API, and read what the robot answered, by
// which way (sessionWebhook or group send) and whom it really mentioned.

// TestDemoDingTalkPing: /ping answered through the sessionWebhook with a
// real mention; a message the gateway delivers again is answered once; an
// expired sessionWebhook falls back to the group-send OpenAPI.
func TestDemoDingTalkPing(t *testing.T) {
	d := startDemo(t, nil)
	pong := d.dtAsk("周局长", "zhouju", "/ping")
	if !strings.Contains(pong.Text, "pong") || pong.Via != "session" || !strings.Contains(pong.Text, "@zhouju") {
		t.Fatalf("pong = %+v", pong)
	}

	// The gateway delivers the same message again (same msgId).
	d.dtAction("redeliver")
	d.eventually("every frame acknowledged", func() error {
		var st dtStats
		if err := d.getJSON(d.dt+"/_emu/session", &st); err != nil {
			return err
		}
		if st.Acks < st.FramesSent || st.Pending > 0 {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	})
	// A second /ping, answered after anything the redelivery could cause.
	d.dtAsk("周局长", "zhouju", "/ping")
	n := 0
	for _, m := range d.dtMessages(0) {
		if m.Bot && strings.Contains(m.Text, "pong") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d pongs for two /ping and one redelivery, want 2", n)
	}

	// The next message's sessionWebhook is dead before its advertised expiry.
	if code, out := d.postJSON(d.dt+"/_emu/session", map[string]any{"action": "expire_sessions", "count": 1}); code != http.StatusOK {
		t.Fatalf("expire_sessions: %d %s", code, out)
	}
	seq := d.dtLastSeq()
	d.dtSay("吴科长", "/ping")
	if late := d.dtExpect(seq, "pong"); late.Via != "openapi" {
		t.Errorf("after the sessionWebhook expired: %+v, want pong by group send", late)
	}
}

// TestDemoDingTalkAnsweredWhileWeChatLoggedOut: WeChat is banned (1102);
// the DingTalk and WeCom /ping are still answered at once (each platform has
// its own outbox lane), and /readyz says which platform is down.
func TestDemoDingTalkAnsweredWhileWeChatLoggedOut(t *testing.T) {
	d := startDemo(t, map[string]string{"QUNZHU_FALLBACK_ALERT_AFTER": "1h"})
	if code, body := d.postJSON(d.emu+"/_emu/session", map[string]string{"action": "ban"}); code != http.StatusOK {
		t.Fatalf("ban: %d %s", code, body)
	}
	d.eventually("WeChat down", func() error {
		if st := d.wechatState(); st == "online" {
			return fmt.Errorf("still online")
		}
		return nil
	})
	seq := d.lastSeq(cadres)
	d.say(cadres, "张书记", "/ping") // waits for the next WeChat login
	start := time.Now()
	pong := d.dtAsk("周局长", "zhouju", "/ping")
	t.Logf("DingTalk /ping answered in %v while WeChat is logged out", time.Since(start))
	if !strings.Contains(pong.Text, "pong") {
		t.Errorf("pong = %+v", pong)
	}
	start = time.Now()
	wcPong := d.wcAsk("何局长", "/ping")
	t.Logf("WeCom /ping answered in %v while WeChat is logged out", time.Since(start))
	if !strings.Contains(wcPong.Text, "pong") {
		t.Errorf("WeCom pong = %+v", wcPong)
	}
	var r readyz
	if err := d.getJSON(d.http+"/readyz", &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "degraded" || r.Platforms["dingtalk"] != "online" || r.Platforms["wecom"] != "online" || r.Platforms["wechat"] == "online" {
		t.Errorf("readyz = %+v", r)
	}
	for _, m := range d.messages(cadres, seq) {
		if m.From == "群主助手" {
			t.Errorf("WeChat answered while logged out: %q", m.Text)
		}
	}
}

// TestDemoDingTalkMembersAndTask: an owner registers a colleague by a real
// @-mention (no code), hands out a task whose card really mentions the
// unit's member by user id, who reports progress and done; only the owner
// closes it.
func TestDemoDingTalkMembersAndTask(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.dtLastSeq()
	d.dtSay("周局长", "/成员 添加 @冯干事 单位=执法二中队")
	if got := d.dtExpect(seq, "冯干事"); !strings.Contains(got.Text, "已登记 冯干事（执法二中队，成员），钉钉账号 ") {
		t.Fatalf("add by mention: %q", got.Text)
	}
	if got := d.dtAsk("周局长", "zhouju", "/成员 添加 冯干事 单位=执法二中队"); !strings.Contains(got.Text, "或 @ 要登记的那一个人") {
		t.Errorf("add without a mention: %q", got.Text)
	}

	card := d.dtAsk("周局长", "zhouju", "/督办 执法一中队 清理人民路占道经营 限期3天")
	n := regexpFind(t, `【督办#(\d+)】`, card.Text)
	if !strings.Contains(card.Text, "责任单位：执法一中队 @zhengdz") || !slices.Contains(card.AtUserIDs, "zhengdz") {
		t.Errorf("card = %+v, want a real mention of 郑队长 (zhengdz)", card)
	}
	if got := d.dtAsk("郑队长", "zhengdz", "/进展 "+n+" 已清理一半"); !strings.Contains(got.Text, "已记录督办#"+n) {
		t.Errorf("progress: %q", got.Text)
	}
	done := d.dtAsk("郑队长", "zhengdz", "/办结 "+n+" 已清理完毕")
	if !strings.Contains(done.Text, "核实销号：/销号 "+n) || !slices.Contains(done.AtUserIDs, "zhouju") {
		t.Errorf("done = %+v, want 周局长 really mentioned", done)
	}
	if got := d.dtAsk("冯干事", "fenggs", "/销号 "+n); !strings.Contains(got.Text, "只有督办人（周局长）或群主可以给督办#"+n+"销号") {
		t.Errorf("member closing: %q", got.Text)
	}
	if got := d.dtAsk("周局长", "zhouju", "/销号 "+n); !strings.Contains(got.Text, "已销号（执法一中队，按期办结）") {
		t.Errorf("close: %q", got.Text)
	}
}

// TestDemoDingTalkReports: 交作业 with a roster in the DingTalk group; the
// reminder really mentions the member whose unit has not handed in.
func TestDemoDingTalkReports(t *testing.T) {
	d := startDemo(t, nil)
	var deadline time.Time
	for ahead := 3; ; ahead++ {
		now := d.demoNow().In(time.FixedZone("CST", 8*3600))
		day := reportWeekdays[(int(now.Weekday())+ahead)%7]
		reply := d.dtAsk("周局长", "zhouju", "/作业 设置 每周"+day+"18:00 提前2小时提醒")
		deadline, _ = reportDeadline(t, reply.Text, now)
		if deadline.Sub(now) > 6*time.Hour || ahead == 6 {
			break
		}
	}
	if got := d.dtAsk("周局长", "zhouju", "/作业 名单 添加 执法大队 执法一中队"); !strings.Contains(got.Text, "已加入交作业名单：执法大队、执法一中队") {
		t.Fatalf("roster: %q", got.Text)
	}
	if got := d.dtAsk("吴科长", "wukz", "/交作业 本周巡查12次，整改5处"); !strings.Contains(got.Text, "执法大队") || !strings.Contains(got.Text, "（1/2）") {
		t.Fatalf("hand in: %q", got.Text)
	}
	// The photo that follows, downloaded through the robot's file API.
	seq0 := d.dtLastSeq()
	d.dtPicture("吴科长")
	d.dtExpect(seq0, "已附上 执法大队")
	if status := d.dtAsk("周局长", "zhouju", "/作业").Text; !strings.Contains(status, "（有图）") {
		t.Errorf("status after the photo: %q", status)
	}
	seq := d.dtLastSeq()
	d.advanceTo(deadline.Add(-2*time.Hour + time.Minute))
	reminder := d.dtExpect(seq, "【交作业提醒】")
	if !strings.Contains(reminder.Text, "执法一中队 @zhengdz") || !slices.Contains(reminder.AtUserIDs, "zhengdz") || strings.Contains(reminder.Text, "执法大队") {
		t.Errorf("reminder = %+v", reminder)
	}
	seq = d.dtLastSeq()
	d.advanceTo(deadline.Add(5 * time.Minute))
	if summary := d.dtExpect(seq, "【交作业汇总】"); !strings.Contains(summary.Text, "已交 1/2") || !strings.Contains(summary.Text, "未交：执法一中队") {
		t.Errorf("summary = %q", summary.Text)
	}
}

// TestDemoBroadcastAcrossPlatforms: 周局长 owns the WeChat 城管工作群, the
// DingTalk group and the WeCom group, linked by his person key; one /群发
// reaches all three and the progress report counts them all.
func TestDemoBroadcastAcrossPlatforms(t *testing.T) {
	d := startDemo(t, nil)
	const wx = "城管工作群"
	var code string
	d.eventually("a preview to 3 groups", func() error {
		seq := d.lastSeq(wx)
		d.say(wx, "周局长", "/群发 端午安康，{群名}的同志们辛苦了！")
		m := d.expectFromBot(wx, seq, "群发预览")
		if !strings.Contains(m.Text, "发往3个群") || !strings.Contains(m.Text, dtGroup) || !strings.Contains(m.Text, wcGroup) {
			return fmt.Errorf("preview %q", m.Text)
		}
		code = regexpFind(t, `/确认 (\d{6})`, m.Text)
		return nil
	})
	seq := d.lastSeq(wx)
	d.postPicture(wx, "周局长")
	d.expectFromBot(wx, seq, "图片已附到群发")
	seq, dtSeq, wcSeq := d.lastSeq(wx), d.dtLastSeq(), d.wcLastSeq()
	d.say(wx, "周局长", "/确认 "+code)
	d.expectFromBot(wx, seq, "端午安康，城管工作群的同志们辛苦了！")
	if got := d.dtExpect(dtSeq, "端午安康，"+dtGroup+"的同志们辛苦了！"); got.Via != "openapi" {
		t.Errorf("broadcast in DingTalk = %+v, want a group send", got)
	}
	if got := d.wcExpect(wcSeq, "端午安康，"+wcGroup+"的同志们辛苦了！"); got.Via != "webhook" {
		t.Errorf("broadcast in WeCom = %+v, want the group robot", got)
	}
	d.expectFromBot(wx, seq, "已完成：3个群全部送达")
	// The picture too, uploaded as media and sent by the group send.
	var pics int
	for _, m := range d.dtMessages(dtSeq) {
		if m.Bot && m.Type == "picture" && m.ImageMD5 != "" {
			pics++
		}
	}
	if pics != 1 {
		t.Errorf("pictures in DingTalk = %d, want 1", pics)
	}
}

// TestDemoWebhooksToDingTalk: a signed /api/v1/messages reaches the DingTalk
// group by "平台:群名", by its unique name and by id; a hotline ticket for
// 执法大队 is routed there and really mentions the unit's member.
func TestDemoWebhooksToDingTalk(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.dtLastSeq()
	code, resp := d.webhook("钉钉:"+dtGroup, "按平台和群名", "dt-1")
	if code != http.StatusAccepted {
		t.Fatalf("by 平台:群名 = %d %v", code, resp)
	}
	d.dtExpect(seq, "按平台和群名")
	if code, resp := d.webhook(dtGroup, "按唯一群名", "dt-2"); code != http.StatusAccepted {
		t.Fatalf("by name = %d %v", code, resp)
	}
	d.dtExpect(seq, "按唯一群名")
	id := groupIDOf(t, resp)
	if code, resp := d.webhook(strconv.FormatInt(id, 10), "按群编号", "dt-3"); code != http.StatusAccepted {
		t.Fatalf("by id = %d %v", code, resp)
	}
	d.dtExpect(seq, "按群编号")

	// The group send has no real mentions, so the notice names 吴科长; once a
	// message in the group opened a sessionWebhook, mentions are real.
	ticket := d.hotlineToDingTalk(t, "2025060100777")
	d.whAdvance("31s")
	notice := d.dtExpect(seq, "【12345热线·超期工单】")
	if !strings.Contains(notice.Text, "责任单位：执法大队") || !strings.Contains(notice.Text, ticket) ||
		!strings.Contains(notice.Text, "@吴科长") || notice.Via != "openapi" {
		t.Errorf("hotline notice = %+v", notice)
	}
	d.dtAsk("吴科长", "wukz", "/ping")
	seq = d.dtLastSeq()
	ticket = d.hotlineToDingTalk(t, "2025060100778")
	d.whAdvance("31s")
	notice = d.dtExpect(seq, ticket)
	if !slices.Contains(notice.AtUserIDs, "wukz") || !strings.Contains(notice.Text, "@wukz") || notice.Via != "session" {
		t.Errorf("hotline notice with a session = %+v", notice)
	}
}

// BenchmarkPingPerPlatform measures /ping → pong on each platform in the
// demo, from the member's message in the emulator to the bot's answer there,
// with the limits raised: run with -benchtime=100x for 100 messages each.
func BenchmarkPingPerPlatform(b *testing.B) {
	// Per-sender command limits raised too: one person sends all the pings.
	d := startDemo(b, map[string]string{"QUNZHU_LOG_LEVEL": "warn", "QUNZHU_LIMITS_COMMANDS_MEMBER": "100000/1s,100000"})
	platforms := []struct {
		name string
		ask  func(i int)
	}{
		{"wechat", func(i int) {
			seq := d.lastSeq(cadres)
			d.say(cadres, "张书记", fmt.Sprintf("/ping %d", i))
			for found := false; !found; { // long polls, no sleeps: the time is the bot's
				for _, m := range d.messages(cadres, seq) {
					seq = max(seq, m.Seq)
					found = found || (m.From == "群主助手" && strings.Contains(m.Text, "pong"))
				}
			}
		}},
		{"dingtalk", func(i int) {
			seq := d.dtLastSeq()
			d.dtSay("周局长", fmt.Sprintf("/ping %d", i))
			for found := false; !found; {
				for _, m := range d.dtMessages(seq) {
					seq = max(seq, m.Seq)
					found = found || (m.Bot && strings.Contains(m.Text, "pong"))
				}
			}
		}},
		{"wecom", func(i int) {
			seq := d.wcLastSeq()
			d.wcPostAs("何局长", fmt.Sprintf("/ping %d", i), nil)
			for found := false; !found; {
				for _, m := range d.wcMessages(seq) {
					seq = max(seq, m.Seq)
					found = found || (m.Bot && strings.Contains(m.Text, "pong"))
				}
			}
		}},
	}
	for _, p := range platforms {
		b.Run(p.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := range b.N {
				start := time.Now()
				p.ask(i)
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			pct := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestDemoDingTalkOnlyWithoutWeChat: with wechat.enabled false only the
// configured platform runs: no WeChat login is tried, /readyz is ok with
// DingTalk alone, and DingTalk answers.
func TestDemoDingTalkOnlyWithoutWeChat(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dingtalk-only.yaml")
	if err := os.WriteFile(cfgPath, []byte(`bot_names: [群主助手]
wechat: {enabled: false}
groups:
  - name: 城管执法钉钉群
    platform: dingtalk
    chat_id: cidOnly==
    members:
      - {name: 周局长, unit: 市城管委, role: owner, dingtalk_userid: zhouju}
dingtalk_emulator:
  groups:
    - name: 城管执法钉钉群
      chat_id: cidOnly==
      members:
        - {name: 周局长, user_id: zhouju}
emulator: {self: 群主助手}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	d := &demo{t: t, data: t.TempDir(), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	httpAddr, dtAddr := freeAddr(t), freeAddr(t)
	d.http, d.dt = "http://"+httpAddr, "http://"+dtAddr
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	args := []string{"qunzhu", "demo", "--config", cfgPath, "--http", httpAddr, "--emu", freeAddr(t), "--dingtalk-emu", dtAddr, "--data", d.data}
	go func() { d.done <- run(ctx, args, func(string) string { return "" }, d.stdout, d.stderr) }()
	t.Cleanup(d.stop)
	d.eventually("DingTalk online", func() error {
		var r readyz
		if err := d.getJSON(d.http+"/readyz", &r); err != nil {
			return err
		}
		if r.Status != "ok" || r.Platforms["dingtalk"] != "online" || len(r.Platforms) != 1 {
			return fmt.Errorf("readyz %+v", r)
		}
		return nil
	})
	if got := d.dtAsk("周局长", "zhouju", "/ping"); !strings.Contains(got.Text, "pong") {
		t.Errorf("pong = %+v", got)
	}
	if strings.Contains(d.stderr.String(), "wechat session state") {
		t.Error("a WeChat session was started although wechat.enabled is false")
	}
}
