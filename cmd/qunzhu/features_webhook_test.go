package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

const webhookYAML = `
groups:
  - name: 城管工作群
    members:
      - {name: 周局长, unit: 市城管委, role: owner, mobile: "138 0013 8000", wecom_userid: zhouju, dingtalk_userid: user123}
webhook_sources:
  - name: hotline-12345
    kind: hotline
    secret: hotline-secret-0123456789
    routes:
      - {unit: 市城管委, group: 城管工作群}
      - {unit: 市城管委, district: 黄浦区, group: 城管工作群, groups: [区委干部工作群]}
  - name: ops-wecom
    kind: wecom
    token_file: %s
    group: 区委干部工作群
  - name: ops-wecom-2
    kind: wecom
    key: 8a6b7936-06b1-4ada-ab66-f6389d78f053
    group: 城管工作群
  - name: ops-dingtalk
    kind: dingtalk
    secret: SECdingtalk-secret-0123456789
    group: 城管工作群
    rate_limit: "off"
  - name: prometheus
    kind: alertmanager
    token: prometheus-token-0123456789
    rate_limit: 600/1m,100
    routes:
      - {name: ops, group: 区委干部工作群}
  - name: fast-hotline
    kind: hotline
    secret: fast-hotline-secret-0123456
    digest_window: 0s
    routes: [{group: 区委干部工作群}]
`

func TestWebhookSourcesConfig(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "wecom-key")
	if err := os.WriteFile(keyFile, []byte("693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QUNZHU_SOURCE_OPS_DINGTALK_TOKEN": "dingtalk-access-token-0123456789"}
	cfg, err := loadConfig("", []byte(strings.Replace(webhookYAML, "%s", keyFile, 1)), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	srcs, err := cfg.webhookSources()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]webhook.Source{}
	for _, s := range srcs {
		byName[s.Name] = s
	}
	h := byName["hotline-12345"]
	if h.DigestWindow != 30*time.Second || h.Limit != webhook.DefaultLimit(webhook.KindHotline) {
		t.Errorf("hotline defaults: window %v limit %+v", h.DigestWindow, h.Limit)
	}
	if got := strings.Join(h.Routes[1].Groups, ","); got != "城管工作群,区委干部工作群" {
		t.Errorf("route groups = %s, want group then groups", got)
	}
	if got := byName["ops-wecom"].Token; got != "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa" {
		t.Errorf("wecom key from file = %q", got)
	}
	if got := byName["ops-wecom-2"].Token; got != "8a6b7936-06b1-4ada-ab66-f6389d78f053" {
		t.Errorf("wecom key: = %q, want it as the token", got)
	}
	if w := byName["ops-wecom"].Limit; w != (qunzhu.Limit{Rate: 20, Period: time.Minute, Burst: 20}) {
		t.Errorf("wecom default limit = %+v, want WeCom's own 20/min", w)
	}
	d := byName["ops-dingtalk"]
	if d.Token != "dingtalk-access-token-0123456789" || !d.Limit.IsZero() {
		t.Errorf("dingtalk: token from env %q, limit %+v (want off)", d.Token, d.Limit)
	}
	if p := byName["prometheus"].Limit; p != (qunzhu.Limit{Rate: 600, Period: time.Minute, Burst: 100}) {
		t.Errorf("prometheus limit = %+v", p)
	}
	if byName["fast-hotline"].DigestWindow != 0 {
		t.Errorf("digest_window 0s = %v, want 0 (post at once)", byName["fast-hotline"].DigestWindow)
	}
}

func TestWebhookSourcesConfigErrors(t *testing.T) {
	const secret = "a-secret-that-must-not-show-0123"
	tests := []struct {
		name, yaml, want string
	}{
		{"hotline without routes", "webhook_sources:\n  - {name: h, kind: hotline, secret: " + secret + "}\n", "webhook_sources[h]: routes are required"},
		{"wecom without key", "webhook_sources:\n  - {name: w, kind: wecom, group: 群}\n", "QUNZHU_SOURCE_W_TOKEN"},
		{"dingtalk without secret", "webhook_sources:\n  - {name: d, kind: dingtalk, token: " + secret + ", group: 群}\n", "QUNZHU_SOURCE_D_SECRET"},
		{"unknown kind", "webhook_sources:\n  - {name: f, kind: feishu, secret: " + secret + "}\n", `kind "feishu"`},
		{"bad rate limit", "webhook_sources:\n  - {name: m, secret: " + secret + ", rate_limit: fast}\n", "webhook_sources[m]: rate_limit"},
		{"negative digest window", "webhook_sources:\n  - {name: h, kind: hotline, secret: " + secret + ", digest_window: -1s, routes: [{group: 群}]}\n", "digest_window"},
		{"same wecom key twice", "webhook_sources:\n  - {name: a, kind: wecom, token: " + secret + ", group: 群}\n  - {name: b, kind: wecom, token: " + secret + ", group: 群}\n", "same token"},
		{"bad mobile", "groups:\n  - name: 群\n    members:\n      - {name: 周局长, mobile: \"12345\"}\n", "mobile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig("", []byte(tt.yaml), func(string) string { return "" })
			if err == nil {
				err = cfg.validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	_, err := loadConfig("", []byte("webhook_sources:\n  - {name: w, kind: wecom, key: x, token: y, group: 群}\n"), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "key and token") {
		t.Errorf("key and token: %v", err)
	}
	_, err = loadConfig("", []byte("webhook_sources:\n  - {name: w, kind: wecom, token: x, token_file: /y, group: 群}\n"), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "token and token_file") {
		t.Errorf("token and token_file: %v", err)
	}
}
