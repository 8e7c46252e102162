package bot

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu"
)

// maxImage bounds a downloaded picture; WeChat images are far smaller.
const maxImage = 20 << 20

// mentionRE finds "@name" followed by U+2005, WeChat's mention separator.
var mentionRE = regexp.MustCompile(`@([^@\s\x{2005}]+)\x{2005}`)

// convert turns a group message from a registered group into an Inbound, with our
// group id and the sender's bound member if any; a friend's private text goes
// to convertPrivate. Everything else is dropped: system notices, the bot's own
// messages, unregistered groups.
func (b *Bot) convert(ctx context.Context, msg *openwechat.Message) (*qunzhu.Inbound, bool) {
	if msg.IsSendByFriend() {
		return b.convertPrivate(ctx, msg)
	}
	if !msg.IsSendByGroup() {
		return nil, false
	}
	sess := b.sessionOf(ctx, msg.Bot())
	if sess == nil {
		return nil, false // that client's session is over
	}
	groupID, ok := sess.byUser[msg.FromUserName]
	if !ok {
		return nil, false // not a registered group
	}
	if msg.IsSystem() {
		if m := renameRE.FindStringSubmatch(msg.Content); m != nil {
			b.renameGroup(ctx, groupID, m[1])
		}
		return nil, false
	}
	link, isLink := sharedLink(msg)
	reply, quoted, isQuote := quoteReply(msg)
	if msg.IsSendBySelf() || !(msg.IsText() || msg.IsPicture() || isLink || isQuote) {
		return nil, false
	}
	sender, err := msg.SenderInGroup()
	if err != nil {
		b.log.Warn("cannot resolve the sender of a group message", "group_id", groupID, "err", err)
		return nil, false
	}
	in := &qunzhu.Inbound{
		ID:      msg.MsgId,
		GroupID: groupID,
		Sender:  identityOf(sender),
		At:      time.Unix(msg.CreateTime, 0),
		AtBot:   msg.IsAt(),
	}
	switch {
	case isLink:
		in.Link = link
	case msg.IsPicture():
		in.IsImage = true
		in.Image = func(context.Context) ([]byte, error) { return download(msg) }
	default:
		in.Text = msg.Content
		if isQuote {
			in.Text, in.QuotedID = reply, quoted
		}
		for _, m := range mentionRE.FindAllStringSubmatch(in.Text, -1) {
			in.Mentions = append(in.Mentions, m[1])
		}
	}
	if err := b.store.Update(ctx, func(tx qunzhu.Tx) error {
		g, err := tx.GroupByID(groupID)
		if err != nil {
			return err
		}
		in.GroupName = g.Name
		m, err := tx.MemberBySession(groupID, in.Sender.SessionKey)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		in.Member = m
		return nil
	}); err != nil {
		b.log.Error("load sender of group message", "group_id", groupID, "err", err)
		return nil, false
	}
	return in, true
}

// sessionOf returns the mapped session of client wb, waiting for the mapping:
// openwechat syncs and hands over messages as soon as the login completes, while
// remap is still running, and a message dropped then is lost for good (the
// server counts it as delivered). nil if wb's session ended first or ctx ended.
func (b *Bot) sessionOf(ctx context.Context, wb *openwechat.Bot) *session {
	for {
		b.mu.Lock()
		sess, changed := b.sess, b.changed
		b.mu.Unlock()
		if sess != nil && sess.bot == wb {
			return sess
		}
		select {
		case <-changed: // serve sets b.sess before it changes the state to online
		case <-wb.Context().Done():
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// renameRE reads WeChat's notice of a group rename: 「某某」修改群名为“新群名”.
var renameRE = regexp.MustCompile(`修改群名为[“"](.+)[”"]`)

// renameGroup records a rename seen in the group, so the next login finds the
// group under its new name.
func (b *Bot) renameGroup(ctx context.Context, groupID int64, name string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	err := b.store.Update(ctx, func(tx qunzhu.Tx) error {
		g, err := tx.GroupByID(groupID)
		if err != nil || g.Name == name {
			return err
		}
		b.log.Info("group renamed in WeChat; stored name updated", "group_id", groupID, "from", g.Name, "to", name)
		return tx.RenameGroup(groupID, name)
	})
	if err != nil {
		b.log.Error("record group rename", "group_id", groupID, "err", err)
	}
}

// download fetches the picture of an image message.
func download(msg *openwechat.Message) ([]byte, error) {
	resp, err := msg.GetPicture()
	if err != nil {
		return nil, fmt.Errorf("get picture: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxImage+1))
	if err != nil {
		return nil, fmt.Errorf("read picture: %w", err)
	}
	if len(b) > maxImage {
		return nil, fmt.Errorf("picture larger than %d bytes", maxImage)
	}
	return b, nil
}

// sharedLink reads an article shared into a group (an app message of type 5:
// 公众号文章, a web page): its title, description and address.
func sharedLink(msg *openwechat.Message) (*qunzhu.Link, bool) {
	if !msg.IsMedia() || !msg.IsArticle() {
		return nil, false
	}
	data, err := msg.MediaData()
	if err != nil {
		return nil, false
	}
	l := &qunzhu.Link{Title: strings.TrimSpace(data.AppMsg.Title), URL: strings.TrimSpace(data.AppMsg.URL),
		Description: strings.TrimSpace(data.AppMsg.Des)}
	if l.URL == "" {
		l.URL = strings.TrimSpace(msg.Url)
	}
	if l.Title == "" {
		l.Title = strings.TrimSpace(msg.FileName)
	}
	return l, l.Title != ""
}

// appMsgQuoteType is the app message type of a reply quoting another message
// (引用); openwechat has no name for it.
const appMsgQuoteType = 57

// quoteReply reads a reply that quotes another message: the reply's text is
// the app message's title, the quoted message's server id is in <refermsg>.
func quoteReply(msg *openwechat.Message) (text, quotedID string, ok bool) {
	if !msg.IsMedia() || int(msg.AppMsgType) != appMsgQuoteType {
		return "", "", false
	}
	var data struct {
		AppMsg struct {
			Title    string `xml:"title"`
			ReferMsg struct {
				SvrID string `xml:"svrid"`
			} `xml:"refermsg"`
		} `xml:"appmsg"`
	}
	if err := xml.Unmarshal([]byte(msg.Content), &data); err != nil || strings.TrimSpace(data.AppMsg.Title) == "" {
		return "", "", false
	}
	return data.AppMsg.Title, strings.TrimSpace(data.AppMsg.ReferMsg.SvrID), true
}
