package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/outbox"
)

// DingTalkConfig is the `dingtalk:` section: the enterprise internal robot in
// Stream mode. Without client_id the platform is off. The secret may come
// from client_secret_file or QUNZHU_DINGTALK_CLIENT_SECRET, and is never
// logged.
type DingTalkConfig struct {
	ClientID         string `yaml:"client_id"` // the app's AppKey / Client ID
	ClientSecret     string `yaml:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// RobotCode is the robot's code for group sends; the AppKey by default.
	RobotCode string `yaml:"robot_code"`
	// OpenAPIHost is https://api.dingtalk.com by default; the demo points it
	// at the emulator.
	OpenAPIHost string `yaml:"openapi_host"`
	// OAPIHost is the older API that takes picture uploads
	// (https://oapi.dingtalk.com by default).
	OAPIHost string `yaml:"oapi_host"`
	// Limits override the robot's defaults (20 a minute per group, no daily cap).
	Limits PlatformLimitsConfig `yaml:"limits"`
}

// PlatformLimitsConfig is an official platform's pacing, written like
// limits: "rate/period[,burst]"; daily is messages per calendar day (0: none).
type PlatformLimitsConfig struct {
	Account string `yaml:"account"`
	Group   string `yaml:"group"`
	Daily   string `yaml:"daily"`
}

// DingTalkEmulatorConfig is the demo's emulated DingTalk organisation.
type DingTalkEmulatorConfig struct {
	Groups []struct {
		Name    string `yaml:"name"`
		ChatID  string `yaml:"chat_id"`
		Members []struct {
			Name   string `yaml:"name"`
			UserID string `yaml:"user_id"`
		} `yaml:"members"`
	} `yaml:"groups"`
}

func (d DingTalkConfig) enabled() bool { return d.ClientID != "" }

// String keeps the secret out of any %v of the configuration.
func (d DingTalkConfig) String() string {
	return fmt.Sprintf("dingtalk{client_id:%q secret:%s}", d.ClientID, set(d.ClientSecret != "" || d.ClientSecretFile != ""))
}

// LogValue keeps it out of structured logs.
func (d DingTalkConfig) LogValue() slog.Value { return slog.StringValue(d.String()) }

// loadDingTalk applies the environment and reads the secret file.
func (c *Config) loadDingTalk(getenv func(string) string) error {
	d := &c.DingTalk
	for env, dst := range map[string]*string{
		"QUNZHU_DINGTALK_CLIENT_ID":      &d.ClientID,
		"QUNZHU_DINGTALK_CLIENT_SECRET":  &d.ClientSecret,
		"QUNZHU_DINGTALK_OPENAPI_HOST":   &d.OpenAPIHost,
		"QUNZHU_DINGTALK_OAPI_HOST":      &d.OAPIHost,
		"QUNZHU_DINGTALK_LIMITS_ACCOUNT": &d.Limits.Account,
		"QUNZHU_DINGTALK_LIMITS_GROUP":   &d.Limits.Group,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
	if d.ClientSecretFile != "" && d.ClientSecret == "" {
		b, err := os.ReadFile(d.ClientSecretFile)
		if err != nil {
			return fmt.Errorf("dingtalk.client_secret_file: %w", err)
		}
		d.ClientSecret = strings.TrimSpace(string(b))
	}
	return nil
}

// validateDingTalk names every bad or missing DingTalk setting.
func (c *Config) validateDingTalk() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	d := c.DingTalk
	if !d.enabled() {
		if d.ClientSecret != "" || d.ClientSecretFile != "" || d.RobotCode != "" {
			bad("dingtalk.client_id: missing although other dingtalk settings are set")
		}
		return errs
	}
	if d.ClientSecret == "" {
		bad("dingtalk.client_secret: missing (or client_secret_file, QUNZHU_DINGTALK_CLIENT_SECRET)")
	}
	for name, v := range map[string]string{"openapi_host": d.OpenAPIHost, "oapi_host": d.OAPIHost} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("dingtalk.%s: %q is not an absolute http(s) URL", name, v)
		}
	}
	if _, err := d.Limits.limits(qunzhu.PlatformDingTalk); err != nil {
		bad("dingtalk.limits.%v", err)
	}
	return errs
}

// limits are the platform's defaults with the configured overrides.
func (p PlatformLimitsConfig) limits(platform qunzhu.Platform) (outbox.Limits, error) {
	l := outbox.LimitsFor(platform)
	for _, x := range []struct {
		name, s string
		dst     *qunzhu.Limit
	}{{"account", p.Account, &l.Account}, {"group", p.Group, &l.Group}} {
		if x.s == "" {
			continue
		}
		v, err := parseLimit(x.s)
		if err != nil {
			return l, fmt.Errorf("%s: %v", x.name, err)
		}
		*x.dst = v
	}
	if p.Daily != "" {
		n, err := parseDaily(p.Daily)
		if err != nil {
			return l, fmt.Errorf("daily: %v", err)
		}
		l.Daily = n
	}
	return l, l.Validate()
}

// officialSender is the sender configuration of an official platform's lane:
// the features' delivery hooks of base, the platform's limits, and a shorter
// back-off than WeChat's 1205 (a robot's minute quota refills in a minute).
func officialSender(base outbox.Config, l outbox.Limits) outbox.Config {
	cfg := base
	cfg.Limits = l
	cfg.DailyCapReached = nil
	cfg.ThrottleBackoff, cfg.ThrottleBackoffMax = time.Minute, 10*time.Minute
	return cfg
}
