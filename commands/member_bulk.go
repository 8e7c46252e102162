package commands

import (
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// Registering a real-name group of a hundred people one message at a time is
// not how an office works: "/成员 添加 单位=区房管局 马骏 赵磊 钱芳" registers
// the three with one unit and role. Each one-time code goes privately to the
// owner or admin who registered them (issueBindCode), never into the group.

// maxBulkAdd bounds one message's registrations, so the reply still fits a
// phone screen.
const maxBulkAdd = 20

const exampleAddMany = "/成员 添加 单位=区房管局 马骏 赵磊 钱芳"

// addMembers registers several names (rest, in order) with the unit and role
// of kv. Names already registered are skipped and said so; a bad name or too
// many names refuse the whole message.
func addMembers(req *Request, kv map[string]string, rest []string) (string, error) {
	if len(rest) > maxBulkAdd {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "一次最多登记%d人，请分几条发送。例：%s", maxBulkAdd, exampleAddMany)
	}
	names := make([]string, 0, len(rest))
	for _, r := range rest {
		name, err := memberName(r)
		if err != nil {
			return "", err
		}
		if !contains(names, name) {
			names = append(names, name)
		}
	}
	unit, roleWord, userID, err := memberFields(kv, strings.Join(names, "、"))
	if err != nil {
		return "", err
	}
	if userID != "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "账号= 只能跟一个人：一次登记一人。例：/成员 添加 张三 单位=市城管委 账号=zhangsan")
	}
	role, ok := qunzhu.ParseRole(roleWord)
	if !ok {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "不认识角色「%s」：可以写 成员、管理员 或 群主。例：%s", roleWord, exampleAddMany)
	}
	if role.AtLeast(qunzhu.RoleAdmin) {
		if err := req.Require(qunzhu.RoleOwner, "登记"+role.Chinese()); err != nil {
			return "", err
		}
	}
	tx, groupID := req.Tx, req.In.GroupID
	var added, already []string
	for _, name := range names {
		if old, err := tx.MemberByName(groupID, name); err == nil {
			already = append(already, fmt.Sprintf("%s（%s）", old.Name, old.Unit))
			continue
		} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			return "", err
		}
		m := &qunzhu.Member{GroupID: groupID, Name: name, Unit: unit, Role: role}
		if err := tx.CreateMember(m); err != nil {
			return "", err
		}
		if _, err := req.Router.issueBindCode(req, m, ""); err != nil {
			return "", err
		}
		added = append(added, m.Name)
	}
	var b strings.Builder
	if len(added) > 0 {
		fmt.Fprintf(&b, "已登记%s%d人（%s）：%s。每人的认证码已分别私信发给%s，请转交本人，在本群或私聊机器人发送 /认证 <认证码>（%s内有效）。",
			unit, len(added), role.Chinese(), strings.Join(added, "、"), req.Member().Name,
			chineseDuration(req.Router.cfg.BindCodeTTL))
	}
	if len(already) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "已经登记过，没有改动：%s。需要新认证码请发送：%s", strings.Join(already, "、"), exampleCode)
	}
	return b.String(), nil
}
