package dtemu

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Message is one message in a group's history, as the control API shows it.
type Message struct {
	// Seq orders messages across groups; pass the last seen as "after".
	Seq int64 `json:"seq"`
	// From is the sender's name, or the robot's name for the robot's messages.
	From   string `json:"from"`
	UserID string `json:"user_id,omitempty"`
	// Bot is true for messages the robot sent.
	Bot  bool   `json:"bot,omitempty"`
	Type string `json:"type"` // text, markdown, picture
	Text string `json:"text,omitempty"`
	// AtUserIDs are the people the robot's message really mentions.
	AtUserIDs []string `json:"at_user_ids,omitempty"`
	// Via is how the robot sent it: "session" (sessionWebhook) or "openapi"
	// (groupMessages/send).
	Via      string    `json:"via,omitempty"`
	MsgID    string    `json:"msg_id,omitempty"` // the msgId of a member's message
	ImageMD5 string    `json:"image_md5,omitempty"`
	At       time.Time `json:"at"`
}

// Post puts a member's message into a group, as if typed in the DingTalk
// client, and pushes it to the robot when it @-mentions the robot (DingTalk
// pushes nothing else from groups). A picture is pushed as a picture message.
// It returns the message's sequence number and msgId.
func (s *Server) Post(groupName, from, text string, image []byte) (int64, string, error) {
	if text == "" && len(image) == 0 {
		return 0, "", fmt.Errorf("%w: text or image required", ErrInvalid)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, "", ErrClosed
	}
	g := s.byName[groupName]
	if g == nil {
		g = s.byChat[groupName]
	}
	if g == nil {
		s.mu.Unlock()
		return 0, "", fmt.Errorf("%w: %q", ErrUnknownGroup, groupName)
	}
	var p *Person
	for i := range g.members {
		if g.members[i].Name == from || g.members[i].UserID == from {
			p = &g.members[i]
		}
	}
	if p == nil {
		s.mu.Unlock()
		return 0, "", fmt.Errorf("%w: %q in %q", ErrUnknownMember, from, groupName)
	}
	msgID := "msg" + randomID(12)
	m := Message{From: p.Name, UserID: p.UserID, Type: "text", Text: text, MsgID: msgID, At: time.Now()}
	if len(image) > 0 {
		m.Type, m.Text = "picture", ""
		sum := md5.Sum(image)
		m.ImageMD5 = hex.EncodeToString(sum[:])
	}
	seq := s.appendLocked(g, m)

	botAt := "@" + s.cfg.BotName
	push := len(image) > 0 || strings.Contains(text, botAt)
	if !push {
		s.mu.Unlock()
		return seq, msgID, nil
	}
	now := time.Now()
	sess := randomID(12)
	s.sessions[sess] = &session{group: g, expires: now.Add(s.cfg.SessionTTL), dead: s.faults.deadSessions > 0}
	if s.faults.deadSessions > 0 {
		s.faults.deadSessions--
	}
	botID := "$:LWCP_v1:$robot"
	atUsers := []map[string]string{}
	if strings.Contains(text, botAt) {
		atUsers = append(atUsers, map[string]string{"dingtalkId": botID})
	}
	for _, o := range g.members {
		if strings.Contains(text, "@"+o.Name) {
			atUsers = append(atUsers, map[string]string{"dingtalkId": "$:LWCP_v1:$" + o.UserID, "staffId": o.UserID})
		}
	}
	data := map[string]any{
		"conversationId": g.chatID, "conversationType": "2", "conversationTitle": g.name,
		"msgId": msgID, "msgtype": "text",
		"senderNick": p.Name, "senderStaffId": p.UserID, "senderId": "$:LWCP_v1:$" + p.UserID,
		"senderCorpId": "dingemu", "chatbotUserId": botID, "chatbotCorpId": "dingemu",
		"robotCode": s.cfg.ClientID, "isAdmin": false, "isInAtList": strings.Contains(text, botAt),
		"atUsers":                   atUsers,
		"sessionWebhook":            s.baseURL + "/robot/sendBySession?session=" + sess,
		"sessionWebhookExpiredTime": now.Add(s.cfg.SessionTTL).UnixMilli(),
		"createAt":                  now.UnixMilli(),
	}
	if len(image) > 0 {
		code := randomID(12)
		s.files[code] = image
		data["msgtype"] = "picture"
		data["content"] = map[string]string{"downloadCode": code}
	} else {
		// DingTalk takes the robot's own @ out of the text it pushes.
		data["text"] = map[string]string{"content": strings.Replace(text, botAt, "", 1)}
	}
	s.frames[msgID] = s.frameFor(msgID, data)
	s.pending[msgID] = &pendingFrame{}
	s.order = append(s.order, msgID)
	s.last = msgID
	s.mu.Unlock()
	s.deliver(msgID, false)
	return seq, msgID, nil
}

// appendLocked adds m to the history and wakes the readers.
func (s *Server) appendLocked(g *group, m Message) int64 {
	s.seq++
	m.Seq = s.seq
	s.history = append(s.history, m)
	s.groupOf = append(s.groupOf, g)
	close(s.changed)
	s.changed = make(chan struct{})
	return m.Seq
}

// Messages returns a group's messages after seq.
func (s *Server) Messages(groupName string, after int64) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(groupName, after)
}

func (s *Server) messagesLocked(groupName string, after int64) ([]Message, error) {
	g := s.byName[groupName]
	if g == nil {
		g = s.byChat[groupName]
	}
	if g == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownGroup, groupName)
	}
	out := []Message{}
	for i, m := range s.history {
		if m.Seq > after && s.groupOf[i] == g {
			out = append(out, m)
		}
	}
	return out, nil
}

// WaitMessages waits until the group has a message after seq, or ctx ends.
func (s *Server) WaitMessages(ctx context.Context, groupName string, after int64) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs, err := s.messagesLocked(groupName, after)
		ch := s.changed
		s.mu.Unlock()
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

// Redeliver sends the last chatbot frame again with the same messageId, even
// if it was acknowledged: the gateway may deliver a message twice.
func (s *Server) Redeliver() error {
	s.mu.Lock()
	id := s.last
	s.mu.Unlock()
	if id == "" {
		return fmt.Errorf("%w: no message to redeliver yet", ErrInvalid)
	}
	s.deliver(id, true)
	return nil
}
