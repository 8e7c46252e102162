package commands

import (
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

const exampleBind = "/认证 482913"

// badCode is the one answer for a code that is unknown, expired, used, meant
// for a group the sender is not in, or held by someone already bound as
// another member: telling these apart would help someone guessing codes.
const badCode = "认证码无效或已过期。请核对后重发；过期了请找登记你的群主或管理员重新生成。"

// handleBind (/认证) links the sender's identity to the member a code was
// issued for. The code is the proof: it was delivered privately to the owner
// or admin who registered the member, so nobody else has seen it. It may be
// sent in the group or in a private chat with the bot. Every wrong attempt is
// committed (not rolled back) and counts against the live codes of the
// group; three destroy them, so nobody gets more than three guesses at a
// code. Every bind is announced in the group, so a wrong one is seen at once.
func handleBind(req *Request) (string, error) {
	code := strings.ReplaceAll(strings.Join(req.Cmd.Args, ""), "-", "")
	switch {
	case code == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请在 /认证 后面写上认证码。例：%s", exampleBind)
	case !isBindCode(code):
		return "", qunzhu.Errorf(qunzhu.EINVALID, "认证码是6位数字。例：%s", exampleBind)
	}
	tx, in := req.Tx, req.In
	bc, err := tx.FindBindCode(code)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return bindFailed(req, 0)
	} else if err != nil {
		return "", err
	}
	m, err := tx.MemberByID(bc.MemberID)
	if err != nil {
		return "", err
	}
	sender, ok := senderIn(in, m.GroupID)
	if !ok {
		return bindFailed(req, m.GroupID)
	}
	cur, err := boundAs(tx, m.GroupID, sender)
	if err != nil {
		return "", err
	}
	if cur != nil && cur.ID != m.ID {
		return bindFailed(req, m.GroupID)
	}
	if _, err := tx.TakeBindCode(code); err != nil {
		return "", err
	}
	if err := tx.BindMember(m.ID, sender); err != nil {
		return "", err
	}
	announce := fmt.Sprintf("【认证】%s 已认证，角色 %s（%s）。如果不是本人，请群主发送 /成员 解绑 %s。",
		m.Name, m.Role.Chinese(), m.Unit, m.Name)
	if !in.Private && in.GroupID == m.GroupID {
		return announce, nil
	}
	if _, err := tx.Enqueue(&qunzhu.OutMessage{
		GroupID: m.GroupID, Kind: qunzhu.KindAlert, Text: announce, NotBefore: req.Now,
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("认证成功：%s（%s，%s）。", m.Name, m.Unit, m.Role.Chinese()), nil
}

// bindFailed counts one wrong attempt against the live codes of the group it
// was made in (of every group for a private chat) and of the group of a code
// that was presented by the wrong person, then gives the neutral answer. The
// reply commits, so the count holds.
func bindFailed(req *Request, codeGroup int64) (string, error) {
	scope := req.In.GroupID
	if req.In.Private {
		scope = 0
	}
	if _, err := req.Tx.FailBindCodes(scope, qunzhu.BindCodeMaxFailures); err != nil {
		return "", err
	}
	if codeGroup != 0 && scope != 0 && codeGroup != scope {
		if _, err := req.Tx.FailBindCodes(codeGroup, qunzhu.BindCodeMaxFailures); err != nil {
			return "", err
		}
	}
	return badCode, nil
}

// senderIn is the sender's identity in group groupID: the group message's
// sender if it was sent there, the adapter's lookup for a private message.
func senderIn(in *qunzhu.Inbound, groupID int64) (qunzhu.Identity, bool) {
	if !in.Private {
		return in.Sender, in.GroupID == groupID
	}
	if in.InGroup == nil {
		return qunzhu.Identity{}, false
	}
	return in.InGroup(groupID)
}

// boundAs is the member the identity is already bound to in groupID, if any,
// so one identity can never hold two members of a group.
func boundAs(tx qunzhu.Tx, groupID int64, id qunzhu.Identity) (*qunzhu.Member, error) {
	if id.SessionKey == "" {
		return nil, nil
	}
	m, err := tx.MemberBySession(groupID, id.SessionKey)
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
