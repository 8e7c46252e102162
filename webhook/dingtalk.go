package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// The DingTalk (钉钉) custom robot, as its documentation describes it
// (https://open.dingtalk.com/document/robots/custom-robot-access and
// …/customize-robot-security-settings): POST
// /robot/send?access_token=<token>&timestamp=<ms>&sign=<sign>, where sign is
// urlEncode(base64(HmacSHA256(secret, timestamp + "\n" + secret))) and the
// timestamp may be at most an hour from the server's time. Error codes are the
// robot's own, as senders see them.
const (
	dingTokenNotExist  = 300001 // token is not exist
	dingSignNotMatch   = 310000 // sign not match / invalid timestamp
	dingSendTooFast    = 130101 // send too fast, exceed 20 times per minute
	dingMissingParam   = 40035  // 缺少参数 json: bad JSON or a missing field (also a message that renders empty)
	dingBadContentType = 43004  // 无效的HTTP HEADER Content-Type
	dingTooLong        = 460101 // message too long, exceed 20000 bytes
)

// DingTalkWindow is how far a DingTalk timestamp may be from our clock: the
// robot's documented hour.
const DingTalkWindow = time.Hour

// DingTalkSign returns the sign of a DingTalk robot request made at tsMillis,
// before URL encoding: base64(HmacSHA256(secret, tsMillis + "\n" + secret)).
func DingTalkSign(secret string, tsMillis int64) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(tsMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// DingTalkMessage is the body the DingTalk custom robot accepts; exported so
// Go senders and tests build exactly what the server reads.
type DingTalkMessage struct {
	MsgType    string              `json:"msgtype"`
	Text       *DingTalkText       `json:"text,omitempty"`
	Markdown   *DingTalkMarkdown   `json:"markdown,omitempty"`
	Link       *DingTalkLink       `json:"link,omitempty"`
	ActionCard *DingTalkActionCard `json:"actionCard,omitempty"`
	FeedCard   *DingTalkFeedCard   `json:"feedCard,omitempty"`
	At         *DingTalkAt         `json:"at,omitempty"`
}

// DingTalkText is a text message.
type DingTalkText struct {
	Content string `json:"content"`
}

// DingTalkMarkdown is a markdown message; Title shows in the chat list only.
type DingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// DingTalkLink is a link card.
type DingTalkLink struct {
	Title      string `json:"title"`
	Text       string `json:"text"`
	MessageURL string `json:"messageUrl"`
	PicURL     string `json:"picUrl,omitempty"`
}

// DingTalkActionCard is a card with one button (SingleTitle, SingleURL) or
// several (Btns); Text is markdown.
type DingTalkActionCard struct {
	Title          string           `json:"title"`
	Text           string           `json:"text"`
	SingleTitle    string           `json:"singleTitle,omitempty"`
	SingleURL      string           `json:"singleURL,omitempty"`
	BtnOrientation LooseString      `json:"btnOrientation,omitempty"`
	HideAvatar     LooseString      `json:"hideAvatar,omitempty"`
	Btns           []DingTalkButton `json:"btns,omitempty"`
}

// DingTalkButton is one button of an action card.
type DingTalkButton struct {
	Title     string `json:"title"`
	ActionURL string `json:"actionURL"`
}

// DingTalkFeedCard is a list of links.
type DingTalkFeedCard struct {
	Links []DingTalkFeedLink `json:"links"`
}

// DingTalkFeedLink is one link of a feed card. DingTalk spells its fields
// messageURL and picURL here, unlike the link message's messageUrl and picUrl.
type DingTalkFeedLink struct {
	Title      string `json:"title"`
	MessageURL string `json:"messageURL"`
	PicURL     string `json:"picURL,omitempty"`
}

// DingTalkAt is who to mention: mobiles, DingTalk user ids, or everyone.
type DingTalkAt struct {
	AtMobiles LooseStrings `json:"atMobiles,omitempty"`
	AtUserIDs LooseStrings `json:"atUserIds,omitempty"`
	IsAtAll   LooseBool    `json:"isAtAll,omitempty"`
}

func dingErr(errcode int, code, errmsg string) *robotError {
	return &robotError{errcode: errcode, errmsg: errmsg, code: code}
}

// handleDingTalk accepts a DingTalk robot message for the source whose
// access_token is in the URL, checks its signature and timestamp, and queues
// it for the source's group. The sign covers only the timestamp, not the
// body, so the replay key is the timestamp, the sign and the body: the same
// request again is answered as a duplicate (200, X-Qunzhu-Status: duplicate),
// while a sender that reuses one signature for an hour, as some DingTalk
// libraries do and DingTalk allows, still gets each new message posted.
func (s *server) handleDingTalk(c *gin.Context) {
	if err := checkRobotContentType(c.GetHeader("Content-Type"), true); err != nil {
		s.writeRobot(c, dingErr(dingBadContentType, CodeUnsupportedMediaType, "无效的HTTP HEADER Content-Type, hint: "+qunzhu.ErrorMessage(err)))
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.writeRobot(c, asRobot(err, dingMissingParam, "缺少参数 json"))
		return
	}
	token := c.Query("access_token")
	src, ok := s.tokens[tokenKey(KindDingTalk, token)]
	if !ok || token == "" {
		s.writeRobot(c, dingErr(dingTokenNotExist, CodeUnknownSource, "token is not exist"))
		return
	}
	c.Set(ctxKeySource, src.Name)
	ts, sign, err := s.checkDingTalkSign(src, c.Query("timestamp"), c.Query("sign"))
	if err != nil {
		s.writeRobot(c, err)
		return
	}
	if wait, ok := s.allow(c.Request.Context(), src); !ok {
		secs := setRetryAfter(c, wait)
		s.writeRobot(c, dingErr(dingSendTooFast, CodeTooManyRequests,
			fmt.Sprintf("send too fast, exceed %d times per %s, hint: 请 %d 秒后重试 (retry after %d s)", src.Limit.Rate, per(src.Limit.Period), secs, secs)))
		return
	}
	msg, err := parseDingTalk(body)
	if err != nil {
		s.writeRobot(c, err)
		return
	}
	m := &qunzhu.OutMessage{Kind: qunzhu.KindWebhook, Priority: qunzhu.KindWebhook.DefaultPriority()}
	if m.Text, err = s.prepareDingTalk(c.Request.Context(), src, msg); err != nil {
		s.writeRobot(c, err)
		return
	}
	guard := newReplayGuard(src.Name, time.UnixMilli(ts), DingTalkWindow, strconv.FormatInt(ts, 10), sign, string(body))
	var dup bool
	err = s.store.Update(c.Request.Context(), func(tx qunzhu.Tx) error {
		if _, seen, err := guard.seen(tx); err != nil || seen {
			dup = seen
			return err
		}
		g, err := s.robotGroup(tx, src)
		if err != nil {
			return asRobot(err, dingTokenNotExist, "token is not exist")
		}
		m.GroupID = g.ID
		if _, err := tx.Enqueue(m); err != nil {
			return err
		}
		return guard.remember(tx, m.ID)
	})
	if dup && err == nil {
		c.Header(HeaderStatus, StatusDuplicate)
	}
	s.writeRobot(c, err)
}

// prepareDingTalk renders the message (mentions looked up in a read-only
// transaction), refuses one that shows nothing or is too long, and masks it,
// all before the write transaction.
func (s *server) prepareDingTalk(ctx context.Context, src Source, msg *DingTalkMessage) (string, error) {
	var text string
	err := s.store.View(ctx, func(tx qunzhu.Tx) error {
		g, err := s.robotGroup(tx, src)
		if err != nil {
			return asRobot(err, dingTokenNotExist, "token is not exist")
		}
		text, err = renderDingTalk(tx, g.ID, msg)
		return err
	})
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(text) == "" {
		return "", dingErr(dingMissingParam, CodeMissingField, "缺少参数 "+msg.MsgType+", hint: 消息渲染后没有可显示的内容 (the message renders empty)")
	}
	if n := utf8.RuneCountInString(text); n > MaxTextRunes {
		return "", dingErr(dingTooLong, CodeTextTooLong, fmt.Sprintf(
			"message too long, exceed %d characters, hint: 消息过长：%d 字，最多 %d 字 (text is %d characters, limit %d)", MaxTextRunes, n, MaxTextRunes, n, MaxTextRunes))
	}
	return s.mask(text), nil
}

// checkDingTalkSign checks timestamp and sign (already URL-decoded by the
// query parser) and returns them for the replay key. A sign whose '+' became
// a space because the sender forgot to URL-encode it is still accepted:
// base64 has no spaces, so nothing else can be meant.
func (s *server) checkDingTalkSign(src Source, tsParam, sign string) (int64, string, error) {
	bad := func(msg string) error {
		return dingErr(dingSignNotMatch, CodeBadSignature, msg)
	}
	if tsParam == "" || sign == "" {
		return 0, "", bad("sign not match, hint: 缺少 timestamp 或 sign 参数 (missing timestamp or sign)")
	}
	ts, err := strconv.ParseInt(tsParam, 10, 64)
	if err != nil {
		return 0, "", dingErr(dingSignNotMatch, CodeStaleTimestamp, "invalid timestamp, hint: timestamp 须为毫秒数 (milliseconds)")
	}
	now := s.clock.Now().UnixMilli()
	if window := DingTalkWindow.Milliseconds(); ts < now-window || ts > now+window {
		return 0, "", dingErr(dingSignNotMatch, CodeStaleTimestamp,
			"invalid timestamp, hint: 与服务器时间相差超过 1 小时 (more than 1 hour from server time)")
	}
	sign = strings.ReplaceAll(strings.TrimSpace(sign), " ", "+")
	if !hmac.Equal([]byte(sign), []byte(DingTalkSign(src.Secret, ts))) {
		return 0, "", bad("sign not match")
	}
	return ts, sign, nil
}

// parseDingTalk decodes and checks a message before anything is written.
func parseDingTalk(body []byte) (*DingTalkMessage, error) {
	missing := func(what string) error {
		return dingErr(dingMissingParam, CodeMissingField, "缺少参数 json, hint: 缺少 "+what+" (missing "+what+")")
	}
	var msg DingTalkMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, dingErr(dingMissingParam, CodeBadJSON, "缺少参数 json, hint: 请求体不是合法的 JSON (bad JSON: "+jsonProblem(err)+")")
	}
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	switch msg.MsgType {
	case "text":
		if msg.Text == nil || blank(msg.Text.Content) {
			return nil, missing("text.content")
		}
	case "markdown":
		if msg.Markdown == nil || blank(msg.Markdown.Text) {
			return nil, missing("markdown.text")
		}
	case "link":
		if msg.Link == nil || blank(msg.Link.Title) || blank(msg.Link.MessageURL) {
			return nil, missing("link.title / link.messageUrl")
		}
	case "actionCard":
		if msg.ActionCard == nil || blank(msg.ActionCard.Text) {
			return nil, missing("actionCard.text")
		}
	case "feedCard":
		if msg.FeedCard == nil || len(msg.FeedCard.Links) == 0 {
			return nil, missing("feedCard.links")
		}
	case "":
		return nil, missing("msgtype")
	default:
		return nil, dingErr(dingMissingParam, CodeInvalidField,
			"缺少参数 json, hint: 不支持的 msgtype，可用 text、markdown、link、actionCard、feedCard")
	}
	if n := inputRunes(msg.fields()...); n > MaxRobotInputRunes {
		return nil, dingErr(dingTooLong, CodeTextTooLong, fmt.Sprintf(
			"message too long, exceed %d characters, hint: 消息过长：%d 字，最多 %d 字 (text is %d characters, limit %d)", MaxRobotInputRunes, n, MaxRobotInputRunes, n, MaxRobotInputRunes))
	}
	return &msg, nil
}

// fields are the message's text fields, for the bound on its size.
func (m *DingTalkMessage) fields() []string {
	var out []string
	if m.Text != nil {
		out = append(out, m.Text.Content)
	}
	if m.Markdown != nil {
		out = append(out, m.Markdown.Title, m.Markdown.Text)
	}
	if l := m.Link; l != nil {
		out = append(out, l.Title, l.Text, l.MessageURL)
	}
	if a := m.ActionCard; a != nil {
		out = append(out, a.Title, a.Text, a.SingleTitle, a.SingleURL)
		for _, b := range a.Btns {
			out = append(out, b.Title, b.ActionURL)
		}
	}
	if f := m.FeedCard; f != nil {
		for _, l := range f.Links {
			out = append(out, l.Title, l.MessageURL)
		}
	}
	if m.At != nil {
		out = append(out, m.At.AtMobiles...)
		out = append(out, m.At.AtUserIDs...)
	}
	return out
}

// renderDingTalk turns a message into the posted text: markdown made plain,
// cards as title, text and links, mentions resolved; it is masked afterwards.
func renderDingTalk(tx qunzhu.Tx, groupID int64, msg *DingTalkMessage) (string, error) {
	var text string
	switch msg.MsgType {
	case "text":
		text = msg.Text.Content
	case "markdown":
		text = plainMarkdown(msg.Markdown.Text)
	case "link":
		l := msg.Link
		text = joinLines(l.Title, plainMarkdown(l.Text), l.MessageURL)
	case "actionCard":
		a := msg.ActionCard
		text = plainMarkdown(a.Text)
		if t := strings.TrimSpace(a.Title); t != "" && !strings.Contains(text, t) {
			text = joinLines(t, text)
		}
		if a.SingleURL != "" {
			text = joinLines(text, orDefault(a.SingleTitle, "查看详情")+"："+a.SingleURL)
		}
		for _, b := range a.Btns {
			text = joinLines(text, b.Title+"："+b.ActionURL)
		}
	case "feedCard":
		var lines []string
		for i, l := range msg.FeedCard.Links {
			lines = append(lines, fmt.Sprintf("%d. %s %s", i+1, strings.TrimSpace(l.Title), l.MessageURL))
		}
		text = strings.Join(lines, "\n")
	}
	if msg.At != nil && strings.TrimSpace(text) != "" {
		r, err := mentions{idKind: qunzhu.ContactDingTalk, ids: msg.At.AtUserIDs, mobiles: msg.At.AtMobiles, all: bool(msg.At.IsAtAll)}.resolve(tx, groupID)
		if err != nil {
			return "", err
		}
		text = r.apply(text, map[string]bool{})
	}
	return text, nil
}

// joinLines joins the non-blank parts with newlines.
func joinLines(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// per names a limit's period the way DingTalk's own message does ("minute").
func per(d time.Duration) string {
	switch d {
	case time.Second:
		return "second"
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	}
	return d.String()
}
