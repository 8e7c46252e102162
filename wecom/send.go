package wecom

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Errcodes of the group robot webhook that change what the sender does.
const (
	errInvalidKey = 93000  // invalid webhook url: the key is wrong or revoked
	errFreq       = 45009  // api freq out of limit (20 a minute per robot)
	errTooFast    = 130101 // "send too fast", seen in the wild for the same limit
)

// Send delivers one outbox message to its WeCom group. A reply to a command
// goes to the command's response_url while it is valid (it then quotes the
// question); everything else, and a reply whose URL is spent, goes through
// the group's robot webhook as text with real mentions (mentioned_list).
// Errors: ErrThrottled for WeCom's rate limit, ErrGroupUnavailable for a
// group without a usable robot key, other errors are retried by the sender.
func (a *Adapter) Send(ctx context.Context, m *qunzhu.OutMessage) error {
	var (
		g          *qunzhu.Group
		ids        []string
		leadIsSelf bool
	)
	err := a.cfg.Store.View(ctx, func(tx qunzhu.Tx) error {
		var err error
		if g, err = tx.GroupByID(m.GroupID); err != nil {
			return err
		}
		ids, leadIsSelf, err = mentionIDs(tx, g.ID, m)
		return err
	})
	if err != nil {
		return err
	}
	if g.Platform != qunzhu.PlatformWeCom {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "群「%s」不在企业微信上。", g.Ref())
	}
	text := m.Text
	// A reply that mentions only its asker quotes the question through
	// response_url; one that names others (a 督办 assignee) goes through the
	// robot, whose mentioned_list is the documented way to notify them.
	others := len(ids)
	if leadIsSelf {
		others--
	}
	if msgID, ok := strings.CutPrefix(m.DedupKey, "reply:"); ok && text != "" && others == 0 {
		sent, err := a.replyByURL(ctx, msgID, text)
		if err != nil {
			return err
		}
		if sent {
			text = ""
		}
	}
	if text == "" && len(m.Image) == 0 {
		return nil
	}
	key := a.cfg.Robots[g.ChatID]
	if key == "" {
		return fmt.Errorf("%w: no group robot key is configured for %s", qunzhu.ErrGroupUnavailable, g.Ref())
	}
	for i, part := range splitText(text, maxTextBytes) {
		body := map[string]any{"msgtype": "text", "text": map[string]any{"content": part}}
		if i == 0 && len(ids) > 0 {
			body["text"].(map[string]any)["mentioned_list"] = ids
		}
		if err := a.robotSend(ctx, g, key, body); err != nil {
			return err
		}
	}
	if len(m.Image) > 0 {
		if len(m.Image) > maxImageBytes {
			return qunzhu.Errorf(qunzhu.ENOTFOUND, "图片超过企业微信群机器人的 2 MB 上限，无法发送。")
		}
		sum := md5.Sum(m.Image)
		body := map[string]any{"msgtype": "image", "image": map[string]string{
			"base64": base64.StdEncoding.EncodeToString(m.Image), "md5": hex.EncodeToString(sum[:])}}
		if err := a.robotSend(ctx, g, key, body); err != nil {
			return err
		}
	}
	return nil
}

// replyByURL posts text to the response_url of msgID (or of its first part,
// "msgid#2" → "msgid") if it is still usable. sent is false when there is no
// usable URL, so the caller falls back to the group robot.
func (a *Adapter) replyByURL(ctx context.Context, msgID, text string) (sent bool, err error) {
	msgID, _, _ = strings.Cut(msgID, "#")
	u, ok, err := a.cfg.Inbox.WeComResponseURL(ctx, msgID, a.clock.Now().Add(-responseURLTTL))
	if err != nil || !ok {
		return false, err
	}
	if len(text) > maxReplyBytes {
		return false, nil // too long for one reply: the robot splits it
	}
	code, msg, status, err := a.post(ctx, u, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": text}})
	if err != nil {
		return false, err // the URL may still work: retry
	}
	// Used or refused, the URL is spent: mark it so a retry takes the robot.
	if uerr := a.cfg.Inbox.UsedWeComResponseURL(ctx, msgID); uerr != nil {
		return false, uerr
	}
	if status != http.StatusOK || code != 0 {
		a.log.Warn("wecom: response_url refused the reply, sending through the group robot", "msg_id", msgID, "status", status, "errcode", code, "errmsg", msg)
		return false, nil
	}
	return true, nil
}

// robotSend posts one message to the group's robot webhook.
func (a *Adapter) robotSend(ctx context.Context, g *qunzhu.Group, key string, body any) error {
	u := a.cfg.APIBase + "/cgi-bin/webhook/send?key=" + url.QueryEscape(key)
	code, msg, status, err := a.post(ctx, u, body)
	switch {
	case err != nil:
		return fmt.Errorf("wecom group robot of %s: %w", g.Ref(), err)
	case status >= 500:
		return fmt.Errorf("wecom group robot of %s: HTTP %d", g.Ref(), status)
	case code == errFreq || code == errTooFast || status == http.StatusTooManyRequests:
		return fmt.Errorf("%w: WeCom group robot of %s: errcode %d", qunzhu.ErrThrottled, g.Ref(), code)
	case code == errInvalidKey:
		return fmt.Errorf("%w: the group robot key of %s is invalid (errcode 93000); check wecom.groups", qunzhu.ErrGroupUnavailable, g.Ref())
	case status != http.StatusOK:
		return fmt.Errorf("wecom group robot of %s: HTTP %d", g.Ref(), status)
	case code != 0:
		return fmt.Errorf("wecom group robot of %s: errcode %d: %s", g.Ref(), code, msg)
	}
	return nil
}

// post sends JSON and reads WeCom's {"errcode","errmsg"}. Errors never carry
// the URL: it holds the robot key or the response code.
func (a *Adapter) post(ctx context.Context, u string, body any) (code int, msg string, status int, err error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, "", 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return 0, "", 0, errors.New("bad WeCom URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, "", 0, unwrapURL(err)
	}
	defer resp.Body.Close()
	var r struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(rb, &r); err != nil && resp.StatusCode == http.StatusOK {
		return 0, "", resp.StatusCode, errors.New("WeCom answered something that is not JSON")
	}
	return r.ErrCode, r.ErrMsg, resp.StatusCode, nil
}

// unwrapURL drops the URL (with its key) from an http.Client error.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// mentionIDs are the userids a message mentions: the feature's At list and
// the members of the group whose names the text mentions ("@name" + U+2005),
// so every feature's mentions notify on WeCom without knowing it. leadIsSelf
// reports that the mention opening the text (the asker a reply is addressed
// to) is mentioned only there.
func mentionIDs(tx qunzhu.Tx, groupID int64, m *qunzhu.OutMessage) (ids []string, leadIsSelf bool, err error) {
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	lead := "" // the userid of the mention that opens the text
	for _, at := range m.At {
		add(at.UserID)
		if lead == "" && at.UserID != "" && strings.HasPrefix(m.Text, qunzhu.Mention(at.Name)) {
			lead = at.UserID
		}
	}
	inText := map[string]int{} // how often the text mentions each userid
	if strings.Contains(m.Text, "@") {
		members, err := tx.Members(groupID)
		if err != nil {
			return nil, false, err
		}
		for _, mm := range mentionRE.FindAllStringSubmatchIndex(m.Text, -1) {
			name := m.Text[mm[2]:mm[3]]
			for _, mem := range members {
				id := mem.Identity.UserID
				if id == "" || (mem.Name != name && mem.Identity.Name() != name) {
					continue
				}
				if mm[0] == 0 && lead == "" {
					lead = id
				}
				inText[id]++
				add(id)
			}
		}
	}
	return ids, lead != "" && inText[lead] <= 1, nil
}

// splitText cuts text into parts of at most max bytes, at line ends where it
// can and never inside a character.
func splitText(text string, max int) []string {
	var parts []string
	text = strings.TrimRight(text, "\n")
	for len(text) > max {
		cut := strings.LastIndexByte(text[:max], '\n')
		if cut <= 0 {
			cut = max
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		parts = append(parts, strings.TrimRight(text[:cut], "\n"))
		text = strings.TrimLeft(text[cut:], "\n")
	}
	if text != "" {
		parts = append(parts, text)
	}
	return parts
}
