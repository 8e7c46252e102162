package wecomemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PostResult is what posting a member's message did.
type PostResult struct {
	Seq   int64  `json:"seq"`
	MsgID string `json:"msgid"`
	// CallbackStatus is qunzhu's HTTP status for the (last) callback.
	CallbackStatus int `json:"callback_status"`
	// Deliveries is how often the callback was posted (2 when redelivered).
	Deliveries int `json:"deliveries"`
}

// Post plays member from of group name writing "@robot text" (and a picture)
// in the group: the message joins the history and is posted to qunzhu as an
// encrypted, signed callback, twice when a redelivery is injected.
func (s *Server) Post(ctx context.Context, name, from, text string, img []byte) (*PostResult, error) {
	if text == "" && len(img) == 0 {
		return nil, fmt.Errorf("%w: text or image_base64 is required", ErrInvalid)
	}
	s.mu.Lock()
	g := s.groupByName(name)
	if g == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %q", ErrUnknownGroup, name)
	}
	var who *Person
	for i, m := range g.Members {
		if m.Name == from || m.UserID == from {
			who = &g.Members[i]
		}
	}
	if who == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %q in %q", ErrUnknownMember, from, name)
	}
	if s.callback == "" {
		s.mu.Unlock()
		return nil, ErrNoCallback
	}
	msgID, code := randomHex(16), randomHex(16)
	s.codes[code] = &responseCode{group: g, created: time.Now()}
	// Only messages that @ the robot reach it, so the emulator writes the
	// mention the way a WeCom client does, unless the poster already did
	// (as they must on DingTalk's emulator).
	content := text
	if !strings.HasPrefix(strings.TrimSpace(text), "@"+s.cfg.RobotName) {
		content = "@" + s.cfg.RobotName + " " + text
	}
	cb := map[string]any{
		"msgid": msgID, "aibotid": s.cfg.BotID, "chatid": g.ChatID, "chattype": "group",
		"from": map[string]string{"userid": who.UserID}, "create_time": time.Now().Unix(),
		"response_url": s.base + "/cgi-bin/aibot/response?response_code=" + code,
	}
	kind := "text"
	if len(img) == 0 {
		cb["msgtype"], cb["text"] = "text", map[string]string{"content": content}
	} else {
		kind = "image"
		id := randomHex(12)
		s.media[id] = media{data: s.seal.encrypt(append([]byte(nil), img...)), expires: time.Now().Add(mediaTTL)}
		items := []any{map[string]any{"msgtype": "text", "text": map[string]string{"content": content}}}
		items = append(items, map[string]any{"msgtype": "image", "image": map[string]string{"url": s.base + "/cgi-bin/media/" + id}})
		cb["msgtype"], cb["mixed"] = "mixed", map[string]any{"msg_item": items}
	}
	m := s.appendLocked(g, Message{From: who.Name, UserID: who.UserID, Type: kind, Text: text})
	deliveries, badSig := 1, s.takeFault("bad_signature")
	if s.takeFault("redeliver") {
		deliveries = 2
	}
	callbackURL := s.callback
	s.mu.Unlock()

	plain, _ := json.Marshal(cb)
	enc := s.seal.seal(plain)
	res := &PostResult{Seq: m.Seq, MsgID: msgID, Deliveries: deliveries}
	for range deliveries {
		status, err := s.deliver(ctx, callbackURL, enc, badSig)
		if err != nil {
			return nil, err
		}
		res.CallbackStatus = status
	}
	return res, nil
}

// deliver posts one callback and checks qunzhu's answer: an empty body, or a
// passive reply that is signed and encrypted correctly.
func (s *Server) deliver(ctx context.Context, callbackURL, enc string, badSig bool) (int, error) {
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), randomHex(8)
	sig := s.seal.sign(ts, nonce, enc)
	if badSig {
		sig = s.seal.sign(ts, nonce+"x", enc)
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}
	body, _ := json.Marshal(map[string]string{"encrypt": enc})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, withQuery(callbackURL, q), bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: callback URL: %v", ErrInvalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("wecomemu: post callback: %w", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK && len(bytes.TrimSpace(reply)) > 0 {
		if err := s.checkReply(reply, nonce); err != nil {
			s.log.Warn("wecomemu: qunzhu's passive reply is malformed", "err", err)
			return 0, fmt.Errorf("wecomemu: passive reply: %w", err)
		}
	}
	return resp.StatusCode, nil
}

// checkReply verifies a passive reply as WeCom would: JSON with encrypt,
// msgsignature, timestamp and the request's nonce.
func (s *Server) checkReply(b []byte, nonce string) error {
	var r struct {
		Encrypt      string `json:"encrypt"`
		MsgSignature string `json:"msgsignature"`
		Timestamp    any    `json:"timestamp"`
		Nonce        string `json:"nonce"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	ts := fmt.Sprint(r.Timestamp)
	if r.Nonce != nonce || r.MsgSignature != s.seal.sign(ts, r.Nonce, r.Encrypt) {
		return fmt.Errorf("bad msgsignature or nonce")
	}
	_, err := s.seal.open(r.Encrypt)
	return err
}

// VerifyURL plays the admin saving the callback URL: WeCom GETs it with an
// encrypted echostr and expects the bare plaintext back.
func (s *Server) VerifyURL(ctx context.Context) error {
	s.mu.Lock()
	callbackURL := s.callback
	s.mu.Unlock()
	if callbackURL == "" {
		return ErrNoCallback
	}
	plain := randomHex(10)
	echo := s.seal.seal([]byte(plain))
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), randomHex(8)
	q := url.Values{"msg_signature": {s.seal.sign(ts, nonce, echo)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, withQuery(callbackURL, q), nil)
	if err != nil {
		return fmt.Errorf("%w: callback URL: %v", ErrInvalid, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("wecomemu: URL check: %w", err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || string(got) != plain {
		return fmt.Errorf("wecomemu: URL check failed: HTTP %d, body %q, want %q", resp.StatusCode, got, plain)
	}
	return nil
}

func withQuery(u string, q url.Values) string {
	if bytes.ContainsRune([]byte(u), '?') {
		return u + "&" + q.Encode()
	}
	return u + "?" + q.Encode()
}
