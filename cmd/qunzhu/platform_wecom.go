package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
	"github.com/qunzhu/qunzhu/wecom"
	"github.com/qunzhu/qunzhu/wecomemu"
)

// wireWeCom registers the configured WeCom groups and members and builds the
// adapter when the configuration has a wecom section: its callback is
// mounted on the HTTP server (Deps.Mounts) and its housekeeping runs as the
// platform's service.
func wireWeCom(a *app, handle func(context.Context, *qunzhu.Inbound)) (*platformPart, error) {
	w := a.cfg.WeCom
	if w == nil {
		return nil, nil
	}
	limits, err := w.Limits.limits(qunzhu.PlatformWeCom)
	if err != nil {
		return nil, err
	}
	if err := registerWeComGroups(context.Background(), a.store, w.Groups); err != nil {
		return nil, err
	}
	robots := make(map[string]string, len(w.Groups))
	for _, g := range w.Groups {
		robots[g.ChatID] = g.WebhookKey
	}
	ad, err := wecom.New(wecom.Config{
		Token: w.Token, EncodingAESKey: w.EncodingAESKey, ReceiveID: w.ReceiveID, BotID: w.BotID,
		Robots: robots, APIBase: w.APIBase, Store: a.store, Inbox: a.store,
		Logger: a.log.With("component", "wecom"), Clock: a.clock, Handler: handle,
	})
	if err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}
	if a.mounts == nil {
		a.mounts = map[string]http.Handler{}
	}
	a.mounts[w.CallbackPath] = ad.CallbackHandler()
	a.log.Info("WeCom robot configured", "wecom", w)
	return &platformPart{platform: qunzhu.PlatformWeCom, messenger: ad, session: ad,
		limits: limits, run: ad.Run}, nil
}

// registerWeComGroups makes the configured WeCom groups exist by chatid and
// their members exist bound to their userid: on WeCom the userid in every
// callback is the proof of identity, so there is no /认证 code. A member an
// owner registered by name earlier gets the userid from the config.
func registerWeComGroups(ctx context.Context, store qunzhu.Store, groups []WeComGroupConfig) error {
	return store.Update(ctx, func(tx qunzhu.Tx) error {
		for _, gc := range groups {
			g, _, err := tx.EnsurePlatformGroup(qunzhu.PlatformWeCom, gc.ChatID, gc.Name)
			if err != nil {
				return fmt.Errorf("register WeCom group %q: %w", gc.Name, err)
			}
			for _, mc := range gc.Members {
				if err := registerWeComMember(tx, g, mc); err != nil {
					return fmt.Errorf("register member %q of %q: %w", mc.Name, gc.Name, err)
				}
			}
		}
		return nil
	})
}

func registerWeComMember(tx qunzhu.Tx, g *qunzhu.Group, mc WeComMemberConfig) error {
	role, _ := qunzhu.ParseRole(mc.Role)
	id := qunzhu.Identity{SessionKey: mc.UserID, UserID: mc.UserID, DisplayName: mc.Name}
	m, err := tx.MemberByUserID(g.ID, mc.UserID)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		m, err = tx.MemberByName(g.ID, mc.Name)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			m = &qunzhu.Member{GroupID: g.ID, Name: mc.Name, Unit: mc.Unit, Role: role, Bound: true, Identity: id, BoundAt: tx.Now()}
			if err := tx.CreateMember(m); err != nil {
				return err
			}
			return tx.SetPerson(m.ID, mc.Person)
		}
		if err == nil {
			err = tx.BindMember(m.ID, id)
		}
	}
	if err != nil {
		return err
	}
	if m.Name != mc.Name || m.Unit != mc.Unit || m.Role != role {
		m.Name, m.Unit, m.Role = mc.Name, mc.Unit, role
		if err := tx.UpdateMember(m); err != nil {
			return err
		}
	}
	return tx.SetPerson(m.ID, mc.Person)
}

// startWeComEmu serves the WeCom emulator for the wecom section's groups on
// addr and points the adapter's API host at it; nil when the configuration
// has no emulated WeCom. Once qunzhu listens, connect gives the emulator the
// callback URL its members' @-messages are posted to.
// QUNZHU_WECOM_EMU_RATE changes the emulated 20 a minute per group robot,
// for measurements.
func startWeComEmu(cfg *Config, addr string, getenv func(string) string, log *slog.Logger) (*demoEmu, error) {
	w := cfg.WeCom
	if w == nil || w.Emulator == nil {
		return nil, nil
	}
	ec := wecomemu.Config{Token: w.Token, EncodingAESKey: w.EncodingAESKey, BotID: w.BotID,
		RobotName: w.Emulator.RobotName, RatePerMinute: w.Emulator.RatePerMinute, Logger: log.With("component", "wecomemu")}
	if v := getenv("QUNZHU_WECOM_EMU_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("QUNZHU_WECOM_EMU_RATE: %q is not a count a minute", v)
		}
		ec.RatePerMinute = n
	}
	for _, g := range w.Groups {
		gc := wecomemu.GroupConfig{Name: g.Name, ChatID: g.ChatID, WebhookKey: g.WebhookKey}
		for _, m := range append(append([]WeComMemberConfig(nil), g.Members...), w.Emulator.Guests[g.Name]...) {
			gc.Members = append(gc.Members, wecomemu.Person{Name: m.Name, UserID: m.UserID})
		}
		ec.Groups = append(ec.Groups, gc)
	}
	if err := ec.Validate(); err != nil {
		return nil, fmt.Errorf("wecom emulator: %w", err)
	}
	emu := wecomemu.New(ec)
	url, stop, err := serveEmu(addr, emu, func() {})
	if err != nil {
		return nil, err
	}
	emu.SetBaseURL(url)
	w.APIBase = url
	path := w.CallbackPath
	return &demoEmu{label: "企业微信模拟器 WeCom emulator", url: url, stop: stop,
		connect: func(httpURL string) { emu.SetCallbackURL(httpURL + path) }}, nil
}

// weComDemoSources routes the demo's hotline unit 市应急局 and the
// Alertmanager route "wecom-ops" to the first WeCom group, so both work on
// WeCom out of the box.
func weComDemoSources(cfg *Config, sources []webhook.Source) []webhook.Source {
	if cfg.WeCom == nil || len(cfg.WeCom.Groups) == 0 {
		return sources
	}
	ref := qunzhu.PlatformWeCom.Chinese() + ":" + cfg.WeCom.Groups[0].Name
	out := make([]webhook.Source, len(sources))
	for i, s := range sources {
		switch s.Kind {
		case webhook.KindHotline:
			s.Routes = append(append([]webhook.Route(nil), s.Routes...), webhook.Route{Unit: "市应急局", Groups: []string{ref}})
		case webhook.KindAlertmanager:
			s.Routes = append(append([]webhook.Route(nil), s.Routes...), webhook.Route{Name: "wecom-ops", Groups: []string{ref}})
		}
		out[i] = s
	}
	return out
}

// weComSummary is the line `config check` adds for WeCom.
func weComSummary(cfg *Config) string {
	if cfg.WeCom == nil {
		return ""
	}
	return fmt.Sprintf(", WeCom: %d groups, callback %s", len(cfg.WeCom.Groups), strings.TrimSpace(cfg.WeCom.CallbackPath))
}
