package wecomemu

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"
)

// robotBody is what the group robot webhook and response_url accept.
type robotBody struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content       string   `json:"content"`
		MentionedList []string `json:"mentioned_list"`
		MentionedMob  []string `json:"mentioned_mobile_list"`
	} `json:"text"`
	Markdown *struct {
		Content string `json:"content"`
	} `json:"markdown"`
	Image *struct {
		Base64 string `json:"base64"`
		MD5    string `json:"md5"`
	} `json:"image"`
}

// atUserRE finds <@userid> in markdown.
var atUserRE = regexp.MustCompile(`<@([^>]+)>`)

// handleWebhookSend is the 消息推送 robot: key → group, WeCom's limit, its
// errcodes for bad input, and the injected faults.
func (s *Server) handleWebhookSend(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.takeFault("server_error"):
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	case s.takeFault("invalid_key"):
		writeErrcode(w, 93000, "invalid webhook url, hint: [emulated]")
		return
	case s.takeFault("rate_limit"):
		writeErrcode(w, 45009, "api freq out of limit, hint: [emulated]")
		return
	}
	var g *group
	for _, x := range s.groups {
		if x.WebhookKey == r.URL.Query().Get("key") {
			g = x
		}
	}
	if g == nil {
		writeErrcode(w, 93000, "invalid webhook url, hint: [emulated]")
		return
	}
	now := time.Now()
	for len(g.sends) > 0 && now.Sub(g.sends[0]) >= time.Minute {
		g.sends = g.sends[1:]
	}
	if len(g.sends) >= s.cfg.RatePerMinute {
		writeErrcode(w, 45009, "api freq out of limit, hint: [emulated]")
		return
	}
	var b robotBody
	if err != nil || json.Unmarshal(body, &b) != nil {
		writeErrcode(w, 40058, "invalid json body")
		return
	}
	m, code, msg := s.robotMessage(&b, 2048, 4096, true)
	if code != 0 {
		writeErrcode(w, code, msg)
		return
	}
	g.sends = append(g.sends, now)
	m.Via = "webhook"
	s.appendLocked(g, m)
	writeErrcode(w, 0, "ok")
}

// robotMessage checks a robot body as WeCom does and turns it into a history
// line; code is WeCom's errcode when it refuses.
func (s *Server) robotMessage(b *robotBody, maxText, maxMarkdown int, images bool) (m Message, code int, msg string) {
	m = Message{From: s.cfg.RobotName, Bot: true, Type: b.MsgType}
	switch {
	case b.MsgType == "text" && b.Text != nil:
		if b.Text.Content == "" {
			return m, 44004, "empty content"
		}
		if len(b.Text.Content) > maxText || !utf8.ValidString(b.Text.Content) {
			return m, 40058, "text.content exceed max length 2048"
		}
		m.Text, m.Mentions = b.Text.Content, b.Text.MentionedList
	case b.MsgType == "markdown" && b.Markdown != nil:
		if b.Markdown.Content == "" {
			return m, 44004, "empty content"
		}
		if len(b.Markdown.Content) > maxMarkdown || !utf8.ValidString(b.Markdown.Content) {
			return m, 40058, "markdown.content exceed max length"
		}
		m.Text = b.Markdown.Content
		for _, x := range atUserRE.FindAllStringSubmatch(m.Text, -1) {
			m.Mentions = append(m.Mentions, x[1])
		}
	case b.MsgType == "image" && b.Image != nil && images:
		raw, err := base64.StdEncoding.DecodeString(b.Image.Base64)
		if err != nil || len(raw) == 0 {
			return m, 40058, "image.base64 is invalid"
		}
		if len(raw) > 2<<20 {
			return m, 40058, "image exceed max size 2M"
		}
		sum := md5.Sum(raw)
		if hex.EncodeToString(sum[:]) != b.Image.MD5 {
			return m, 40058, "image.md5 does not match"
		}
		m.ImageMD5 = b.Image.MD5
	default:
		return m, 40008, "invalid message type"
	}
	return m, 0, ""
}

// handleResponse is a callback's response_url: one markdown reply within an
// hour, shown in the message's group. WeCom's errcodes for a spent or
// expired code are not documented; the emulator answers 40058.
func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := s.codes[r.URL.Query().Get("response_code")]
	if rc == nil || rc.used || time.Since(rc.created) > responseTTL {
		writeErrcode(w, 40058, "response_code is invalid, used or expired")
		return
	}
	var b robotBody
	if err != nil || json.Unmarshal(body, &b) != nil {
		writeErrcode(w, 40058, "invalid json body")
		return
	}
	m, code, msg := s.robotMessage(&b, 0, 20480, false)
	if code != 0 || b.MsgType != "markdown" {
		if code == 0 {
			code, msg = 40008, "response_url takes markdown or template_card"
		}
		writeErrcode(w, code, msg)
		return
	}
	rc.used = true
	m.Via = "response_url"
	s.appendLocked(rc.group, m)
	writeErrcode(w, 0, "ok")
}

// handleMedia serves a member's picture, encrypted, for 5 minutes.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	md, ok := s.media[r.PathValue("id")]
	s.mu.Unlock()
	if !ok || time.Now().After(md.expires) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(md.data)
}
