package commands

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// bindCodeRef tags the private message that carries a member's code, so the
// sender's Failed hook can put the code on the login page instead.
const bindCodeRef = "bindcode:"

// issueBindCode stores a fresh code for member, valid for the configured TTL
// from now, and returns it with the group's reply. The code itself goes only
// to the owner or admin who asked for it (issuer), privately: nobody else in
// the group ever sees it. A clash with a live code is retried with a new one.
func (r *Router) issueBindCode(req *Request, m *qunzhu.Member, note string) (string, error) {
	issuer := req.Member()
	if issuer == nil {
		return "", errUnbound
	}
	tx, now := req.Tx, req.Now
	const attempts = 5
	var bc *qunzhu.BindCode
	for range attempts {
		code, err := randomCode(r.cfg.Random)
		if err != nil {
			return "", fmt.Errorf("bind code: %w", err)
		}
		bc = &qunzhu.BindCode{Code: code, MemberID: m.ID, ExpiresAt: now.Add(r.cfg.BindCodeTTL), IssuedBy: issuer.ID}
		err = tx.CreateBindCode(bc)
		if qunzhu.ErrorCode(err) == qunzhu.ECONFLICT {
			bc = nil
			continue
		} else if err != nil {
			return "", err
		}
		break
	}
	if bc == nil {
		return "", fmt.Errorf("bind code: %d clashes in a row", attempts)
	}
	ttl := chineseDuration(r.cfg.BindCodeTTL)
	g, err := tx.GroupByID(m.GroupID)
	if err != nil {
		return "", err
	}
	private := fmt.Sprintf("【认证码】%s（%s，%s）在「%s」的认证码：%s\n%s内有效，只能用一次。请只转交%s本人，由本人在群里或私聊我发送：/认证 %s\n不要发到群里：看到认证码的人就能冒充%s。",
		m.Name, m.Unit, m.Role.Chinese(), g.Name, bc.Code, ttl, m.Name, bc.Code, m.Name)
	if _, err := tx.Enqueue(&qunzhu.OutMessage{
		GroupID: m.GroupID, ToMember: issuer.ID, Kind: qunzhu.KindReply, Text: private,
		Ref: bindCodeRef + strconv.FormatInt(m.ID, 10), NotBefore: now,
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s认证码已私信发给%s（收不到私信时请到登录页查看），请转交%s本人，在本群或私聊机器人发送 /认证 <认证码>（%s内有效）。",
		note, issuer.Name, m.Name, ttl), nil
}

// CodeUndelivered is the outbox sender's Failed hook for private messages
// that carried a one-time code: when no private chat with the owner was
// possible, the code is shown on the token-protected login page instead, and
// the owner is told so in the group (without the code). Other messages are
// ignored.
func CodeUndelivered(ctx context.Context, store qunzhu.Store, m *qunzhu.OutMessage) error {
	idText, ok := strings.CutPrefix(m.Ref, bindCodeRef)
	if !ok || m.ToMember == 0 {
		return nil
	}
	memberID, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil
	}
	return store.Update(ctx, func(tx qunzhu.Tx) error {
		if err := tx.ShowBindCodeOnPage(memberID); err != nil {
			return err
		}
		issuer, err := tx.MemberByID(m.ToMember)
		if err != nil {
			return err
		}
		_, err = tx.Enqueue(&qunzhu.OutMessage{
			GroupID: m.GroupID, Kind: qunzhu.KindReply,
			Text:     Mention(issuer.Name) + "认证码没能私信发给你（机器人还不是你的好友？），请到登录页查看。",
			At:       []qunzhu.At{qunzhu.AtMember(issuer)},
			DedupKey: fmt.Sprintf("bindcode-undelivered:%d", m.ID),
		})
		return err
	})
}

// randomCode reads six uniformly distributed decimal digits from rnd, rejecting
// the top of the uint32 range so no code is likelier than another.
func randomCode(rnd io.Reader) (string, error) {
	const limit = (1 << 32) / 1_000_000 * 1_000_000
	var buf [4]byte
	for {
		if _, err := io.ReadFull(rnd, buf[:]); err != nil {
			return "", err
		}
		if n := binary.BigEndian.Uint32(buf[:]); n < limit {
			return fmt.Sprintf("%06d", n%1_000_000), nil
		}
	}
}

// chineseDuration writes a TTL the way the reply says it: "2小时", "30分钟",
// "1小时30分钟", "1天".
func chineseDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d天", d/(24*time.Hour))
	}
	var b strings.Builder
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%d小时", h)
	}
	if m := d % time.Hour / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%d分钟", m)
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "%d秒", d/time.Second)
	}
	return b.String()
}
