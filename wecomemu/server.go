package wecomemu

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Errors of the Go and control API.
var (
	ErrUnknownGroup  = errors.New("wecomemu: no such group")
	ErrUnknownMember = errors.New("wecomemu: no such member in the group")
	ErrInvalid       = errors.New("wecomemu: invalid request")
	ErrNoCallback    = errors.New("wecomemu: no callback URL configured")
)

// Server is the emulated WeCom. It is an http.Handler; create it with New.
type Server struct {
	cfg    Config
	log    *slog.Logger
	seal   sealer
	client *http.Client

	mu       sync.Mutex
	base     string // the emulator's own URL, for response_url and media
	callback string
	groups   []*group
	seq      int64
	changed  chan struct{} // closed and replaced at every new message
	codes    map[string]*responseCode
	media    map[string]media
	faults   map[string]int // fault → how many more times
	mux      *http.ServeMux
}

// group is a group's state: its config, robot send times and history.
type group struct {
	GroupConfig
	sends   []time.Time // robot sends in the last minute
	history []Message
}

// responseCode is one callback's response_url: single use, for an hour.
type responseCode struct {
	group   *group
	created time.Time
	used    bool
}

type media struct {
	data    []byte // encrypted
	expires time.Time
}

// Lifetimes WeCom documents.
const (
	responseTTL = time.Hour
	mediaTTL    = 5 * time.Minute
)

// New builds the emulator; it panics on a Config that Validate refuses.
func New(cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = DefaultRatePerMinute
	}
	s := &Server{cfg: cfg, log: cfg.Logger, seal: newSealer(cfg.Token, cfg.EncodingAESKey), client: cfg.Client,
		callback: cfg.CallbackURL, changed: make(chan struct{}), codes: map[string]*responseCode{},
		media: map[string]media{}, faults: map[string]int{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	for _, g := range cfg.Groups {
		s.groups = append(s.groups, &group{GroupConfig: g})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/webhook/send", s.handleWebhookSend)
	mux.HandleFunc("POST /cgi-bin/aibot/response", s.handleResponse)
	mux.HandleFunc("GET /cgi-bin/media/{id}", s.handleMedia)
	mux.HandleFunc("GET /_emu/groups", s.handleGroups)
	mux.HandleFunc("POST /_emu/groups/{name}/messages", s.handlePost)
	mux.HandleFunc("GET /_emu/groups/{name}/messages", s.handleMessages)
	mux.HandleFunc("POST /_emu/faults", s.handleFaults)
	mux.HandleFunc("POST /_emu/verify", s.handleVerify)
	s.mux = mux
	return s
}

// ServeHTTP serves WeCom's endpoints and the control API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.Debug("wecomemu request", "method", r.Method, "path", r.URL.Path)
	s.mux.ServeHTTP(w, r)
}

// SetBaseURL tells the emulator where it is reached, for the response_url and
// picture URLs it puts in callbacks.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = strings.TrimRight(u, "/")
}

// SetCallbackURL points the emulator at qunzhu's callback URL.
func (s *Server) SetCallbackURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callback = u
}

// Inject makes the next count events fail as WeCom does: "rate_limit"
// (webhook errcode 45009), "server_error" (webhook HTTP 502), "invalid_key"
// (webhook errcode 93000), "redeliver" (a callback posted twice) or
// "bad_signature" (a callback signed wrongly).
func (s *Server) Inject(fault string, count int) error {
	switch fault {
	case "rate_limit", "server_error", "invalid_key", "redeliver", "bad_signature":
	default:
		return errors.New("wecomemu: invalid request: unknown fault " + fault + " (want rate_limit, server_error, invalid_key, redeliver or bad_signature)")
	}
	if count < 0 {
		return ErrInvalid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[fault] = count
	return nil
}

// takeFault uses one occurrence of fault if any is pending. s.mu must be held.
func (s *Server) takeFault(fault string) bool {
	if s.faults[fault] > 0 {
		s.faults[fault]--
		return true
	}
	return false
}

// appendLocked adds a message to g's history and wakes readers. s.mu held.
func (s *Server) appendLocked(g *group, m Message) Message {
	s.seq++
	m.Seq, m.At = s.seq, time.Now()
	g.history = append(g.history, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return m
}

func (s *Server) groupByName(name string) *group {
	for _, g := range s.groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeErrcode answers as WeCom's APIs do: HTTP 200 with an errcode.
func writeErrcode(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg})
}
