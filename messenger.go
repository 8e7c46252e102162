package qunzhu

import (
	"context"
	"errors"
	"time"
)

// SessionState is the state of the chat account's session, as the dashboard,
// /readyz and the sender see it.
type SessionState string

// Session states. Only StateOnline sends; in every other state messages wait.
const (
	StateStarting    SessionState = "starting"     // not tried to log in yet
	StateWaitingScan SessionState = "waiting_scan" // a QR code is waiting to be scanned
	StateLoggingIn   SessionState = "logging_in"   // hot/push login or after scan
	StateOnline      SessionState = "online"
	StateOffline     SessionState = "offline" // session ended (1100/1101), re-login under way
	StateBanned      SessionState = "banned"  // 1102: logged out from the phone or banned
	StateStopped     SessionState = "stopped" // shut down
)

// Chinese is the state as the people who scan the login code read it (the
// login page, fallback alerts).
func (s SessionState) Chinese() string {
	switch s {
	case StateStarting:
		return "正在启动"
	case StateWaitingScan:
		return "等待扫码"
	case StateLoggingIn:
		return "正在登录"
	case StateOnline:
		return "在线"
	case StateOffline:
		return "已掉线"
	case StateBanned:
		return "被登出或受限（1102）"
	case StateStopped:
		return "已停止"
	}
	return "未知（" + string(s) + "）"
}

// Errors a Messenger returns; the sender decides from them whether and when to retry.
var (
	// ErrOffline: the session is not online; the message waits for the next login.
	ErrOffline = errors.New("chat session offline")
	// ErrThrottled: the platform said "操作频繁" (1205); back off before any send.
	ErrThrottled = errors.New("chat platform throttled the account (1205)")
	// ErrGroupUnavailable: the group is registered but not found in the current
	// session (not saved to contacts, renamed, ambiguous); retry later.
	ErrGroupUnavailable = errors.New("group not available in this session")
)

// Messenger sends chat messages by our group id. Only the outbox sender calls it.
type Messenger interface {
	Send(ctx context.Context, m *OutMessage) error
	State() SessionState
}

// Inbound is a chat message as handlers see it: platform-neutral, with our ids.
type Inbound struct {
	ID        string // platform message id, for logs and inbound dedup
	Platform  Platform
	GroupID   int64
	GroupName string
	Sender    Identity
	Member    *Member // the bound member who sent it, nil if the sender is not bound
	Text      string  // text with the sender prefix removed; "" for a picture
	IsImage   bool
	// Image downloads the picture of an image message; nil for text.
	Image    func(ctx context.Context) ([]byte, error) `json:"-"`
	Mentions []string                                  // names mentioned with "@name" + U+2005
	// MentionIDs are the user ids of real mentions, on platforms that carry
	// them (DingTalk atUsers, WeCom mentioned userids); empty on WeChat.
	MentionIDs []string
	AtBot      bool // the bot itself was mentioned
	// Link is the article or web page shared by this message (WeChat's app
	// message of type 5, a DingTalk or WeCom link); nil for text and pictures.
	Link *Link
	// QuotedID is the platform id of the message this text replies to
	// (WeChat's 引用), "" when it quotes nothing.
	QuotedID string
	At       time.Time

	// Private is true for a message sent to the bot in a private chat. GroupID
	// is then a registered group the sender is in (replies and limits are
	// counted there; a sender in none is not handed on at all), Member is nil,
	// and InGroup finds the sender in any registered group.
	Private bool
	// InGroup returns the sender's identity in a registered group, false if
	// they are not in it; set for private messages only.
	InGroup func(groupID int64) (Identity, bool) `json:"-"`
}
