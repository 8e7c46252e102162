package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/webhook"
	"github.com/qunzhu/qunzhu/wxemu"
)

// Delivery end to end: the whole program (run, demo mode, real openwechat)
// against an emulator the test holds (started here, not by the demo, so the
// test plays the phone: scans, confirms, lets a push login lapse), and a
// fallback robot that is a local server speaking the WeCom or Feishu API and
// checking the Feishu signature as the platform does.

const robotSecret = "feishu-e2e-secret-0123456789"

// robotServer is a group robot's webhook endpoint that records what it got.
type robotServer struct {
	t     *testing.T
	kind  string // "wecom" or "feishu"
	mu    sync.Mutex
	texts []string
	url   string
}

func newRobotServer(t *testing.T, kind string) *robotServer {
	t.Helper()
	r := &robotServer{t: t, kind: kind}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	if kind == "wecom" {
		r.url = srv.URL + "/cgi-bin/webhook/send?key=e2e-wecom-key-0123456789"
	} else {
		r.url = srv.URL + "/open-apis/bot/v2/hook/e2e-feishu-hook-0123456789"
	}
	return r
}

func (r *robotServer) serve(w http.ResponseWriter, req *http.Request) {
	var body struct {
		MsgType   string `json:"msgtype"`
		Text      struct{ Content string }
		FMsgType  string `json:"msg_type"`
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		Content   struct{ Text string }
	}
	b, _ := io.ReadAll(req.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	text := body.Text.Content
	if r.kind == "feishu" {
		mac := hmac.New(sha256.New, []byte(body.Timestamp+"\n"+robotSecret))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); body.Sign != want || body.FMsgType != "text" {
			r.t.Errorf("fallback robot: bad Feishu signature or type (sign %q, type %q)", body.Sign, body.FMsgType)
			fmt.Fprint(w, `{"code":19021,"msg":"sign match fail"}`)
			return
		}
		text = body.Content.Text
	}
	r.mu.Lock()
	r.texts = append(r.texts, text)
	r.mu.Unlock()
	fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","code":0,"msg":"success"}`)
}

func (r *robotServer) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

// env is the demo's environment for this robot.
func (r *robotServer) env(extra map[string]string) map[string]string {
	env := map[string]string{"QUNZHU_FALLBACK_KIND": r.kind, "QUNZHU_FALLBACK_URL": r.url}
	if r.kind == "feishu" {
		env["QUNZHU_FALLBACK_SECRET"] = robotSecret
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// count is how many posts since the first `from` contain s.
func count(texts []string, from int, s string) int {
	n := 0
	for _, t := range texts[min(from, len(texts)):] {
		if strings.Contains(t, s) {
			n++
		}
	}
	return n
}

// waitPost waits until a post after the first `from` contains s.
func (r *robotServer) waitPost(d *demo, from int, s string) {
	d.t.Helper()
	d.eventually(fmt.Sprintf("the fallback robot to get %q", s), func() error {
		if count(r.got(), from, s) == 0 {
			return fmt.Errorf("robot got %q", r.got())
		}
		return nil
	})
}

// startEmulator serves the demo's emulated groups from the test, with logins
// confirmed by the test (autoConfirm false) or automatically.
func startEmulator(t *testing.T, autoConfirm bool) (*wxemu.Server, string) {
	t.Helper()
	cfg, err := loadConfig("", demoYAML, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ec := emulatorConfig(cfg.Emulator, slog.New(slog.DiscardHandler))
	ec.AutoConfirm = autoConfirm
	ec.LongPoll = 5 * time.Second
	emu := wxemu.New(ec)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); srv.Close() })
	return emu, srv.URL
}

// startDemoOn runs `qunzhu demo --emu-url emuURL` and returns without waiting
// for a login: with a test-confirmed emulator the test logs in.
func startDemoOn(t *testing.T, emuURL string, env map[string]string) *demo {
	t.Helper()
	d := &demo{t: t, data: t.TempDir(), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	httpAddr := freeAddr(t)
	d.http, d.emu = "http://"+httpAddr, emuURL
	vars := map[string]string{
		"QUNZHU_DEMO_SECRET":    testSecret,
		"QUNZHU_LIMITS_ACCOUNT": "1000/1s,1000",
		"QUNZHU_LIMITS_GROUP":   "1000/1s,1000",
		"QUNZHU_LIMITS_JITTER":  "0s",
		"QUNZHU_LOG_LEVEL":      "debug",
	}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	args := []string{"qunzhu", "demo", "--http", httpAddr, "--emu-url", emuURL, "--dingtalk-emu", freeAddr(t), "--data", d.data}
	go func() { d.done <- run(ctx, args, func(k string) string { return vars[k] }, d.stdout, d.stderr) }()
	t.Cleanup(d.stop)
	return d
}

// scanAndConfirm plays the bot's phone: wait for the QR code, scan, confirm.
func scanAndConfirm(d *demo, emu *wxemu.Server) {
	d.t.Helper()
	d.eventually("a QR code to scan", func() error {
		if st := emu.Session().State; st != wxemu.StateWaitingScan {
			return fmt.Errorf("emulator login state %q", st)
		}
		return nil
	})
	if err := emu.Scan(); err != nil {
		d.t.Fatal(err)
	}
	if err := emu.Confirm(); err != nil {
		d.t.Fatal(err)
	}
	d.waitOnline()
}

// enqueueDirect writes messages into the demo's store as features do, in one
// transaction, through a second connection to the same SQLite file.
func enqueueDirect(d *demo, msgs ...*qunzhu.OutMessage) {
	d.t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(d.data, "qunzhu.db"), nil)
	if err != nil {
		d.t.Fatal(err)
	}
	defer store.Close()
	if err := store.Update(ctx, func(tx qunzhu.Tx) error {
		g, err := tx.GroupByName(cadres)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			m.GroupID = g.ID
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		d.t.Fatal(err)
	}
}

type readyzOutbox struct {
	WeChat string `json:"wechat"`
	Outbox struct {
		Pending int `json:"pending"`
	} `json:"outbox"`
}

func (d *demo) readyz() readyzOutbox {
	d.t.Helper()
	var r readyzOutbox
	if err := d.getJSON(d.http+"/readyz", &r); err != nil {
		d.t.Fatal(err)
	}
	return r
}

// fromBot lists the bot's texts in group after seq.
func (d *demo) fromBot(group string, after int64) []string {
	var out []string
	for _, m := range d.messages(group, after) {
		if m.From == "群主助手" {
			out = append(out, m.Text)
		}
	}
	return out
}

var loginLink = regexp.MustCompile(`请扫码登录：(\S+)`)

// TestDeliveryLogoutAlertsReloginsAndDrainsInPriorityOrder: the session
// expires (1101); the bot tries hot login, then push login (the test's phone
// lets it lapse), then shows a QR code; the fallback robot gets one alert with
// the login page link; the page shows that QR code; while logged out a reply,
// an alert, a reminder and a broadcast wait; after the scan they arrive in
// priority order.
func TestDeliveryLogoutAlertsReloginsAndDrainsInPriorityOrder(t *testing.T) {
	robot := newRobotServer(t, "feishu")
	emu, emuURL := startEmulator(t, false)
	d := startDemoOn(t, emuURL, robot.env(map[string]string{
		"QUNZHU_FALLBACK_ALERT_AFTER": "0s",
		// The start-up's alert must not hold this test's alert for 10 minutes
		// (the limit itself is covered in outbox/fallback_test.go).
		"QUNZHU_FALLBACK_ALERT_EVERY": "1s",
		"QUNZHU_LOGIN_TOKEN":          "e2e-login-token-0123456789",
	}))
	scanAndConfirm(d, emu)
	// Starting up needed a scan, which is an outage like any other: alerted,
	// then "recovered". Count from here.
	robot.waitPost(d, 0, "已恢复在线")
	from := len(robot.got())

	seq := d.lastSeq(cadres)
	if err := emu.Expire(); err != nil {
		t.Fatal(err)
	}
	d.eventually("the bot to notice the logout", func() error {
		if st := d.wechatState(); st == "online" {
			return fmt.Errorf("still online")
		}
		return nil
	})
	enqueueDirect(d,
		&qunzhu.OutMessage{Kind: qunzhu.KindBroadcast, Text: "群发：端午节送粽子来喽"},
		&qunzhu.OutMessage{Kind: qunzhu.KindReminder, Text: "提醒：请于周五18:00前交作业"},
		&qunzhu.OutMessage{Kind: qunzhu.KindWebhook, Text: "告警：12345热线工单超期"},
		&qunzhu.OutMessage{Kind: qunzhu.KindReply, Text: "回复：@李局长\u2005已登记"},
	)

	// Hot login failed (the session is gone); push login waits for the phone.
	d.eventually("a push login waiting for the phone", func() error {
		if st := emu.Session().State; st != wxemu.StateScanned {
			return fmt.Errorf("emulator login state %q", st)
		}
		return nil
	})
	if err := emu.Expire(); err != nil { // the phone ignores it: the push login lapses
		t.Fatal(err)
	}
	d.eventually("a QR code", func() error {
		if st := d.wechatState(); st != "waiting_scan" {
			return fmt.Errorf("state %q", st)
		}
		return nil
	})

	robot.waitPost(d, from, "qunzhu 的微信已掉线，请扫码登录：")
	alert := robot.got()[from]
	m := loginLink.FindStringSubmatch(alert)
	if m == nil || !strings.HasPrefix(m[1], d.http+"/login?token=") {
		t.Fatalf("alert %q does not link to the login page %s/login?token=…", alert, d.http)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	src := regexp.MustCompile(`<img class="qr" src="([^"]+)"`).FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || src == nil || !strings.Contains(string(page), "等待扫码") {
		t.Fatalf("login page = %d, want a QR code:\n%s", resp.StatusCode, page)
	}
	resp, err = http.Get(d.http + strings.ReplaceAll(string(src[1]), "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, err := webhook.QRPNG("https://login.weixin.qq.com/l/" + emu.Session().UUID)
	if err != nil {
		t.Fatal(err)
	}
	if string(png) != string(want) {
		t.Fatalf("the login page's QR code is not the emulator's current login (uuid %s)", emu.Session().UUID)
	}

	if r := d.readyz(); r.WeChat != "waiting_scan" || r.Outbox.Pending != 4 {
		t.Fatalf("/readyz = %+v, want waiting_scan with 4 pending", r)
	}
	if got := d.fromBot(cadres, seq); len(got) != 0 {
		t.Fatalf("sent while logged out: %q", got)
	}

	scanAndConfirm(d, emu)
	wantOrder := []string{"回复：@李局长\u2005已登记", "告警：12345热线工单超期", "提醒：请于周五18:00前交作业", "群发：端午节送粽子来喽"}
	d.eventually("the queue to drain", func() error {
		if got := d.fromBot(cadres, seq); len(got) < len(wantOrder) {
			return fmt.Errorf("got %q", got)
		}
		return nil
	})
	if got := d.fromBot(cadres, seq); fmt.Sprint(got) != fmt.Sprint(wantOrder) {
		t.Fatalf("order after login = %q\nwant %q", got, wantOrder)
	}
	robot.waitPost(d, from, "已恢复在线")
	if n := count(robot.got(), from, "已掉线"); n != 1 {
		t.Errorf("outage alerts = %d, want 1:\n%s", n, strings.Join(robot.got()[from:], "\n---\n"))
	}

	// The re-login went hot → push → QR, in that order.
	logs := d.stderr.String()
	logs = logs[strings.LastIndex(logs, "wechat session ended"):]
	hot, push, qr := strings.Index(logs, "hot login failed"), strings.Index(logs, "push login failed"), strings.Index(logs, "QR login succeeded")
	if hot < 0 || push < hot || qr < push {
		t.Errorf("re-login order in the log: hot %d, push %d, QR %d; want hot < push < QR", hot, push, qr)
	}
}

// TestDeliveryBanHoldsAndAlerts: a 1102 (logged out on the phone, or banned)
// alerts at once and names the cause; what arrives meanwhile is held, and
// delivered after a new login.
func TestDeliveryBanHoldsAndAlerts(t *testing.T) {
	robot := newRobotServer(t, "wecom")
	emu, emuURL := startEmulator(t, false)
	d := startDemoOn(t, emuURL, robot.env(nil)) // default grace: a ban skips it
	scanAndConfirm(d, emu)
	seq := d.lastSeq(cadres)
	from := len(robot.got())

	if err := emu.Ban(); err != nil {
		t.Fatal(err)
	}
	robot.waitPost(d, from, "1102")
	if a := robot.got()[len(robot.got())-1]; !strings.Contains(a, "qunzhu 的微信已掉线，请扫码登录："+d.http+"/login") {
		t.Errorf("ban alert = %q, want the login link", a)
	}
	code, out := d.webhook(cadres, "封号期间的告警：请立即处理。", "while-banned")
	if code != http.StatusAccepted {
		t.Fatalf("webhook while banned = %d %v", code, out)
	}
	time.Sleep(500 * time.Millisecond)
	if r := d.readyz(); r.WeChat == "online" || r.Outbox.Pending != 1 {
		t.Fatalf("/readyz while banned = %+v, want not online and 1 pending", r)
	}
	if got := d.fromBot(cadres, seq); len(got) != 0 {
		t.Fatalf("sent while banned: %q", got)
	}
	scanAndConfirm(d, emu) // a banned account gets no push login: straight to QR
	d.expectFromBot(cadres, seq, "封号期间的告警")
}

// TestDeliveryThrottleBacksOffThenDeliversAll: three sends answered 1205
// ("操作频繁"); the sender pauses 200 ms, 400 ms, 800 ms and delivers all.
func TestDeliveryThrottleBacksOffThenDeliversAll(t *testing.T) {
	d := startDemo(t, map[string]string{
		"QUNZHU_LIMITS_THROTTLE_BACKOFF":     "200ms",
		"QUNZHU_LIMITS_THROTTLE_BACKOFF_MAX": "5s",
	})
	seq := d.lastSeq(cadres)
	if code, body := d.postJSON(d.emu+"/_emu/session", map[string]any{"action": "throttle", "count": 3}); code != http.StatusOK {
		t.Fatalf("throttle: %d %s", code, body)
	}
	start := time.Now()
	var want []string
	for i := range 5 {
		text := fmt.Sprintf("限流测试第%d条：12345热线工单超期。", i+1)
		want = append(want, text)
		if code, out := d.webhook(cadres, text, fmt.Sprintf("throttle-%d", i)); code != http.StatusAccepted {
			t.Fatalf("webhook %d = %d %v", i, code, out)
		}
	}
	d.eventually("all five", func() error {
		if got := d.fromBot(cadres, seq); len(got) < 5 {
			return fmt.Errorf("got %d", len(got))
		}
		return nil
	})
	elapsed := time.Since(start)
	if got := d.fromBot(cadres, seq); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %q\nwant %q", got, want)
	}
	if elapsed < 1400*time.Millisecond {
		t.Errorf("all delivered after %v; three 1205s must cost at least 200+400+800 ms", elapsed)
	}
	if n := strings.Count(d.stderr.String(), "platform throttled the account, backing off"); n != 3 {
		t.Errorf("back-offs logged = %d, want 3", n)
	}
}

// TestDeliveryDailyCapHoldsUntilTheNextDay: with a cap of 3 a day, the fourth
// and fifth messages wait for the next calendar day (the demo clock jumps
// there); the fallback robot hears about it once, and so do the group's owners.
func TestDeliveryDailyCapHoldsUntilTheNextDay(t *testing.T) {
	robot := newRobotServer(t, "wecom")
	d := startDemo(t, robot.env(map[string]string{"QUNZHU_LIMITS_DAILY": "3"}))
	seq := d.lastSeq(cadres)
	for i := range 5 {
		if code, out := d.webhook(cadres, fmt.Sprintf("上限测试第%d条", i+1), fmt.Sprintf("cap-%d", i)); code != http.StatusAccepted {
			t.Fatalf("webhook %d = %d %v", i, code, out)
		}
	}
	robot.waitPost(d, 0, "达到每日上限")
	// The owners hear it once in the group: the one message the cap lets through.
	d.expectFromBot(cadres, seq, "【发送提醒】")
	time.Sleep(500 * time.Millisecond)
	got := d.fromBot(cadres, seq)
	// How many wait depends on how many webhooks had arrived when the cap was
	// hit (they are posted one after another while sending goes on).
	if len(got) != 4 || !strings.Contains(got[3], "@张书记\u2005【发送提醒】") || !regexp.MustCompile(`还有[12]条消息`).MatchString(got[3]) {
		t.Fatalf("sent today = %q, want the first 3 and the owners' notice naming what waits", got)
	}
	if code, body := d.postJSON(d.http+"/_demo/clock", map[string]string{"advance": "24h"}); code != http.StatusOK {
		t.Fatalf("advance the demo clock: %d %s", code, body)
	}
	d.expectFromBot(cadres, seq, "上限测试第5条")
	if got := d.fromBot(cadres, seq); len(got) != 6 || strings.Count(strings.Join(got, "\n"), "【发送提醒】") != 1 {
		t.Fatalf("sent = %q, want all 5 and one notice", got)
	}
	if n := count(robot.got(), 0, "达到每日上限"); n != 1 {
		t.Errorf("daily cap notices = %d, want 1", n)
	}
}
