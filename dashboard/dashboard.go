// Package dashboard is qunzhu's web dashboard (/ui): what leaders bring to the
// weekly meeting (概览, 督办台账, 作业, 热线工单, 群发) and what IT staff watch
// (登录 state, queue). Pages are rendered on the server from Go templates
// with embedded static files: no Node build, no script needed to read them.
//
// It uses only the standard library and the root package and returns a plain
// http.Handler; webhook/, the one gin importer, mounts it under /ui on the one
// HTTP server. Everything it shows is read through Store.View, and a viewer
// sees only the groups their sign-in allows (see auth.go).
package dashboard

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Session is one chat platform's account as the 登录 page shows it.
type Session struct {
	Platform string // "wechat", …
	State    qunzhu.SessionState
	Since    time.Time
}

// Config is everything the dashboard needs, passed explicitly.
type Config struct {
	Store    qunzhu.Store
	Exporter qunzhu.Exporter
	// AdminToken is the login_token: IT staff sign in with it and see every
	// group. Empty: nobody can sign in as IT (owner links still work).
	AdminToken string
	// Key signs sign-in cookies and links (HMAC-SHA256); at least 32 bytes.
	// Changing it signs everyone out and voids every link.
	Key []byte
	// Clock decides when sign-ins and links expire: the wall clock (nil),
	// not the demo's domain clock, because people's browsers live in real time.
	Clock qunzhu.Clock
	// Location is where times are shown; nil means Asia/Shanghai.
	Location *time.Location
	// Sessions reports each platform's chat session; nil shows none.
	Sessions func() []Session
	// LoginURL is today's QR login page with its token (/login?token=…),
	// linked for IT staff only; LoginQRURL its QR code image
	// (/login/qr.png?token=…), shown to IT staff while a code waits.
	LoginURL, LoginQRURL string
	// DailyCap is the account's daily send cap, shown beside today's sends.
	DailyCap int
	// PublicURL is the base of links handed out (owner sign-in, downloads);
	// "" derives it from the request's Host.
	PublicURL string
	// LinkTTL is how long an owner's sign-in link works (24 h when 0);
	// SessionTTL how long a sign-in lasts in the browser (12 h when 0);
	// ExportTTL how long a download link works (24 h when 0).
	LinkTTL, SessionTTL, ExportTTL time.Duration
	Logger                         *slog.Logger
}

// Dashboard serves /ui. Build it with New.
type Dashboard struct {
	cfg   Config
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New checks cfg and builds the handler. It panics on a wiring bug (no store,
// a short key), like webhook.NewServer.
func New(cfg Config) *Dashboard {
	switch {
	case cfg.Store == nil:
		panic("dashboard.New: Config.Store is nil")
	case len(cfg.Key) < 32:
		panic("dashboard.New: Config.Key is shorter than 32 bytes")
	}
	if cfg.Clock == nil {
		cfg.Clock = qunzhu.SystemClock{}
	}
	if cfg.Location == nil {
		cfg.Location = chinaTime()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range []*time.Duration{&cfg.LinkTTL, &cfg.ExportTTL} {
		if *d <= 0 {
			*d = 24 * time.Hour
		}
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	d := &Dashboard{cfg: cfg, pages: parsePages(cfg.Location)}
	d.routes()
	return d
}

// ServeHTTP serves the dashboard's routes with headers that keep its pages
// (which name people and carry sign-in state) out of caches, frames and
// referrers.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	d.mux.ServeHTTP(w, r)
}

// routes lists every page, so the whole surface (and who may see it) is in
// one place. Every page but sign-in and static files requires a viewer.
func (d *Dashboard) routes() {
	m := http.NewServeMux()
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/", http.FileServerFS(staticFS)))
	m.HandleFunc("GET /ui/signin", d.handleSignInForm)
	m.HandleFunc("POST /ui/signin", d.handleSignIn)
	m.HandleFunc("GET /ui/auth", d.handleOwnerLink)
	m.HandleFunc("POST /ui/signout", d.handleSignOut)
	m.HandleFunc("GET /ui/download", d.handleDownload)

	m.HandleFunc("GET /ui", d.viewer(d.redirectHome))
	m.HandleFunc("GET /ui/{$}", d.viewer(d.handleOverview))
	m.HandleFunc("GET /ui/chart/overdue.svg", d.viewer(d.handleOverdueChart))
	m.HandleFunc("GET /ui/chart/weekly.svg", d.viewer(d.handleWeeklyChart))
	m.HandleFunc("GET /ui/tasks", d.viewer(d.handleTasks))
	m.HandleFunc("GET /ui/tasks/{id}", d.viewer(d.handleTask))
	m.HandleFunc("GET /ui/tasks/{id}/images/{image}", d.viewer(d.handleTaskImage))
	m.HandleFunc("GET /ui/reports", d.viewer(d.handleReports))
	m.HandleFunc("GET /ui/submissions/{id}", d.viewer(d.handleSubmission))
	m.HandleFunc("GET /ui/submissions/{id}/image", d.viewer(d.handleSubmissionImage))
	m.HandleFunc("GET /ui/tickets", d.viewer(d.handleTickets))
	m.HandleFunc("GET /ui/broadcasts", d.viewer(d.handleBroadcasts))
	m.HandleFunc("GET /ui/sessions", d.viewer(d.handleSessions))
	m.HandleFunc("GET /ui/export/tasks.xlsx", d.viewer(d.handleExportTasks))
	m.HandleFunc("GET /ui/export/reports.xlsx", d.viewer(d.handleExportReports))
	m.HandleFunc("GET /ui/links", d.viewer(d.adminOnly(d.handleLinks)))
	m.HandleFunc("POST /ui/links", d.viewer(d.adminOnly(d.handleCreateLink)))
	m.HandleFunc("/ui/", d.handleNotFound)
	d.mux = m
}

// chinaTime is Asia/Shanghai, or UTC+8 without a time zone database.
func chinaTime() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}
