package webhook

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Source kinds: which endpoint a source posts to and how it proves who it is.
// Each compatible kind authenticates exactly the way its original does, so an
// existing sender only changes the URL.
const (
	KindMessage      = "message"      // POST /api/v1/messages, X-Qunzhu-* HMAC headers (the default)
	KindHotline      = "hotline"      // POST /api/v1/hotline/tickets, X-Qunzhu-* HMAC headers
	KindWeCom        = "wecom"        // POST /cgi-bin/webhook/send?key=<Token>
	KindDingTalk     = "dingtalk"     // POST /robot/send?access_token=<Token>&timestamp=&sign= (Secret signs)
	KindAlertmanager = "alertmanager" // POST /api/v1/alertmanager/{route}, Authorization: Bearer <Token>
)

// DefaultDigestWindow is how long a hotline source gathers one unit's overdue
// tickets into one message when its configuration does not say.
const DefaultDigestWindow = 30 * time.Second

// Source is one system allowed to post webhooks (the 12345 hotline, an alert
// manager, a WeCom robot's sender…). Each has its own credentials so one
// leaked secret can be rotated without touching the others, its own groups so
// a misconfigured sender cannot post into the secretary's cadre group, and its
// own rate limit so one runaway sender cannot flood the outbox.
type Source struct {
	// Name is sent in X-Qunzhu-Source and names the source in logs and dedup
	// keys: ASCII letters, digits, '.', '_' and '-', at most 64.
	Name string
	// Kind is one of the Kind* constants; "" means KindMessage.
	Kind string
	// Secret is the HMAC-SHA256 key (message, hotline) or the DingTalk
	// robot's signing secret (SEC…); never logged or shown.
	Secret string
	// Token is the credential carried in the request: the WeCom robot key,
	// the DingTalk access_token, the Alertmanager bearer token.
	Token string
	// Groups are the group names or ids (as decimal strings) the source may
	// post to; empty means every registered group.
	Groups []string
	// Group is where a WeCom or DingTalk compatible robot posts.
	Group string
	// Routes map a hotline ticket's unit and district, or an Alertmanager
	// route name, to groups.
	Routes []Route
	// Limit is the source's request rate (zero: unlimited); over it the
	// source gets 429 with Retry-After.
	Limit qunzhu.Limit
	// DigestWindow is how long a hotline source gathers one unit's overdue
	// tickets per group into one message; zero or less posts each at once.
	DigestWindow time.Duration
}

// Route sends what matches it to Groups. For a hotline, a route with Unit and
// District is preferred to one with Unit only, which is preferred to one with
// District only, then to a catch-all; all routes of the best level are used.
// For Alertmanager, Name is the {route} in the URL.
type Route struct {
	Name     string
	Unit     string
	District string
	Groups   []string
}

// DefaultLimit is a kind's rate limit when the configuration does not set one:
// WeCom and DingTalk robots get their originals' 20 a minute, so a sender that
// worked against them works here; the others 120 a minute with bursts of 60,
// far above what a hotline or an alert manager sends.
func DefaultLimit(kind string) qunzhu.Limit {
	switch kind {
	case KindWeCom, KindDingTalk:
		return qunzhu.Limit{Rate: 20, Period: time.Minute, Burst: 20}
	}
	return qunzhu.Limit{Rate: 120, Period: time.Minute, Burst: 60}
}

// kind is the source's kind with the default filled in.
func (s Source) kind() string {
	if s.Kind == "" {
		return KindMessage
	}
	return s.Kind
}

// String keeps the secret out of any %v or slog rendering of a Source.
func (s Source) String() string {
	return fmt.Sprintf("webhook.Source{Name:%q Kind:%q Groups:%q}", s.Name, s.kind(), s.Groups)
}

// LogValue keeps the secret out of structured logs.
func (s Source) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", s.Name), slog.String("kind", s.kind()), slog.Any("groups", s.Groups))
}

// allows reports whether the source may post to g: by id or by current name.
func (s Source) allows(g *qunzhu.Group) bool {
	if len(s.Groups) == 0 {
		return true
	}
	return refersTo(s.Groups, g)
}

// refersTo reports whether one of refs names g by id or by current name.
func refersTo(refs []string, g *qunzhu.Group) bool {
	id := fmt.Sprint(g.ID)
	for _, a := range refs {
		a = strings.TrimSpace(a)
		if a == id || a == g.Name {
			return true
		}
	}
	return false
}

// route returns the groups a hotline ticket of unit and district goes to.
func (s Source) route(unit, district string) []string {
	best, level := []string(nil), 0
	for _, r := range s.Routes {
		if (r.Unit != "" && r.Unit != unit) || (r.District != "" && r.District != district) {
			continue
		}
		l := 1
		switch {
		case r.Unit != "" && r.District != "":
			l = 4
		case r.Unit != "":
			l = 3
		case r.District != "":
			l = 2
		}
		if l > level {
			best, level = nil, l
		}
		if l == level {
			best = append(best, r.Groups...)
		}
	}
	return best
}

// namedRoute returns the groups of the Alertmanager route called name.
func (s Source) namedRoute(name string) ([]string, bool) {
	for _, r := range s.Routes {
		if r.Name == name {
			return r.Groups, true
		}
	}
	return nil, false
}

var (
	sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	routeNameRE  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// ValidateSources checks the configured sources, so that `config check` and
// startup can refuse a bad configuration with a message naming the source.
// NewServer also leaves invalid sources out (fail closed), but only logs it.
func ValidateSources(sources []Source) error {
	var errs []error
	seen := make(map[string]bool)
	tokens := make(map[string]string)
	for i, src := range sources {
		if err := validateSource(src); err != nil {
			errs = append(errs, fmt.Errorf("webhook source %d (%q): %w", i+1, src.Name, err))
			continue
		}
		if seen[src.Name] {
			errs = append(errs, fmt.Errorf("webhook source %d (%q): name used twice", i+1, src.Name))
		}
		seen[src.Name] = true
		if src.Token != "" {
			k := tokenKey(src.kind(), src.Token)
			if other, ok := tokens[k]; ok {
				errs = append(errs, fmt.Errorf("webhook source %d (%q): same token as source %q", i+1, src.Name, other))
			}
			tokens[k] = src.Name
		}
	}
	return errors.Join(errs...)
}

// Validate says what is missing for the source's kind, so a configuration
// can name the bad source; ValidateSources also checks sources against each
// other.
func (s Source) Validate() error { return validateSource(s) }

// validateSource says what is missing for the source's kind. Messages name
// the rule broken, never the secret.
func validateSource(src Source) error {
	if !sourceNameRE.MatchString(src.Name) {
		return errors.New("name must be 1-64 ASCII letters, digits, '.', '_' or '-'")
	}
	needSecret := func() error {
		if len(src.Secret) < MinSecretBytes {
			return fmt.Errorf("secret must be at least %d bytes", MinSecretBytes)
		}
		return nil
	}
	needToken := func(what string) error {
		if len(src.Token) < MinSecretBytes {
			return fmt.Errorf("token (%s) must be at least %d bytes", what, MinSecretBytes)
		}
		return nil
	}
	needGroup := func() error {
		if strings.TrimSpace(src.Group) == "" {
			return errors.New("group (the target group) is required")
		}
		return nil
	}
	switch src.kind() {
	case KindMessage:
		return needSecret()
	case KindHotline:
		if len(src.Routes) == 0 {
			return errors.New("routes are required: which group gets which unit's tickets")
		}
		for j, r := range src.Routes {
			if len(r.Groups) == 0 {
				return fmt.Errorf("routes[%d]: no group", j)
			}
		}
		return needSecret()
	case KindWeCom:
		return errors.Join(needToken("the robot key"), needGroup())
	case KindDingTalk:
		return errors.Join(needToken("the access_token"), needSecret(), needGroup())
	case KindAlertmanager:
		if len(src.Routes) == 0 {
			return errors.New("routes are required: /api/v1/alertmanager/{route} names one")
		}
		names := map[string]bool{}
		for j, r := range src.Routes {
			switch {
			case !routeNameRE.MatchString(r.Name):
				return fmt.Errorf("routes[%d].name must be 1-64 ASCII letters, digits, '.', '_' or '-'", j)
			case names[r.Name]:
				return fmt.Errorf("routes[%d].name %q is used twice", j, r.Name)
			case len(r.Groups) == 0:
				return fmt.Errorf("routes[%d]: no group", j)
			}
			names[r.Name] = true
		}
		return needToken("the bearer token")
	}
	return fmt.Errorf("kind %q is not message, hotline, wecom, dingtalk or alertmanager", src.Kind)
}

// tokenKey indexes a source by its token without keeping the token itself as
// a map key that a heap dump would show next to the kind.
func tokenKey(kind, token string) string {
	sum := sha256.Sum256([]byte(token))
	return kind + ":" + string(sum[:])
}
