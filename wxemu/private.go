package wxemu

import (
	"context"
	"fmt"
	"github.com/qunzhu/qunzhu/internal/emuhistory"
	"html"
	"net/http"
	"strings"
)

// Private chats: a friend of the bot (Config.Friends, AddFriend) can write to
// it one to one, and the bot can write to a friend. Nobody else can, as on
// WeChat, where a stranger's message never arrives. The control API mirrors
// the group endpoints under /_emu/contacts/{name}/messages.

// appendToLocked records a message from the bot, into group g or, when g is
// nil, into the private chat with peer.
func (s *Server) appendToLocked(g *group, peer *person, text string, image []byte) *entry {
	if g != nil {
		return s.appendLocked(g, s.self, s.self.nick, text, image)
	}
	return s.appendPrivateLocked(peer, s.self, text, image)
}

// appendPrivateLocked records a message of the private chat with peer, from
// peer or from the bot, and queues it for a logged-in client if peer sent it.
func (s *Server) appendPrivateLocked(peer, from *person, text string, image []byte) *entry {
	e := s.appendLocked(nil, from, from.nick, text, image)
	e.peer = peer
	peer.chat = append(peer.chat, e)
	return e
}

// renderPrivateLocked is a private message as the client receives it: from
// the friend's UserName of this login, the text without a sender prefix.
func (s *Server) renderPrivateLocked(sess *session, e *entry) wireMessage {
	r := sess.roster
	m := wireMessage{
		MsgId:        e.msgIDString(),
		NewMsgId:     e.msgID,
		FromUserName: r.person(e.from),
		ToUserName:   r.person(s.self),
		MsgType:      1,
		Status:       3,
		ImgStatus:    1,
		CreateTime:   e.at.Unix(),
		Content:      strings.ReplaceAll(html.EscapeString(e.text), "\n", "<br/>"),
	}
	if e.isImage() {
		m.MsgType, m.ImgStatus = 3, 2
		m.Content = fmt.Sprintf("<?xml version=\"1.0\"?>\n<msg><img md5=\"%s\" length=\"%d\" /></msg>", e.md5, len(e.image))
	}
	return m
}

// friendContactLocked is a friend as webwxgetcontact lists it.
func (s *Server) friendContactLocked(sess *session, p *person) wireUser {
	name := sess.roster.person(p)
	return wireUser{
		UserName:    name,
		NickName:    p.nick,
		AttrStatus:  p.attr,
		HeadImgUrl:  headImgURL(name, sess.skey),
		ContactFlag: 3,
	}
}

// friendsLocked lists the bot's friends in a stable order (by nickname).
func (s *Server) friendsLocked() []*person {
	var out []*person
	for _, p := range s.people {
		if p.friend {
			out = append(out, p)
		}
	}
	sortPeople(out)
	return out
}

func sortPeople(ps []*person) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].nick < ps[j-1].nick; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// AddFriend makes a known person (by nickname) a friend of the bot, or
// creates one; the bot sees them at its next contact list.
func (s *Server) AddFriend(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case name == "":
		return fmt.Errorf("%w: friend name is empty", ErrInvalid)
	case name == s.self.nick:
		return fmt.Errorf("%w: %q is the bot itself", ErrInvalid, name)
	}
	who, ok := s.people[name]
	if !ok {
		who = s.newPersonLocked(Person{Name: name})
	}
	who.friend = true
	s.notifyLocked()
	return nil
}

// friendLocked finds a friend by nickname.
func (s *Server) friendLocked(name string) (*person, error) {
	p, ok := s.people[name]
	if !ok || !p.friend || p == s.self {
		return nil, fmt.Errorf("%w: %q is not a friend of the bot", ErrUnknownMember, name)
	}
	return p, nil
}

// PostPrivate delivers a text from a friend to the bot, as if typed on their
// phone in the private chat.
func (s *Server) PostPrivate(friend, text string) (int64, error) {
	if text == "" {
		return 0, fmt.Errorf("%w: empty message", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	p, err := s.friendLocked(friend)
	if err != nil {
		return 0, err
	}
	e := s.appendPrivateLocked(p, p, text, nil)
	s.log.Info("friend wrote privately", "from", friend, "seq", e.seq)
	return e.seq, nil
}

// PrivateMessages returns the private chat with a friend after seq after,
// oldest first: what they wrote and what the bot answered.
func (s *Server) PrivateMessages(friend string, after int64) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.friendLocked(friend)
	if err != nil {
		return nil, err
	}
	return s.privateLocked(p, after), nil
}

// WaitPrivateMessages is PrivateMessages that blocks until there is one.
func (s *Server) WaitPrivateMessages(ctx context.Context, friend string, after int64) ([]Message, error) {
	var (
		msgs []Message
		err  error
	)
	switch s.await(ctx, 0, func() bool {
		var p *person
		if p, err = s.friendLocked(friend); err != nil {
			return true
		}
		msgs = s.privateLocked(p, after)
		return len(msgs) > 0
	}) {
	case outGone:
		return nil, ctx.Err()
	case outShutdown:
		return nil, ErrClosed
	}
	return msgs, err
}

func (s *Server) privateLocked(p *person, after int64) []Message {
	msgs := []Message{}
	for _, e := range p.chat {
		if e.seq > after {
			msgs = append(msgs, e.message(s.self))
		}
	}
	return msgs
}

// handleControlContacts lists the bot's friends by nickname.
func (s *Server) handleControlContacts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	names := []string{}
	for _, p := range s.friendsLocked() {
		names = append(names, p.nick)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, names)
}

// handleControlPrivatePost posts a friend's text to the bot: 202 {"seq":N}.
// The body is the group endpoint's; "from", if given, must be the friend.
func (s *Server) handleControlPrivatePost(w http.ResponseWriter, r *http.Request) {
	var req struct {
		From string `json:"from"`
		Text string `json:"text"`
	}
	if err := decodeStrict(w, r, maxJSONBody, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	name := r.PathValue("name")
	if req.From != "" && req.From != name {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: from %q differs from the contact %q", ErrInvalid, req.From, name))
		return
	}
	seq, err := s.PostPrivate(name, req.Text)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusAccepted, struct {
		Seq int64 `json:"seq"`
	}{seq})
}

// handleControlPrivateMessages reads a private chat after ?after=N, holding
// up to ?wait= like the group endpoint.
func (s *Server) handleControlPrivateMessages(w http.ResponseWriter, r *http.Request) {
	after, wait, err := emuhistory.Window(r, maxWait)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	name := r.PathValue("name")
	msgs, err := emuhistory.Read(r.Context(), after, wait,
		func(after int64) ([]Message, error) { return s.PrivateMessages(name, after) },
		func(ctx context.Context, after int64) ([]Message, error) {
			return s.WaitPrivateMessages(ctx, name, after)
		})
	if r.Context().Err() != nil {
		return
	}
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, msgs)
}

// handleControlMember changes a member's group nickname:
// {"display_name":"钱主任"}. WeChat's notice of it appears in the group.
func (s *Server) handleControlMember(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DisplayName string `json:"display_name"`
	}
	if err := decodeStrict(w, r, maxJSONBody, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if err := s.RenameMember(r.PathValue("name"), r.PathValue("member"), req.DisplayName); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		DisplayName string `json:"display_name"`
	}{req.DisplayName})
}
