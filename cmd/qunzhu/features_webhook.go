package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/schedule"
	"github.com/qunzhu/qunzhu/webhook"
)

// Webhook intake configuration: each entry of webhook_sources is one system
// that posts to qunzhu. For example:
//
//	webhook_sources:
//	  - name: hotline-12345          # X-Qunzhu-Source
//	    kind: hotline
//	    secret_file: /run/secrets/hotline
//	    digest_window: 30s           # one unit's overdue tickets within 30 s → one message
//	    rate_limit: 120/1m,60
//	    routes:
//	      - {unit: 市城管委, group: 城管工作群}
//	      - {unit: 市城管委, district: 黄浦区, groups: [城管工作群, 区委干部工作群]}
//	  - name: ops-wecom
//	    kind: wecom                  # POST /cgi-bin/webhook/send?key=<key>
//	    key: 693a91f6-…              # or token / token_file / QUNZHU_SOURCE_OPS_WECOM_TOKEN
//	    group: 区委干部工作群
//	  - name: ops-dingtalk
//	    kind: dingtalk               # POST /robot/send?access_token=<token>&timestamp=&sign=
//	    token: …                     # access_token
//	    secret: SEC…                 # the robot's signing secret
//	    group: 区委干部工作群
//	  - name: prometheus
//	    kind: alertmanager           # POST /api/v1/alertmanager/{route}, Authorization: Bearer <token>
//	    token_file: /run/secrets/am-token
//	    routes:
//	      - {name: ops, group: 区委干部工作群}

// RouteConfig sends a hotline's tickets of a unit (and district) or an
// Alertmanager route (by name) to a group or groups.
type RouteConfig struct {
	Name     string   `yaml:"name"`
	Unit     string   `yaml:"unit"`
	District string   `yaml:"district"`
	Group    string   `yaml:"group"`
	Groups   []string `yaml:"groups"`
}

// loadWebhookTokens reads each source's token from token_file or
// QUNZHU_SOURCE_<NAME>_TOKEN, as secrets are read.
func (c *Config) loadWebhookTokens(getenv func(string) string) []error {
	var errs []error
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Key != "" {
			if s.Token != "" {
				errs = append(errs, fmt.Errorf("webhook_sources[%s]: key and token are both set; key is the WeCom name for token, use one", s.Name))
				continue
			}
			s.Token = s.Key
		}
		if s.Token != "" && s.TokenFile != "" {
			errs = append(errs, fmt.Errorf("webhook_sources[%s]: token and token_file are both set; use one", s.Name))
			continue
		}
		if v := getenv("QUNZHU_SOURCE_" + envName(s.Name) + "_TOKEN"); v != "" {
			s.Token = v
		}
		if s.Token == "" && s.TokenFile != "" {
			v, err := readSecretFile(fmt.Sprintf("webhook_sources[%s].token_file", s.Name), s.TokenFile)
			if err != nil {
				errs = append(errs, err)
			}
			s.Token = v
		}
	}
	return errs
}

// webhookSource is the source as the webhook server takes it, with the
// kind's defaults: its rate limit (webhook.DefaultLimit; "off" for none) and,
// for a hotline, a 30 s digest window.
func (s SourceConfig) webhookSource() (webhook.Source, error) {
	src := webhook.Source{Name: s.Name, Kind: s.Kind, Secret: s.Secret, Token: s.Token, Groups: s.Groups, Group: s.Group}
	for _, r := range s.Routes {
		groups := r.Groups
		if r.Group != "" {
			groups = append([]string{r.Group}, groups...)
		}
		src.Routes = append(src.Routes, webhook.Route{Name: r.Name, Unit: r.Unit, District: r.District, Groups: groups})
	}
	switch strings.TrimSpace(s.RateLimit) {
	case "":
		src.Limit = webhook.DefaultLimit(s.Kind)
	case "off", "0":
	default:
		l, err := parseLimit(s.RateLimit)
		if err != nil {
			return src, fmt.Errorf("rate_limit: %w", err)
		}
		src.Limit = l
	}
	if src.Kind == webhook.KindHotline {
		src.DigestWindow = webhook.DefaultDigestWindow
	}
	if s.DigestWindow != nil {
		if *s.DigestWindow < 0 {
			return src, errors.New("digest_window: must not be negative (0 posts each ticket at once)")
		}
		src.DigestWindow = time.Duration(*s.DigestWindow)
	}
	return src, nil
}

// webhookSources are the configured sources for the webhook server.
func (c *Config) webhookSources() ([]webhook.Source, error) {
	var out []webhook.Source
	for _, s := range c.Sources {
		src, err := s.webhookSource()
		if err != nil {
			return nil, fmt.Errorf("webhook_sources[%s]: %w", s.Name, err)
		}
		out = append(out, src)
	}
	return out, nil
}

// validateWebhooks names each bad source and what it lacks, and where its
// secret or token may come from; never the secret itself.
func (c *Config) validateWebhooks() []error {
	var errs []error
	var all []webhook.Source
	for _, s := range c.Sources {
		src, err := s.webhookSource()
		if err == nil {
			err = src.Validate()
		}
		if err != nil {
			hint := ""
			if strings.Contains(err.Error(), "secret") {
				hint = fmt.Sprintf(" (set secret, secret_file or QUNZHU_SOURCE_%s_SECRET)", envName(s.Name))
			} else if strings.Contains(err.Error(), "token") {
				hint = fmt.Sprintf(" (set token, token_file or QUNZHU_SOURCE_%s_TOKEN)", envName(s.Name))
			}
			errs = append(errs, fmt.Errorf("webhook_sources[%s]: %w%s", s.Name, err, hint))
			continue
		}
		all = append(all, src)
	}
	for _, g := range c.Groups {
		for _, m := range g.Members {
			if m.Mobile != "" && qunzhu.NormalizeContact(qunzhu.ContactMobile, m.Mobile) == "" {
				errs = append(errs, fmt.Errorf("groups[%s].members[%s].mobile: %q is not a mobile number like 13800138000", g.Name, m.Name, m.Mobile))
			}
		}
	}
	if len(errs) == 0 {
		if err := webhook.ValidateSources(all); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// wireWebhooks plugs the intake's background work in: forgetting expired
// replay keys, and recording the members' contacts from the configuration so
// the robots' mentions (by mobile or user id) reach them.
func wireWebhooks(a *app) error {
	a.runner.Add(schedule.NewReplayPrune(a.store))
	a.runner.Add(schedule.NewRetention(a.store, time.Duration(a.cfg.Retention)))
	return a.store.Update(context.Background(), func(tx qunzhu.Tx) error {
		for _, gc := range a.cfg.Groups {
			g, err := tx.GroupByName(gc.Name)
			if err != nil {
				return fmt.Errorf("contacts of %q: %w", gc.Name, err)
			}
			for _, mc := range gc.Members {
				m, err := tx.MemberByName(g.ID, mc.Name)
				if err != nil {
					return fmt.Errorf("contacts of %q in %q: %w", mc.Name, gc.Name, err)
				}
				for _, c := range [][2]string{{qunzhu.ContactMobile, mc.Mobile}, {qunzhu.ContactWeCom, mc.WeComID}, {qunzhu.ContactDingTalk, mc.DingTalkID}} {
					if strings.TrimSpace(c[1]) == "" {
						continue
					}
					if err := tx.AddMemberContact(m.ID, c[0], c[1]); err != nil {
						return fmt.Errorf("contacts of %q in %q: %w", mc.Name, gc.Name, err)
					}
				}
			}
		}
		return nil
	})
}

// demoSources are the webhook sources of the demo besides "demo", one of
// each kind, all with the demo secret as secret and token, so every endpoint
// can be tried with the one secret the demo prints: the 12345 hotline routing
// 市城管委 to 城管工作群, 区委办 to 区委干部工作群 and 执法大队 to the DingTalk
// group 钉钉:城管执法钉钉群, a WeCom and a DingTalk
// robot, and an Alertmanager route "ops".
func demoSources(secret string) []webhook.Source {
	return []webhook.Source{
		{Name: "hotline-12345", Kind: webhook.KindHotline, Secret: secret, DigestWindow: webhook.DefaultDigestWindow,
			Limit: webhook.DefaultLimit(webhook.KindHotline),
			Routes: []webhook.Route{
				{Unit: "市城管委", Groups: []string{"城管工作群"}},
				{Unit: "区委办", Groups: []string{"区委干部工作群"}},
				{Unit: "执法大队", Groups: []string{"钉钉:城管执法钉钉群"}},
			}},
		{Name: "wecom", Kind: webhook.KindWeCom, Token: secret, Group: "区委干部工作群", Limit: webhook.DefaultLimit(webhook.KindWeCom)},
		{Name: "dingtalk", Kind: webhook.KindDingTalk, Token: secret, Secret: secret, Group: "城管工作群", Limit: webhook.DefaultLimit(webhook.KindDingTalk)},
		{Name: "alertmanager", Kind: webhook.KindAlertmanager, Token: secret, Limit: webhook.DefaultLimit(webhook.KindAlertmanager),
			Routes: []webhook.Route{{Name: "ops", Groups: []string{"区委干部工作群"}}}},
	}
}

// printDemoSources lists the demo's other webhook sources and where to post.
func printDemoSources(w io.Writer, sources []webhook.Source) {
	for _, s := range sources {
		var how string
		switch s.Kind {
		case webhook.KindHotline:
			how = "POST /api/v1/hotline/tickets (X-Qunzhu-Source: " + s.Name + ")"
		case webhook.KindWeCom:
			how = "POST /cgi-bin/webhook/send?key=<密钥 secret>"
		case webhook.KindDingTalk:
			how = "POST /robot/send?access_token=<密钥 secret>&timestamp=&sign="
		case webhook.KindAlertmanager:
			how = "POST /api/v1/alertmanager/{route}, Authorization: Bearer <密钥 secret>"
		default:
			how = "POST /api/v1/messages (X-Qunzhu-Source: " + s.Name + ")"
		}
		fmt.Fprintf(w, "  webhook 来源 source %q (%s): %s\n", s.Name, orDefaultKind(s.Kind), how)
	}
}

func orDefaultKind(k string) string {
	if k == "" {
		return webhook.KindMessage
	}
	return k
}
