package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/schedule"
	"gopkg.in/yaml.v3"
)

// Config is the whole configuration: a YAML file with QUNZHU_* environment
// overrides, validated once at start. It is passed down explicitly; there is no
// global.
type Config struct {
	DataDir  string `yaml:"data_dir"`
	HTTPAddr string `yaml:"http_addr"`
	// RedisURL enables the shared limiter; empty uses the in-process one.
	RedisURL string `yaml:"redis_url"`
	LogLevel string `yaml:"log_level"`
	// SQLiteSynchronous is "full" (the default: every acknowledged write has
	// reached the disk) or "normal" (faster; a power cut or OS crash may undo
	// the last writes that were already acknowledged).
	SQLiteSynchronous string `yaml:"sqlite_synchronous"`
	// Timezone is where deadlines and report cycles are read; Asia/Shanghai.
	Timezone string `yaml:"timezone"`
	// BotNames are the names people use to @-mention the bot.
	BotNames    []string       `yaml:"bot_names"`
	BindCodeTTL Duration       `yaml:"bind_code_ttl"`
	Groups      []GroupConfig  `yaml:"groups"`
	Sources     []SourceConfig `yaml:"webhook_sources"`
	Limits      LimitsConfig   `yaml:"limits"`
	// Emulator describes the built-in WeChat emulator's people; demo only.
	Emulator *EmulatorConfig `yaml:"emulator"`
	// PublicURL is where people reach this server, e.g.
	// https://qunzhu.example.gov.cn: fallback alerts link to PublicURL/login.
	PublicURL string `yaml:"public_url"`
	// LoginToken, when set, is required on the login page (?token=…): whoever
	// scans its QR code logs the bot in. Or login_token_file, QUNZHU_LOGIN_TOKEN.
	LoginToken     string `yaml:"login_token"`
	LoginTokenFile string `yaml:"login_token_file"`
	// Fallback is the group robot outside WeChat that hears about outages.
	Fallback FallbackConfig `yaml:"fallback"`
	// Broadcasts tunes 群发 and festival greetings (features_broadcast.go).
	Broadcasts BroadcastsConfig `yaml:"broadcasts"`
	// Reports tunes 交作业 (features_report.go).
	Reports ReportsConfig `yaml:"reports"`
	// Tasks tunes 督办 (features_task.go).
	Tasks TasksConfig `yaml:"tasks"`
	// Masking tunes how citizens' numbers are hidden in what is posted.
	Masking MaskingConfig `yaml:"masking"`
	// Retention is how long sent and failed messages and hotline digests
	// are kept (default 720h = 30 days, at least 48h); QUNZHU_RETENTION.
	Retention Duration `yaml:"retention"`
	// MetricsAddr, when set, serves /metrics there without a token (an
	// internal address); otherwise /metrics is on http_addr behind
	// login_token. Or QUNZHU_METRICS_ADDR.
	MetricsAddr string `yaml:"metrics_addr"`
	// Dashboard tunes the web dashboard and the 红黑榜 (features_dashboard.go).
	Dashboard DashboardConfig `yaml:"dashboard"`
	// Honor tunes the weekly 红黑榜 (features_honor.go).
	Honor HonorConfig `yaml:"honor"`
	// WeChat switches the personal WeChat account off (config_platforms.go).
	WeChat WeChatConfig `yaml:"wechat"`
	// DingTalk is the DingTalk robot (config_dingtalk.go); off without client_id.
	DingTalk DingTalkConfig `yaml:"dingtalk"`
	// DingTalkEmulator describes the demo's emulated DingTalk groups.
	DingTalkEmulator *DingTalkEmulatorConfig `yaml:"dingtalk_emulator"`
	// WeCom is the WeCom platform (config_wecom.go); nil: not started.
	WeCom *WeComConfig `yaml:"wecom"`
}

// MaskingConfig lists the numbers that must stay readable in groups although
// they look like a citizen's (an office's duty line, 值班电话): every other
// phone, ID, card number and e-mail address is masked.
type MaskingConfig struct {
	PublicNumbers []string `yaml:"public_numbers"`
}

// masker is the configured Masker.
func (c *Config) masker() (*qunzhu.Masker, error) {
	return qunzhu.NewMasker(c.Masking.PublicNumbers)
}

// EmulatorConfig lists who is in each emulated WeChat group, registered or not.
type EmulatorConfig struct {
	Self string `yaml:"self"`
	// Friends are the people the bot account can chat with privately (the
	// owners who get one-time codes).
	Friends []string `yaml:"friends"`
	Groups  []struct {
		Name    string   `yaml:"name"`
		Members []string `yaml:"members"`
	} `yaml:"groups"`
}

// GroupConfig registers a group and its first members. On WeChat, owners and
// admins are bound by display name at the first login; on DingTalk and WeCom
// the group is found by chat_id and members by their user id.
type GroupConfig struct {
	Name string `yaml:"name"`
	// Platform is wechat (the default), dingtalk or wecom.
	Platform string `yaml:"platform"`
	// ChatID is the platform's group id: DingTalk openConversationId, WeCom chatid.
	ChatID  string         `yaml:"chat_id"`
	Members []MemberConfig `yaml:"members"`
}

// MemberConfig registers one member of a group.
type MemberConfig struct {
	Name string `yaml:"name"`
	Unit string `yaml:"unit"`
	Role string `yaml:"role"`
	// How the WeCom / DingTalk compatible robots' mentions name this person
	// (features_webhook.go): mentioned_mobile_list / atMobiles, a WeCom
	// userid, a DingTalk userId.
	Mobile     string `yaml:"mobile"`
	WeComID    string `yaml:"wecom_userid"`
	DingTalkID string `yaml:"dingtalk_userid"`
	// Person links this member to the same official's members in other
	// groups and on other platforms (any key, e.g. "zhouju"): a /群发 from
	// one reaches the groups all of them own.
	Person string `yaml:"person"`
}

// SourceConfig is one system allowed to post webhooks. The secret comes from
// Secret, SecretFile, or the environment variable QUNZHU_SOURCE_<NAME>_SECRET.
type SourceConfig struct {
	Name       string   `yaml:"name"`
	Secret     string   `yaml:"secret"`
	SecretFile string   `yaml:"secret_file"`
	Groups     []string `yaml:"groups"`
	// Kind is message (the default), hotline, wecom, dingtalk or
	// alertmanager; the fields below are read in features_webhook.go. Token
	// (the WeCom key, DingTalk access_token, Alertmanager bearer token) comes
	// from Token, TokenFile or QUNZHU_SOURCE_<NAME>_TOKEN.
	Kind         string        `yaml:"kind"`
	Token        string        `yaml:"token"`
	Key          string        `yaml:"key"` // the WeCom robot key: another name for token
	TokenFile    string        `yaml:"token_file"`
	Group        string        `yaml:"group"`
	Routes       []RouteConfig `yaml:"routes"`
	RateLimit    string        `yaml:"rate_limit"`
	DigestWindow *Duration     `yaml:"digest_window"`
}

// LimitsConfig overrides the governor's defaults; each limit is written
// "rate/period" with an optional ",burst", e.g. "1/3s,2" or "20/1m,5".
type LimitsConfig struct {
	Account string `yaml:"account"`
	Daily   string `yaml:"daily"`
	Group   string `yaml:"group"`
	// Jitter is nil when not set, so that 0 (no jitter) can be asked for.
	Jitter *Duration `yaml:"jitter"`
	// ReserveDaily is how many of daily only alerts, webhooks, urgent
	// messages and notices may use ("100"; default a fifth of daily).
	ReserveDaily string `yaml:"reserve_daily"`
	// CommandsMember and CommandsGuest limit the commands one bound member,
	// and one guest, may send ("30/10m,10" and "3/10m,3" by default).
	CommandsMember string `yaml:"commands_member"`
	CommandsGuest  string `yaml:"commands_guest"`
	// ThrottleBackoff is the first pause after a 1205 (5m), doubling on each
	// further 1205 up to ThrottleBackoffMax (1h).
	ThrottleBackoff    *Duration `yaml:"throttle_backoff"`
	ThrottleBackoffMax *Duration `yaml:"throttle_backoff_max"`
}

// Duration reads "90s", "2h" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 90s or 2h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// loadConfig reads the YAML file (if any) and applies environment overrides.
// A file that cannot be read or parsed returns a nil Config; every other
// problem (a secret file that cannot be read, a malformed override) is
// collected and returned with the Config, so `config check` reports them all
// together with what validate finds.
func loadConfig(path string, data []byte, getenv func(string) string) (*Config, error) {
	cfg := &Config{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		data = b
	}
	if len(data) > 0 {
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %w", orDefault(path, "(built-in)"), err)
		}
	}
	var errs []error
	for env, dst := range map[string]*string{
		"QUNZHU_DATA_DIR":           &cfg.DataDir,
		"QUNZHU_HTTP_ADDR":          &cfg.HTTPAddr,
		"QUNZHU_REDIS_URL":          &cfg.RedisURL,
		"QUNZHU_LOG_LEVEL":          &cfg.LogLevel,
		"QUNZHU_SQLITE_SYNCHRONOUS": &cfg.SQLiteSynchronous,
		"QUNZHU_TIMEZONE":           &cfg.Timezone,
		"QUNZHU_LIMITS_ACCOUNT":     &cfg.Limits.Account,
		"QUNZHU_LIMITS_DAILY":       &cfg.Limits.Daily,
		"QUNZHU_LIMITS_GROUP":       &cfg.Limits.Group,

		"QUNZHU_LIMITS_RESERVE_DAILY":   &cfg.Limits.ReserveDaily,
		"QUNZHU_LIMITS_COMMANDS_MEMBER": &cfg.Limits.CommandsMember,
		"QUNZHU_LIMITS_COMMANDS_GUEST":  &cfg.Limits.CommandsGuest,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
	if v := getenv("QUNZHU_RETENTION"); v != "" {
		if d, err := time.ParseDuration(v); err != nil {
			errs = append(errs, fmt.Errorf("QUNZHU_RETENTION: %q is not a duration like 720h", v))
		} else {
			cfg.Retention = Duration(d)
		}
	}
	if v := getenv("QUNZHU_LIMITS_JITTER"); v != "" {
		if d, err := time.ParseDuration(v); err != nil {
			errs = append(errs, fmt.Errorf("QUNZHU_LIMITS_JITTER: %q is not a duration like 500ms", v))
		} else {
			j := Duration(d)
			cfg.Limits.Jitter = &j
		}
	}
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		if s.Secret != "" && s.SecretFile != "" {
			errs = append(errs, fmt.Errorf("webhook_sources[%s]: secret and secret_file are both set; use one", s.Name))
			continue
		}
		if v := getenv("QUNZHU_SOURCE_" + envName(s.Name) + "_SECRET"); v != "" {
			s.Secret = v
		}
		if s.Secret == "" && s.SecretFile != "" {
			v, err := readSecretFile(fmt.Sprintf("webhook_sources[%s].secret_file", s.Name), s.SecretFile)
			if err != nil {
				errs = append(errs, err)
			}
			s.Secret = v
		}
	}
	errs = append(errs, cfg.loadDelivery(getenv)...)
	cfg.loadDashboard(getenv)
	errs = append(errs, cfg.loadWebhookTokens(getenv)...)
	if err := cfg.loadDingTalk(getenv); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.loadWeCom(getenv); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

func envName(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(s))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// validate checks every setting and names the bad one.
func (c *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.LogLevel != "" {
		if _, err := parseLevel(c.LogLevel); err != nil {
			bad("log_level: %v", err)
		}
	}
	if _, err := c.location(); err != nil {
		bad("timezone: %v", err)
	}
	switch strings.ToLower(c.SQLiteSynchronous) {
	case "", "full", "normal":
	default:
		bad("sqlite_synchronous: %q: want full (the default) or normal", c.SQLiteSynchronous)
	}
	if c.BindCodeTTL < 0 {
		bad("bind_code_ttl: must be positive")
	}
	if c.Retention != 0 && time.Duration(c.Retention) < schedule.MinRetention {
		bad("retention: %s is too short: the daily cap counts today's messages; use at least %s",
			time.Duration(c.Retention), schedule.MinRetention)
	}
	errs = append(errs, c.validateGroups()...)
	names := map[string]bool{}
	for i, s := range c.Sources {
		if s.Name == "" {
			bad("webhook_sources[%d].name: empty", i)
		}
		if names[s.Name] {
			bad("webhook_sources[%d].name: %q is listed twice", i, s.Name)
		}
		names[s.Name] = true
	}
	errs = append(errs, c.validateWebhooks()...)
	if _, err := c.masker(); err != nil {
		bad("masking.public_numbers: %s", qunzhu.ErrorMessage(err))
	}
	for name, v := range map[string]string{"limits.account": c.Limits.Account, "limits.group": c.Limits.Group,
		"limits.commands_member": c.Limits.CommandsMember, "limits.commands_guest": c.Limits.CommandsGuest} {
		if v == "" {
			continue
		}
		if _, err := parseLimit(v); err != nil {
			bad("%s: %v", name, err)
		}
	}
	errs = append(errs, c.validateDelivery()...)
	errs = append(errs, c.Broadcasts.validate()...)
	errs = append(errs, c.Reports.validate()...)
	errs = append(errs, c.Tasks.validate()...)
	errs = append(errs, c.validateDashboard()...)
	errs = append(errs, c.Honor.validate()...)
	errs = append(errs, c.validateDingTalk()...)
	errs = append(errs, c.validateWeCom()...) // WeCom platform
	return errors.Join(errs...)
}

// parseLimit reads "rate/period[,burst]", e.g. "1/3s,2".
func parseLimit(s string) (qunzhu.Limit, error) {
	spec, burstS, hasBurst := strings.Cut(strings.ReplaceAll(s, " ", ""), ",")
	rateS, periodS, ok := strings.Cut(spec, "/")
	if !ok {
		return qunzhu.Limit{}, fmt.Errorf("%q: want rate/period[,burst] like 1/3s,2", s)
	}
	rate, err := strconv.Atoi(rateS)
	if err != nil || rate <= 0 {
		return qunzhu.Limit{}, fmt.Errorf("%q: rate must be a positive integer", s)
	}
	period, err := time.ParseDuration(periodS)
	if err != nil || period <= 0 {
		return qunzhu.Limit{}, fmt.Errorf("%q: period must be a duration like 3s or 1m", s)
	}
	burst := 1
	if hasBurst {
		burst, err = strconv.Atoi(burstS)
		if err != nil || burst <= 0 {
			return qunzhu.Limit{}, fmt.Errorf("%q: burst must be a positive integer", s)
		}
	}
	return qunzhu.Limit{Rate: rate, Period: period, Burst: burst}, nil
}

// location is the configured time zone, Asia/Shanghai by default.
func (c *Config) location() (*time.Location, error) {
	if c.Timezone == "" {
		return commands.ChinaTime(), nil
	}
	return time.LoadLocation(c.Timezone)
}
