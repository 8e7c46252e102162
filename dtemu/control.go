package dtemu

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/qunzhu/qunzhu/internal/emuhistory"
	"net/http"
	"time"
)

// Control API limits, as wxemu's.
const (
	maxControlBody = 28 << 20
	maxWait        = time.Minute
)

func (s *Server) control(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			writeError(w, http.StatusServiceUnavailable, ErrClosed)
			return
		}
		h(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownGroup), errors.Is(err, ErrUnknownMember):
		return http.StatusNotFound
	case errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: bad JSON body: %v", ErrInvalid, err)
	}
	return nil
}

// handleControlGroups lists the groups: name, platform, chat id and members.
func (s *Server) handleControlGroups(w http.ResponseWriter, r *http.Request) {
	type member struct {
		Name   string `json:"name"`
		UserID string `json:"user_id"`
	}
	type groupJSON struct {
		Name     string   `json:"name"`
		Platform string   `json:"platform"`
		ChatID   string   `json:"chat_id"`
		Members  []string `json:"members"`
		People   []member `json:"people"`
	}
	s.mu.Lock()
	out := make([]groupJSON, 0, len(s.groups))
	for _, g := range s.groups {
		gj := groupJSON{Name: g.name, Platform: "dingtalk", ChatID: g.chatID, Members: []string{}, People: []member{}}
		for _, p := range g.members {
			gj.Members = append(gj.Members, p.Name)
			gj.People = append(gj.People, member{p.Name, p.UserID})
		}
		out = append(out, gj)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// handleControlPost posts a member's text or picture: 202 {"seq","msg_id"}.
func (s *Server) handleControlPost(w http.ResponseWriter, r *http.Request) {
	var req struct {
		From        string `json:"from"`
		Text        string `json:"text"`
		ImageBase64 string `json:"image_base64"`
	}
	if err := decodeStrict(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var img []byte
	if req.ImageBase64 != "" {
		var err error
		if img, err = base64.StdEncoding.DecodeString(req.ImageBase64); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("%w: image_base64: %v", ErrInvalid, err))
			return
		}
	}
	seq, id, err := s.Post(r.PathValue("name"), req.From, req.Text, img)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"seq": seq, "msg_id": id})
}

// handleControlMessages reads a group's history after ?after=N, waiting up
// to ?wait= for one.
func (s *Server) handleControlMessages(w http.ResponseWriter, r *http.Request) {
	after, wait, err := emuhistory.Window(r, maxWait)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	name := r.PathValue("name")
	msgs, err := emuhistory.Read(r.Context(), after, wait,
		func(after int64) ([]Message, error) { return s.Messages(name, after) },
		func(ctx context.Context, after int64) ([]Message, error) { return s.WaitMessages(ctx, name, after) })
	if r.Context().Err() != nil {
		return
	}
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, msgs)
}

// sessionJSON is the platform's side of the connection, for GET /_emu/session.
func (s *Server) sessionJSON() any {
	return struct {
		Platform string `json:"platform"`
		State    string `json:"state"`
		Stats
	}{"dingtalk", s.state(), s.Stats()}
}

func (s *Server) state() string {
	if s.Stats().Connections > 0 {
		return "connected"
	}
	return "disconnected"
}

func (s *Server) handleControlSession(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.sessionJSON())
}

// handleControlAction injects a fault: expire_token, expire_sessions (with
// "count": N the next N messages' sessionWebhooks are dead on arrival too,
// answering 300001 before their advertised expiry),
// throttle (count), fail (count: 5xx), fail_open (count), disconnect (SYSTEM
// disconnect then close), drop (TCP close), redeliver, withhold_pong,
// answer_pong.
func (s *Server) handleControlAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string `json:"action"`
		Count  *int   `json:"count"`
	}
	if err := decodeStrict(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	count := func() (int, error) {
		if req.Count == nil || *req.Count < 0 {
			return 0, fmt.Errorf("%w: %s needs \"count\" ≥ 0", ErrInvalid, req.Action)
		}
		return *req.Count, nil
	}
	var err error
	switch req.Action {
	case "expire_token":
		s.ExpireTokens()
	case "expire_sessions":
		s.ExpireSessions()
		if req.Count != nil && *req.Count > 0 {
			s.mu.Lock()
			s.faults.deadSessions = *req.Count
			s.mu.Unlock()
		}
	case "throttle", "fail", "fail_open":
		var n int
		if n, err = count(); err == nil {
			s.mu.Lock()
			*map[string]*int{"throttle": &s.faults.throttle, "fail": &s.faults.fail, "fail_open": &s.faults.failOpen}[req.Action] = n
			s.mu.Unlock()
		}
	case "disconnect":
		s.disconnect(true)
	case "drop":
		s.disconnect(false)
	case "redeliver":
		err = s.Redeliver()
	case "withhold_pong", "answer_pong":
		s.mu.Lock()
		s.faults.withholdPong = req.Action == "withhold_pong"
		s.mu.Unlock()
	default:
		err = fmt.Errorf("%w: unknown action %q (want expire_token, expire_sessions, throttle, fail, fail_open, disconnect, drop, redeliver, withhold_pong or answer_pong)", ErrInvalid, req.Action)
	}
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, s.sessionJSON())
}

// ExpireTokens makes every access token invalid, as after its 2 hours.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// ExpireSessions makes every sessionWebhook expired.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.sessions {
		x.expires = time.Time{}
	}
}
