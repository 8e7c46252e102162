package dingtalk

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"

	"github.com/qunzhu/qunzhu"
)

// groupChat is conversationType for a group (1 is a one-to-one chat).
const groupChat = "2"

// mentionRE finds "@name" in a message's text; DingTalk keeps the other
// people's mentions in the text and lists their ids in atUsers.
var mentionRE = regexp.MustCompile(`@([^@\s\x{2005}]+)`)

// onMessage is the SDK's chatbot handler. It acknowledges (returns) only
// after the message was handled, so a crash before that gets it delivered
// again; the claim in the store makes a redelivery answered once.
func (a *Adapter) onMessage(ctx context.Context, d *chatbot.BotCallbackDataModel) ([]byte, error) {
	if d.ConversationType != groupChat {
		return nil, nil // one-to-one chats are not qunzhu's
	}
	var g *qunzhu.Group
	fresh := false
	err := a.cfg.Store.Update(ctx, func(tx qunzhu.Tx) error {
		var err error
		if g, err = tx.GroupByChatID(qunzhu.PlatformDingTalk, d.ConversationId); err != nil {
			return err
		}
		fresh, err = tx.ClaimInbound(qunzhu.PlatformDingTalk, d.MsgId, a.cfg.ClaimStale)
		return err
	})
	switch {
	case qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND:
		a.log.Info("dingtalk: message from an unregistered group ignored", "chat_id", d.ConversationId, "title", d.ConversationTitle)
		return nil, nil
	case err != nil:
		return nil, err // a 500 ack: DingTalk delivers it again
	}
	a.rememberSession(g.ID, d.ConversationId, d.SessionWebhook, d.SessionWebhookExpiredTime)
	if !fresh {
		a.log.Info("dingtalk: message delivered again, already handled", "group_id", g.ID, "msg_id", d.MsgId)
		return nil, nil
	}
	for _, in := range a.inbounds(ctx, g, d) {
		a.cfg.Handler(ctx, in)
	}
	if err := a.cfg.Store.Update(ctx, func(tx qunzhu.Tx) error {
		return tx.FinishInbound(qunzhu.PlatformDingTalk, d.MsgId)
	}); err != nil {
		a.log.Error("dingtalk: record message handled", "msg_id", d.MsgId, "err", err)
	}
	return nil, nil
}

// inbounds turns a callback into what handlers see: one text, or one
// picture, or for a rich text its text then each picture.
func (a *Adapter) inbounds(ctx context.Context, g *qunzhu.Group, d *chatbot.BotCallbackDataModel) []*qunzhu.Inbound {
	sender := qunzhu.Identity{SessionKey: d.SenderStaffId, UserID: d.SenderStaffId, NickName: d.SenderNick, DisplayName: d.SenderNick}
	if sender.UserID == "" {
		// Someone from outside the organisation has no staffId; the
		// encrypted id still tells them apart, and matches no member.
		sender.SessionKey = d.SenderId
	}
	base := qunzhu.Inbound{
		ID: d.MsgId, Platform: qunzhu.PlatformDingTalk, GroupID: g.ID, GroupName: g.Name,
		Sender: sender, AtBot: d.IsInAtList, At: time.UnixMilli(d.CreateAt),
	}
	if d.CreateAt == 0 {
		base.At = a.cfg.Clock.Now()
	}
	for _, u := range d.AtUsers {
		if u.StaffId != "" && u.DingtalkId != d.ChatbotUserId {
			base.MentionIDs = append(base.MentionIDs, u.StaffId)
		}
	}
	if err := a.cfg.Store.View(ctx, func(tx qunzhu.Tx) error {
		m, err := tx.MemberBySession(g.ID, sender.SessionKey)
		if err == nil {
			base.Member = m
		} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			return err
		}
		return nil
	}); err != nil {
		a.log.Error("dingtalk: load the sender", "group_id", g.ID, "err", err)
	}
	text := func(s string) *qunzhu.Inbound {
		in := base
		in.Text = s
		for _, m := range mentionRE.FindAllStringSubmatch(s, -1) {
			in.Mentions = append(in.Mentions, m[1])
		}
		return &in
	}
	picture := func(n int, code string) *qunzhu.Inbound {
		in := base
		if n > 0 {
			in.ID = d.MsgId + "#" + strconv.Itoa(n)
		}
		in.IsImage = true
		in.Image = func(ctx context.Context) ([]byte, error) { return a.download(ctx, code) }
		return &in
	}
	switch d.Msgtype {
	case "text":
		return []*qunzhu.Inbound{text(d.Text.Content)}
	case "picture":
		var c struct {
			DownloadCode string `json:"downloadCode"`
		}
		if decodeContent(d.Content, &c) && c.DownloadCode != "" {
			return []*qunzhu.Inbound{picture(0, c.DownloadCode)}
		}
	case "richText":
		var c struct {
			RichText []struct {
				Text         string `json:"text"`
				Type         string `json:"type"`
				DownloadCode string `json:"downloadCode"`
			} `json:"richText"`
		}
		if !decodeContent(d.Content, &c) {
			break
		}
		var parts []string
		var pics []string
		for _, p := range c.RichText {
			if p.Type == "picture" && p.DownloadCode != "" {
				pics = append(pics, p.DownloadCode)
			} else if p.Text != "" {
				parts = append(parts, p.Text)
			}
		}
		var out []*qunzhu.Inbound
		if len(parts) > 0 {
			out = append(out, text(strings.Join(parts, "")))
		}
		for i, code := range pics {
			out = append(out, picture(i+1, code))
		}
		return out
	}
	a.log.Info("dingtalk: message type not handled", "msgtype", d.Msgtype, "group_id", g.ID)
	return nil
}

// decodeContent reads the SDK's untyped Content into v.
func decodeContent(content any, v any) bool {
	b, err := json.Marshal(content)
	return err == nil && json.Unmarshal(b, v) == nil
}

// rememberSession keeps the group's newest sessionWebhook, for replies.
func (a *Adapter) rememberSession(groupID int64, chatID, url string, expiresMs int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.chats[groupID] = chatID
	if url == "" || expiresMs == 0 {
		return
	}
	exp := time.UnixMilli(expiresMs)
	if old, ok := a.sessions[groupID]; ok && old.expires.After(exp) {
		return
	}
	a.sessions[groupID] = sessionHook{url: url, expires: exp}
}
