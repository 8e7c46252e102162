package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/notify"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/webhook"
)

// FallbackConfig is the `fallback:` section: the group robot outside WeChat
// (WeCom, DingTalk or Feishu) that hears when WeChat delivery stops. The
// robot's URL carries its key or token, so like the secret it may come from a
// file or the environment (QUNZHU_FALLBACK_URL, QUNZHU_FALLBACK_SECRET) and is
// never logged.
type FallbackConfig struct {
	Kind       string `yaml:"kind"` // wecom, dingtalk or feishu; empty: no fallback robot
	URL        string `yaml:"url"`
	URLFile    string `yaml:"url_file"`
	Secret     string `yaml:"secret"` // DingTalk "SEC…" or Feishu signing secret
	SecretFile string `yaml:"secret_file"`
	// AlertAfter is the grace before the first alert (1m); a 1102 alerts at once.
	AlertAfter *Duration `yaml:"alert_after"`
	// AlertEvery allows at most one outage alert per this period (10m).
	AlertEvery *Duration `yaml:"alert_every"`
	// RepeatEvery repeats the alert while WeChat stays down (1h; 0s never).
	RepeatEvery *Duration `yaml:"repeat_every"`
	// UrgentAfter copies urgent messages to the robot after this long down (0s: never).
	UrgentAfter *Duration `yaml:"urgent_after"`
}

func (f FallbackConfig) enabled() bool { return f.Kind != "" }

// String keeps the robot's URL and secret out of any %v of the configuration.
func (f FallbackConfig) String() string {
	return fmt.Sprintf("fallback{kind:%q url:%s secret:%s}", f.Kind, set(f.URL != "" || f.URLFile != ""), set(f.Secret != "" || f.SecretFile != ""))
}

// LogValue keeps them out of structured logs.
func (f FallbackConfig) LogValue() slog.Value { return slog.StringValue(f.String()) }

func set(ok bool) string {
	if ok {
		return "set"
	}
	return "unset"
}

// loadDelivery applies the delivery settings' environment overrides and
// reads their secret files. loadConfig calls it.
func (c *Config) loadDelivery(getenv func(string) string) []error {
	var errs []error
	for _, f := range []struct{ name, value, file string }{
		{"fallback: url", c.Fallback.URL, c.Fallback.URLFile},
		{"fallback: secret", c.Fallback.Secret, c.Fallback.SecretFile},
		{"login_token", c.LoginToken, c.LoginTokenFile},
	} {
		if f.value != "" && f.file != "" {
			errs = append(errs, fmt.Errorf("%s and its _file are both set; use one", f.name))
		}
	}
	for env, dst := range map[string]*string{
		"QUNZHU_PUBLIC_URL":      &c.PublicURL,
		"QUNZHU_LOGIN_TOKEN":     &c.LoginToken,
		"QUNZHU_FALLBACK_KIND":   &c.Fallback.Kind,
		"QUNZHU_FALLBACK_URL":    &c.Fallback.URL,
		"QUNZHU_FALLBACK_SECRET": &c.Fallback.Secret,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
	for env, dst := range map[string]**Duration{
		"QUNZHU_FALLBACK_ALERT_AFTER":        &c.Fallback.AlertAfter,
		"QUNZHU_FALLBACK_ALERT_EVERY":        &c.Fallback.AlertEvery,
		"QUNZHU_FALLBACK_REPEAT_EVERY":       &c.Fallback.RepeatEvery,
		"QUNZHU_FALLBACK_URGENT_AFTER":       &c.Fallback.UrgentAfter,
		"QUNZHU_LIMITS_THROTTLE_BACKOFF":     &c.Limits.ThrottleBackoff,
		"QUNZHU_LIMITS_THROTTLE_BACKOFF_MAX": &c.Limits.ThrottleBackoffMax,
	} {
		if v := getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration like 5m", env, v))
				continue
			}
			dd := Duration(d)
			*dst = &dd
		}
	}
	for _, f := range []struct {
		name        string
		value, file *string
	}{
		{"fallback.url", &c.Fallback.URL, &c.Fallback.URLFile},
		{"fallback.secret", &c.Fallback.Secret, &c.Fallback.SecretFile},
		{"login_token", &c.LoginToken, &c.LoginTokenFile},
	} {
		if *f.file == "" || *f.value != "" {
			continue // the value (or its environment variable) wins
		}
		v, err := readSecretFile(f.name+"_file", *f.file)
		if err != nil {
			errs = append(errs, err)
		}
		*f.value = v
	}
	return errs
}

// validateDelivery checks the delivery settings; messages name the setting
// and never repeat a URL or secret. validate calls it.
func (c *Config) validateDelivery() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("public_url: %q is not an absolute http(s) URL like https://qunzhu.example.gov.cn", c.PublicURL)
		}
	}
	if c.LoginToken != "" && len(c.LoginToken) < 16 {
		bad("login_token: shorter than 16 characters; use at least 16 random characters")
	}
	if c.Limits.Daily != "" {
		if _, err := parseDaily(c.Limits.Daily); err != nil {
			bad("limits.daily: %v", err)
		}
	}
	b, bm := c.Limits.ThrottleBackoff, c.Limits.ThrottleBackoffMax
	if (b != nil && *b <= 0) || (bm != nil && *bm <= 0) {
		bad("limits.throttle_backoff, limits.throttle_backoff_max: must be positive durations like 5m and 1h")
	} else if b != nil && bm != nil && *bm < *b {
		bad("limits.throttle_backoff_max (%v) is shorter than limits.throttle_backoff (%v)", time.Duration(*bm), time.Duration(*b))
	}
	f := c.Fallback
	if !f.enabled() {
		if f.URL != "" || f.URLFile != "" || f.Secret != "" || f.SecretFile != "" {
			bad("fallback.kind: missing (wecom, dingtalk or feishu) although a fallback url or secret is set")
		}
		return errs
	}
	if _, err := notify.New(notify.Config{Kind: notify.Kind(f.Kind), URL: f.URL, Secret: f.Secret}); err != nil {
		bad("fallback.%v", err)
	}
	if c.PublicURL == "" {
		bad("public_url: needed when a fallback robot is set, so its alert can link to the login page")
	}
	for name, d := range map[string]*Duration{"alert_after": f.AlertAfter, "alert_every": f.AlertEvery, "repeat_every": f.RepeatEvery, "urgent_after": f.UrgentAfter} {
		if d != nil && *d < 0 {
			bad("fallback.%s: must not be negative", name)
		}
	}
	return errs
}

// parseDaily reads limits.daily: messages per calendar day, "500". The older
// "rate/24h[,burst]" form is accepted for its rate.
func parseDaily(s string) (int, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	if l, err := parseLimit(s); err == nil && l.Period == 24*time.Hour {
		return l.Rate, nil
	}
	return 0, fmt.Errorf("%q: want the number of messages per calendar day, like 500", s)
}

// loginURL is the login page link for alerts: public_url + /login, with the
// token when one is set.
func (c *Config) loginURL() string {
	if c.PublicURL == "" {
		return ""
	}
	u := strings.TrimRight(c.PublicURL, "/") + "/login"
	if c.LoginToken != "" {
		u += "?token=" + url.QueryEscape(c.LoginToken)
	}
	return u
}

// loginPage is the login page's part of the HTTP server.
func (a *app) loginPage() *webhook.LoginPage {
	if a.bot == nil {
		return nil
	}
	return &webhook.LoginPage{QRCode: a.bot.QRCode, StateSince: a.bot.StateSince, Token: a.cfg.LoginToken}
}

// wireDelivery plugs in the delivery settings: the 1205 back-off and the
// calendar day of the daily cap for the sender, and, when configured, the
// fallback robot that hears about outages, the daily cap and urgent messages.
func wireDelivery(a *app, senderCfg *outbox.Config) error {
	loc, err := a.cfg.location()
	if err != nil {
		return err
	}
	senderCfg.Location = loc
	if d := a.cfg.Limits.ThrottleBackoff; d != nil {
		senderCfg.ThrottleBackoff = time.Duration(*d)
	}
	if d := a.cfg.Limits.ThrottleBackoffMax; d != nil {
		senderCfg.ThrottleBackoffMax = time.Duration(*d)
	}
	// At the daily cap the owners of each group whose messages wait hear it
	// once, in the group (the one kind of message the cap lets through).
	senderCfg.DailyCapReached = func(ctx context.Context, sent int, resume time.Time) {
		if err := outbox.CapNotices(ctx, a.store, a.clock.Now(), resume, loc); err != nil {
			a.log.Error("daily cap: cannot queue the owners' notice", "err", err)
		}
	}
	f := a.cfg.Fallback
	if !f.enabled() {
		a.log.Info("no fallback robot configured: outages are only logged and shown in /readyz")
		return nil
	}
	robot, err := notify.New(notify.Config{Kind: notify.Kind(f.Kind), URL: f.URL, Secret: f.Secret})
	if err != nil {
		return fmt.Errorf("fallback.%w", err)
	}
	fc := outbox.DefaultFallback()
	fc.LoginURL, fc.Location = a.cfg.loginURL(), loc
	for _, x := range []struct {
		src *Duration
		dst *time.Duration
	}{{f.AlertAfter, &fc.AlertAfter}, {f.AlertEvery, &fc.AlertEvery}, {f.RepeatEvery, &fc.RepeatEvery}, {f.UrgentAfter, &fc.UrgentAfter}} {
		if x.src != nil {
			*x.dst = time.Duration(*x.src)
		}
	}
	if a.bot != nil {
		fb := outbox.NewFallback(a.store, a.bot, robot, a.limiter, a.clock, a.log.With("component", "fallback"), fc)
		prev := senderCfg.DailyCapReached
		senderCfg.DailyCapReached = func(ctx context.Context, sent int, resume time.Time) {
			if prev != nil {
				prev(ctx, sent, resume)
			}
			fb.DailyCapReached(ctx, sent, resume)
		}
		a.services = append(a.services, fb.Run)
	}
	// Each official platform's robot has its own outage notice, naming it;
	// urgent copies stay WeChat's (the official platforms deliver them).
	for _, p := range a.platforms {
		pc := fc
		pc.Platform, pc.UrgentAfter = p.platform, 0
		fb := outbox.NewFallback(a.store, p.session, robot, a.limiter, a.clock, a.log.With("component", "fallback", "platform", string(p.platform)), pc)
		a.services = append(a.services, fb.Run)
	}
	a.log.Info("fallback robot configured", "robot", robot, "alert_after", fc.AlertAfter,
		"alert_every", fc.AlertEvery, "repeat_every", fc.RepeatEvery, "urgent_after", fc.UrgentAfter)
	return nil
}
