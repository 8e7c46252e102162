package wxemu

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Errors returned by the Go control methods; the control API maps them to HTTP
// statuses (404, 409, 400, 503) so scripts can tell a typo from a wrong moment.
var (
	ErrUnknownGroup  = errors.New("wxemu: unknown group")
	ErrUnknownMember = errors.New("wxemu: unknown member")
	ErrConflict      = errors.New("wxemu: not possible in the current state")
	ErrInvalid       = errors.New("wxemu: invalid input")
	ErrClosed        = errors.New("wxemu: server closed")
)

// The WeChat hosts the emulator answers for. openwechat takes its Domain from the
// host of the redirect_uri the login poll returns, so every later request comes to
// wxHost or one of its sub-hosts.
const (
	loginHost  = "login.wx.qq.com"
	qrcodeHost = "login.weixin.qq.com"
	wxHost     = "wx.qq.com"
	pushHost   = "webpush." + wxHost
	fileHost   = "file." + wxHost
	cgiBin     = "/cgi-bin/mmwebwx-bin/"
)

// Server is one emulated WeChat account with its groups. It is an http.Handler for
// both the protocol and the /_emu/ control API, and is safe for concurrent use.
type Server struct {
	longPoll        time.Duration
	autoConfirm     bool
	log             *slog.Logger
	uin             int64 // the account's wxuin, stable like on the real server
	msgBase         int64 // MsgId of message seq n is msgBase+n
	mux             *http.ServeMux
	contactPageSize int // groups per webwxgetcontact page

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced at every change; wakes long polls
	done     chan struct{} // closed by Close
	closed   bool
	self     *person
	people   map[string]*person // by NickName
	groups   []*group
	seq      int64             // last message sequence number, global
	images   map[string]*entry // image messages by MsgId
	pending  *pendingLogin     // the login in progress, if any
	sess     *session          // the latest session, live or ended
	throttle int               // sends still to refuse with 1205
	logins   int
	sends    int
}

// New builds a Server for cfg. It panics if cfg.Validate fails: configs written in
// code are programmer errors, and configs read from files should be validated first.
func New(cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic("wxemu: invalid config: " + err.Error())
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		longPoll:        cfg.longPoll(),
		autoConfirm:     cfg.AutoConfirm,
		log:             logger,
		uin:             1_000_000_000 + attrStatusFor("uin:"+cfg.selfName()),
		msgBase:         randomMsgBase(),
		contactPageSize: 50,
		changed:         make(chan struct{}),
		done:            make(chan struct{}),
		people:          map[string]*person{},
		images:          map[string]*entry{},
	}
	s.self = s.newPersonLocked(Person{Name: cfg.selfName(), AttrStatus: cfg.Self.AttrStatus})
	attrs := map[string]int64{} // a person's AttrStatus may be given in any one group
	for _, gc := range cfg.Groups {
		for _, p := range gc.Members {
			if p.AttrStatus != 0 {
				attrs[p.Name] = p.AttrStatus
			}
		}
	}
	for _, gc := range cfg.Groups {
		g := &group{name: gc.Name}
		for _, p := range gc.Members {
			who, ok := s.people[p.Name]
			if !ok {
				who = s.newPersonLocked(Person{Name: p.Name, AttrStatus: attrs[p.Name]})
			}
			g.members = append(g.members, &membership{person: who, display: p.Name})
		}
		s.groups = append(s.groups, g)
	}
	for _, name := range cfg.Friends {
		who, ok := s.people[name]
		if !ok {
			who = s.newPersonLocked(Person{Name: name})
		}
		who.friend = true
	}
	s.routes()
	return s
}

// ServeHTTP serves the protocol (routed by Host) and the control API (/_emu/ on any
// host), so one listener is all a test or the demo needs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close releases every held long poll at once and makes later protocol and control
// requests fail with 503, so that an httptest.Server can shut down without waiting
// LongPoll. Stop bots (Bot.Exit) before: openwechat retries failed requests at once.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	s.log.Info("emulator closed")
}

func (s *Server) routes() {
	m := http.NewServeMux()
	wx := func(pattern string, h http.HandlerFunc) { m.Handle(pattern, s.protocol(h)) }

	wx("GET "+loginHost+"/jslogin", s.handleJSLogin)
	wx("GET "+loginHost+cgiBin+"login", s.handleLoginPoll)
	wx("GET "+qrcodeHost+"/qrcode/{uuid}", s.handleQRCode)
	wx("GET "+wxHost+cgiBin+"webwxnewloginpage", s.handleNewLoginPage)
	wx("GET "+wxHost+cgiBin+"webwxpushloginurl", s.handlePushLogin)
	wx("POST "+wxHost+cgiBin+"webwxinit", s.handleInit)
	wx("POST "+wxHost+cgiBin+"webwxstatusnotify", s.handleStatusNotify)
	wx(wxHost+cgiBin+"webwxlogout", s.handleLogout)
	wx("GET "+wxHost+cgiBin+"webwxgetcontact", s.handleGetContact)
	wx("POST "+wxHost+cgiBin+"webwxbatchgetcontact", s.handleBatchGetContact)
	wx("GET "+pushHost+cgiBin+"synccheck", s.handleSyncCheck)
	wx("POST "+wxHost+cgiBin+"webwxsync", s.handleSync)
	wx("GET "+wxHost+cgiBin+"webwxgetmsgimg", s.handleGetMsgImg)
	wx("GET "+wxHost+cgiBin+"webwxgeticon", s.handleIcon)
	wx("GET "+wxHost+cgiBin+"webwxgetheadimg", s.handleIcon)
	wx("POST "+wxHost+cgiBin+"webwxsendmsg", s.handleSend(kindText))
	wx("POST "+wxHost+cgiBin+"webwxsendmsgimg", s.handleSend(kindImage))
	wx("POST "+fileHost+cgiBin+"webwxuploadmedia", s.handleUploadMedia)

	m.Handle("GET /_emu/groups", s.control(s.handleControlGroups))
	m.Handle("POST /_emu/groups/{name}/messages", s.control(s.handleControlPost))
	m.Handle("GET /_emu/groups/{name}/messages", s.control(s.handleControlMessages))
	m.Handle("POST /_emu/groups/{name}/members/{member}", s.control(s.handleControlMember))
	m.Handle("GET /_emu/contacts", s.control(s.handleControlContacts))
	m.Handle("POST /_emu/contacts/{name}/messages", s.control(s.handleControlPrivatePost))
	m.Handle("GET /_emu/contacts/{name}/messages", s.control(s.handleControlPrivateMessages))
	m.Handle("GET /_emu/session", s.control(s.handleControlSession))
	m.Handle("POST /_emu/session", s.control(s.handleControlAction))
	m.HandleFunc("/", s.handleUnknown)
	s.mux = m
}

// protocol wraps a WeChat endpoint: it logs the call and refuses work after Close.
func (s *Server) protocol(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Debug("wechat request", "method", r.Method, "host", r.Host, "path", r.URL.Path)
		if s.isClosed() {
			http.Error(w, "wxemu: closed", http.StatusServiceUnavailable)
			return
		}
		h(w, r)
	})
}

// handleUnknown answers WeChat endpoints that are not emulated in the protocol's own
// error shape, so a client fails with a Ret instead of a JSON error, and says what
// went wrong to anyone else.
func (s *Server) handleUnknown(w http.ResponseWriter, r *http.Request) {
	host := hostOnly(r.Host)
	if host == loginHost || host == qrcodeHost || host == wxHost || strings.HasSuffix(host, "."+wxHost) {
		s.log.Warn("wechat endpoint not emulated", "method", r.Method, "host", host, "path", r.URL.Path)
		writeJSON(w, http.StatusOK, baseOnly(1, "wxemu: "+r.URL.Path+" is not emulated"))
		return
	}
	writeError(w, http.StatusNotFound, errors.New("unknown route: the control API is under /_emu/, and WeChat protocol requests need a WeChat Host header (see wxemu.Transport)"))
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// notifyLocked wakes every held long poll so that it re-checks what it waits for.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// outcome is how a held request ended.
type outcome int

const (
	outReady    outcome = iota // ready reported true
	outTimeout                 // the long poll ran out
	outGone                    // the client went away (or ctx ended)
	outShutdown                // Close was called
)

// await holds a request until ready (called with s.mu held, free to change state)
// reports true, timeout passes (0: no limit), ctx ends or the server closes. It
// sleeps on the change channel between checks: there is no polling anywhere.
func (s *Server) await(ctx context.Context, timeout time.Duration, ready func() bool) outcome {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return outShutdown
		}
		if ready() {
			s.mu.Unlock()
			return outReady
		}
		wake := s.changed
		s.mu.Unlock()
		select {
		case <-wake:
		case <-expired:
			return outTimeout
		case <-ctx.Done():
			return outGone
		case <-s.done:
			return outShutdown
		}
	}
}

// baseResponse is the status every JSON answer of the protocol carries.
type baseResponse struct {
	Ret    int
	ErrMsg string
}

// baseRequest identifies the session in the body of most protocol requests.
type baseRequest struct {
	Uin      int64
	Sid      string
	Skey     string
	DeviceID string
}

func baseOnly(ret int, msg string) any {
	return struct{ BaseResponse baseResponse }{baseResponse{Ret: ret, ErrMsg: msg}}
}

const maxJSONBody = 1 << 20

// readJSON decodes a size-limited JSON body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody)).Decode(v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeText(w http.ResponseWriter, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	_, _ = io.WriteString(w, body)
}

func hostOnly(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i]
	}
	return hostport
}

// randomMsgBase picks where MsgIds start, so that ids look like the real 19-digit ones
// and differ between emulator runs.
func randomMsgBase() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return 1_000_000_000_000_000_000 + int64(binary.BigEndian.Uint64(b[:])%1_000_000_000_000_000_000)
}
