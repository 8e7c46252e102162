package dtemu

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Server is one emulated DingTalk organisation with its robot. It is an
// http.Handler: mount it on a listener and point the SDK's WithOpenApiHost
// and the adapter's OpenAPI host at its URL.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	closed   bool
	stop     chan struct{}
	baseURL  string // learned from the requests: "http://127.0.0.1:port"
	groups   []*group
	byName   map[string]*group
	byChat   map[string]*group
	seq      int64
	history  []Message
	groupOf  []*group      // the group of each history entry
	changed  chan struct{} // closed and replaced when history grows
	tickets  map[string]time.Time
	conns    []*streamConn
	pending  map[string]*pendingFrame // by messageId, in delivery order below
	order    []string
	acks     map[string]int
	last     string // messageId of the last chatbot frame
	frames   map[string][]byte
	tokens   map[string]time.Time
	sessions map[string]*session
	files    map[string][]byte
	media    map[string][]byte // pictures the robot uploaded, by media id
	faults   faults
	stats    Stats
}

// group is an emulated group and its robot-send history for the rate limit.
type group struct {
	name    string
	chatID  string
	members []Person
	sends   []time.Time
}

// session is a message's sessionWebhook.
type session struct {
	group   *group
	expires time.Time
	dead    bool // invalidated before its advertised expiry
}

// pendingFrame is a chatbot frame not yet acknowledged.
type pendingFrame struct {
	sentAt time.Time
	sends  int
}

// faults are the failures the control API injects.
type faults struct {
	throttle     int  // next N robot sends are refused as too fast
	fail         int  // next N robot sends fail with 5xx
	failOpen     int  // next N connection opens fail with 5xx
	withholdPong bool // stop answering WebSocket pings
	deadSessions int  // next N sessionWebhooks answer 300001 at once
}

// Stats counts what happened, for the control API and tests.
type Stats struct {
	Connections   int `json:"connections"`    // live stream connections
	Opens         int `json:"opens"`          // connection-open calls answered 200
	FramesSent    int `json:"frames_sent"`    // chatbot frames written, redeliveries included
	Redelivered   int `json:"redelivered"`    // frames written again (unacked or injected)
	Acks          int `json:"acks"`           // acknowledgements received
	Pending       int `json:"pending"`        // chatbot frames waiting for their ack
	TokensIssued  int `json:"tokens_issued"`  // access tokens handed out
	SessionSends  int `json:"session_sends"`  // messages accepted through a sessionWebhook
	GroupSends    int `json:"group_sends"`    // messages accepted through groupMessages/send
	RefusedSends  int `json:"refused_sends"`  // sends refused (expired, throttled, 5xx, bad token)
	ExpiredTokens int `json:"expired_tokens"` // sends refused for a bad or expired token
}

// New builds the emulator; Close stops its redelivery timer and streams.
func New(cfg Config) *Server {
	cfg.setDefaults()
	s := &Server{
		cfg: cfg, mux: http.NewServeMux(), stop: make(chan struct{}),
		byName: map[string]*group{}, byChat: map[string]*group{},
		changed: make(chan struct{}), tickets: map[string]time.Time{},
		pending: map[string]*pendingFrame{}, acks: map[string]int{}, frames: map[string][]byte{},
		tokens: map[string]time.Time{}, sessions: map[string]*session{}, files: map[string][]byte{}, media: map[string][]byte{},
	}
	for _, gc := range cfg.Groups {
		g := &group{name: gc.Name, chatID: gc.ChatID, members: append([]Person(nil), gc.Members...)}
		s.groups = append(s.groups, g)
		s.byName[g.name], s.byChat[g.chatID] = g, g
	}
	s.routes()
	go s.redeliverLoop()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST /v1.0/gateway/connections/open", s.handleOpen)
	m.HandleFunc("GET /connect", s.handleConnect)
	m.HandleFunc("POST /v1.0/oauth2/accessToken", s.handleToken)
	m.HandleFunc("POST /v1.0/robot/groupMessages/send", s.handleGroupSend)
	m.HandleFunc("POST /robot/sendBySession", s.handleSessionSend)
	m.HandleFunc("POST /v1.0/robot/messageFiles/download", s.handleDownload)
	m.HandleFunc("GET /files/{code}", s.handleFile)
	m.HandleFunc("POST /media/upload", s.handleMediaUpload)
	m.Handle("GET /_emu/groups", s.control(s.handleControlGroups))
	m.Handle("POST /_emu/groups/{name}/messages", s.control(s.handleControlPost))
	m.Handle("GET /_emu/groups/{name}/messages", s.control(s.handleControlMessages))
	m.Handle("GET /_emu/session", s.control(s.handleControlSession))
	m.Handle("POST /_emu/session", s.control(s.handleControlAction))
}

// ServeHTTP serves the DingTalk endpoints and the control API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.baseURL == "" && r.Host != "" {
		s.baseURL = "http://" + r.Host
	}
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

// Close drops every stream and stops the redelivery timer; later control
// calls answer 503.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.close()
	}
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Connections, st.Pending = len(s.conns), len(s.pending)
	return st
}

// Acks is how many acknowledgements arrived for a frame's messageId.
func (s *Server) Acks(messageID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks[messageID]
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError answers the OpenAPI's error shape {"code","message","requestid"}.
func apiError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"code": code, "message": message, "requestid": randomID(8)})
}
