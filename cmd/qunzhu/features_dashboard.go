package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/dashboard"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/xlsx"
)

// DashboardConfig tunes the web dashboard (/ui), its sign-in links and the
// exports; every field has a default.
type DashboardConfig struct {
	// LinkTTL is how long an owner's sign-in link works; default 24h.
	LinkTTL *Duration `yaml:"link_ttl"`
	// SessionTTL is how long a sign-in lasts in the browser; default 12h.
	SessionTTL *Duration `yaml:"session_ttl"`
}

// loadDashboard applies the environment overrides of the observing settings.
func (c *Config) loadDashboard(getenv func(string) string) {
	if v := getenv("QUNZHU_METRICS_ADDR"); v != "" {
		c.MetricsAddr = v
	}
}

// validateDashboard names bad dashboard and metrics settings.
func (c *Config) validateDashboard() []error {
	var errs []error
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("metrics_addr: %q is not host:port", c.MetricsAddr))
		}
	}
	for _, d := range []struct {
		name string
		v    *Duration
	}{{"dashboard.link_ttl", c.Dashboard.LinkTTL}, {"dashboard.session_ttl", c.Dashboard.SessionTTL}} {
		if d.v != nil && (*d.v < Duration(time.Minute) || *d.v > Duration(30*24*time.Hour)) {
			errs = append(errs, fmt.Errorf("%s: must be between 1m and 720h", d.name))
		}
	}
	return errs
}

// metricsToken is the token /metrics on the main address asks for: the login
// token, unless the metrics have their own (internal) address, where they
// need none and the main address does not serve them.
func (c *Config) metricsToken() string {
	if c.MetricsAddr != "" {
		return ""
	}
	return c.LoginToken
}

// wireMetricsAddr serves /metrics on metrics_addr when one is configured.
func wireMetricsAddr(a *app) error {
	if a.cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listen %s: %w", a.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.services = append(a.services, func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shut)
		}()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	a.log.Info("metrics served", "addr", ln.Addr().String())
	return nil
}

// wireDashboard builds the web dashboard mounted under /ui, and the commands
// that lead to it: /导出 (a download link) and /后台 (ask IT for a link).
func wireDashboard(a *app, senderCfg *outbox.Config) error {
	key, err := dashboardKey(a.cfg.DataDir)
	if err != nil {
		return err
	}
	loc := a.router.Location()
	loginURL, qrURL := "", ""
	if a.cfg.LoginToken != "" {
		q := "?token=" + url.QueryEscape(a.cfg.LoginToken)
		loginURL = strings.TrimRight(a.cfg.PublicURL, "/") + "/login" + q
		qrURL = "/login/qr.png" + q
	}
	cfg := dashboard.Config{
		Store: a.store, Exporter: xlsx.Exporter{Location: loc}, AdminToken: a.cfg.LoginToken, Key: key,
		Location: loc, LoginURL: loginURL, LoginQRURL: qrURL, DailyCap: senderCfg.Limits.Daily, PublicURL: a.cfg.PublicURL,
		Logger: a.log.With("component", "dashboard"),
		Sessions: func() []dashboard.Session {
			var out []dashboard.Session
			sessions := a.sessions()
			for _, p := range qunzhu.Platforms {
				if s, ok := sessions[p]; ok {
					out = append(out, dashboard.Session{Platform: string(p), State: s.State(), Since: s.StateSince()})
				}
			}
			return out
		},
	}
	if d := a.cfg.Dashboard.LinkTTL; d != nil {
		cfg.LinkTTL = time.Duration(*d)
	}
	if d := a.cfg.Dashboard.SessionTTL; d != nil {
		cfg.SessionTTL = time.Duration(*d)
	}
	dash := dashboard.New(cfg)
	a.dashboard = dash
	for _, s := range commands.NewExports(dash.ExportLink).Specs() {
		a.router.Register(s)
	}
	return nil
}

// dashboardKey is the key that signs dashboard sign-ins and links: 32 random
// bytes kept in the data directory, so sign-ins survive restarts and every
// replica sharing the directory agrees. Deleting the file signs everyone out.
func dashboardKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "dashboard.key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("dashboard key: %w", err)
	}
	return b, nil
}
