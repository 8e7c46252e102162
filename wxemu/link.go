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
