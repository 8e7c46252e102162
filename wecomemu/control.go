package wecomemu

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

// Limits of the control API, as wxemu's.
const (
	maxControlBody = 28 << 20
	maxWait        = time.Minute
)

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownGroup), errors.Is(err, ErrUnknownMember):
		return http.StatusNotFound
	case errors.Is(err, ErrNoCallback):
		return http.StatusConflict
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusBadGateway // qunzhu could not be reached
}

func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: bad JSON body: %v", ErrInvalid, err)
	}
	return nil
}

// GroupInfo is a group as GET /_emu/groups lists it.
type GroupInfo struct {
	Name     string   `json:"name"`
	Platform string   `json:"platform"`
	ChatID   string   `json:"chat_id"`
	Members  []string `json:"members"`
}

// Groups lists the groups and their members' names.
func (s *Server) Groups() []GroupInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GroupInfo, 0, len(s.groups))
	for _, g := range s.groups {
		gi := GroupInfo{Name: g.Name, Platform: "wecom", ChatID: g.ChatID, Members: []string{}}
		for _, m := range g.Members {
			gi.Members = append(gi.Members, m.Name)
		}
		out = append(out, gi)
	}
	return out
}

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Groups())
}

// handlePost posts a member's @-message (text and/or image_base64) into a
// group, as a callback to qunzhu: 202 {"seq", "msgid", "callback_status"}.
func (s *Server) handlePost(w http.ResponseWriter, r *http.Request) {
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
	res, err := s.Post(r.Context(), r.PathValue("name"), req.From, req.Text, img)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

// handleMessages reads a group's history after ?after=N, waiting up to
// ?wait=… for a first message, as wxemu does.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
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

// Messages returns the group's messages after seq, without waiting.
func (s *Server) Messages(name string, after int64) ([]Message, error) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	return s.WaitMessages(done, name, after)
}

// WaitMessages returns the group's messages after seq, waiting until there
// is one or ctx ends (then the empty list, not an error).
func (s *Server) WaitMessages(ctx context.Context, name string, after int64) ([]Message, error) {
	for {
		s.mu.Lock()
		g := s.groupByName(name)
		if g == nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("%w: %q", ErrUnknownGroup, name)
		}
		out := []Message{}
		for _, m := range g.history {
			if m.Seq > after {
				out = append(out, m)
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if len(out) > 0 {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, nil
		case <-changed:
		}
	}
}

// handleFaults injects failures: {"fault": "rate_limit", "count": 3}.
func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Fault string `json:"fault"`
		Count *int   `json:"count"`
	}
	if err := decodeStrict(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	n := 1
	if req.Count != nil {
		n = *req.Count
	}
	if err := s.Inject(req.Fault, n); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"fault": req.Fault, "count": n})
}

// handleVerify runs WeCom's URL check against the callback URL, as when an
// admin saves it: {"ok": true} if qunzhu answered the exact plaintext.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	if err := s.VerifyURL(r.Context()); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
