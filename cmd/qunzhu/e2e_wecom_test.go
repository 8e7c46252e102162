package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/webhook"
)

// These tests run the demo with its WeCom group: the emulator posts members'
// @-messages to qunzhu as encrypted, signed callbacks, and reads what came
// back through response_url and the group robot webhook, with the userids
// each message really mentioned.

const wcGroup = "企微应急专班"

type wcMessage struct {
	Seq      int64    `json:"seq"`
	From     string   `json:"from"`
	Bot      bool     `json:"bot"`
	Type     string   `json:"type"`
	Text     string   `json:"text"`
	Via      string   `json:"via"`
	Mentions []string `json:"mentions"`
}

type wcPost struct {
	Seq            int64 `json:"seq"`
	CallbackStatus int   `json:"callback_status"`
	Deliveries     int   `json:"deliveries"`
}

// wcPostAs posts a member's message (text, or a picture when img is set)
// into the WeCom group through the emulator.
func (d *demo) wcPostAs(from, text string, img []byte) wcPost {
	d.t.Helper()
	body := map[string]string{"from": from, "text": text}
	if img != nil {
		body["image_base64"] = base64.StdEncoding.EncodeToString(img)
	}
	var out wcPost
	code, b := d.postJSON(d.wecom+"/_emu/groups/"+url.PathEscape(wcGroup)+"/messages", body)
	if code != http.StatusAccepted {
		d.t.Fatalf("post to the WeCom emulator: %d %s", code, b)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		d.t.Fatal(err)
	}
	return out
}

func (d *demo) wcMessages(after int64) []wcMessage {
	d.t.Helper()
	var ms []wcMessage
	u := fmt.Sprintf("%s/_emu/groups/%s/messages?after=%d&wait=1s", d.wecom, url.PathEscape(wcGroup), after)
	if err := d.getJSON(u, &ms); err != nil {
		d.t.Fatal(err)
	}
	return ms
}

func (d *demo) wcLastSeq() int64 {
	d.t.Helper()
	var ms []wcMessage
	if err := d.getJSON(d.wecom+"/_emu/groups/"+url.PathEscape(wcGroup)+"/messages", &ms); err != nil {
		d.t.Fatal(err)
	}
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Seq
}

// wcExpect waits for a robot message after seq containing want.
func (d *demo) wcExpect(after int64, want string) wcMessage {
	d.t.Helper()
	var found wcMessage
	d.eventually(fmt.Sprintf("%q from the robot in %s", want, wcGroup), func() error {
		for _, m := range d.wcMessages(after) {
			if m.Bot && strings.Contains(m.Text, want) {
				found = m
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	return found
}

// wcAsk posts text as from and returns the robot's answer to from.
func (d *demo) wcAsk(from, text string) wcMessage {
	d.t.Helper()
	seq := d.wcLastSeq()
	if p := d.wcPostAs(from, text, nil); p.CallbackStatus != http.StatusOK {
		d.t.Fatalf("callback answered %d", p.CallbackStatus)
	}
	return d.wcExpect(seq, "@"+from+"\u2005")
}

func mentions(m wcMessage, ids ...string) bool {
	for _, id := range ids {
		if !slices.Contains(m.Mentions, id) {
			return false
		}
	}
	return true
}

// TestWeComDemoPing: /ping answered through response_url, a redelivered
// callback answered once, a callback with a bad signature refused and
// unanswered, and the URL check passes.
func TestWeComDemoPing(t *testing.T) {
	d := startDemo(t, nil)
	var groups []struct {
		Name     string `json:"name"`
		Platform string `json:"platform"`
	}
	if err := d.getJSON(d.wecom+"/_emu/groups", &groups); err != nil || len(groups) != 1 || groups[0].Platform != "wecom" {
		t.Fatalf("groups = %+v, %v", groups, err)
	}
	if !strings.Contains(d.stdout.String(), "WeCom emulator: "+d.wecom) {
		t.Errorf("the demo does not print the WeCom emulator's URL:\n%s", d.stdout)
	}
	if code, b := d.postJSON(d.wecom+"/_emu/verify", map[string]any{}); code != http.StatusOK {
		t.Errorf("URL check: %d %s", code, b)
	}
	pong := d.wcAsk("何局长", "/ping")
	if !strings.Contains(pong.Text, "pong") || pong.Via != "response_url" {
		t.Errorf("pong = %+v", pong)
	}

	if code, b := d.postJSON(d.wecom+"/_emu/faults", map[string]any{"fault": "redeliver", "count": 1}); code != http.StatusOK {
		t.Fatalf("fault: %d %s", code, b)
	}
	seq := d.wcLastSeq()
	if p := d.wcPostAs("韩科长", "/ping", nil); p.Deliveries != 2 {
		t.Fatalf("post = %+v, want 2 deliveries", p)
	}
	d.wcExpect(seq, "@韩科长\u2005pong")

	if code, b := d.postJSON(d.wecom+"/_emu/faults", map[string]any{"fault": "bad_signature", "count": 1}); code != http.StatusOK {
		t.Fatalf("fault: %d %s", code, b)
	}
	if p := d.wcPostAs("曹队长", "/ping", nil); p.CallbackStatus != http.StatusForbidden {
		t.Errorf("bad signature answered %d, want 403", p.CallbackStatus)
	}
	time.Sleep(1500 * time.Millisecond) // more than the sender's poll
	var pongs int
	for _, m := range d.wcMessages(seq) {
		if m.Bot && strings.Contains(m.Text, "pong") {
			pongs++
		}
	}
	if pongs != 1 {
		t.Errorf("%d pongs after a redelivery and a forged callback, want 1", pongs)
	}
	if strings.Contains(d.stderr.String(), "demo-wecom-robot-key") || strings.Contains(d.stderr.String(), "qunzhuDemoToken") {
		t.Error("a WeCom secret reached the log")
	}
}

// TestWeComDemoTaskLifecycle: 督办 on WeCom, the assignee mentioned by userid.
func TestWeComDemoTaskLifecycle(t *testing.T) {
	d := startDemo(t, nil)
	card := d.wcAsk("何局长", "/督办 @韩科长 报送防汛物资清单 限期3天")
	n := regexpFind(t, taskCardNumber.String(), card.Text)
	if !strings.Contains(card.Text, "报送防汛物资清单") || !mentions(card, "hankz") || card.Via != "webhook" {
		t.Fatalf("card = %+v, want the assignee mentioned by userid through the robot", card)
	}
	if got := d.wcAsk("韩科长", "/进展 "+n+" 已清点仓库"); !strings.Contains(got.Text, "已记录督办#"+n) {
		t.Errorf("progress: %+v", got)
	}
	done := d.wcAsk("韩科长", "/办结 "+n+" 清单已报送")
	if !strings.Contains(done.Text, "核实销号：/销号 "+n) || !mentions(done, "heju") {
		t.Errorf("done: %+v, want 何局长 (heju) mentioned", done)
	}
	// A guest is known by userid only (WeCom's callbacks carry no names).
	seq := d.wcLastSeq()
	d.wcPostAs("许干事", "/销号 "+n, nil)
	if got := d.wcExpect(seq, "@xugs\u2005"); strings.Contains(got.Text, "已销号") {
		t.Errorf("a guest closed the task: %+v", got)
	}
	if got := d.wcAsk("何局长", "/销号 "+n); !strings.Contains(got.Text, "已销号") {
		t.Errorf("close: %+v", got)
	}

	// The owner registers the guest by account: bound at once, known by name.
	if got := d.wcAsk("何局长", "/成员 添加 许干事 单位=市应急局 账号=xugs"); !strings.Contains(got.Text, "企业微信账号 xugs 已确认，无需认证码") {
		t.Errorf("register by account: %+v", got)
	}
	if got := d.wcAsk("许干事", "/ping"); !strings.Contains(got.Text, "pong") {
		t.Errorf("the registered guest: %+v", got)
	}

	// A second task runs the ladder: 到期 mentions the assignee for real.
	// From a working Monday 10:00, so 到期 falls outside quiet hours.
	d.workingMonday()
	card = d.wcAsk("何局长", "/督办 @曹队长 排查消防通道 48小时")
	n = regexpFind(t, taskCardNumber.String(), card.Text)
	seq = d.wcLastSeq()
	d.taskAdvance("48h1m")
	due := d.wcExpect(seq, "【到期】督办#"+n)
	if !mentions(due, "caodz") || due.Via != "webhook" {
		t.Errorf("到期 = %+v, want caodz mentioned", due)
	}
}

// TestWeComDemoReports: 交作业 with a roster of two units, a picture, the
// reminder mentioning the missing unit's member by userid, and the summary.
func TestWeComDemoReports(t *testing.T) {
	d := startDemo(t, nil)
	var deadline time.Time
	var label string
	for ahead := 3; ; ahead++ {
		now := d.demoNow().In(time.FixedZone("CST", 8*3600))
		day := reportWeekdays[(int(now.Weekday())+ahead)%7]
		reply := d.wcAsk("何局长", "/作业 设置 每周"+day+"18:00 提前2小时提醒")
		deadline, label = reportDeadline(t, reply.Text, now)
		if deadline.Sub(now) > 6*time.Hour || ahead == 6 {
			break
		}
	}
	if got := d.wcAsk("何局长", "/作业 名单 添加 市应急局 区消防救援大队"); !strings.Contains(got.Text, "已加入交作业名单：市应急局、区消防救援大队") {
		t.Fatalf("roster: %+v", got)
	}
	if got := d.wcAsk("韩科长", "/交作业 本周完成隐患整改5处"); !strings.Contains(got.Text, "已收到 市应急局 "+label+"作业（1/2）") {
		t.Fatalf("submit: %+v", got)
	}
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(3, 3, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	seq := d.wcLastSeq()
	d.wcPostAs("韩科长", "", buf.Bytes())
	d.wcExpect(seq, "已附上 市应急局 "+label+"作业的图片")

	seq = d.wcLastSeq()
	d.advanceTo(deadline.Add(-2*time.Hour + time.Minute))
	reminder := d.wcExpect(seq, "【交作业提醒】")
	if !strings.Contains(reminder.Text, "区消防救援大队 @曹队长\u2005") || !mentions(reminder, "caodz") || mentions(reminder, "hankz") {
		t.Errorf("reminder = %+v, want 曹队长 (caodz) mentioned only", reminder)
	}
	seq = d.wcLastSeq()
	d.advanceTo(deadline.Add(5 * time.Minute))
	summary := d.wcExpect(seq, "【交作业汇总】")
	if !strings.Contains(summary.Text, "已交 1/2") || !strings.Contains(summary.Text, "未交：区消防救援大队") {
		t.Errorf("summary: %q", summary.Text)
	}
}

// TestWeComDemoWebhooks: a signed /api/v1/messages addressed "企业微信:群名",
// a hotline ticket for 市应急局 and an Alertmanager alert on route wecom-ops
// all reach the WeCom group through its robot.
func TestWeComDemoWebhooks(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.wcLastSeq()
	if code, out := d.webhook("企业微信:"+wcGroup, "防汛Ⅳ级应急响应启动，请各单位值班。", "wecom-1"); code != http.StatusAccepted {
		t.Fatalf("webhook = %d %v", code, out)
	}
	if m := d.wcExpect(seq, "防汛Ⅳ级应急响应启动"); m.Via != "webhook" {
		t.Errorf("webhook message = %+v", m)
	}

	code, resp := d.whHotline(webhook.HotlineTicketRequest{
		Event: "overdue", TicketID: "2025060200456", Title: "某小区消防通道被占用",
		Content: "市民来电反映消防通道长期被车辆占用，请回电 13900139000。", Unit: "市应急局", District: "城东区",
		CitizenPhone: "13900139000", Deadline: time.Now().Add(-25 * time.Hour).Format(time.RFC3339), OverdueMinutes: 1500,
	})
	if code != http.StatusAccepted || resp.TaskID == 0 {
		t.Fatalf("hotline = %d %+v", code, resp)
	}
	d.whAdvance("31s")
	notice := d.wcExpect(seq, "【12345热线·超期工单】")
	if !strings.Contains(notice.Text, "139****9000") || strings.Contains(notice.Text, "13900139000") || !mentions(notice, "heju", "hankz") {
		t.Errorf("hotline notice = %+v", notice)
	}

	d.postAlertmanager("wecom-ops")
	d.wcExpect(seq, "[触发] 告警名称：InstanceDown")
}
