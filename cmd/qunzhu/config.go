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
	// WeCom is the WeCom platform (config_wecom.go); nil: not started.
	WeCom *WeComConfig `yaml:"wecom"`
}

// EmulatorConfig lists who is in each emulated WeChat group, registered or not.
type EmulatorConfig struct {
	Self   string `yaml:"self"`
	Groups []struct {
		Name    string   `yaml:"name"`
		Members []string `yaml:"members"`
	} `yaml:"groups"`
}

// GroupConfig registers a group and its first members (owners and admins are
// bound by display name at the first login).
type GroupConfig struct {
	Name    string         `yaml:"name"`
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
	for env, dst := range map[string]*string{
		"QUNZHU_DATA_DIR":       &cfg.DataDir,
		"QUNZHU_HTTP_ADDR":      &cfg.HTTPAddr,
		"QUNZHU_REDIS_URL":      &cfg.RedisURL,
		"QUNZHU_LOG_LEVEL":      &cfg.LogLevel,
		"QUNZHU_TIMEZONE":       &cfg.Timezone,
		"QUNZHU_LIMITS_ACCOUNT": &cfg.Limits.Account,
		"QUNZHU_LIMITS_DAILY":   &cfg.Limits.Daily,
		"QUNZHU_LIMITS_GROUP":   &cfg.Limits.Group,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
	if v := getenv("QUNZHU_LIMITS_JITTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("QUNZHU_LIMITS_JITTER: %q is not a duration like 500ms", v)
		}
		j := Duration(d)
		cfg.Limits.Jitter = &j
	}
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		if s.Secret != "" && s.SecretFile != "" {
			return nil, fmt.Errorf("webhook_sources[%s]: secret and secret_file are both set; use one", s.Name)
		}
		if v := getenv("QUNZHU_SOURCE_" + envName(s.Name) + "_SECRET"); v != "" {
			s.Secret = v
		}
		if s.Secret == "" && s.SecretFile != "" {
			b, err := os.ReadFile(s.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("webhook_sources[%s].secret_file: %w", s.Name, err)
			}
			s.Secret = strings.TrimSpace(string(b))
		}
	}
	if err := cfg.loadDelivery(getenv); err != nil {
		return nil, err
	}
	if err := cfg.loadWebhookTokens(getenv); err != nil {
		return nil, err
	}
	if err := cfg.loadWeCom(getenv); err != nil { // WeCom platform
		return nil, err
	}
	return cfg, nil
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
	if c.BindCodeTTL < 0 {
		bad("bind_code_ttl: must be positive")
	}
	seen := map[string]bool{}
	for i, g := range c.Groups {
		if strings.TrimSpace(g.Name) == "" {
			bad("groups[%d].name: empty", i)
		}
		if seen[g.Name] {
			bad("groups[%d].name: %q is listed twice", i, g.Name)
		}
		seen[g.Name] = true
		for j, m := range g.Members {
			if strings.TrimSpace(m.Name) == "" {
				bad("groups[%d].members[%d].name: empty", i, j)
			}
			if _, ok := qunzhu.ParseRole(m.Role); !ok {
				bad("groups[%d].members[%d].role: %q is not owner, admin or member", i, j, m.Role)
			}
		}
	}
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
	for name, v := range map[string]string{"limits.account": c.Limits.Account, "limits.group": c.Limits.Group} {
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
