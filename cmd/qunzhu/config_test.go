package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigErrorsNameTheBadSetting(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string // the setting the message must name
	}{
		{"unknown key", "data_dri: x\n", nil, "data_dri"},
		{"bad duration", "bind_code_ttl: soon\n", nil, "not a duration"},
		{"bad level", "log_level: loud\n", nil, "log_level"},
		{"bad zone", "timezone: Mars/Olympus\n", nil, "timezone"},
		{"bad role", "groups:\n  - name: 群\n    members:\n      - {name: 张三, role: 皇帝}\n", nil, "groups[0].members[0].role"},
		{"empty group", "groups:\n  - name: ''\n", nil, "groups[0].name"},
		{"twice", "groups:\n  - name: 群\n  - name: 群\n", nil, "groups[1].name"},
		{"short secret", "webhook_sources:\n  - name: hotline\n    secret: short\n", nil, "webhook_sources[hotline]"},
		{"both secrets", "webhook_sources:\n  - name: hotline\n    secret: 0123456789abcdef\n    secret_file: /x\n", nil, "secret and secret_file"},
		{"bad limit", "limits:\n  account: fast\n", nil, "limits.account"},
		{"bad limit env", "", map[string]string{"QUNZHU_LIMITS_GROUP": "20/soon"}, "limits.group"},
		{"bad jitter env", "", map[string]string{"QUNZHU_LIMITS_JITTER": "x"}, "QUNZHU_LIMITS_JITTER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			cfg, err := loadConfig("", []byte(tt.yaml), getenv)
			if err == nil {
				err = cfg.validate()
			}
			if err == nil {
				t.Fatalf("no error, want one naming %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestConfigEnvironmentOverridesAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "hotline")
	if err := os.WriteFile(secretFile, []byte("from-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "data_dir: ./from-file\nwebhook_sources:\n  - name: hotline\n    secret_file: " + secretFile + "\n  - name: alerts\n"
	env := map[string]string{
		"QUNZHU_DATA_DIR":              "/var/lib/qunzhu",
		"QUNZHU_SOURCE_ALERTS_SECRET":  "from-env-0123456789",
		"QUNZHU_LIMITS_ACCOUNT":        "1/5s,1",
		"QUNZHU_LIMITS_JITTER":         "0s",
		"QUNZHU_SOURCE_UNKNOWN_SECRET": "ignored",
	}
	cfg, err := loadConfig("", []byte(yaml), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.DataDir, "/var/lib/qunzhu"; got != want {
		t.Errorf("DataDir = %q, want %q (env wins over the file)", got, want)
	}
	if got, want := cfg.Sources[0].Secret, "from-file-0123456789"; got != want {
		t.Errorf("hotline secret = %q, want the file's, trimmed", got)
	}
	if got, want := cfg.Sources[1].Secret, "from-env-0123456789"; got != want {
		t.Errorf("alerts secret = %q, want the environment's", got)
	}
	l, err := cfg.limits()
	if err != nil {
		t.Fatal(err)
	}
	if l.Account.Period != 5*time.Second || l.Account.Rate != 1 || l.Jitter != 0 {
		t.Errorf("limits = %+v, want account 1/5s and no jitter", l)
	}
	if l.Group.Rate != 20 || l.Group.Period != time.Minute {
		t.Errorf("group limit = %+v, want the default 20/1m", l.Group)
	}
}

func TestBuiltInDemoConfigIsValid(t *testing.T) {
	cfg, err := loadConfig("", demoYAML, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Emulator == nil || len(cfg.Emulator.Groups) < len(cfg.Groups) {
		t.Fatalf("demo config must put every registered group in the emulator")
	}
}

// TestWeComConfigNamesEachBadSetting: config check names every bad or
// missing WeCom setting, and never shows a secret.
func TestWeComConfigNamesEachBadSetting(t *testing.T) {
	const key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	ok := "wecom: {token: t0k3n, encoding_aes_key: " + key + ", groups: [{name: 企微群, chat_id: wr1, webhook_key: k1, members: [{name: 张三, role: owner, userid: zs}]}]}"
	checkConfigCases(t, []configCase{
		{ok, ""},
		{"wecom: {encoding_aes_key: " + key + "}", "wecom.token: missing"},
		{"wecom: {token: t}", "wecom.encoding_aes_key: missing"},
		{"wecom: {token: t, encoding_aes_key: tooshort}", "encoding_aes_key must be 43 characters"},
		{"wecom: {token: t, encoding_aes_key: " + key + ", callback_path: wecom}", "wecom.callback_path"},
		{"wecom: {token: t, encoding_aes_key: " + key + ", api_base: 'ftp://x'}", "wecom.api_base"},
		{"wecom: {token: t, encoding_aes_key: " + key + ", groups: [{name: a, webhook_key: k}]}", "wecom.groups[0].chat_id: empty"},
		{"wecom: {token: t, encoding_aes_key: " + key + ", groups: [{name: a, chat_id: wr1}]}", "wecom.groups[0].webhook_key: missing"},
		{"wecom: {token: t, encoding_aes_key: " + key + ", groups: [{name: a, chat_id: wr1, webhook_key: k}, {name: b, chat_id: wr1, webhook_key: k}]}", "wecom.groups[1].chat_id: \"wr1\" is listed twice"},
		{"wecom: {token: t, encoding_aes_key: " + key + ", groups: [{name: a, chat_id: wr1, webhook_key: k, members: [{name: 张三}]}]}", "wecom.groups[0].members[0].userid: empty"},
		{"wecom: {token: t, encoding_aes_key: " + key + ", groups: [{name: a, chat_id: wr1, webhook_key: k, members: [{name: 张三, userid: z, role: boss}]}]}", "members[0].role"},
	})
	cfg, err := loadChecked(ok)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%v %+v", *cfg.WeCom, cfg.WeCom); strings.Contains(s, "t0k3n") || strings.Contains(s, key) {
		t.Errorf("the WeCom section prints its secrets: %s", s)
	}
	// Secrets from the environment and files.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "aes"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QUNZHU_WECOM_TOKEN": "fromenv", "QUNZHU_WECOM_KEY_WR1": "envkey"}
	cfg, err = loadConfig("", []byte("wecom: {encoding_aes_key_file: "+filepath.Join(dir, "aes")+", groups: [{name: a, chat_id: wr1}]}"),
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil || cfg.WeCom.Token != "fromenv" || cfg.WeCom.EncodingAESKey != key || cfg.WeCom.Groups[0].WebhookKey != "envkey" {
		t.Errorf("from env and file: %v %+v", err, cfg.WeCom)
	}
}
