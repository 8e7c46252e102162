package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
	"github.com/qunzhu/qunzhu/wecom"
	"github.com/qunzhu/qunzhu/wecomemu"
)

// wireWeCom registers the configured WeCom groups and members and builds the
// adapter: its callback is mounted on the HTTP server and its housekeeping
// runs as a service. nil when the configuration has no wecom section.
// apiBase replaces WeCom's host (the demo's emulator); "" keeps the config's.
func (a *app) wireWeCom(ctx context.Context, apiBase string) (*wecom.Adapter, error) {
	w := a.cfg.WeCom
	if w == nil {
		return nil, nil
	}
	if err := registerWeComGroups(ctx, a.store, w.Groups); err != nil {
		return nil, err
	}
	robots := make(map[string]string, len(w.Groups))
	for _, g := range w.Groups {
		robots[g.ChatID] = g.WebhookKey
	}
	if apiBase == "" {
		apiBase = w.APIBase
	}
	log := a.log.With("component", "wecom")
	ad, err := wecom.New(wecom.Config{
		Token: w.Token, EncodingAESKey: w.EncodingAESKey, ReceiveID: w.ReceiveID, BotID: w.BotID,
		Robots: robots, APIBase: apiBase, Store: a.store, Inbox: a.store, Logger: log, Clock: a.clock,
		Handler: func(ctx context.Context, in *qunzhu.Inbound) {
			if err := a.router.Handle(ctx, in); err != nil {
				log.Error("handle group message", "group_id", in.GroupID, "err", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}
	if a.mounts == nil {
		a.mounts = map[string]http.Handler{}
	}
	a.mounts[w.CallbackPath] = ad.CallbackHandler()
	a.services = append(a.services, ad.Run)
	return ad, nil
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
			return tx.CreateMember(&qunzhu.Member{GroupID: g.ID, Name: mc.Name, Unit: mc.Unit, Role: role,
				Bound: true, Identity: id, BoundAt: tx.Now()})
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
		return tx.UpdateMember(m)
	}
	return nil
}

// platformMessenger is a SEAM FOR THE MERGE WITH BRANCH i10a, which builds the
// real per-platform router in outbox/ (per-platform session state and
// limits): replace it there and delete this type. It sends WeCom groups'
// messages through the WeCom adapter and the rest through WeChat. Its state
// is WeChat's, exactly as before WeCom existed: the one sender holds the whole
// queue while WeChat is offline, WeCom's messages too, because with one state
// a WeChat message failing first in the queue would otherwise be retried at
// once, forever, ahead of every WeCom message behind it.
type platformMessenger struct {
	wechat qunzhu.Messenger
	wecom  qunzhu.Messenger // nil when WeCom is not configured
}

func (p platformMessenger) Send(ctx context.Context, m *qunzhu.OutMessage) error {
	if m.Platform == qunzhu.PlatformWeCom {
		if p.wecom == nil {
			return qunzhu.Errorf(qunzhu.ENOTFOUND, "企业微信未配置，无法发往群 %d。", m.GroupID)
		}
		return p.wecom.Send(ctx, m)
	}
	return p.wechat.Send(ctx, m)
}

func (p platformMessenger) State() qunzhu.SessionState { return p.wechat.State() }

// Changed passes WeChat's login notifications through to the sender.
func (p platformMessenger) Changed() <-chan struct{} {
	if w, ok := p.wechat.(interface{ Changed() <-chan struct{} }); ok {
		return w.Changed()
	}
	return nil
}

// messengerFor is the sender's messenger: WeChat alone, or behind the seam.
func messengerFor(wechat qunzhu.Messenger, wc *wecom.Adapter) qunzhu.Messenger {
	if wc == nil {
		return wechat
	}
	return platformMessenger{wechat: wechat, wecom: wc}
}

// weComDemo is the demo's built-in WeCom emulator.
type weComDemo struct {
	emu  *wecomemu.Server
	url  string
	stop func()
}

// startWeComEmulator serves the emulator for the wecom section's groups on
// addr; nil when the configuration has no emulated WeCom.
func startWeComEmulator(cfg *Config, addr string, log *slog.Logger) (*weComDemo, error) {
	w := cfg.WeCom
	if w == nil || w.Emulator == nil {
		return nil, nil
	}
	ec := wecomemu.Config{Token: w.Token, EncodingAESKey: w.EncodingAESKey, BotID: w.BotID,
		RobotName: w.Emulator.RobotName, RatePerMinute: w.Emulator.RatePerMinute, Logger: log.With("component", "wecomemu")}
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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wecom emulator listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	d := &weComDemo{emu: emu, url: "http://" + ln.Addr().String()}
	emu.SetBaseURL(d.url)
	d.stop = func() {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}
	return d, nil
}

// connect points the emulator at qunzhu's callback URL and prints where to
// play the members.
func (d *weComDemo) connect(a *app, stdout io.Writer) {
	if d == nil {
		return
	}
	d.emu.SetCallbackURL(a.httpURL() + a.cfg.WeCom.CallbackPath)
	fmt.Fprintf(stdout, "  企业微信模拟器 WeCom emulator: %s   (群 groups: %s/_emu/groups)\n", d.url, d.url)
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
