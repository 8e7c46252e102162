package dtemu

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Stream protocol constants, as the SDK expects them.
const (
	botTopic  = "/v1.0/im/bot/messages/get"
	ticketTTL = 90 * time.Second
	maxBody   = 1 << 20
)

// streamConn is one SDK connection.
type streamConn struct {
	ws *wsConn
	id string
}

// handleOpen is 注册连接凭证: credentials in, a one-time ticket and the
// WebSocket endpoint out.
func (s *Server) handleOpen(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID      string `json:"clientId"`
		ClientSecret  string `json:"clientSecret"`
		Subscriptions []struct {
			Type  string `json:"type"`
			Topic string `json:"topic"`
		} `json:"subscriptions"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidParameter", "请求体不是合法的 JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.failOpen > 0 {
		s.faults.failOpen--
		apiError(w, http.StatusInternalServerError, "ServiceUnavailable", "服务暂时不可用")
		return
	}
	if req.ClientID != s.cfg.ClientID || req.ClientSecret != s.cfg.ClientSecret {
		apiError(w, http.StatusUnauthorized, "InvalidAuthentication", "无效的clientId或者clientSecret")
		return
	}
	ticket := randomID(16)
	s.tickets[ticket] = time.Now().Add(ticketTTL)
	s.stats.Opens++
	writeJSON(w, http.StatusOK, map[string]string{
		"endpoint": strings.Replace(s.baseURL, "http://", "ws://", 1) + "/connect",
		"ticket":   ticket,
	})
}

// handleConnect upgrades a ticket to the stream, then reads acks until the
// connection ends.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	exp, ok := s.tickets[ticket]
	delete(s.tickets, ticket) // single use
	closed := s.closed
	s.mu.Unlock()
	if closed || !ok || time.Now().After(exp) {
		http.Error(w, `{"code":"InvalidTicket","message":"ticket 无效或已过期"}`, http.StatusUnauthorized)
		return
	}
	ws, err := upgrade(w, r)
	if err != nil {
		s.cfg.Logger.Warn("dtemu: websocket upgrade failed", "err", err)
		return
	}
	c := &streamConn{ws: ws, id: randomID(8)}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	var resend []string
	for _, id := range s.order {
		if _, ok := s.pending[id]; ok {
			resend = append(resend, id)
		}
	}
	s.mu.Unlock()
	s.cfg.Logger.Debug("dtemu: stream connected", "conn", c.id)
	for _, id := range resend {
		s.deliver(id, true)
	}
	s.readAcks(c)
}

// readAcks records acknowledgements until the connection ends.
func (s *Server) readAcks(c *streamConn) {
	defer s.dropConn(c)
	withhold := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.faults.withholdPong
	}
	for {
		msg, err := c.ws.readMessage(withhold)
		if err != nil {
			return
		}
		var ack struct {
			Code    int               `json:"code"`
			Headers map[string]string `json:"headers"`
		}
		if json.Unmarshal(msg, &ack) != nil {
			continue
		}
		id := ack.Headers["messageId"]
		s.mu.Lock()
		s.stats.Acks++
		s.acks[id]++
		if ack.Code == http.StatusOK {
			delete(s.pending, id) // a failed handler (500) is delivered again
		}
		s.mu.Unlock()
	}
}

func (s *Server) dropConn(c *streamConn) {
	_ = c.ws.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			break
		}
	}
}

// deliver writes a chatbot frame to the newest connection; without one the
// frame stays pending for the next.
func (s *Server) deliver(id string, again bool) {
	s.mu.Lock()
	frame := s.frames[id]
	var c *streamConn
	if n := len(s.conns); n > 0 {
		c = s.conns[n-1]
	}
	if p := s.pending[id]; p != nil && c != nil {
		p.sentAt = time.Now()
		p.sends++
	}
	if c != nil {
		s.stats.FramesSent++
		if again {
			s.stats.Redelivered++
		}
	}
	s.mu.Unlock()
	if c == nil || frame == nil {
		return
	}
	if err := c.ws.writeText(frame); err != nil {
		s.dropConn(c)
	}
}

// redeliverLoop sends again every frame unacknowledged for cfg.Redeliver.
func (s *Server) redeliverLoop() {
	tick := max(s.cfg.Redeliver/4, 10*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		var due []string
		s.mu.Lock()
		for _, id := range s.order {
			if p := s.pending[id]; p != nil && p.sends > 0 && now.Sub(p.sentAt) >= s.cfg.Redeliver {
				due = append(due, id)
			}
		}
		s.mu.Unlock()
		for _, id := range due {
			s.deliver(id, true)
		}
	}
}

// frameFor builds the CALLBACK frame of a chatbot message; every header value
// is a string, as the SDK requires.
func (s *Server) frameFor(id string, data any) []byte {
	b, _ := json.Marshal(data)
	f, _ := json.Marshal(map[string]any{
		"specVersion": "1.0",
		"type":        "CALLBACK",
		"headers": map[string]string{
			"topic": botTopic, "messageId": id, "contentType": "application/json",
			"time": strconv.FormatInt(time.Now().UnixMilli(), 10), "appId": s.cfg.ClientID,
		},
		"data": string(b),
	})
	return f
}

// systemFrame builds a SYSTEM frame (disconnect).
func systemFrame(topic, data string) []byte {
	f, _ := json.Marshal(map[string]any{
		"specVersion": "1.0", "type": "SYSTEM",
		"headers": map[string]string{"topic": topic, "messageId": randomID(8), "contentType": "application/json",
			"time": strconv.FormatInt(time.Now().UnixMilli(), 10)},
		"data": data,
	})
	return f
}

// disconnect plays the gateway going away: graceful sends SYSTEM disconnect
// first (the SDK reconnects), otherwise the TCP connection just drops.
func (s *Server) disconnect(graceful bool) {
	s.mu.Lock()
	conns := append([]*streamConn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		if graceful {
			_ = c.ws.writeText(systemFrame("disconnect", `{"reason":"emulator"}`))
			go func() { time.Sleep(200 * time.Millisecond); s.dropConn(c) }()
			continue
		}
		s.dropConn(c)
	}
}
