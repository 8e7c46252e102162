package commands

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

const exampleBind = "/认证 482913"

// errBadCode is the one answer for a code that is unknown, expired, used or
// from another group: telling them apart would help someone guessing codes.
var errBadCode = qunzhu.Errorf(qunzhu.ENOTFOUND,
	"认证码无效或已过期。请核对后重发，例：%s；过期了请找群主或管理员用 %s 重新生成。", exampleBind, exampleCode)

// handleBind (/认证) links the sender's WeChat identity to the member a code was
// issued for. Both must hold: the code (which proves an owner or admin meant
// this member) and the sender's display name being the registered name (so a
// code read by the whole group is not enough). Every refusal returns an
// *qunzhu.Error, which rolls back the TakeBindCode: a code is only used up by
// the person it was meant for.
func handleBind(req *Request) (string, error) {
	code := strings.ReplaceAll(strings.Join(req.Cmd.Args, ""), "-", "")
	switch {
	case code == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请在 /认证 后面写上认证码。例：%s", exampleBind)
	case !isBindCode(code):
		return "", qunzhu.Errorf(qunzhu.EINVALID, "认证码是6位数字。例：%s", exampleBind)
	}
	tx, in := req.Tx, req.In
	bc, err := tx.TakeBindCode(code)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return "", errBadCode
	} else if err != nil {
		return "", err
	}
	m, err := tx.MemberByID(bc.MemberID)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND || (err == nil && m.GroupID != in.GroupID) {
		return "", errBadCode
	} else if err != nil {
		return "", err
	}
	if !qunzhu.ShownAs(m, in.Sender.Name()) {
		return "", qunzhu.Errorf(qunzhu.EFORBIDDEN,
			"这个认证码是发给「%s」的，请本人发送。如果你就是%s，请先把群昵称改成「%s」或「%s %s」再发送。",
			m.Name, m.Name, m.Name, m.Unit, m.Name)
	}
	cur, err := currentMember(req)
	if err != nil {
		return "", err
	}
	if cur != nil && cur.ID != m.ID {
		return "", qunzhu.Errorf(qunzhu.ECONFLICT,
			"你已经认证为「%s」，不能再认证为「%s」。", cur.Name, m.Name)
	}
	if err := tx.BindMember(m.ID, in.Sender); err != nil {
		return "", err
	}
	return fmt.Sprintf("认证成功：%s（%s，%s）。", m.Name, m.Unit, m.Role.Chinese()), nil
}

// currentMember is the member the sender is already bound to in this group, if
// any. The adapter's lookup (In.Member) is preferred; the store is asked too,
// so one WeChat identity can never hold two members of a group.
func currentMember(req *Request) (*qunzhu.Member, error) {
	if m := req.Member(); m != nil {
		return m, nil
	}
	key := req.In.Sender.SessionKey
	if key == "" {
		return nil, nil
	}
	m, err := req.Tx.MemberBySession(req.In.GroupID, key)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !m.Bound {
		return nil, nil
	}
	return m, nil
}

// isBindCode reports whether s has the shape of a code: six ASCII digits.
func isBindCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// issueBindCode stores a fresh code for member, valid for the configured TTL
// from now. A clash with a live code is retried with a new one.
func (r *Router) issueBindCode(tx qunzhu.Tx, memberID int64, now time.Time) (*qunzhu.BindCode, error) {
	const attempts = 5
	for range attempts {
		code, err := randomCode(r.cfg.Random)
		if err != nil {
			return nil, fmt.Errorf("bind code: %w", err)
		}
		bc := &qunzhu.BindCode{Code: code, MemberID: memberID, ExpiresAt: now.Add(r.cfg.BindCodeTTL)}
		err = tx.CreateBindCode(bc)
		if qunzhu.ErrorCode(err) == qunzhu.ECONFLICT {
			continue
		} else if err != nil {
			return nil, err
		}
		return bc, nil
	}
	return nil, fmt.Errorf("bind code: %d clashes in a row", attempts)
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
