package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/qunzhu/qunzhu/webhook"
)

// These tests start the whole program through run, in demo mode, with the real
// openwechat library talking to the built-in emulator, and act as a user would:
// through the emulator's control API and the webhook server. This package drives
// openwechat, whose own data races make -race useless here (see README).

const testSecret = "e2e-test-secret-0123456789"

// demo is one running `qunzhu demo`.
type demo struct {
	t      testing.TB
	http   string // webhook server base URL
	emu    string // emulator base URL
	dt     string // DingTalk emulator base URL
	wecom  string // WeCom emulator base URL
	data   string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startDemo runs `qunzhu demo` with limits raised so tests are quick; env adds
// or overrides environment variables.
func startDemo(t testing.TB, env map[string]string) *demo {
	t.Helper()
	d := &demo{t: t, data: t.TempDir(), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	httpAddr, emuAddr, dtAddr, wecomAddr := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	d.http, d.emu, d.dt, d.wecom = "http://"+httpAddr, "http://"+emuAddr, "http://"+dtAddr, "http://"+wecomAddr
	vars := map[string]string{
		"QUNZHU_DEMO_SECRET":    testSecret,
		"QUNZHU_LIMITS_ACCOUNT": "1000/1s,1000",
		"QUNZHU_LIMITS_GROUP":   "1000/1s,1000",
		"QUNZHU_LIMITS_JITTER":  "0s",
		"QUNZHU_LOG_LEVEL":      "debug",
		// The DingTalk robot's 20 a minute per group, raised on both sides.
		"QUNZHU_DINGTALK_LIMITS_ACCOUNT":  "1000/1s,1000",
		"QUNZHU_DINGTALK_LIMITS_GROUP":    "1000/1s,1000",
		"QUNZHU_DINGTALK_EMU_GROUP_LIMIT": "-1",
		// WeCom's group robot: 20 a minute, raised on both sides too.
		"QUNZHU_WECOM_LIMITS_ACCOUNT": "1000/1s,1000",
		"QUNZHU_WECOM_LIMITS_GROUP":   "1000/1s,1000",
		"QUNZHU_WECOM_EMU_RATE":       "100000",
	}
	for k, v := range env {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	args := []string{"qunzhu", "demo", "--http", httpAddr, "--emu", emuAddr, "--dingtalk-emu", dtAddr, "--wecom-emu", wecomAddr, "--data", d.data}
	go func() { d.done <- run(ctx, args, getenv, d.stdout, d.stderr) }()
	t.Cleanup(d.stop)
	d.waitOnline()
	return d
}

func (d *demo) stop() {
	d.cancel()
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Errorf("run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		d.t.Errorf("run did not return within 20s of cancel")
	}
	if d.t.Failed() {
		d.t.Logf("stdout:\n%s", d.stdout)
		d.t.Logf("stderr (last 8k):\n%s", tail(d.stderr.String(), 8000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// eventually retries f until it succeeds or 15 s pass.
func (d *demo) eventually(what string, f func() error) {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *demo) getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusServiceUnavailable {
		return fmt.Errorf("GET %s: %s %s", u, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

func (d *demo) postJSON(u string, body any) (int, []byte) {
	d.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

type readyz struct {
	Status    string            `json:"status"`
	WeChat    string            `json:"wechat"`
	Platforms map[string]string `json:"platforms"`
}

func (d *demo) wechatState() string {
	var r readyz
	if err := d.getJSON(d.http+"/readyz", &r); err != nil {
		return "unknown: " + err.Error()
	}
	return r.WeChat
}

func (d *demo) waitOnline() {
	d.t.Helper()
	d.eventually("the bot to log in", func() error {
		var r readyz
		if err := d.getJSON(d.http+"/readyz", &r); err != nil {
			return err
		}
		if r.WeChat != "online" || r.Platforms["dingtalk"] != "online" {
			return fmt.Errorf("wechat %q, platforms %v", r.WeChat, r.Platforms)
		}
		return nil
	})
}

type emuMessage struct {
	Seq  int64  `json:"seq"`
	From string `json:"from"`
	Type string `json:"type"`
	Text string `json:"text"`
}

// say posts text into group as member, through the emulator's control API.
func (d *demo) say(group, from, text string) {
	d.t.Helper()
	code, body := d.postJSON(d.emu+"/_emu/groups/"+url.PathEscape(group)+"/messages", map[string]string{"from": from, "text": text})
	if code != http.StatusAccepted {
		d.t.Fatalf("post to emulator: %d %s", code, body)
	}
}

func (d *demo) messages(group string, after int64) []emuMessage {
	d.t.Helper()
	var ms []emuMessage
	u := fmt.Sprintf("%s/_emu/groups/%s/messages?after=%d&wait=1s", d.emu, url.PathEscape(group), after)
	if err := d.getJSON(u, &ms); err != nil {
		d.t.Fatal(err)
	}
	return ms
}

func (d *demo) lastSeq(group string) int64 {
	var ms []emuMessage
	if err := d.getJSON(fmt.Sprintf("%s/_emu/groups/%s/messages", d.emu, url.PathEscape(group)), &ms); err != nil {
		d.t.Fatal(err)
	}
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Seq
}

// expectFromBot waits for a message from the bot in group after seq that
// contains want, and returns it.
func (d *demo) expectFromBot(group string, after int64, want string) emuMessage {
	d.t.Helper()
	var found emuMessage
	d.eventually(fmt.Sprintf("%q from the bot in %s", want, group), func() error {
		for _, m := range d.messages(group, after) {
			if m.From == "群主助手" && strings.Contains(m.Text, want) {
				found = m
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	return found
}

// webhook posts a signed message through the webhook API.
func (d *demo) webhook(group, text, dedup string) (int, map[string]any) {
	d.t.Helper()
	body, _ := json.Marshal(map[string]string{"group": group, "text": text, "dedup_key": dedup})
	req, _ := http.NewRequest(http.MethodPost, d.http+"/api/v1/messages", bytes.NewReader(body))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Qunzhu-Source", "demo")
	req.Header.Set("X-Qunzhu-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Qunzhu-Signature", webhook.Sign(testSecret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const cadres = "区委干部工作群"

func TestDemoPingPong(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(cadres)
	d.say(cadres, "李局长", "/ping")
	m := d.expectFromBot(cadres, seq, "pong")
	if !strings.Contains(m.Text, "@李局长\u2005") {
		t.Errorf("reply %q does not mention the sender", m.Text)
	}
	// Chatter is ignored: nothing from the bot follows an ordinary message.
	seq = d.lastSeq(cadres)
	d.say(cadres, "李局长", "今天下午开会吗？")
	d.say(cadres, "李局长", "／PING")
	d.expectFromBot(cadres, seq, "pong")
	for _, m := range d.messages(cadres, seq) {
		if m.From == "群主助手" && !strings.Contains(m.Text, "pong") {
			t.Errorf("unexpected bot message %q", m.Text)
		}
	}
}

func TestDemoWebhookReachesGroup(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(cadres)
	code, out := d.webhook(cadres, "12345热线：黄浦区工单超期，请市城管委处理。", "ticket-1")
	if code != http.StatusAccepted || out["status"] != "queued" {
		t.Fatalf("webhook = %d %v, want 202 queued", code, out)
	}
	d.expectFromBot(cadres, seq, "黄浦区工单超期")
	code, out = d.webhook(cadres, "12345热线：黄浦区工单超期，请市城管委处理。", "ticket-1")
	if code != http.StatusOK || out["status"] != "duplicate" {
		t.Fatalf("repeat = %d %v, want 200 duplicate", code, out)
	}
}

func TestDemoWebhookWhileLoggedOutArrivesAfterRelogin(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(cadres)
	code, body := d.postJSON(d.emu+"/_emu/session", map[string]any{"action": "expire"})
	if code/100 != 2 {
		t.Fatalf("expire: %d %s", code, body)
	}
	d.eventually("the bot to notice the logout", func() error {
		if st := d.wechatState(); st == "online" {
			return fmt.Errorf("still online")
		}
		return nil
	})
	code, out := d.webhook(cadres, "掉线期间的告警：请立即处理。", "while-offline")
	if code != http.StatusAccepted {
		t.Fatalf("webhook while offline = %d %v, want 202", code, out)
	}
	d.expectFromBot(cadres, seq, "掉线期间的告警")
	if st := d.wechatState(); st != "online" {
		t.Errorf("state after delivery = %q, want online (logged in again by itself)", st)
	}
}

// TestDemoRegisterBindAndRemapAfterRelogin walks the identity story: the
// configured owner (bound by display name at first login) registers a member,
// the member binds with the one-time code, an impostor cannot use it, and the
// binding survives a re-login in which WeChat hands out new UserNames.
func TestDemoRegisterBindAndRemapAfterRelogin(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(cadres)

	d.say(cadres, "李局长", "/成员 添加 赵科长 单位=区委办")
	d.expectFromBot(cadres, seq, "还没有认证")

	seq = d.lastSeq(cadres)
	d.say(cadres, "张书记", "/成员 添加 李局长 单位=市城管委")
	d.expectFromBot(cadres, seq, "认证码已私信发给张书记")
	code := d.privateCode("张书记", seq)

	seq = d.lastSeq(cadres)
	d.say(cadres, "赵科长", "/认证 "+wrongCode(code))
	d.expectFromBot(cadres, seq, "认证码无效或已过期")

	seq = d.lastSeq(cadres)
	d.say(cadres, "李局长", "/认证 "+code)
	d.expectFromBot(cadres, seq, "李局长 已认证，角色 成员")

	seq = d.lastSeq(cadres)
	d.say(cadres, "李局长", "/成员")
	d.expectFromBot(cadres, seq, "已认证")

	// New login, new UserNames: the binding must follow the person.
	if c, b := d.postJSON(d.emu+"/_emu/session", map[string]any{"action": "expire"}); c/100 != 2 {
		t.Fatalf("expire: %d %s", c, b)
	}
	d.eventually("logout", func() error {
		if d.wechatState() == "online" {
			return fmt.Errorf("still online")
		}
		return nil
	})
	d.waitOnline()
	seq = d.lastSeq(cadres)
	d.say(cadres, "李局长", "/成员")
	d.expectFromBot(cadres, seq, "已认证")
	// The owner's own rights survived too.
	seq = d.lastSeq(cadres)
	d.say(cadres, "张书记", "/成员 添加 孙干事 单位=区委办")
	d.expectFromBot(cadres, seq, "已登记 孙干事")
}

// TestDemoWithRedisLimiter runs the same path with the shared limiter in Redis
// (QUNZHU_REDIS_URL), the production setting for several replicas.
func TestDemoWithRedisLimiter(t *testing.T) {
	d := startDemo(t, map[string]string{"QUNZHU_REDIS_URL": testenv.RedisURL(t)})
	seq := d.lastSeq(cadres)
	d.say(cadres, "李局长", "/ping")
	d.expectFromBot(cadres, seq, "pong")
	if strings.Contains(d.stderr.String(), "using in-process limiter") {
		t.Fatalf("the demo fell back to the in-process limiter although Redis is up:\n%s", tail(d.stderr.String(), 4000))
	}
}
