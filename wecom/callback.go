package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// callback is a decrypted smart-robot callback, the fields qunzhu reads.
type callback struct {
	MsgID    string `json:"msgid"`
	AIBotID  string `json:"aibotid"`
	ChatID   string `json:"chatid"`
	ChatType string `json:"chattype"`
	From     struct {
		UserID string `json:"userid"`
	} `json:"from"`
	CreateTime  int64  `json:"create_time"`
	ResponseURL string `json:"response_url"`
	MsgType     string `json:"msgtype"`
	Text        struct {
		Content string `json:"content"`
	} `json:"text"`
	Image struct {
		URL string `json:"url"`
	} `json:"image"`
	Mixed struct {
		Items []struct {
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
			Image struct {
				URL string `json:"url"`
			} `json:"image"`
		} `json:"msg_item"`
	} `json:"mixed"`
}

// CallbackHandler is the smart robot's callback URL: GET answers WeCom's URL
// check, POST takes a message. A request whose signature, ciphertext or
// receive id is wrong is refused and changes nothing. Every accepted message
// is answered with an empty body: the reply goes through the outbox to the
// message's response_url, because a command's reply is written in the same
// transaction as its changes and sent under the governor like any message.
func (a *Adapter) CallbackHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			a.verifyURL(w, r)
		case http.MethodPost:
			a.receive(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// verifyURL answers WeCom's check when an admin saves the callback URL: the
// bare plaintext of echostr, nothing around it.
func (a *Adapter) verifyURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	echo := q.Get("echostr")
	if echo == "" || !a.crypto.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), echo) {
		a.log.Warn("wecom: URL check with a bad signature refused", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	plain, err := a.crypto.Decrypt(echo)
	if err != nil {
		a.log.Warn("wecom: URL check cannot be decrypted", "err", err)
		http.Error(w, "cannot decrypt echostr", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(plain)
}

// receive takes one message callback.
func (a *Adapter) receive(w http.ResponseWriter, r *http.Request) {
	var env struct {
		Encrypt string `json:"encrypt"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err == nil {
		err = json.Unmarshal(body, &env)
	}
	if err != nil || env.Encrypt == "" {
		http.Error(w, "body must be JSON {\"encrypt\": …} of at most 1 MiB", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	if !a.crypto.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
		a.log.Warn("wecom: callback with a bad signature refused", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if !fresh(q.Get("timestamp")) {
		// Signed, but too old to be a delivery: a replay of a captured
		// callback, which the inbox may have forgotten by now.
		a.log.Warn("wecom: callback with a stale timestamp refused", "remote", r.RemoteAddr)
		http.Error(w, "stale timestamp", http.StatusForbidden)
		return
	}
	plain, err := a.crypto.Decrypt(env.Encrypt)
	if err != nil {
		a.log.Warn("wecom: callback cannot be decrypted", "err", err)
		http.Error(w, "cannot decrypt", http.StatusBadRequest)
		return
	}
	var cb callback
	if err := json.Unmarshal(plain, &cb); err != nil || cb.MsgID == "" {
		http.Error(w, "decrypted message is not a WeCom message", http.StatusBadRequest)
		return
	}
	if a.cfg.BotID != "" && cb.AIBotID != a.cfg.BotID {
		a.log.Warn("wecom: callback for another robot refused", "aibotid", cb.AIBotID)
		http.Error(w, "callback for another robot", http.StatusForbidden)
		return
	}
	if err := a.handle(r.Context(), &cb); err != nil {
		a.log.Error("wecom: handle callback", "msg_id", cb.MsgID, "err", err)
		// WeCom redelivers an unanswered message; the inbox makes that safe.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK) // empty body: no passive reply
}

// handle turns a group @-message into Inbounds for the handler, once per msgid.
func (a *Adapter) handle(ctx context.Context, cb *callback) error {
	if cb.ChatType != "group" || cb.ChatID == "" {
		a.log.Debug("wecom: not a group message, ignored", "msgtype", cb.MsgType, "chattype", cb.ChatType)
		return nil
	}
	switch cb.MsgType {
	case "text", "mixed", "image":
	default:
		return nil // events, stream refreshes: nothing to do
	}
	var g *qunzhu.Group
	var m *qunzhu.Member
	err := a.cfg.Store.View(ctx, func(tx qunzhu.Tx) error {
		var err error
		if g, err = tx.GroupByChatID(qunzhu.PlatformWeCom, cb.ChatID); err != nil {
			return err
		}
		m, err = tx.MemberBySession(g.ID, cb.From.UserID)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return nil
		}
		return err
	})
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND && g == nil {
		// The chatid is what an admin needs to register the group.
		a.log.Info("wecom: message from a group that is not registered; add its chat_id to the wecom section to use it", "chat_id", cb.ChatID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load group and sender: %w", err)
	}
	if cb.ResponseURL != "" && !a.sameHost(cb.ResponseURL) {
		cb.ResponseURL = "" // never post replies to a host that is not WeCom's
	}
	handled, err := a.cfg.Inbox.ReceiveWeCom(ctx, cb.MsgID, cb.ChatID, cb.ResponseURL)
	if err != nil {
		return fmt.Errorf("record callback: %w", err)
	}
	if handled {
		a.log.Info("wecom: redelivered message ignored", "msg_id", cb.MsgID, "group_id", g.ID)
		return nil
	}
	for _, in := range a.inbounds(cb, g, m) {
		a.cfg.Handler(ctx, in)
	}
	return a.cfg.Inbox.HandledWeCom(ctx, cb.MsgID)
}

// maxCallbackAge bounds how old a signed callback's timestamp may be. WeCom
// redelivers within minutes; the inbox remembers msgids for keepInbound, far
// longer, so a replayed callback is refused either way.
const maxCallbackAge = 24 * time.Hour

// fresh reports whether a callback's timestamp (Unix seconds) is within
// maxCallbackAge of the wall clock: the platform's clock, not the domain's,
// which the demo moves forward.
func fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := time.Since(time.Unix(sec, 0))
	return d < maxCallbackAge && d > -maxCallbackAge
}

// mentionRE finds "@name" in WeCom text, ended by any space (WeCom clients
// write a plain space after a mention) or U+2005.
var mentionRE = regexp.MustCompile(`@([^@\s\x{2005}]+)`)

// inbounds converts a callback: a text is one Inbound, a mixed message one
// per part in order (text, then pictures, which is how 交作业 takes a report
// followed by its photo). Parts after the first get "#n" after the msgid.
func (a *Adapter) inbounds(cb *callback, g *qunzhu.Group, m *qunzhu.Member) []*qunzhu.Inbound {
	at := a.clock.Now()
	if cb.CreateTime > 0 {
		at = time.Unix(cb.CreateTime, 0)
	}
	sender := qunzhu.Identity{SessionKey: cb.From.UserID, UserID: cb.From.UserID, NickName: cb.From.UserID}
	if m != nil {
		sender.DisplayName = m.Name
	}
	base := func(n int) *qunzhu.Inbound {
		id := cb.MsgID
		if n > 0 {
			id = fmt.Sprintf("%s#%d", cb.MsgID, n+1)
		}
		return &qunzhu.Inbound{ID: id, Platform: qunzhu.PlatformWeCom, GroupID: g.ID, GroupName: g.Name,
			Sender: sender, Member: m, AtBot: true, At: at}
	}
	text := func(in *qunzhu.Inbound, s string) *qunzhu.Inbound {
		in.Text = strings.TrimSpace(s)
		for _, mm := range mentionRE.FindAllStringSubmatch(in.Text, -1) {
			in.Mentions = append(in.Mentions, mm[1])
		}
		return in
	}
	image := func(in *qunzhu.Inbound, url string) *qunzhu.Inbound {
		in.IsImage = true
		in.Image = func(ctx context.Context) ([]byte, error) { return a.download(ctx, url) }
		return in
	}
	switch cb.MsgType {
	case "text":
		return []*qunzhu.Inbound{text(base(0), cb.Text.Content)}
	case "image":
		return []*qunzhu.Inbound{image(base(0), cb.Image.URL)}
	}
	var out []*qunzhu.Inbound
	for _, it := range cb.Mixed.Items {
		switch it.MsgType {
		case "text":
			out = append(out, text(base(len(out)), it.Text.Content))
		case "image":
			out = append(out, image(base(len(out)), it.Image.URL))
		}
	}
	return out
}

// download fetches and decrypts a callback's picture (its URL lives 5 min).
func (a *Adapter) download(ctx context.Context, url string) ([]byte, error) {
	if !a.sameHost(url) {
		return nil, errors.New("wecom: picture URL is not on the WeCom API host")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, errors.New("wecom: bad picture URL")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wecom: download picture: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wecom: download picture: HTTP %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxMediaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("wecom: download picture: %w", err)
	}
	if len(raw) > maxMediaBytes {
		return nil, fmt.Errorf("wecom: picture larger than %d bytes", maxMediaBytes)
	}
	return a.crypto.DecryptMedia(raw)
}

// sameHost reports whether u is on the configured API host, so a reply or a
// download never goes anywhere else.
func (a *Adapter) sameHost(u string) bool {
	return strings.HasPrefix(u, a.cfg.APIBase+"/")
}
