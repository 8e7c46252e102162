package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fallbackURL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=cfg-wecom-key-0123456789"

func TestDeliveryConfigErrorsNameTheSettingAndHideSecrets(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"unknown kind", "public_url: https://q.example.cn\nfallback:\n  kind: slack\n  url: " + fallbackURL + "\n", nil, "fallback.kind"},
		{"no url", "public_url: https://q.example.cn\nfallback: {kind: wecom}\n", nil, "fallback.url"},
		{"wecom with a secret", "public_url: https://q.example.cn\nfallback:\n  kind: wecom\n  url: " + fallbackURL + "\n  secret: SECcfg-secret-0123456789\n", nil, "fallback.secret"},
		{"url without kind", "fallback:\n  url: " + fallbackURL + "\n", nil, "fallback.kind"},
		{"no public url", "fallback:\n  kind: wecom\n  url: " + fallbackURL + "\n", nil, "public_url"},
		{"bad public url", "public_url: qunzhu.example.cn\n", nil, "public_url"},
		{"both url and file", "fallback:\n  kind: wecom\n  url: " + fallbackURL + "\n  url_file: /run/secrets/robot\n", nil, "fallback: url"},
		{"negative grace", "public_url: https://q.example.cn\nfallback:\n  kind: wecom\n  url: " + fallbackURL + "\n  alert_after: -1m\n", nil, "fallback.alert_after"},
		{"short login token", "login_token: short\n", nil, "login_token"},
		{"bad daily", "limits:\n  daily: 500/1h\n", nil, "limits.daily"},
		{"bad backoff env", "", map[string]string{"QUNZHU_LIMITS_THROTTLE_BACKOFF": "soon"}, "QUNZHU_LIMITS_THROTTLE_BACKOFF"},
		{"backoff cap below base", "limits:\n  throttle_backoff: 10m\n  throttle_backoff_max: 1m\n", nil, "limits.throttle_backoff_max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig("", []byte(tt.yaml), func(k string) string { return tt.env[k] })
			if err == nil {
				err = cfg.validate()
			}
			if err == nil {
				t.Fatalf("no error, want one naming %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
			for _, secret := range []string{"cfg-wecom-key-0123456789", "SECcfg-secret-0123456789"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret: %q", err)
				}
			}
		})
	}
}

func TestDeliveryConfigFromEnvironmentAndFiles(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "robot-secret")
	if err := os.WriteFile(secretFile, []byte("SECfrom-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "fallback:\n  kind: dingtalk\n  secret_file: " + secretFile + "\n  urgent_after: 30m\nlimits:\n  daily: 500/24h,500\n"
	env := map[string]string{
		"QUNZHU_FALLBACK_URL":                "https://oapi.dingtalk.com/robot/send?access_token=env-token-0123456789",
		"QUNZHU_PUBLIC_URL":                  "https://qunzhu.example.gov.cn/",
		"QUNZHU_LOGIN_TOKEN":                 "login-token-0123456789",
		"QUNZHU_FALLBACK_ALERT_AFTER":        "0s",
		"QUNZHU_LIMITS_THROTTLE_BACKOFF":     "30s",
		"QUNZHU_LIMITS_THROTTLE_BACKOFF_MAX": "10m",
	}
	cfg, err := loadConfig("", []byte(yaml), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Fallback.Secret, "SECfrom-file-0123456789"; got != want {
		t.Errorf("secret = %q, want the file's, trimmed", got)
	}
	if s := fmt.Sprintf("%v %+v %s", cfg.Fallback, cfg.Fallback, cfg.Fallback); strings.Contains(s, "from-file") || strings.Contains(s, "env-token") {
		t.Errorf("printing the fallback settings shows a secret: %s", s)
	}
	if cfg.Fallback.AlertAfter == nil || *cfg.Fallback.AlertAfter != 0 {
		t.Errorf("alert_after = %v, want an explicit 0 from the environment", cfg.Fallback.AlertAfter)
	}
	if got, want := time.Duration(*cfg.Fallback.UrgentAfter), 30*time.Minute; got != want {
		t.Errorf("urgent_after = %v, want %v", got, want)
	}
	if got, want := cfg.loginURL(), "https://qunzhu.example.gov.cn/login?token=login-token-0123456789"; got != want {
		t.Errorf("login URL = %q, want %q", got, want)
	}
	l, err := cfg.limits()
	if err != nil {
		t.Fatal(err)
	}
	if l.Daily != 500 {
		t.Errorf("daily = %d, want 500 (the old rate/24h form still reads)", l.Daily)
	}
	if got := time.Duration(*cfg.Limits.ThrottleBackoff); got != 30*time.Second {
		t.Errorf("throttle_backoff = %v, want 30s", got)
	}
}

func TestParseDaily(t *testing.T) {
	for in, want := range map[string]int{"500": 500, " 200 ": 200, "0": 0, "300/24h": 300, "500/24h,500": 500} {
		if got, err := parseDaily(in); err != nil || got != want {
			t.Errorf("parseDaily(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "500/1h", "五百"} {
		if _, err := parseDaily(in); err == nil {
			t.Errorf("parseDaily(%q) accepted", in)
		}
	}
}
