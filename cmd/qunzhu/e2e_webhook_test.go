package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/webhook"
)

// These tests drive the webhook intake as the systems outside would: the
// 12345 hotline signing its ticket events, Alertmanager with its bearer
// token, a WeCom and a DingTalk robot sender, and read what the bot posted
// through the emulator.

const whCityGroup = "城管工作群"

// whHotline posts a signed ticket event as the demo's hotline-12345 source.
func (d *demo) whHotline(ev webhook.HotlineTicketRequest) (int, webhook.HotlineResponse) {
	d.t.Helper()
	body, _ := json.Marshal(ev)
	req, _ := http.NewRequest(http.MethodPost, d.http+"/api/v1/hotline/tickets", bytes.NewReader(body))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderSource, "hotline-12345")
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(testSecret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out webhook.HotlineResponse
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		d.t.Fatalf("hotline answer %d %q: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, out
}

// whAdvance jumps the demo clock, as a person testing the demo would.
func (d *demo) whAdvance(dur string) {
	d.t.Helper()
	if code, body := d.postJSON(d.http+"/_demo/clock", map[string]string{"advance": dur}); code != http.StatusOK {
		d.t.Fatalf("advance clock: %d %s", code, body)
	}
}

// whBotMessages counts the bot's messages in group after seq that contain s.
func (d *demo) whBotMessages(group string, after int64, s string) []emuMessage {
	var out []emuMessage
	for _, m := range d.messages(group, after) {
		if m.From == "群主助手" && strings.Contains(m.Text, s) {
			out = append(out, m)
		}
	}
	return out
}

// TestDemoHotlineTicket is the hotline's life of one ticket: overdue with a
// citizen's number → one notice in the unit's group, number masked, the
// unit's people mentioned; the same event again → still one notice; closed →
// a closing line, and the task shows as closed.
func TestDemoHotlineTicket(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(whCityGroup)
	overdue := webhook.HotlineTicketRequest{
		Event: "overdue", TicketID: "2025060100123", Title: "黄浦区某路段夜间施工噪音扰民",
		Content: "市民来电反映某工地连续一周夜间施工至凌晨，请回电 13800138000。",
		Unit:    "市城管委", District: "黄浦区", Category: "市容环境", CitizenPhone: "13800138000",
		Deadline: time.Now().Add(-26 * time.Hour).Format(time.RFC3339), OverdueMinutes: 1560,
		URL: "https://12345.example.gov.cn/ticket/2025060100123",
	}
	code, resp := d.whHotline(overdue)
	if code != http.StatusAccepted || resp.Status != "queued" || resp.TaskID == 0 {
		t.Fatalf("overdue = %d %+v, want 202 queued with a task", code, resp)
	}
	// The notice waits out the 30 s digest window; jump past it.
	d.whAdvance("31s")
	notice := d.expectFromBot(whCityGroup, seq, "【12345热线·超期工单】")
	for _, want := range []string{"责任单位：市城管委", "工单编号：2025060100123", "市民电话：138****8000", "请回电 138****8000", "@周局长\u2005", fmt.Sprintf("督办#%d", resp.TaskID)} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("notice lacks %q:\n%s", want, notice.Text)
		}
	}
	if strings.Contains(notice.Text, "13800138000") {
		t.Errorf("notice shows the citizen's number:\n%s", notice.Text)
	}

	// The hotline sends the same event again: a duplicate, nothing posted.
	code, again := d.whHotline(overdue)
	if code != http.StatusOK || again.Status != "duplicate" || again.TaskID != resp.TaskID {
		t.Errorf("again = %d %+v, want 200 duplicate", code, again)
	}
	d.whAdvance("31s")
	time.Sleep(1500 * time.Millisecond) // more than the sender's poll
	if n := len(d.whBotMessages(whCityGroup, seq, "【12345热线·超期工单】")); n != 1 {
		t.Errorf("notices in the group: %d, want 1", n)
	}

	code, closed := d.whHotline(webhook.HotlineTicketRequest{Event: "closed", TicketID: "2025060100123"})
	if code != http.StatusAccepted || closed.Status != "queued" {
		t.Fatalf("closed = %d %+v", code, closed)
	}
	d.expectFromBot(whCityGroup, seq, fmt.Sprintf("工单 2025060100123（市城管委）已办结，督办#%d 已销号", resp.TaskID))
	s := d.lastSeq(whCityGroup)
	d.say(whCityGroup, "周局长", fmt.Sprintf("/督办 %d", resp.TaskID))
	d.expectFromBot(whCityGroup, s, "已销号")
}

// postAlertmanager posts Alertmanager's documented example to route.
func (d *demo) postAlertmanager(route string) {
	d.t.Helper()
	body, err := os.ReadFile("../../webhook/testdata/alertmanager_v4.json")
	if err != nil {
		d.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, d.http+"/api/v1/alertmanager/"+route, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		d.t.Fatalf("alertmanager: %d", resp.StatusCode)
	}
}

// TestDemoAlertmanager posts Alertmanager's documented example (one alert
// firing, one resolved) and reads one readable message.
func TestDemoAlertmanager(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(cadres)
	d.postAlertmanager("ops")
	m := d.expectFromBot(cadres, seq, "【告警】1 条告警触发，1 条已恢复")
	for _, want := range []string{"[触发] 告警名称：InstanceDown", "[已恢复] 告警名称：InstanceDown", "级别：严重（critical）",
		"摘要：政务外网节点 10.12.0.9 宕机超过 5 分钟", "开始时间：2025-06-01 08:55:02", "恢复时间：2025-06-01 08:52:45"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("alert message lacks %q:\n%s", want, m.Text)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(d.whBotMessages(cadres, seq, "告警名称")); n != 1 {
		t.Errorf("alert messages: %d, want 1", n)
	}
}

// TestDemoCompatibleRobots: a WeCom robot sender and a DingTalk robot sender,
// unchanged but for the host, reach their groups.
func TestDemoCompatibleRobots(t *testing.T) {
	d := startDemo(t, nil)
	cadreSeq, citySeq := d.lastSeq(cadres), d.lastSeq(whCityGroup)

	wecom := `{"msgtype":"markdown","markdown":{"content":"实时新增用户反馈<font color=\"warning\">132例</font>，请相关同事注意。\n>类型:<font color=\"comment\">用户反馈</font>"}}`
	resp, err := http.Post(d.http+"/cgi-bin/webhook/send?key="+testSecret, "application/json", strings.NewReader(wecom))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != `{"errcode":0,"errmsg":"ok"}` {
		t.Fatalf("wecom: %d %s", resp.StatusCode, b)
	}
	d.expectFromBot(cadres, cadreSeq, "实时新增用户反馈132例，请相关同事注意。\n类型:用户反馈")

	ts := time.Now().UnixMilli()
	q := url.Values{"access_token": {testSecret}, "timestamp": {strconv.FormatInt(ts, 10)}, "sign": {webhook.DingTalkSign(testSecret, ts)}}
	ding := `{"msgtype":"text","text":{"content":"路灯故障，请 @13800001111 跟进"},"at":{"atMobiles":["13800001111"]}}`
	resp, err = http.Post(d.http+"/robot/send?"+q.Encode(), "application/json", strings.NewReader(ding))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != `{"errcode":0,"errmsg":"ok"}` {
		t.Fatalf("dingtalk: %d %s", resp.StatusCode, b)
	}
	d.expectFromBot(whCityGroup, citySeq, "路灯故障，请 @周局长\u2005 跟进")
}
