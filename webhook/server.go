// Package webhook is qunzhu's HTTP intake: the hotline, alerting and other
// systems post messages here and they are queued into the outbox for a group. It
// is the only package that imports gin. Every accepted message (2xx) is in the
// store before the answer is written; every refused one (4xx) changed nothing.
package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

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
	// MaxDedupKeyRunes bounds dedup_key; longer keys are almost surely a whole
	// payload pasted by mistake.
	MaxDedupKeyRunes = 200
	// MinSecretBytes is the shortest source secret we accept: shorter ones are
	// guessable, and HMAC is only as strong as its key.
	MinSecretBytes = 16
)

// Source is one system allowed to post webhooks (the 12345 hotline, an alert
// manager…). Each has its own secret so one leaked secret can be rotated without
// touching the others, and its own list of groups so a misconfigured sender
// cannot post into the secretary's cadre group.
type Source struct {
	// Name is sent in X-Qunzhu-Source and names the source in logs and dedup
	// keys: ASCII letters, digits, '.', '_' and '-', at most 64.
	Name string
	// Secret is the HMAC-SHA256 key; never logged or shown.
	Secret string
	// Groups are the group names or ids (as decimal strings) the source may post
	// to; empty means every registered group.
	Groups []string
}

// String keeps the secret out of any %v or slog rendering of a Source.
func (s Source) String() string {
	return fmt.Sprintf("webhook.Source{Name:%q Groups:%q}", s.Name, s.Groups)
}

// LogValue keeps the secret out of structured logs.
func (s Source) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", s.Name), slog.Any("groups", s.Groups))
}

// allows reports whether the source may post to g: by id or by current name.
func (s Source) allows(g *qunzhu.Group) bool {
	if len(s.Groups) == 0 {
		return true
	}
	id := fmt.Sprint(g.ID)
	for _, a := range s.Groups {
		a = strings.TrimSpace(a)
		if a == id || a == g.Name {
			return true
		}
	}
	return false
}

var sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidateSources checks the configured sources, so that `config check` and
// startup can refuse a bad configuration with a message naming the source.
// NewServer also leaves invalid sources out (fail closed), but only logs it.
func ValidateSources(sources []Source) error {
	var errs []error
	seen := make(map[string]bool)
	for i, src := range sources {
		if err := validateSource(src); err != nil {
			errs = append(errs, fmt.Errorf("webhook source %d (%q): %w", i+1, src.Name, err))
			continue
		}
		if seen[src.Name] {
			errs = append(errs, fmt.Errorf("webhook source %d (%q): name used twice", i+1, src.Name))
		}
		seen[src.Name] = true
	}
	return errors.Join(errs...)
}

func validateSource(src Source) error {
	switch {
	case !sourceNameRE.MatchString(src.Name):
		return errors.New("name must be 1-64 ASCII letters, digits, '.', '_' or '-'")
	case len(src.Secret) < MinSecretBytes:
		// Says the length rule, never the secret.
		return fmt.Errorf("secret must be at least %d bytes", MinSecretBytes)
	}
	return nil
}

// Deps is everything the server needs, passed explicitly (no globals) so tests
// and cmd/qunzhu wire it the same way.
type Deps struct {
	Store   qunzhu.Store
	Sources []Source
	// State reports the chat session state for /readyz; nil when no chat
	// session is wired (reported as "unknown").
	State func() qunzhu.SessionState
	// Clock decides the timestamp window; nil means the system clock.
	Clock  qunzhu.Clock
	Logger *slog.Logger // nil discards
	// DemoClock, only in demo mode, exposes /_demo/clock so a person or a test
	// can jump the domain clock to a deadline; OnClockAdvance runs after a jump
	// (the scheduler ticks at once). Nil in production: the route does not exist.
	DemoClock      *qunzhu.OffsetClock
	OnClockAdvance func()
}

// server holds the dependencies the handlers share.
type server struct {
	store   qunzhu.Store
	sources map[string]Source
	state   func() qunzhu.SessionState
	clock   qunzhu.Clock
	logger  *slog.Logger

	demoClock      *qunzhu.OffsetClock
	onClockAdvance func()
}

// NewServer returns the webhook HTTP handler: /healthz, /readyz and
// POST /api/v1/messages (see routes.go). It returns an http.Handler, not a gin
// engine, so nothing outside this package depends on gin. Invalid or duplicate
// sources are logged and left out, so a misconfigured source is refused rather
// than accepted with a weak secret; call ValidateSources first to fail fast.
// It panics if d.Store is nil, which is a wiring bug.
func NewServer(d Deps) http.Handler {
	if d.Store == nil {
		panic("webhook.NewServer: Deps.Store is nil")
	}
	s := &server{
		store:   d.Store,
		sources: make(map[string]Source, len(d.Sources)),
		state:   d.State,
		clock:   d.Clock,
		logger:  d.Logger,

		demoClock:      d.DemoClock,
		onClockAdvance: d.OnClockAdvance,
	}
	if s.clock == nil {
		s.clock = qunzhu.SystemClock{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	dup := make(map[string]bool)
	for _, src := range d.Sources {
		if _, ok := s.sources[src.Name]; ok {
			dup[src.Name] = true
		}
		if err := validateSource(src); err != nil {
			s.logger.Error("webhook: source disabled", slog.String("source", src.Name), slog.String("reason", err.Error()))
			continue
		}
		s.sources[src.Name] = src
	}
	for name := range dup {
		// Which of two secrets is the real one is a guess we refuse to make.
		s.logger.Error("webhook: source disabled", slog.String("source", name), slog.String("reason", "name used twice"))
		delete(s.sources, name)
	}

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
