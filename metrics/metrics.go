// Package metrics exposes qunzhu to Prometheus: what was queued, sent and
// failed, how old the backlog is, what the governor decided, the chat
// sessions, webhook requests, commands and escalation steps. It is the only
// package that imports client_golang; the other packages report through plain
// func hooks (webhook.Deps.OnRequest, commands.Config.OnCommand) or a Limiter
// wrapper, so none of them depends on Prometheus.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qunzhu/qunzhu"
)

// Config is what the metrics read at scrape time.
type Config struct {
	Store qunzhu.Store
	// Sessions reports each chat platform's session state ("wechat" → online);
	// nil reports none.
	Sessions func() map[string]qunzhu.SessionState
	// Platform names the platform a group is on, for the message counters'
	// platform label; nil labels every group "wechat", the only platform whose
	// groups exist today.
	Platform func(groupID int64) string
	// Clock measures the oldest pending message's age; nil: the system clock.
	// Pass the store's clock, since the outbox's times are written with it.
	Clock  qunzhu.Clock
	Logger *slog.Logger
	// ScrapeTimeout bounds the store reads of one scrape (5 s when 0).
	ScrapeTimeout time.Duration
}

// Metrics holds the registry and the counters the other packages feed. Its
// methods are safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	webhook  *prometheus.CounterVec
	commands *prometheus.CounterVec
	limiter  *prometheus.CounterVec
}

// New registers every qunzhu metric, plus the Go runtime and process ones,
// in a registry of its own (never the global one, so tests and two apps in
// one process do not collide).
func New(cfg Config) *Metrics {
	if cfg.Clock == nil {
		cfg.Clock = qunzhu.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ScrapeTimeout <= 0 {
		cfg.ScrapeTimeout = 5 * time.Second
	}
	if cfg.Platform == nil {
		cfg.Platform = func(int64) string { return "wechat" }
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qunzhu_webhook_requests_total",
			Help: "HTTP requests to the webhook intake, by source (\"\" when none was recognised) and HTTP status code.",
		}, []string{"source", "code"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qunzhu_commands_total",
			Help: "Slash commands received in groups, by canonical command name (\"unknown\" for names the bot does not know).",
		}, []string{"command"}),
		limiter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qunzhu_limiter_decisions_total",
			Help: "Rate limiter decisions, by limit (account, group, remind, webhook) and decision (allowed, denied, error).",
		}, []string{"limit", "decision"}),
	}
	m.reg.MustRegister(m.webhook, m.commands, m.limiter,
		newStoreCollector(cfg), newSessionCollector(cfg.Sessions),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format. Errors in one
// collector (the store did not answer) are logged and the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the registry behind Handler, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WebhookRequest counts one answered webhook request (webhook.Deps.OnRequest).
func (m *Metrics) WebhookRequest(source string, status int) {
	m.webhook.WithLabelValues(source, strconv.Itoa(status)).Inc()
}

// Command counts one command (commands.Config.OnCommand).
func (m *Metrics) Command(name string) {
	m.commands.WithLabelValues(name).Inc()
}

// Limiter wraps l so that every decision is counted by the key's first
// segment ("group:12" counts as group), which keeps the label set small
// whatever the number of groups and people.
func (m *Metrics) Limiter(l qunzhu.Limiter) qunzhu.Limiter {
	return &countingLimiter{inner: l, m: m}
}

type countingLimiter struct {
	inner qunzhu.Limiter
	m     *Metrics
}

func (c *countingLimiter) Allow(ctx context.Context, key string, limit qunzhu.Limit) (qunzhu.LimitResult, error) {
	res, err := c.inner.Allow(ctx, key, limit)
	kind, _, _ := strings.Cut(key, ":")
	decision := "allowed"
	switch {
	case err != nil:
		decision = "error"
	case !res.Allowed:
		decision = "denied"
	}
	c.m.limiter.WithLabelValues(kind, decision).Inc()
	return res, err
}
