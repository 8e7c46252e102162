// Package webhook is qunzhu's HTTP intake: the hotline, alerting and other
// systems post messages here and they are queued into the outbox for a group. It
// is the only package that imports gin. Every accepted message (2xx) is in the
// store before the answer is written; every refused one (4xx) changed nothing.
package webhook

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// Limits on what a source may post.
const (
	// MaxBodyBytes bounds a request body, so a confused or hostile client cannot
	// make us buffer an unbounded body before it is even authenticated.
	MaxBodyBytes = 1 << 20
	// MaxTextRunes bounds the message text: WeChat silently cuts longer texts,
	// and a cut alert is worse than a refused one the sender can shorten.
	MaxTextRunes = 4000
	// MaxRobotInputRunes bounds the text fields of a WeCom or DingTalk robot
	// message together, checked before the message is rendered or masked;
	// the rendered text must then fit MaxTextRunes.
	MaxRobotInputRunes = 2 * MaxTextRunes
	// MaxDedupKeyRunes bounds dedup_key; longer keys are almost surely a whole
	// payload pasted by mistake.
	MaxDedupKeyRunes = 200
	// MinSecretBytes is the shortest source secret we accept: shorter ones are
	// guessable, and HMAC is only as strong as its key.
	MinSecretBytes = 16
)

// Deps is everything the server needs, passed explicitly (no globals) so tests
// and cmd/qunzhu wire it the same way.
type Deps struct {
	Store   qunzhu.Store
	Sources []Source
	// State reports the chat session state for /readyz; nil when no chat
	// session is wired (reported as "unknown").
	State func() qunzhu.SessionState
	// Platforms reports every configured platform's session for /readyz
	// (WeChat included); nil when only State is wired.
	Platforms func() map[qunzhu.Platform]qunzhu.SessionState
	// Clock decides the timestamp window; nil means the system clock.
	Clock  qunzhu.Clock
	Logger *slog.Logger // nil discards
	// Limiter enforces each source's Limit; nil allows everything.
	Limiter qunzhu.Limiter
	// Location is where times in posted messages are written (an alert's
	// start time); nil means Asia/Shanghai.
	Location *time.Location
	// DemoClock, only in demo mode, exposes /_demo/clock so a person or a test
	// can jump the domain clock to a deadline; OnClockAdvance runs after a jump
	// (the scheduler ticks at once). Nil in production: the route does not exist.
	DemoClock      *qunzhu.OffsetClock
	OnClockAdvance func()
	// Login, when set, serves the WeChat login page (/login, /login/qr.png)
	// that fallback alerts link to; nil: the routes do not exist.
	Login *LoginPage
	// Masker hides citizens' numbers in everything posted, leaving the
	// configured public numbers readable; nil masks with no exceptions.
	Masker *qunzhu.Masker

	// OnRequest, when set, is told the source ("" if none was recognised) and
	// status of every answered intake request (not probes, pages or
	// /metrics): the metrics' webhook counter.
	OnRequest func(source string, status int)
	// Metrics, when set, is served at GET /metrics behind MetricsToken.
	Metrics http.Handler
	// MetricsToken is required on /metrics as "Authorization: Bearer …" (or
	// ?token=); empty: /metrics does not exist here, because the metrics name
	// groups and sources. Serve them on a separate internal address instead.
	MetricsToken string
	// Dashboard, when set, is the web dashboard mounted under /ui (it does
	// its own sign-in); nil: /ui does not exist.
	Dashboard http.Handler
	// Daily reports the account's sends today, its daily cap and the share
	// kept for alerts (outbox.Sender.Usage) for /readyz; nil: not reported.
	Daily func() (sent, limit, reserved int)
	// Mounts are platform callbacks served as they are, path → handler for
	// GET and POST (the WeCom smart robot's callback URL); each checks its
	// platform's own signature.
	Mounts map[string]http.Handler
}

// server holds the dependencies the handlers share.
type server struct {
	store   qunzhu.Store
	sources map[string]Source
	state   func() qunzhu.SessionState
	plats   func() map[qunzhu.Platform]qunzhu.SessionState
	clock   qunzhu.Clock
	logger  *slog.Logger
	limiter qunzhu.Limiter
	loc     *time.Location
	// tokens finds a compatible robot's source by the credential in its
	// request (see tokenKey).
	tokens map[string]Source

	demoClock      *qunzhu.OffsetClock
	onClockAdvance func()
	login          *LoginPage
	masker         *qunzhu.Masker

	onRequest    func(source string, status int)
	metrics      http.Handler
	metricsToken string
	dashboard    http.Handler
	daily        func() (sent, limit, reserved int)
	mounts       map[string]http.Handler

	groups *groupCache // the messages endpoint's group lookups
}

// NewServer returns the webhook HTTP handler: probes, the generic and hotline
// intake, the WeCom, DingTalk and Alertmanager compatible endpoints and the
// OpenAPI document (see routes.go). It returns an http.Handler, not a gin
// engine, so nothing outside this package depends on gin. Invalid or duplicate
// sources are logged and left out, so a misconfigured source is refused rather
// than accepted with a weak secret; call ValidateSources first to fail fast.
// It panics if d.Store is nil, which is a wiring bug.
func NewServer(d Deps) http.Handler {
	if d.Store == nil {
		panic("webhook.NewServer: Deps.Store is nil")
	}
	s := newServer(d, true)
	// Release mode silences gin's debug route dump and warnings on stdout; the
	// mode is a process-wide atomic in gin, so setting it here is race-free.
	if gin.Mode() != gin.ReleaseMode {
		gin.SetMode(gin.ReleaseMode)
	}
	e := gin.New()
	// We never use ClientIP, and trusting every proxy is gin's insecure default.
	_ = e.SetTrustedProxies(nil)
	e.HandleMethodNotAllowed = true
	s.routes(e)
	return e
}

// newServer builds what the handlers and the Applier share; logSources logs
// the sources it leaves out (once, by NewServer).
func newServer(d Deps, logSources bool) *server {
	s := &server{
		store:   d.Store,
		sources: make(map[string]Source, len(d.Sources)),
		state:   d.State,
		plats:   d.Platforms,
		clock:   d.Clock,
		logger:  d.Logger,
		limiter: d.Limiter,
		loc:     d.Location,
		tokens:  make(map[string]Source),

		demoClock:      d.DemoClock,
		onClockAdvance: d.OnClockAdvance,
		login:          d.Login,
		masker:         d.Masker,

		onRequest:    d.OnRequest,
		metrics:      d.Metrics,
		metricsToken: d.MetricsToken,
		dashboard:    d.Dashboard,
		daily:        d.Daily,
		mounts:       d.Mounts,
		groups:       newGroupCache(d.Store),
	}
	if s.clock == nil {
		s.clock = qunzhu.SystemClock{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.loc == nil {
		s.loc = chinaTime()
	}
	logger := s.logger
	if !logSources {
		logger = slog.New(slog.DiscardHandler)
	}
	dup := make(map[string]bool)
	for _, src := range d.Sources {
		if _, ok := s.sources[src.Name]; ok {
			dup[src.Name] = true
		}
		if err := validateSource(src); err != nil {
			logger.Error("webhook: source disabled", slog.String("source", src.Name), slog.String("reason", err.Error()))
			continue
		}
		s.sources[src.Name] = src
	}
	for name := range dup {
		// Which of two secrets is the real one is a guess we refuse to make.
		logger.Error("webhook: source disabled", slog.String("source", name), slog.String("reason", "name used twice"))
		delete(s.sources, name)
	}
	s.indexTokens(logger)
	return s
}

// indexTokens lets the compatible endpoints find their source by the key,
// access_token or bearer token in the request. A token shared by two sources
// of a kind disables both: which one was meant is a guess we refuse to make.
func (s *server) indexTokens(logger *slog.Logger) {
	shared := map[string]bool{}
	for _, src := range s.sources {
		if src.Token == "" || src.kind() == KindMessage || src.kind() == KindHotline {
			continue
		}
		k := tokenKey(src.kind(), src.Token)
		if other, ok := s.tokens[k]; ok {
			shared[k] = true
			logger.Error("webhook: source disabled", slog.String("source", src.Name), slog.String("reason", "same token as source "+other.Name))
			logger.Error("webhook: source disabled", slog.String("source", other.Name), slog.String("reason", "same token as source "+src.Name))
			delete(s.sources, src.Name)
			delete(s.sources, other.Name)
		}
		s.tokens[k] = src
	}
	for k := range shared {
		delete(s.tokens, k)
	}
}

// chinaTime is Asia/Shanghai, or UTC+8 where the time zone database is missing
// (a scratch container): China has one zone and no daylight saving.
func chinaTime() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}
