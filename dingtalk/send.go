package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// sessionMargin keeps a sessionWebhook about to expire out of use: the
// group-send OpenAPI is the safe way then.
const sessionMargin = time.Minute

// errSessionExpired is the sessionWebhook's "session 不存在" (300001).
var errSessionExpired = errors.New("dingtalk: sessionWebhook expired")

// Session-webhook errcodes: expired, and sending too fast.
const (
	codeSessionGone = 300001
	codeTooFast     = 130101
	codeTooFastAlt  = 410100
)

// Send delivers m into its group: through the group's sessionWebhook when m
// answers someone or mentions people and the webhook is still valid (real
// @-mentions by atUserIds need it), otherwise through the group-send OpenAPI.
// A sessionWebhook that expired early falls back to the OpenAPI at once.
func (a *Adapter) Send(ctx context.Context, m *qunzhu.OutMessage) error {
	if st := a.State(); st != qunzhu.StateOnline {
		return fmt.Errorf("%w: dingtalk robot %s", qunzhu.ErrOffline, st)
	}
	chatID, err := a.chatID(ctx, m.GroupID)
	if err != nil {
		return err
	}
	if len(m.Image) > 0 {
		// Text first, then the picture, as on WeChat. A retry after a failed
		// picture repeats the text: at least once, never lost.
		if m.Text != "" {
			if err := a.sendText(ctx, m, chatID); err != nil {
				return err
			}
		}
		return a.sendPicture(ctx, chatID, m.Image)
	}
	return a.sendText(ctx, m, chatID)
}

// sendText sends m's text: by the sessionWebhook with real mentions when m
// answers someone or mentions people and the webhook is valid, else by the
// group send.
func (a *Adapter) sendText(ctx context.Context, m *qunzhu.OutMessage, chatID string) error {
	text := m.Text
	ats := append(slices.Clip(m.At), a.mentionsIn(ctx, m.GroupID, text)...)
	var atIDs []string
	atText := text
	for _, at := range ats {
		if at.UserID != "" && !slices.Contains(atIDs, at.UserID) {
			atIDs = append(atIDs, at.UserID)
			// DingTalk highlights a mention written "@userId" in the text.
			atText = strings.ReplaceAll(atText, qunzhu.Mention(at.Name), "@"+at.UserID+" ")
			atText = strings.ReplaceAll(atText, "@"+at.Name, "@"+at.UserID)
		}
	}
	if m.Kind == qunzhu.KindReply || m.Kind == qunzhu.KindNotice || len(atIDs) > 0 {
		if hook, ok := a.session(m.GroupID); ok {
			err := a.sendBySession(ctx, hook, atText, atIDs)
			if !errors.Is(err, errSessionExpired) {
				return err
			}
			a.forgetSession(m.GroupID, hook)
			a.log.Info("dingtalk: sessionWebhook expired early, using group send", "group_id", m.GroupID)
		}
	}
	// The group send has no real mentions: the names stay as written.
	return a.groupSend(ctx, chatID, "sampleText", map[string]string{"content": text})
}

// chatID is the group's openConversationId.
func (a *Adapter) chatID(ctx context.Context, groupID int64) (string, error) {
	a.mu.Lock()
	id, ok := a.chats[groupID]
	a.mu.Unlock()
	if ok {
		return id, nil
	}
	var g *qunzhu.Group
	if err := a.cfg.Store.View(ctx, func(tx qunzhu.Tx) error {
		var err error
		g, err = tx.GroupByID(groupID)
		return err
	}); err != nil {
		return "", err
	}
	if g.Platform != qunzhu.PlatformDingTalk || g.ChatID == "" {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "群「%s」不是钉钉群。", g.Name)
	}
	a.mu.Lock()
	a.chats[groupID] = g.ChatID
	a.mu.Unlock()
	return g.ChatID, nil
}

func (a *Adapter) session(groupID int64) (sessionHook, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	h, ok := a.sessions[groupID]
	return h, ok && time.Now().Add(sessionMargin).Before(h.expires)
}

func (a *Adapter) forgetSession(groupID int64, h sessionHook) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sessions[groupID] == h {
		delete(a.sessions, groupID)
	}
}

// sendBySession posts a text to a sessionWebhook. Its errors never quote
// the webhook's URL, which works as a credential for the group.
func (a *Adapter) sendBySession(ctx context.Context, h sessionHook, text string, atIDs []string) error {
	body := map[string]any{"msgtype": "text", "text": map[string]string{"content": text}}
	if len(atIDs) > 0 {
		body["at"] = map[string]any{"atUserIds": atIDs, "isAtAll": false}
	}
	status, b, err := a.post(ctx, h.url, nil, body)
	if err != nil {
		return fmt.Errorf("dingtalk session send: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("dingtalk session send: HTTP %d", status)
	}
	var res struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil // any 200 is success; the body is not promised
	}
	switch res.ErrCode {
	case 0:
		return nil
	case codeSessionGone:
		return errSessionExpired
	case codeTooFast, codeTooFastAlt:
		return fmt.Errorf("%w: dingtalk errcode %d %s", qunzhu.ErrThrottled, res.ErrCode, res.ErrMsg)
	}
	return fmt.Errorf("dingtalk session send: errcode %d %s", res.ErrCode, res.ErrMsg)
}

// groupSend posts a message (msgKey sampleText, sampleImageMsg…) through
// the robot group-send OpenAPI, refreshing the access token once if DingTalk
// says it is no longer valid.
func (a *Adapter) groupSend(ctx context.Context, chatID, msgKey string, msgParam map[string]string) error {
	param, _ := json.Marshal(msgParam)
	body := map[string]string{
		"msgParam": string(param), "msgKey": msgKey,
		"openConversationId": chatID, "robotCode": a.cfg.RobotCode,
	}
	for attempt := 0; ; attempt++ {
		tok, err := a.tokens.get(ctx)
		if err != nil {
			return err
		}
		status, b, err := a.post(ctx, a.cfg.OpenAPIHost+"/v1.0/robot/groupMessages/send", map[string]string{tokenHeader: tok}, body)
		if err != nil {
			return fmt.Errorf("dingtalk group send: %w", err)
		}
		if status == http.StatusOK {
			return nil
		}
		e := apiErr(status, b)
		if e.badToken() && attempt == 0 {
			a.tokens.invalidate(tok)
			continue
		}
		return e.mapped("dingtalk group send")
	}
}

// post sends JSON and reads the answer (at most 1 MiB). Transport errors
// are stripped of the URL.
func (a *Adapter) post(ctx context.Context, u string, headers map[string]string, body any) (int, []byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, errors.New("bad URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// writtenMentionRE finds the mentions features write: "@name" and U+2005,
// which a line's end may have trimmed; only registered names count.
var writtenMentionRE = regexp.MustCompile(`@([^@\s\x{2005}]+)`)

// mentionsIn turns the mentions written in a text into real ones: each name
// that is a registered member of the group with a DingTalk userId. Features
// write mentions the same way on every platform; only here do they notify.
func (a *Adapter) mentionsIn(ctx context.Context, groupID int64, text string) []qunzhu.At {
	found := writtenMentionRE.FindAllStringSubmatch(text, -1)
	if len(found) == 0 {
		return nil
	}
	var ats []qunzhu.At
	err := a.cfg.Store.View(ctx, func(tx qunzhu.Tx) error {
		seen := map[string]bool{}
		for _, f := range found {
			if seen[f[1]] {
				continue
			}
			seen[f[1]] = true
			m, err := tx.MemberByName(groupID, f[1])
			if err == nil && m.Identity.UserID != "" {
				ats = append(ats, qunzhu.AtMember(m))
			} else if err != nil && qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
				return err
			}
		}
		return nil
	})
	if err != nil {
		a.log.Warn("dingtalk: resolve mentions", "group_id", groupID, "err", err)
	}
	return ats
}
