package wxemu

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// State is where the account's web login stands, as GET /_emu/session reports it.
// A login in progress (QR or push) takes precedence over an older session.
type State string

// The states of the account's web login. StateLoggedOut is also the state before
// any login.
const (
	StateLoggedOut   State = "logged_out"
	StateWaitingScan State = "waiting_scan"
	StateScanned     State = "scanned" // also: push login waiting for confirmation
	StateLoggedIn    State = "logged_in"
	StateExpired     State = "expired" // the session (1101) or the QR code (400) expired
	StateBanned      State = "banned"
)

// SessionInfo is what a test or script needs to drive a login and check the bot's
// behaviour: the state, the login's uuid, and counters.
type SessionInfo struct {
	State State  `json:"state"`
	UUID  string `json:"uuid"`
	// Logins counts successful webwxinit calls (QR, push and hot logins).
	Logins int `json:"logins"`
	// Sends counts messages the bot sent that were recorded.
	Sends int `json:"sends"`
	// Throttle is how many more sends will be refused with 1205.
	Throttle int `json:"throttle"`
}

// autoConfirmDelay is how long AutoConfirm's phone takes for each step.
const autoConfirmDelay = 100 * time.Millisecond

type loginStep int

const (
	stepWaitingScan loginStep = iota
	stepScanned
	stepConfirmed
	stepExpired
)

// pendingLogin is a login between jslogin (or webwxpushloginurl) and the redemption
// of its ticket at webwxnewloginpage.
type pendingLogin struct {
	uuid      string
	push      bool
	step      loginStep
	announced bool   // the scan was reported to a poll (code 201)
	ticket    string // set on confirm
}

type sessionState int

const (
	sessionActive sessionState = iota
	sessionExpired
	sessionBanned
	sessionLoggedOut
)

// retcode is what synccheck answers for a session in this state.
func (st sessionState) retcode() string {
	switch st {
	case sessionExpired:
		return "1101"
	case sessionBanned:
		return "1102"
	case sessionLoggedOut:
		return "1100"
	}
	return "0"
}

// public is the State the control API reports for a session in this state.
func (st sessionState) public() State {
	switch st {
	case sessionExpired:
		return StateExpired
	case sessionBanned:
		return StateBanned
	case sessionLoggedOut:
		return StateLoggedOut
	}
	return StateLoggedIn
}

// session is one web session: the credentials webwxnewloginpage issued, the roster of
// the latest webwxinit, and the messages waiting for the client.
type session struct {
	uuid       string
	sid        string
	skey       string
	passTicket string
	dataTicket string
	authTicket string
	state      sessionState
	roster     *roster
	acked      int64    // highest seq the client acknowledged with its SyncKey
	inbox      []*entry // messages for the client with seq > acked
	uploads    map[string]*upload
	media      map[string]*upload // finished uploads by MediaId
}

func newSession(uuid string, acked int64) *session {
	return &session{
		uuid:       uuid,
		sid:        randomToken(12),
		skey:       "@crypt_" + randomHex(4) + "_" + randomHex(16),
		passTicket: randomToken(48),
		dataTicket: randomToken(48),
		authTicket: randomToken(96),
		acked:      acked,
		roster:     newRoster(),
		uploads:    map[string]*upload{},
		media:      map[string]*upload{},
	}
}

// end closes the session for good; its pending messages are dropped, as they are
// for a phone whose web session is gone.
func (ss *session) end(st sessionState) {
	ss.state = st
	ss.inbox = nil
	ss.uploads = map[string]*upload{}
	ss.media = map[string]*upload{}
}

// Session reports the login state and counters.
func (s *Server) Session() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := SessionInfo{Logins: s.logins, Sends: s.sends, Throttle: s.throttle, State: StateLoggedOut}
	switch {
	case s.pending != nil:
		info.UUID = s.pending.uuid
		switch s.pending.step {
		case stepWaitingScan:
			info.State = StateWaitingScan
		case stepScanned, stepConfirmed:
			info.State = StateScanned
		case stepExpired:
			info.State = StateExpired
		}
	case s.sess != nil:
		info.UUID = s.sess.uuid
		info.State = s.sess.state.public()
	}
	return info
}

// Scan plays the phone scanning the QR code of the login in progress; the next
// login poll answers 201.
func (s *Server) Scan() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	if p == nil || p.step != stepWaitingScan {
		return fmt.Errorf("%w: no QR code is waiting to be scanned", ErrConflict)
	}
	p.step = stepScanned
	s.log.Info("login scanned", "uuid", p.uuid)
	s.notifyLocked()
	return nil
}

// Confirm plays the phone confirming a scanned QR login or a push login; the login
// poll answers 200 with the redirect_uri.
func (s *Server) Confirm() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmLocked()
}

func (s *Server) confirmLocked() error {
	p := s.pending
	if p == nil || p.step != stepScanned {
		return fmt.Errorf("%w: no scanned login is waiting for confirmation", ErrConflict)
	}
	p.step = stepConfirmed
	p.ticket = randomToken(24)
	s.log.Info("login confirmed", "uuid", p.uuid, "push", p.push)
	s.notifyLocked()
	return nil
}

// Expire makes the login in progress time out (the poll answers 400) if there is
// one, else ends the logged-in session the way the real server drops sessions:
// synccheck answers 1101 and webwxinit (hot login) fails with 1101.
func (s *Server) Expire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pending; p != nil && p.step != stepExpired {
		p.step = stepExpired
		s.log.Info("login expired", "uuid", p.uuid)
		s.notifyLocked()
		return nil
	}
	if s.sess == nil || s.sess.state != sessionActive {
		return fmt.Errorf("%w: no login in progress and no session logged in", ErrConflict)
	}
	s.sess.end(sessionExpired)
	s.log.Info("session expired")
	s.notifyLocked()
	return nil
}

// Ban ends the logged-in session as a ban or a logout from the phone does:
// synccheck answers 1102. Later logins are allowed again.
func (s *Server) Ban() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil || s.sess.state != sessionActive {
		return fmt.Errorf("%w: no session logged in", ErrConflict)
	}
	s.sess.end(sessionBanned)
	s.log.Info("session banned")
	s.notifyLocked()
	return nil
}

// Throttle makes the next k sends answer 1205 "操作频繁" and not be recorded, to test
// the bot's back-off; k = 0 lifts a throttle.
func (s *Server) Throttle(k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = max(k, 0)
	s.log.Info("throttle set", "sends", s.throttle)
	s.notifyLocked()
}

// startLoginLocked begins a QR login (waiting for a scan) or a push login (waiting
// for a confirmation), replacing any login in progress.
func (s *Server) startLoginLocked(push bool) *pendingLogin {
	p := &pendingLogin{uuid: newUUID(), push: push}
	if push {
		p.step, p.announced = stepScanned, true
	}
	s.pending = p
	s.log.Info("login started", "uuid", p.uuid, "push", push)
	s.notifyLocked()
	if s.autoConfirm {
		s.autoStepLater(p.uuid)
	}
	return p
}

// autoStepLater moves login uuid one step forward after autoConfirmDelay, as a
// cooperative phone would, unless something else moved it meanwhile.
func (s *Server) autoStepLater(uuid string) {
	time.AfterFunc(autoConfirmDelay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.pending
		if s.closed || p == nil || p.uuid != uuid {
			return
		}
		switch p.step {
		case stepWaitingScan:
			p.step = stepScanned
			s.log.Info("login scanned automatically", "uuid", uuid)
			s.notifyLocked()
			s.autoStepLater(uuid)
		case stepScanned:
			_ = s.confirmLocked()
		}
	})
}

// liveLocked returns the current session if sid names it and it is still active.
func (s *Server) liveLocked(sid string) *session {
	if s.sess == nil || sid == "" || s.sess.sid != sid || s.sess.state != sessionActive {
		return nil
	}
	return s.sess
}

// liveBySkeyLocked is liveLocked for the requests that carry only skey and cookies.
func (s *Server) liveBySkeyLocked(skey string) *session {
	if s.sess == nil || skey == "" || s.sess.skey != skey || s.sess.state != sessionActive {
		return nil
	}
	return s.sess
}

// newUUID returns a login uuid shaped like the real ones ("QdOP3Y_Fcw==").
func newUUID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return base64.URLEncoding.EncodeToString(b)
}

// randomToken returns a random URL-safe token of about n characters.
func randomToken(n int) string {
	b := make([]byte, n*3/4)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
