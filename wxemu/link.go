package wxemu

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// Link is an article shared into a group, as WeChat sends it to the web
// client: an app message (MsgType 49) of AppMsgType 5 whose content is the
// <appmsg> XML with the title, description and URL.
type Link struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// appMsgXML is the XML body of a shared article, on one line as the sync
// protocol carries it (HTML-escaped by the renderer).
func (l *Link) appMsgXML() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><msg><appmsg appid="" sdkver="0"><title>`)
	_ = xml.EscapeText(&b, []byte(l.Title))
	b.WriteString(`</title><des>`)
	_ = xml.EscapeText(&b, []byte(l.Description))
	b.WriteString(`</des><action>view</action><type>5</type><showtype>0</showtype><url>`)
	_ = xml.EscapeText(&b, []byte(l.URL))
	b.WriteString(`</url><sourcedisplayname>`)
	_ = xml.EscapeText(&b, []byte(l.Title))
	b.WriteString(`</sourcedisplayname></appmsg></msg>`)
	return b.String()
}

// PostLink delivers an article shared by a group member to the logged-in bot.
func (s *Server) PostLink(group, from string, l Link) error {
	_, err := s.postLink(group, from, l)
	return err
}

func (s *Server) postLink(groupName, from string, l Link) (int64, error) {
	if strings.TrimSpace(l.Title) == "" || strings.TrimSpace(l.URL) == "" {
		return 0, fmt.Errorf("%w: a link needs a title and a url", ErrInvalid)
	}
	return s.postEntry(groupName, from, l.Title, nil, &l)
}

// quoteXML is the body of a reply quoting q (AppMsgType 57): the reply's text
// as the title and the quoted message, with its server id, in <refermsg>.
func quoteXML(text string, q *entry, from string) string {
	typ, content := 1, q.text
	if q.link != nil {
		typ, content = 49, q.link.appMsgXML()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><msg><appmsg appid="" sdkver="0"><title>`)
	_ = xml.EscapeText(&b, []byte(text))
	fmt.Fprintf(&b, `</title><des></des><type>57</type><refermsg><type>%d</type><svrid>%d</svrid><chatusr>`, typ, q.msgID)
	_ = xml.EscapeText(&b, []byte(from))
	b.WriteString(`</chatusr><displayname>`)
	_ = xml.EscapeText(&b, []byte(q.name))
	b.WriteString(`</displayname><content>`)
	_ = xml.EscapeText(&b, []byte(content))
	b.WriteString(`</content></refermsg></appmsg></msg>`)
	return b.String()
}

// PostQuote delivers a member's text that quotes (replies to) the group's
// message with sequence number seq, as WeChat's 引用 does.
func (s *Server) PostQuote(group, from, text string, seq int64) error {
	_, err := s.postQuote(group, from, text, seq)
	return err
}

func (s *Server) postQuote(groupName, from, text string, seq int64) (int64, error) {
	if strings.TrimSpace(text) == "" {
		return 0, fmt.Errorf("%w: empty reply", ErrInvalid)
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
	var quoted *entry
	for _, e := range g.history {
		if e.seq == seq && !e.system {
			quoted = e
		}
	}
	if quoted == nil {
		return 0, fmt.Errorf("%w: no message %d in group %q to quote", ErrInvalid, seq, g.name)
	}
	m := g.member(from)
	if m == nil {
		return 0, fmt.Errorf("%w: %q in group %q", ErrUnknownMember, from, g.name)
	}
	e := s.appendLocked(g, m.person, m.display, text, nil)
	e.quote = quoted
	s.log.Info("member quoted a message", "group", g.name, "from", from, "seq", e.seq, "quoted", seq)
	return e.seq, nil
}
