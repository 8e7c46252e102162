package notify_test

import (
	"bytes"
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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/notify"
)

// The credentials every test uses; none of them may ever show in an error.
const (
	weComKey   = "wecom-key-5f0c2a7e-1d3b-4c6e-9a8f-0b1c2d3e4f50"
	dingToken  = "dingtalk-access-token-9c8b7a6f5e4d3c2b1a0"
	dingSecret = "SECdingtalk-secret-0123456789abcdef0123456789"
	feishuHook = "feishu-hook-7e57a1b2-c3d4-e5f6-a7b8-c9d0e1f2a3b4"
	feishuSec  = "feishu-secret-Zm9vYmFyYmF6cXV4"
)

var secrets = []string{weComKey, dingToken, dingSecret, feishuHook, feishuSec}

// receiver is a robot platform's webhook endpoint as the documentation
// describes it, checking the signature itself (written here independently of
// the package). answer, when set, replaces the normal success answer.
type receiver struct {
	kind   notify.Kind
	secret string // the signing secret the platform expects

	mu     sync.Mutex
	texts  []string
	answer func(w http.ResponseWriter, r *http.Request)
	srv    *httptest.Server
}

func newReceiver(t *testing.T, kind notify.Kind, secret string) *receiver {
	t.Helper()
	rc := &receiver{kind: kind, secret: secret}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

// url is the robot's webhook URL on this receiver.
func (rc *receiver) url() string {
	switch rc.kind {
	case notify.WeCom:
		return rc.srv.URL + "/cgi-bin/webhook/send?key=" + weComKey
	case notify.DingTalk:
		return rc.srv.URL + "/robot/send?access_token=" + dingToken
	}
	return rc.srv.URL + "/open-apis/bot/v2/hook/" + feishuHook
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.texts...)
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	answer := rc.answer
	rc.mu.Unlock()
	if answer != nil {
		answer(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "want a JSON POST", http.StatusBadRequest)
		return
	}
	var text string
	switch rc.kind {
	case notify.WeCom:
		var m struct {
			MsgType string                   `json:"msgtype"`
			Text    struct{ Content string } `json:"text"`
		}
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != weComKey {
			writeJSON(w, map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
			return
		}
		if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "text" {
			writeJSON(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
			return
		}
		text = m.Text.Content
	case notify.DingTalk:
		q := r.URL.Query()
		ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		// 将timestamp+"\n"+密钥当做签名字符串，使用HmacSHA256算法计算签名，然后进行Base64 encode.
		mac := hmac.New(sha256.New, []byte(rc.secret))
		fmt.Fprintf(mac, "%d\n%s", ts, rc.secret)
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if q.Get("access_token") != dingToken || err != nil || q.Get("sign") != want ||
			time.Since(time.UnixMilli(ts)).Abs() > time.Hour {
			writeJSON(w, map[string]any{"errcode": 310000, "errmsg": "sign not match"})
			return
		}
		var m struct {
			MsgType string                   `json:"msgtype"`
			Text    struct{ Content string } `json:"text"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "text" {
			writeJSON(w, map[string]any{"errcode": 40035, "errmsg": "缺少参数 json"})
			return
		}
		text = m.Text.Content
	case notify.Feishu:
		var m struct {
			Timestamp string                `json:"timestamp"`
			Sign      string                `json:"sign"`
			MsgType   string                `json:"msg_type"`
			Content   struct{ Text string } `json:"content"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "text" {
			writeJSON(w, map[string]any{"code": 9499, "msg": "Bad Request"})
			return
		}
		ts, err := strconv.ParseInt(m.Timestamp, 10, 64)
		// timestamp + "\n" + 密钥 as the HmacSHA256 key, an empty message, Base64.
		mac := hmac.New(sha256.New, []byte(m.Timestamp+"\n"+rc.secret))
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if r.URL.Path != "/open-apis/bot/v2/hook/"+feishuHook || err != nil || m.Sign != want ||
			time.Since(time.Unix(ts, 0)).Abs() > time.Hour {
			writeJSON(w, map[string]any{"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
			return
		}
		text = m.Content.Text
		rc.mu.Lock()
		rc.texts = append(rc.texts, text)
		rc.mu.Unlock()
		writeJSON(w, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
		return
	}
	rc.mu.Lock()
	rc.texts = append(rc.texts, text)
	rc.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func newRobot(t *testing.T, kind notify.Kind, u, secret string) *notify.Robot {
	t.Helper()
	r, err := notify.New(notify.Config{Kind: kind, URL: u, Secret: secret})
	if err != nil {
		t.Fatalf("New(%s): %v", kind, err)
	}
	return r
}

// robots are the three platforms with the secret each is configured with.
var robots = []struct {
	kind   notify.Kind
	secret string
}{{notify.WeCom, ""}, {notify.DingTalk, dingSecret}, {notify.Feishu, feishuSec}}

const alert = "qunzhu 已掉线，请扫码登录：https://qunzhu.example.gov.cn/login\n状态：等待扫码，掉线于 06-19 14:03（已 12 分钟）。"

func TestNotifyPostsSignedTextEachPlatformAccepts(t *testing.T) {
	for _, rb := range robots {
		t.Run(string(rb.kind), func(t *testing.T) {
			rc := newReceiver(t, rb.kind, rb.secret)
			r := newRobot(t, rb.kind, rc.url(), rb.secret)
			retry, err := r.Notify(context.Background(), alert)
			if err != nil {
				t.Fatalf("Notify = %v (retry %v)", err, retry)
			}
			if got := rc.got(); len(got) != 1 || got[0] != alert {
				t.Fatalf("receiver got %q, want the alert once", got)
			}
		})
	}
}

func TestNotifyUnsignedDingTalkAndFeishu(t *testing.T) {
	// A robot secured by keywords or IP lists has no secret: no signature sent.
	for _, kind := range []notify.Kind{notify.DingTalk, notify.Feishu} {
		t.Run(string(kind), func(t *testing.T) {
			var got url_ // what arrived
			rc := newReceiver(t, kind, "")
			rc.answer = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = url_{r.URL.RawQuery, string(b)}
				writeJSON(w, map[string]any{"errcode": 0, "code": 0})
			}
			if _, err := newRobot(t, kind, rc.url(), "").Notify(context.Background(), "qunzhu 测试"); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(got.query, "sign=") || strings.Contains(got.body, `"sign"`) {
				t.Errorf("unsigned robot sent a signature: query %q body %q", got.query, got.body)
			}
		})
	}
}

type url_ struct{ query, body string }

func TestNotifyWrongSecretIsPermanent(t *testing.T) {
	for _, rb := range robots[1:] {
		t.Run(string(rb.kind), func(t *testing.T) {
			rc := newReceiver(t, rb.kind, rb.secret)
			r := newRobot(t, rb.kind, rc.url(), "SECnot-the-right-secret-at-all")
			retry, err := r.Notify(context.Background(), alert)
			if err == nil || retry {
				t.Fatalf("Notify with a wrong secret = %v, retry %v; want a permanent error", err, retry)
			}
			if !strings.Contains(err.Error(), "310000") && !strings.Contains(err.Error(), "19021") {
				t.Errorf("error %q does not carry the platform's code", err)
			}
		})
	}
}

func TestNotifyRetryOnlyWhenLaterMayHelp(t *testing.T) {
	tests := []struct {
		name   string
		kind   notify.Kind
		status int
		body   string
		retry  bool
	}{
		{"wecom rate limit", notify.WeCom, 200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, true},
		{"wecom busy", notify.WeCom, 200, `{"errcode":-1,"errmsg":"system busy"}`, true},
		{"wecom bad key", notify.WeCom, 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, false},
		{"dingtalk too fast", notify.DingTalk, 200, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, true},
		{"dingtalk keyword", notify.DingTalk, 200, `{"errcode":310000,"errmsg":"keywords not in content"}`, false},
		{"feishu frequency", notify.Feishu, 200, `{"code":11232,"msg":"frequency limited"}`, true},
		{"feishu bad request", notify.Feishu, 200, `{"code":9499,"msg":"Bad Request"}`, false},
		{"feishu old success", notify.Feishu, 200, `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`, false},
		{"gateway", notify.DingTalk, 502, `<html>502 Bad Gateway</html>`, true},
		{"too many", notify.Feishu, 429, ``, true},
		{"not found", notify.WeCom, 404, `not found`, false},
		{"a proxy page", notify.WeCom, 200, `<html>login required</html>`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.kind, "")
			rc.answer = func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}
			retry, err := newRobot(t, tt.kind, rc.url(), "").Notify(context.Background(), "qunzhu 测试")
			success := tt.name == "feishu old success"
			if success != (err == nil) {
				t.Fatalf("err = %v, want success %v", err, success)
			}
			if err != nil && retry != tt.retry {
				t.Errorf("retry = %v, want %v (err %v)", retry, tt.retry, err)
			}
		})
	}
}

func TestNotifyCutsLongChineseTextAtACharacter(t *testing.T) {
	rc := newReceiver(t, notify.WeCom, "")
	long := strings.Repeat("掉线期间积压的告警：市城管委工单超期。", 60) // ~3,400 bytes
	if _, err := newRobot(t, notify.WeCom, rc.url(), "").Notify(context.Background(), long); err != nil {
		t.Fatal(err)
	}
	got := rc.got()[0]
	if len(got) > 2048 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Fatalf("cut text: %d bytes, valid %v, %q…", len(got), utf8.ValidString(got), got[len(got)-20:])
	}
}

// TestNotifyNeverLeaksCredentials checks every way a credential could reach
// an error or a log: echoed by a failing server, in a transport error's URL,
// in %v and slog renderings of a Robot, in a refused configuration.
func TestNotifyNeverLeaksCredentials(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "upstream failed for %s %s", r.URL.String(), b)
	}
	echoErrmsg := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		writeJSON(w, map[string]any{"errcode": 310000, "code": 19021, "errmsg": "bad request " + r.URL.String() + string(b), "msg": r.URL.String() + string(b)})
	}
	for _, rb := range robots {
		for name, answer := range map[string]http.HandlerFunc{"5xx echoing the request": echo, "error echoing the request": echoErrmsg} {
			t.Run(string(rb.kind)+"/"+name, func(t *testing.T) {
				rc := newReceiver(t, rb.kind, rb.secret)
				rc.answer = answer
				_, err := newRobot(t, rb.kind, rc.url(), rb.secret).Notify(context.Background(), alert)
				if err == nil {
					t.Fatal("want an error")
				}
				noSecret(t, err.Error())
			})
		}
		t.Run(string(rb.kind)+"/connection refused", func(t *testing.T) {
			rc := newReceiver(t, rb.kind, rb.secret)
			u := rc.url()
			rc.srv.Close()
			retry, err := newRobot(t, rb.kind, u, rb.secret).Notify(context.Background(), alert)
			if err == nil || !retry {
				t.Fatalf("Notify to a closed server = %v, retry %v; want a retryable error", err, retry)
			}
			noSecret(t, err.Error())
		})
		t.Run(string(rb.kind)+"/timeout", func(t *testing.T) {
			rc := newReceiver(t, rb.kind, rb.secret)
			block := make(chan struct{})
			rc.answer = func(w http.ResponseWriter, r *http.Request) { <-block }
			defer close(block)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := newRobot(t, rb.kind, rc.url(), rb.secret).Notify(ctx, alert)
			if err == nil {
				t.Fatal("want a timeout")
			}
			noSecret(t, err.Error())
		})
		t.Run(string(rb.kind)+"/renderings", func(t *testing.T) {
			r := newRobot(t, rb.kind, newReceiver(t, rb.kind, rb.secret).url(), rb.secret)
			var logs bytes.Buffer
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("robot", "robot", r)
			slog.New(slog.NewTextHandler(&logs, nil)).Info("robot", "robot", r)
			noSecret(t, fmt.Sprintf("%v %+v %#v %s", r, r, r, r)+logs.String())
		})
	}
	t.Run("refused configuration", func(t *testing.T) {
		for _, cfg := range []notify.Config{
			{Kind: notify.WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + weComKey, Secret: dingSecret},
			{Kind: notify.WeCom, URL: "qyapi.weixin.qq.com/send?key=" + weComKey},
			{Kind: notify.DingTalk, URL: "https://oapi.dingtalk.com/robot/send?token=" + dingToken, Secret: dingSecret},
			{Kind: "slack", URL: "https://hooks.example.com/" + feishuHook},
		} {
			_, err := notify.New(cfg)
			if err == nil {
				t.Fatalf("New(%s) accepted a bad configuration", cfg.Kind)
			}
			noSecret(t, err.Error())
		}
	})
}

func noSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			t.Errorf("credential %q leaked into %q", secret[:8]+"…", s)
		}
	}
}
