package wxemu

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

// Limits of the control API: a posted image may be as large as WeChat allows
// (20 MB, base64-encoded), and a reader may wait up to a minute for messages.
const (
	maxControlBody = 28 << 20
	maxWait        = time.Minute
)

// control wraps a control API handler: it logs the call and refuses work after Close.
func (s *Server) control(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Debug("control request", "method", r.Method, "path", r.URL.Path)
		if s.isClosed() {
			writeError(w, http.StatusServiceUnavailable, ErrClosed)
			return
		}
		h(w, r)
	})
}

// writeError answers {"error": "..."} with status.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{err.Error()})
}

// statusOf maps the Go API's errors to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownGroup), errors.Is(err, ErrUnknownMember):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

// decodeStrict decodes a JSON body and rejects unknown fields, so that a script's
// typo ("content" for "text") is a 400, not a silently empty message.
func decodeStrict(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: bad JSON body: %v", ErrInvalid, err)
	}
	return nil
}

// handleControlGroups lists groups with their members' group nicknames (the bot is
// not listed; it is in every group).
func (s *Server) handleControlGroups(w http.ResponseWriter, r *http.Request) {
	type groupJSON struct {
		Name    string   `json:"name"`
		Members []string `json:"members"`
	}
	groups := s.Groups()
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		gj := groupJSON{Name: g.Name, Members: make([]string, 0, len(g.Members))}
		for _, m := range g.Members {
			gj.Members = append(gj.Members, m.Name)
		}
		out = append(out, gj)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleControlPost posts a member's text or image into a group: 202 {"seq":N}.
func (s *Server) handleControlPost(w http.ResponseWriter, r *http.Request) {
	var req struct {
		From        string `json:"from"`
		Text        string `json:"text"`
		ImageBase64 string `json:"image_base64"`
		Link        *Link  `json:"link"`
		// Quote is the seq of the message a text replies to (引用).
		Quote int64 `json:"quote"`
	}
	if err := decodeStrict(w, r, maxControlBody, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if req.Link != nil && (req.Text != "" || req.ImageBase64 != "") {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: a message is a text, an image or a link", ErrInvalid))
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
	var (
		seq int64
		err error
	)
	switch {
	case req.Link != nil:
		seq, err = s.postLink(r.PathValue("name"), req.From, *req.Link)
	case req.Quote != 0:
		seq, err = s.postQuote(r.PathValue("name"), req.From, req.Text, req.Quote)
	default:
		seq, err = s.post(r.PathValue("name"), req.From, req.Text, img)
	}
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusAccepted, struct {
		Seq int64 `json:"seq"`
	}{seq})
}

// handleControlMessages reads a group's history after ?after=N; with ?wait=5s it
// holds until there is at least one message or the wait passes (then it answers []).
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

// handleControlSession reports the login state and counters.
func (s *Server) handleControlSession(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Session())
}

// handleControlAction plays the phone or the server: scan, confirm, expire, ban,
// or throttle with a count. It answers the session state after the action.
func (s *Server) handleControlAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string `json:"action"`
		Count  *int   `json:"count"`
	}
	if err := decodeStrict(w, r, maxJSONBody, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var err error
	switch req.Action {
	case "scan":
		err = s.Scan()
	case "confirm":
		err = s.Confirm()
	case "expire":
		err = s.Expire()
	case "ban":
		err = s.Ban()
	case "throttle":
		if req.Count == nil || *req.Count < 0 {
			err = fmt.Errorf("%w: throttle needs \"count\" ≥ 0", ErrInvalid)
			break
		}
		s.Throttle(*req.Count)
	default:
		err = fmt.Errorf("%w: unknown action %q (want scan, confirm, expire, ban or throttle)", ErrInvalid, req.Action)
	}
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, s.Session())
}
