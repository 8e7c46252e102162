package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/bot"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/metrics"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/ratelimit"
	"github.com/qunzhu/qunzhu/schedule"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/webhook"
)

// app is one running qunzhu: store, limiter, bot, sender and HTTP server.
type app struct {
	cfg     *Config
	log     *slog.Logger
	store   *sqlite.Store
	limiter qunzhu.Limiter
	closeRL func() error
	bot     *bot.Bot // nil when wechat.enabled is false
	// delivery drains the outbox, one lane per platform.
	delivery *outbox.Router
	// platforms are the official platforms configured (DingTalk, WeCom).
	platforms []*platformPart
	router    *commands.Router
	runner    *schedule.Runner
	applier   *webhook.Applier
	clock     qunzhu.Clock
	httpLn    net.Listener
	http      *http.Server
	metrics   *metrics.Metrics
	// dashboard is the web dashboard's handler, mounted under /ui.
	dashboard http.Handler
	// services are long-running parts a feature adds in wireFeatures (the
	// fallback robot's watch); run starts each and waits for it at shutdown.
	services []func(context.Context) error
	// mounts are platform callbacks the HTTP server serves (WeCom's).
	mounts map[string]http.Handler
}

// appOptions are what differs between serve and demo.
type appOptions struct {
	transport http.RoundTripper // emulator redirect for demo
	qrWriter  io.Writer         // where to draw the login QR code
	sources   []webhook.Source  // extra webhook sources (demo)
	// demoClock replaces the wall clock for the domain (deadlines, reminders)
	// and exposes /_demo/clock; nil in production.
	demoClock *qunzhu.OffsetClock
}

// newLogger builds the process logger at the configured level.
func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	lv, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
}

func parseLevel(s string) (slog.Level, error) {
	var lv slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := lv.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return lv, nil
}

// limits turns the configured limits into the governor's, over the defaults.
func (c *Config) limits() (outbox.Limits, error) {
	l := outbox.DefaultLimits()
	for _, x := range []struct {
		s   string
		dst *qunzhu.Limit
	}{{c.Limits.Account, &l.Account}, {c.Limits.Group, &l.Group}} {
		if x.s == "" {
			continue
		}
		v, err := parseLimit(x.s)
		if err != nil {
			return l, err
		}
		*x.dst = v
	}
	if c.Limits.Jitter != nil {
		l.Jitter = time.Duration(*c.Limits.Jitter)
	}
	if c.Limits.Daily != "" {
		n, err := parseDaily(c.Limits.Daily)
		if err != nil {
			return l, err
		}
		l.Daily = n
	}
	if c.Limits.ReserveDaily != "" {
		n, err := strconv.Atoi(strings.TrimSpace(c.Limits.ReserveDaily))
		if err != nil || n < 0 || (l.Daily > 0 && n > l.Daily) {
			return l, fmt.Errorf("limits.reserve_daily: %q: want a number of messages from 0 to limits.daily (%d)", c.Limits.ReserveDaily, l.Daily)
		}
		l.ReserveDaily = n
		if n == 0 {
			l.ReserveDaily = -1 // asked for none, not the default
		}
	}
	return l, l.Validate()
}

// bootstrap lists, per group, the configured owners and admins to bind by
// display name at the first login.
func (c *Config) bootstrap() map[string][]string {
	out := map[string][]string{}
	for _, g := range c.Groups {
		if p, _ := g.platform(); p != qunzhu.PlatformWeChat {
			continue // official platforms bind by user id, not display name
		}
		for _, m := range g.Members {
			if r, _ := qunzhu.ParseRole(m.Role); r.AtLeast(qunzhu.RoleAdmin) {
				out[g.Name] = append(out[g.Name], m.Name)
			}
		}
	}
	return out
}

// startApp opens the store, registers the configured groups and wires every part.
// Nothing runs until app.run.
func startApp(ctx context.Context, cfg *Config, log *slog.Logger, opt appOptions) (*app, error) {
	limits, err := cfg.limits()
	if err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var clock qunzhu.Clock = qunzhu.SystemClock{}
	if opt.demoClock != nil {
		clock = opt.demoClock
	}
	store, err := sqlite.OpenWith(ctx, filepath.Join(cfg.DataDir, "qunzhu.db"),
		sqlite.Options{Clock: clock, Synchronous: cfg.SQLiteSynchronous, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a := &app{cfg: cfg, log: log, store: store, clock: clock}
	if err := registerGroups(ctx, store, cfg.Groups); err != nil {
		store.Close()
		return nil, err
	}
	ratelimit.RouteRedisLogs(log)
	a.limiter, a.closeRL, err = ratelimit.NewFromURLClock(ctx, cfg.RedisURL, clock, log)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("limiter: %w", err)
	}
	a.metrics = metrics.New(metrics.Config{
		Store: store, Clock: clock, Logger: log.With("component", "metrics"),
		Sessions: a.sessionStates,
	})
	a.limiter = a.metrics.Limiter(a.limiter)
	ttl := time.Duration(cfg.BindCodeTTL)
	loc, err := cfg.location()
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	member, guest, err := cfg.commandLimits()
	if err != nil {
		a.closeRL()
		store.Close()
		return nil, err
	}
	a.router = commands.NewRouter(store, commands.Config{BotNames: cfg.BotNames, BindCodeTTL: ttl, Logger: log, Location: loc,
		OnCommand: a.metrics.Command, Limiter: a.limiter, MemberCommands: member, GuestCommands: guest})
	handle := func(ctx context.Context, in *qunzhu.Inbound) {
		if err := a.router.Handle(ctx, in); err != nil {
			log.Error("handle group message", "platform", in.Platform, "group_id", in.GroupID, "err", err)
		}
	}
	if cfg.WeChat.enabled() {
		a.bot = bot.New(store, bot.Config{
			DataDir:   cfg.DataDir,
			Transport: opt.transport,
			Handler:   handle,
			QRWriter:  opt.qrWriter,
			Bootstrap: cfg.bootstrap(),
			Logger:    log,
			Clock:     clock,
		})
	}
	for _, wire := range platformWirings {
		part, err := wire(a, handle)
		if err != nil {
			a.closeRL()
			store.Close()
			return nil, err
		}
		if part != nil {
			a.platforms = append(a.platforms, part)
		}
	}
	a.runner = schedule.NewRunner(clock, 0, log.With("component", "schedule"))
	senderCfg := outbox.Config{Limits: limits}
	if err := wireFeatures(a, &senderCfg); err != nil {
		a.closeRL()
		store.Close()
		return nil, err
	}
	wireCodeDelivery(a, &senderCfg)
	var lanes []outbox.Lane
	if a.bot != nil {
		lanes = append(lanes, outbox.Lane{Platform: qunzhu.PlatformWeChat, Messenger: a.bot, Config: senderCfg})
	}
	for _, p := range a.platforms {
		lanes = append(lanes, outbox.Lane{Platform: p.platform, Messenger: p.messenger, Config: officialSender(senderCfg, p.limits)})
	}
	if a.delivery, err = outbox.NewRouter(store, a.limiter, clock, log.With("component", "outbox"), lanes...); err != nil {
		a.closeRL()
		store.Close()
		return nil, err
	}

	cfgSources, err := cfg.webhookSources()
	if err != nil {
		a.closeRL()
		store.Close()
		return nil, err
	}
	sources := append(opt.sources, cfgSources...)
	masker, err := cfg.masker()
	if err != nil {
		a.closeRL()
		store.Close()
		return nil, err
	}
	deps := webhook.Deps{
		Store: store, Sources: sources, State: a.wechatState(), Platforms: a.platformStates,
		Logger:    log.With("component", "webhook"),
		DemoClock: opt.demoClock, OnClockAdvance: a.runner.Kick,
		Login: a.loginPage(), Daily: a.dailyUsage,
		Mounts: a.mounts, // platform callbacks (WeCom's, platform_wecom.go)

		// Webhook intake: per-source rate limits, times in messages,
		// masking with the owner's public numbers left readable.
		Limiter: a.limiter, Location: loc, Masker: masker,

		// Observing: metrics here unless they have their own address; the dashboard.
		OnRequest: a.metrics.WebhookRequest, Metrics: a.metrics.Handler(),
		MetricsToken: cfg.metricsToken(), Dashboard: a.dashboard,
	}
	// The intake journal's applier: what the webhooks accepted becomes
	// tickets, tasks and messages right after the answer (webhook/journal.go).
	a.applier = webhook.NewApplier(deps)
	a.http = &http.Server{
		Handler:           webhook.NewServer(deps),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	a.httpLn, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		a.closeRL()
		store.Close()
		return nil, fmt.Errorf("http listen %s: %w", cfg.HTTPAddr, err)
	}
	return a, nil
}

// run serves until ctx ends, then shuts down in order: stop taking webhooks,
// let the sender finish the send in flight, log the bot out of its loop, close
// the store.
func (a *app) run(ctx context.Context) error {
	ctx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	botCtx, stopBot := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBot()
	var wg sync.WaitGroup
	httpErr := make(chan error, 1)
	wg.Add(3 + len(a.services))
	go func() {
		defer wg.Done()
		_ = a.runner.Run(ctx)
	}()
	for _, run := range a.services {
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil {
				a.log.Error("service stopped", "err", err)
			}
		}()
	}
	go func() {
		defer wg.Done()
		if err := a.http.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			httpErr <- err
		}
	}()
	applierDone := make(chan struct{})
	go func() {
		defer close(applierDone)
		_ = a.applier.Run(ctx)
	}()
	senderDone := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(senderDone)
		if err := a.delivery.Run(ctx); err != nil {
			a.log.Error("outbox sender stopped", "err", err)
		}
	}()
	// The chat sessions stop after the sender recorded its send in flight.
	sessions := a.sessionRuns()
	wg.Add(len(sessions))
	for _, run := range sessions {
		go func() {
			defer wg.Done()
			if err := run(botCtx); err != nil {
				a.log.Error("chat session stopped", "err", err)
			}
		}()
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
	}
	stopRun()
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = a.http.Shutdown(shutCtx)
	// What was accepted up to the last answer is applied now, so the next
	// start begins with an empty journal; what is left (a deadline, a store
	// failure) is applied at the next start.
	<-applierDone
	if err := a.applier.Drain(shutCtx); err != nil {
		a.log.Warn("intake journal not drained at shutdown; it is applied at the next start", "err", err)
	}
	<-senderDone // the sender returns only after recording the send in flight
	stopBot()
	wg.Wait()
	if a.closeRL != nil {
		_ = a.closeRL()
	}
	if cerr := a.store.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// sessionRuns are the chat sessions to run: the WeChat bot and each
// configured official platform.
func (a *app) sessionRuns() []func(context.Context) error {
	var runs []func(context.Context) error
	if a.bot != nil {
		runs = append(runs, a.bot.Run)
	}
	for _, p := range a.platforms {
		runs = append(runs, p.run)
	}
	return runs
}

// wechatState is /readyz's wechat field; nil (unknown) when WeChat is off.
func (a *app) wechatState() func() qunzhu.SessionState {
	if a.bot == nil {
		return nil
	}
	return a.bot.State
}

// platformStates is /readyz's view of every platform's session.
func (a *app) platformStates() map[qunzhu.Platform]qunzhu.SessionState { return a.delivery.States() }

// httpURL is the base URL of the HTTP server for people and tests.
func (a *app) httpURL() string { return "http://" + a.httpLn.Addr().String() }
