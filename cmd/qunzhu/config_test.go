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
		{"bad durability", "sqlite_synchronous: off\n", nil, "sqlite_synchronous"},
		{"bad durability env", "", map[string]string{"QUNZHU_SQLITE_SYNCHRONOUS": "fast"}, "sqlite_synchronous"},
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
	// The demo's DingTalk emulator hands out these settings at start.
	env := map[string]string{"QUNZHU_DINGTALK_CLIENT_ID": "dingdemoapp", "QUNZHU_DINGTALK_CLIENT_SECRET": "s"}
	cfg, err := loadConfig("", demoYAML, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	emulated := map[string]bool{}
	for _, g := range cfg.Emulator.Groups {
		emulated["wechat:"+g.Name] = true
	}
	for _, g := range cfg.DingTalkEmulator.Groups {
		emulated["dingtalk:"+g.ChatID] = true
	}
	platforms := map[string]bool{}
	for _, g := range cfg.Groups {
		p, _ := g.platform()
		platforms[string(p)] = true
		key := "wechat:" + g.Name
		if p.StableIDs() {
			key = string(p) + ":" + g.ChatID
		}
		if !emulated[key] {
			t.Errorf("demo group %s is in no emulator", key)
		}
	}
	if !platforms["wechat"] || !platforms["dingtalk"] {
		t.Errorf("demo platforms = %v, want WeChat and DingTalk groups", platforms)
	}
}

func TestConfigPlatformsNameTheBadSetting(t *testing.T) {
	dt := "dingtalk: {client_id: app, client_secret: s}\n"
	checkConfigCases(t, []configCase{
		{dt + "groups: [{name: 钉钉群, platform: dingtalk, chat_id: cid1}]", ""},
		{"groups: [{name: 钉钉群, platform: dingtalk, chat_id: cid1}]", "groups[0].platform: dingtalk is not configured (dingtalk.client_id)"},
		{dt + "groups: [{name: 钉钉群, platform: dingtalk}]", "groups[0].chat_id: missing"},
		{dt + "groups: [{name: 群, chat_id: cid1}]", "groups[0].chat_id: WeChat groups have no stable id"},
		{dt + "groups: [{name: 群, platform: feishu}]", `groups[0].platform: "feishu" is not wechat, dingtalk or wecom`},
		{dt + "groups: [{name: 甲, platform: dingtalk, chat_id: c}, {name: 乙, platform: dd, chat_id: c}]", `groups[1].chat_id: "c" is listed twice`},
		// Two DingTalk groups may share a name; a WeChat one of that name too.
		{dt + "groups: [{name: 甲, platform: dingtalk, chat_id: c}, {name: 甲, platform: 钉钉, chat_id: d}, {name: 甲}]", ""},
		{dt + "groups: [{name: 甲, platform: dingtalk, chat_id: c, members: [{name: 张, dingtalk_userid: u}, {name: 李, dingtalk_userid: u}]}]", `groups[0].members[1]: user id "u" is listed twice`},
		{"dingtalk: {client_id: app}", "dingtalk.client_secret: missing"},
		{"dingtalk: {client_secret: s}", "dingtalk.client_id: missing"},
		{"dingtalk: {client_id: app, client_secret: s, openapi_host: api.dingtalk.com}", "dingtalk.openapi_host"},
		{"dingtalk: {client_id: app, client_secret: s, limits: {group: fast}}", "dingtalk.limits.group"},
		{"wechat: {enabled: false}\ngroups: [{name: 群}]", "groups[0].platform: wechat is not configured (wechat.enabled)"},
	})
}

func TestConfigDingTalkSecretFromFileNeverPrinted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("topsecret-dingtalk-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadChecked("dingtalk: {client_id: app, client_secret_file: " + path + "}")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DingTalk.ClientSecret != "topsecret-dingtalk-value" {
		t.Errorf("secret = %q", cfg.DingTalk.ClientSecret)
	}
	if s := fmt.Sprintf("%v %+v", cfg.DingTalk, cfg.DingTalk); strings.Contains(s, "topsecret") {
		t.Errorf("printed config holds the secret: %s", s)
	}
}

// config check reports every bad setting at once, secret files included,
// so an administrator fixes the file in one round instead of one per error.
func TestConfigCheckReportsEverything(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	yaml := "log_level: loud\n" +
		"groups:\n  - name: 群\n    members:\n      - {name: 张三, role: 皇帝}\n" +
		"webhook_sources:\n  - name: hotline\n    secret_file: " + filepath.Join(dir, "secrets", "hotline") + "\n" +
		"fallback:\n  kind: wecom\n  url_file: " + filepath.Join(dir, "secrets", "fallback") + "\n" +
		"masking:\n  public_numbers: [值班室]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	err := run(t.Context(), []string{"qunzhu", "config", "check", "--config", path}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil {
		t.Fatal("config check accepted a bad configuration")
	}
	for _, want := range []string{"log_level", "groups[0].members[0].role", "webhook_sources[hotline].secret_file", "does not exist", "fallback.url_file", "masking.public_numbers"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("config check does not report %q:\n%v", want, err)
		}
	}
}

// A public number in the configuration stays readable in what is posted.
func TestConfigPublicNumbers(t *testing.T) {
	cfg, err := loadConfig("", []byte("masking:\n  public_numbers: [\"021-6234 5678\"]\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.masker()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Mask("值班电话 021-62345678，市民 13912345678"), "值班电话 021-62345678，市民 139****5678"; got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}
}

// TestServeRefusesAPublicLoginPageWithoutToken: the login page shows the
// account's QR code, so serve listens on loopback unless told otherwise and
// refuses any other address until login_token is set, naming the setting.
func TestServeRefusesAPublicLoginPageWithoutToken(t *testing.T) {
	token := map[string]string{"QUNZHU_LOGIN_TOKEN": "0123456789abcdef"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		addr    string // want this address, when no error
		wantErr string
	}{
		{"default", nil, nil, "127.0.0.1:8080", ""},
		{"loopback flag", []string{"-http", "127.0.0.1:9000"}, nil, "127.0.0.1:9000", ""},
		{"localhost", []string{"-http", "localhost:9000"}, nil, "localhost:9000", ""},
		{"ipv6 loopback", []string{"-http", "[::1]:9000"}, nil, "[::1]:9000", ""},
		{"all interfaces", []string{"-http", ":8080"}, nil, "", "login_token"},
		{"any address", []string{"-http", "0.0.0.0:8080"}, nil, "", "login_token"},
		{"env address", nil, map[string]string{"QUNZHU_HTTP_ADDR": "10.0.0.5:8080"}, "", "login_token"},
		{"public with token", []string{"-http", ":8080"}, token, ":8080", ""},
		{"short token", []string{"-http", ":8080"}, map[string]string{"QUNZHU_LOGIN_TOKEN": "x9q7"}, "", "at least 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			var stderr strings.Builder
			cfg, err := productionConfig("serve", append([]string{"-data", t.TempDir()}, tt.args...), getenv, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error listening on %q, want one naming %q", cfg.HTTPAddr, tt.wantErr)
			case tt.wantErr != "":
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not name %q", err, tt.wantErr)
				}
				if v := tt.env["QUNZHU_LOGIN_TOKEN"]; v != "" && strings.Contains(err.Error(), v) {
					t.Fatalf("error %q repeats the token", err)
				}
				return
			}
			if cfg.HTTPAddr != tt.addr {
				t.Errorf("HTTPAddr = %q, want %q", cfg.HTTPAddr, tt.addr)
			}
		})
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
