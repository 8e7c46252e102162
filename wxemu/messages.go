package wxemu

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Message types in the control API and Message.Type.
const (
	TypeText   = "text"
	TypeImage  = "image"
	TypeSystem = "system" // WeChat's own notices, e.g. a group rename
	TypeLink   = "link"   // a shared article (app message, type 5)
)

// Message is one entry of a group's history as the control API shows it: what
// members posted through the emulator and what the bot sent, in order.
type Message struct {
	// Seq orders messages; it is global across groups, so a group's seqs increase
	// with gaps. Pass the last one seen as "after" to read only newer messages.
	Seq int64 `json:"seq"`
	// From is the sender's group nickname at the time, or the bot's nickname.
	From string `json:"from"`
	// Bot is true for messages the bot sent.
	Bot      bool      `json:"bot,omitempty"`
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageMD5 string    `json:"image_md5,omitempty"`
	At       time.Time `json:"at"`
	// Image holds the picture of an image message (not in the JSON; use ImageMD5).
	Image []byte `json:"-"`
	// Link is the shared article of a link message.
	Link *Link `json:"link,omitempty"`
	// Quote is the seq of the message a reply quotes (引用).
	Quote int64 `json:"quote,omitempty"`
}

// entry is a message in a group's history.
type entry struct {
	seq   int64
	group *group
	from  *person
	name  string // the sender's display name when posted
	text  string
	image []byte
	md5   string
	at    time.Time
	msgID int64
	// system marks a notice from WeChat itself (MsgType 10000), such as a
	// group rename; it has no sender.
	system bool
	// peer is the friend of a private chat entry (group is then nil): the
	// sender, or the recipient of the bot's message.
	peer *person
	// link is the article of a shared link (app message); nil otherwise.
	link *Link
	// quote is the message a text replies to (WeChat's 引用); nil otherwise.
	quote *entry
}

func (e *entry) isImage() bool { return e.image != nil }

func (e *entry) msgIDString() string { return strconv.FormatInt(e.msgID, 10) }

func (e *entry) message(self *person) Message {
	m := Message{Seq: e.seq, From: e.name, Bot: e.from == self, Type: TypeText, Text: e.text, At: e.at}
	if e.system {
		m.Type = TypeSystem
	}
	if e.isImage() {
		m.Type, m.Image, m.ImageMD5 = TypeImage, e.image, e.md5
	}
	if e.link != nil {
		l := *e.link
		m.Type, m.Link = TypeLink, &l
	}
	if e.quote != nil {
		m.Quote = e.quote.seq
	}
	return m
}

// appendLocked records a message in g's history and, if it comes from a member and a
// session is logged in, queues it for that session's client.
func (s *Server) appendLocked(g *group, from *person, name, text string, image []byte) *entry {
	s.seq++
	e := &entry{seq: s.seq, group: g, from: from, name: name, text: text, image: image, at: time.Now(), msgID: s.msgBase + s.seq}
	if image != nil {
		sum := md5.Sum(image)
		e.md5 = hex.EncodeToString(sum[:])
		s.images[e.msgIDString()] = e
	}
	if g != nil {
		g.history = append(g.history, e)
	}
	if from != s.self && s.sess != nil && s.sess.state == sessionActive {
		s.sess.inbox = append(s.sess.inbox, e)
	}
	s.notifyLocked()
	return e
}

// Post delivers a text from a group member (addressed by group nickname) to the
// logged-in bot, as if typed on their phone. Write "@<bot name>\u2005" to mention the
// bot. With no session logged in it is only recorded.
func (s *Server) Post(group, from, text string) error {
	_, err := s.post(group, from, text, nil)
	return err
}

// PostImage is Post for a picture; the bot can download it with GetPicture.
func (s *Server) PostImage(group, from string, img []byte) error {
	_, err := s.post(group, from, "", img)
	return err
}

func (s *Server) post(groupName, from, text string, img []byte) (int64, error) {
	return s.postEntry(groupName, from, text, img, nil)
}

// postEntry records a member's text, picture or shared link (text is then the
// link's title) and delivers it to the logged-in bot.
func (s *Server) postEntry(groupName, from, text string, img []byte, link *Link) (int64, error) {
	switch {
	case img == nil && text == "":
		return 0, fmt.Errorf("%w: empty message", ErrInvalid)
	case img != nil && text != "":
		return 0, fmt.Errorf("%w: a message is either a text or an image", ErrInvalid)
	case img != nil && !strings.HasPrefix(http.DetectContentType(img), "image/"):
		return 0, fmt.Errorf("%w: not an image (%s)", ErrInvalid, http.DetectContentType(img))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	g, err := s.groupLocked(groupName)
	if err != nil {
		return 0, err
	}
	m := g.member(from)
	if m == nil {
		return 0, fmt.Errorf("%w: %q in group %q", ErrUnknownMember, from, g.name)
	}
	e := s.appendLocked(g, m.person, m.display, text, img)
	e.link = link
	s.log.Info("member posted", "group", g.name, "from", from, "seq", e.seq, "image", img != nil, "link", link != nil,
		"delivered", s.sess != nil && s.sess.state == sessionActive)
	return e.seq, nil
}

// Messages returns a group's messages with Seq > after, oldest first.
func (s *Server) Messages(group string, after int64) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(group)
	if err != nil {
		return nil, err
	}
	return s.messagesLocked(g, after), nil
}

// WaitMessages is Messages that blocks until there is at least one message, so tests
// wait for the bot's reply without sleeping. It fails with ctx's error when ctx ends
// and with ErrClosed when the server closes.
func (s *Server) WaitMessages(ctx context.Context, groupName string, after int64) ([]Message, error) {
	var (
		msgs []Message
		err  error
	)
	switch s.await(ctx, 0, func() bool {
		var g *group
		if g, err = s.groupLocked(groupName); err != nil {
			return true
		}
		msgs = s.messagesLocked(g, after)
		return len(msgs) > 0
	}) {
	case outGone:
		return nil, ctx.Err()
	case outShutdown:
		return nil, ErrClosed
	}
	return msgs, err
}

func (s *Server) messagesLocked(g *group, after int64) []Message {
	msgs := []Message{}
	for _, e := range g.history {
		if e.seq > after {
			msgs = append(msgs, e.message(s.self))
		}
	}
	return msgs
}
