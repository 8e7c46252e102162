package wecomemu_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/wecom"
	"github.com/qunzhu/qunzhu/wecomemu"
)

const group = "企微测试群"

func newEmu(t *testing.T, rate int) (*wecomemu.Server, string) {
	t.Helper()
	emu := wecomemu.New(wecomemu.Config{Token: "tok", EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", RobotName: "群主助手",
		RatePerMinute: rate, Groups: []wecomemu.GroupConfig{{Name: group, ChatID: "wr1", WebhookKey: "key1",
			Members: []wecomemu.Person{{Name: "张三", UserID: "zhangsan"}}}}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	return emu, srv.URL
}

func post(t *testing.T, u string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// TestRobotWebhookBehavesLikeWeCom: unknown key 93000, bad bodies with
// WeCom's errcodes, the per-minute limit 45009, injected faults, and what the
// group shows.
func TestRobotWebhookBehavesLikeWeCom(t *testing.T) {
	emu, base := newEmu(t, 3)
	send := base + "/cgi-bin/webhook/send?key="
	text := map[string]any{"msgtype": "text", "text": map[string]any{"content": "你好", "mentioned_list": []string{"zhangsan"}}}
	for _, tt := range []struct {
		key  string
		body any
		want float64
	}{
		{"nokey", text, 93000},
		{"key1", map[string]any{"msgtype": "voice"}, 40008},
		{"key1", map[string]any{"msgtype": "text", "text": map[string]any{"content": ""}}, 44004},
		{"key1", map[string]any{"msgtype": "text", "text": map[string]any{"content": strings.Repeat("字", 700)}}, 40058},
		{"key1", map[string]any{"msgtype": "image", "image": map[string]any{"base64": "AAAA", "md5": "x"}}, 40058},
	} {
		if code, out := post(t, send+tt.key, tt.body); code != http.StatusOK || out["errcode"] != tt.want {
			t.Errorf("%v: %d %v, want errcode %v", tt.body, code, out, tt.want)
		}
	}
	img := []byte("PNG")
	sum := md5.Sum(img)
	for i, body := range []any{text, map[string]any{"msgtype": "image", "image": map[string]any{"base64": base64.StdEncoding.EncodeToString(img), "md5": hex.EncodeToString(sum[:])}},
		map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": "请 <@zhangsan> 处理"}}} {
		if _, out := post(t, send+"key1", body); out["errcode"] != 0.0 {
			t.Errorf("send %d: %v", i, out)
		}
	}
	if _, out := post(t, send+"key1", text); out["errcode"] != 45009.0 {
		t.Errorf("fourth in a minute with a limit of 3: %v", out)
	}
	for fault, want := range map[string]int{"invalid_key": 200, "server_error": 502} {
		if err := emu.Inject(fault, 1); err != nil {
			t.Fatal(err)
		}
		if code, _ := post(t, send+"key1", text); code != want {
			t.Errorf("%s: HTTP %d, want %d", fault, code, want)
		}
	}
	if err := emu.Inject("nonsense", 1); err == nil {
		t.Error("unknown fault accepted")
	}
	ms, err := emu.WaitMessages(context.Background(), group, 0)
	if err != nil || len(ms) != 3 {
		t.Fatalf("history = %+v, %v; want the 3 accepted", ms, err)
	}
	if ms[0].Text != "你好" || ms[0].Mentions[0] != "zhangsan" || ms[1].Type != "image" || ms[2].Mentions[0] != "zhangsan" || !ms[2].Bot {
		t.Errorf("history = %+v", ms)
	}
}

// TestControlAPIShape: the wxemu-shaped control API, its errors, and the wait.
func TestControlAPIShape(t *testing.T) {
	_, base := newEmu(t, 0)
	resp, err := http.Get(base + "/_emu/groups")
	if err != nil {
		t.Fatal(err)
	}
	var groups []wecomemu.GroupInfo
	_ = json.NewDecoder(resp.Body).Decode(&groups)
	resp.Body.Close()
	if len(groups) != 1 || groups[0].Platform != "wecom" || groups[0].Members[0] != "张三" {
		t.Errorf("groups = %+v", groups)
	}
	msgs := base + "/_emu/groups/" + url.PathEscape(group) + "/messages"
	for _, tt := range []struct {
		u    string
		body any
		want int
	}{
		{base + "/_emu/groups/nope/messages", map[string]string{"from": "张三", "text": "x"}, 404},
		{msgs, map[string]string{"from": "王五", "text": "x"}, 404},
		{msgs, map[string]string{"from": "张三"}, 400},
		{msgs, map[string]string{"from": "张三", "content": "typo"}, 400},
		{msgs, map[string]string{"from": "张三", "text": "x"}, 409}, // no callback URL yet
		{base + "/_emu/faults", map[string]any{"fault": "redeliver", "count": -1}, 400},
	} {
		if code, out := post(t, tt.u, tt.body); code != tt.want {
			t.Errorf("POST %s %v: %d %v, want %d", tt.u, tt.body, code, out, tt.want)
		}
	}
	start := time.Now()
	resp, err = http.Get(msgs + "?after=0&wait=300ms")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != "[]" || time.Since(start) < 300*time.Millisecond {
		t.Errorf("empty wait: %s after %v", b, time.Since(start))
	}
	for _, q := range []string{"?after=x", "?wait=2m"} {
		if resp, err := http.Get(msgs + q); err != nil || resp.StatusCode != 400 {
			t.Errorf("%s: %v %v", q, resp.StatusCode, err)
		}
	}
}

// TestResponseURLIsSingleUse: a callback's response_url takes one markdown
// reply, which the group shows; the second is refused. The fake qunzhu opens
// the callback with package wecom's crypto.
func TestResponseURLIsSingleUse(t *testing.T) {
	emu, _ := newEmu(t, 0)
	c, err := wecom.NewCrypto("tok", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "")
	if err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Encrypt string }
		_ = json.NewDecoder(r.Body).Decode(&env)
		q := r.URL.Query()
		if !c.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		plain, err := c.Decrypt(env.Encrypt)
		var cb struct {
			ResponseURL string `json:"response_url"`
		}
		if err != nil || json.Unmarshal(plain, &cb) != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		urls <- cb.ResponseURL
	}))
	defer fake.Close()
	emu.SetCallbackURL(fake.URL)
	res, err := emu.Post(context.Background(), group, "zhangsan", "/ping", nil)
	if err != nil || res.CallbackStatus != 200 {
		t.Fatalf("post: %+v %v", res, err)
	}
	u := <-urls
	reply := map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": "@张三 pong"}}
	if _, out := post(t, u, reply); out["errcode"] != 0.0 {
		t.Fatalf("first reply: %v", out)
	}
	if _, out := post(t, u, reply); out["errcode"] == 0.0 {
		t.Error("second reply through the same response_url accepted")
	}
	if _, out := post(t, u+"x", reply); out["errcode"] == 0.0 {
		t.Error("unknown response_code accepted")
	}
	ms, _ := emu.WaitMessages(context.Background(), group, res.Seq)
	if len(ms) != 1 || ms[0].Via != "response_url" || ms[0].Text != "@张三 pong" {
		t.Errorf("group shows %+v", ms)
	}
}
