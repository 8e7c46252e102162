// Package notify posts plain-text notices to a group robot outside WeChat —
// WeCom (企业微信), DingTalk (钉钉) or Feishu/Lark (飞书) — the fallback channel
// that tells the people who run qunzhu when WeChat delivery stops. It knows
// the three robots' wire formats and signatures and nothing else; deciding
// what to say and when is outbox.Fallback's job.
//
// A robot's webhook URL is itself a credential (WeCom's key=, DingTalk's
// access_token=, Feishu's hook id), and so is its signing secret: neither
// ever appears in an error, a log line or a %v of a Robot. Every test of this
// package checks that, Alertmanager-style.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind names a robot platform, as written in the configuration.
type Kind string

// The robots qunzhu can post to.
const (
	WeCom    Kind = "wecom"    // 企业微信群机器人
	DingTalk Kind = "dingtalk" // 钉钉自定义机器人
	Feishu   Kind = "feishu"   // 飞书 / Lark 自定义机器人
)

// Config describes one robot. URL is the webhook address the platform shows
// when the robot is added to a group; Secret is the signing secret (DingTalk
// "SEC…", Feishu), empty when the robot is protected by keywords or IP lists
// instead. WeCom robots are not signed.
type Config struct {
	Kind   Kind
	URL    string
	Secret string
	// Client sends the requests; nil uses one with a 10 s timeout.
	Client *http.Client
	// Now stamps signatures; nil is time.Now. Signatures are checked against
	// the platform's wall clock (±1 h), so this is never the demo's clock.
	Now func() time.Time
}

// Robot posts to one group robot. It is safe for concurrent use.
type Robot struct {
	kind     Kind
	url      *url.URL
	secret   string
	client   *http.Client
	now      func() time.Time
	maxBytes int
	redactor *strings.Replacer
}

// New checks cfg and returns its robot. Its errors name the setting that is
// wrong, never its value.
func New(cfg Config) (*Robot, error) {
	r := &Robot{kind: cfg.Kind, secret: cfg.Secret, client: cfg.Client, now: cfg.Now}
	switch cfg.Kind {
	case WeCom:
		// "文本内容，最长不超过2048个字节" (WeCom group robot, document 91770).
		r.maxBytes = 2048
	case DingTalk, Feishu:
		// Well under both platforms' request limits (20 KB); notices are short.
		r.maxBytes = 4000
	default:
		return nil, fmt.Errorf("kind %q: want wecom, dingtalk or feishu", cfg.Kind)
	}
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("url: not an absolute http(s) URL (the robot's webhook address)")
	}
	r.url = u
	switch {
	case cfg.Kind == WeCom && u.Query().Get("key") == "":
		return nil, fmt.Errorf("url: a WeCom robot URL has a key= parameter (…/cgi-bin/webhook/send?key=…)")
	case cfg.Kind == WeCom && cfg.Secret != "":
		return nil, fmt.Errorf("secret: WeCom robots are not signed; leave the secret empty")
	case cfg.Kind == DingTalk && u.Query().Get("access_token") == "":
		return nil, fmt.Errorf("url: a DingTalk robot URL has an access_token= parameter (…/robot/send?access_token=…)")
	case cfg.Kind == Feishu && strings.Trim(u.Path, "/") == "":
		return nil, fmt.Errorf("url: a Feishu robot URL ends with the hook id (…/open-apis/bot/v2/hook/…)")
	}
	if r.client == nil {
		r.client = &http.Client{Timeout: 10 * time.Second}
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.redactor = newRedactor(cfg.URL, cfg.Secret, u)
	return r, nil
}

// Kind is the robot's platform.
func (r *Robot) Kind() Kind { return r.kind }

// String names the robot by platform and host only: the URL is a credential.
func (r *Robot) String() string { return fmt.Sprintf("notify.Robot{%s %s}", r.kind, r.url.Host) }

// GoString keeps %#v as safe as %v.
func (r *Robot) GoString() string { return r.String() }

// LogValue keeps the robot's URL and secret out of structured logs.
func (r *Robot) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", string(r.kind)), slog.String("host", r.url.Host))
}

// Notify posts text to the robot's group. retry is true when trying again
// later may succeed (network, HTTP 429/5xx, the platform's rate limit), false
// for a refusal that will not change by itself (wrong key, bad signature).
func (r *Robot) Notify(ctx context.Context, text string) (retry bool, err error) {
	text = truncate(text, r.maxBytes)
	switch r.kind {
	case WeCom:
		return r.postWeCom(ctx, text)
	case DingTalk:
		return r.postDingTalk(ctx, text)
	default:
		return r.postFeishu(ctx, text)
	}
}

// post sends body as JSON to u and hands a 2xx answer to check.
func (r *Robot) post(ctx context.Context, u *url.URL, body any, check func([]byte) (bool, error)) (bool, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return false, r.errorf("encode: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return false, r.errorf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := r.client.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, key and all: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, r.errorf("post: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, r.errorf("HTTP %d: %s", resp.StatusCode, snippet(data))
	case resp.StatusCode >= 300:
		return false, r.errorf("HTTP %d: %s", resp.StatusCode, snippet(data))
	}
	return check(data)
}

// errorf builds an error whose text has every credential blanked out. It
// wraps nothing, so no error further down the chain can leak one either.
func (r *Robot) errorf(format string, args ...any) error {
	return errors.New(string(r.kind) + " robot: " + r.redactor.Replace(fmt.Sprintf(format, args...)))
}

// redacted stands in for a credential in errors.
const redacted = "[REDACTED]"

// newRedactor blanks the URL, its query values, its path segments after the
// host (Feishu's hook id) and the secret, raw and escaped.
func newRedactor(raw, secret string, u *url.URL) *strings.Replacer {
	seen := map[string]bool{}
	var pairs []string
	add := func(s string) {
		if len(s) < 4 || seen[s] {
			return
		}
		seen[s] = true
		for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			pairs = append(pairs, v, redacted)
		}
	}
	add(strings.TrimSpace(raw))
	add(u.String())
	add(u.RawQuery)
	add(secret)
	for _, vs := range u.Query() {
		for _, v := range vs {
			add(v)
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= 16 { // ids and tokens, not words like "send" or "hook"
			add(seg)
		}
	}
	return strings.NewReplacer(pairs...)
}

// snippet is the start of a response body for an error message.
func snippet(b []byte) string {
	return truncate(strings.TrimSpace(string(b)), 200)
}

// truncate cuts s to at most n bytes at a character boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// apiAnswer is the JSON answer of WeCom and DingTalk robots.
type apiAnswer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// checkErrcode reads a WeCom or DingTalk answer: errcode 0 is success; the
// codes in retryable are the platform saying "later" (busy, too fast).
func (r *Robot) checkErrcode(data []byte, retryable ...int) (bool, error) {
	var a apiAnswer
	if err := json.Unmarshal(data, &a); err != nil || a.ErrCode == nil {
		// Not the robot API answering (a proxy's page?); it may recover.
		return true, r.errorf("unexpected answer: %s", snippet(data))
	}
	if *a.ErrCode == 0 {
		return false, nil
	}
	for _, c := range retryable {
		if *a.ErrCode == c {
			return true, r.errorf("errcode %d: %s", *a.ErrCode, snippet([]byte(a.ErrMsg)))
		}
	}
	return false, r.errorf("errcode %d: %s", *a.ErrCode, snippet([]byte(a.ErrMsg)))
}
