package commands

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Examples shown with every refusal of a /成员 command, so the reply says how
// to type it right.
const (
	exampleAdd      = "/成员 添加 张三 单位=市城管委"
	exampleAddAdmin = "/成员 添加 张三 单位=市城管委 角色=管理员"
	exampleCode     = "/成员 认证码 张三"
	maxNameRunes    = 32
)

// handleMemberAdd registers a member (成员) of this group with a unit (单位) and
// a role, and hands out the one-time code they bind their WeChat identity with.
// Only an owner may create owners and admins: otherwise an admin could register
// a second "admin" under a name they then take on themselves.
func handleMemberAdd(req *Request) (string, error) {
	kv, rest := KeyValues(req.Cmd.Args)
	if len(rest) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上要登记的名字和单位。例：%s", exampleAdd)
	}
	if len(rest) > 1 {
		if _, ok := kv["单位"]; ok || kv["unit"] != "" || kv["部门"] != "" {
			return addMembers(req, kv, rest) // several people of one unit
		}
		return "", qunzhu.Errorf(qunzhu.EINVALID,
			"看不懂「%s」：单位和角色请写成 单位=… 角色=…。例：%s", strings.Join(rest[1:], " "), exampleAddAdmin)
	}
	name, err := memberName(rest[0])
	if err != nil {
		return "", err
	}
	unit, roleWord, userID, err := memberFields(kv, name)
	if err != nil {
		return "", err
	}
	role, ok := qunzhu.ParseRole(roleWord)
	if !ok {
		return "", qunzhu.Errorf(qunzhu.EINVALID,
			"不认识角色「%s」：可以写 成员、管理员 或 群主。例：%s", roleWord, exampleAddAdmin)
	}
	if role.AtLeast(qunzhu.RoleAdmin) {
		if err := req.Require(qunzhu.RoleOwner, "登记"+role.Chinese()); err != nil {
			return "", err
		}
	}

	if req.In.Platform.StableIDs() {
		return addByUserID(req, name, unit, userID, role)
	}
	tx, groupID := req.Tx, req.In.GroupID
	if old, err := tx.MemberByName(groupID, name); err == nil {
		return "", errAlreadyRegistered(old)
	} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		return "", err
	}
	if userID != "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "微信没有固定账号，不能写 账号=。登记后请本人发送 /认证 认证码。例：%s", exampleAdd)
	}
	m := &qunzhu.Member{GroupID: groupID, Name: name, Unit: unit, Role: role}
	if err := tx.CreateMember(m); qunzhu.ErrorCode(err) == qunzhu.ECONFLICT {
		return "", errAlreadyRegistered(m)
	} else if err != nil {
		return "", err
	}
	return req.Router.issueBindCode(req, m, fmt.Sprintf("已登记 %s（%s，%s）。", m.Name, m.Unit, m.Role.Chinese()))
}

// memberName checks a name as typed after "/成员 添加". A leading "@" is dropped
// because people naturally mention the colleague they are registering.
func memberName(s string) (string, error) {
	name := strings.TrimLeft(s, "@＠")
	switch {
	case name == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上要登记的名字。例：%s", exampleAdd)
	case utf8.RuneCountInString(name) > maxNameRunes:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "名字太长了（最多%d个字）。例：%s", maxNameRunes, exampleAdd)
	case strings.ContainsAny(name, "=:/"):
		return "", qunzhu.Errorf(qunzhu.EINVALID, "名字写在最前面，单位写成 单位=…。例：%s", exampleAdd)
	}
	return name, nil
}

// memberFields reads 单位=, 角色= and 账号= (or their English and near-synonym
// keys) and refuses any other key, so a typo is not silently dropped.
func memberFields(kv map[string]string, name string) (unit, role, userID string, err error) {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch k {
		case "单位", "部门", "unit":
			unit = kv[k]
		case "角色", "身份", "role":
			role = kv[k]
		case "账号", "帐号", "userid", "user_id":
			userID = kv[k]
		default:
			return "", "", "", qunzhu.Errorf(qunzhu.EINVALID,
				"不认识「%s=」：可以写 单位= 和 角色=。例：%s", k, exampleAddAdmin)
		}
	}
	if unit == "" {
		return "", "", "", qunzhu.Errorf(qunzhu.EINVALID,
			"请写上%s的单位。例：/成员 添加 %s 单位=市城管委", name, name)
	}
	return unit, role, userID, nil
}

// errAlreadyRegistered points to /成员 认证码, which is what an owner who
// re-types /成员 添加 for a colleague whose code expired actually needs.
func errAlreadyRegistered(m *qunzhu.Member) error {
	return qunzhu.Errorf(qunzhu.ECONFLICT,
		"「%s」已经登记过了（%s，%s）。需要新的认证码请发送：/成员 认证码 %s",
		m.Name, m.Unit, m.Role.Chinese(), m.Name)
}

// handleMemberCode issues a fresh bind code for a registered member: the only
// way forward when a code expired or someone changed WeChat accounts. The same
// owner-only rule as for adding protects owners and admins.
func handleMemberCode(req *Request) (string, error) {
	if len(req.Cmd.Args) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上成员的名字。例：%s", exampleCode)
	}
	if len(req.Cmd.Args) > 1 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "一次只能给一个人生成认证码。例：%s", exampleCode)
	}
	name := strings.TrimLeft(req.Cmd.Args[0], "@＠")
	m, err := req.Tx.MemberByName(req.In.GroupID, name)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND,
			"本群没有登记「%s」。请先登记：/成员 添加 %s 单位=市城管委", name, name)
	} else if err != nil {
		return "", err
	}
	if m.Role.AtLeast(qunzhu.RoleAdmin) {
		if err := req.Require(qunzhu.RoleOwner, "给"+m.Role.Chinese()+"生成认证码"); err != nil {
			return "", err
		}
	}
	note := ""
	if m.Bound {
		note = fmt.Sprintf("%s已经认证过；用新认证码认证后，原来的微信身份将不再有效。", m.Name)
	}
	return req.Router.issueBindCode(req, m, note)
}

// handleMemberList shows who is registered, grouped by unit, and who has not
// bound yet: the owner's checklist of colleagues to chase for /认证.
func handleMemberList(req *Request) (string, error) {
	if len(req.Cmd.Args) > 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID,
			"不认识「/成员 %s」。可以用：/成员 列表、%s、%s", req.Cmd.Args[0], exampleAdd, exampleCode)
	}
	members, err := req.Tx.Members(req.In.GroupID)
	if err != nil {
		return "", err
	}
	if len(members) == 0 {
		return "本群还没有登记成员。登记：" + exampleAdd, nil
	}
	var units []string
	byUnit := map[string][]*qunzhu.Member{}
	for _, m := range members {
		if _, ok := byUnit[m.Unit]; !ok {
			units = append(units, m.Unit)
		}
		byUnit[m.Unit] = append(byUnit[m.Unit], m)
	}
	bound := 0
	var b strings.Builder
	for _, u := range units {
		ms := byUnit[u]
		slices.SortStableFunc(ms, func(a, b *qunzhu.Member) int { return roleOrder(a.Role) - roleOrder(b.Role) })
		fmt.Fprintf(&b, "\n【%s】", u)
		for _, m := range ms {
			state := "未认证"
			if m.Bound {
				state, bound = "已认证", bound+1
			}
			fmt.Fprintf(&b, "\n%s（%s，%s）", m.Name, m.Role.Chinese(), state)
		}
	}
	return fmt.Sprintf("本群登记成员%d人，已认证%d人：%s", len(members), bound, b.String()), nil
}

// roleOrder sorts owners first within a unit.
func roleOrder(r qunzhu.Role) int {
	switch r {
	case qunzhu.RoleOwner:
		return 0
	case qunzhu.RoleAdmin:
		return 1
	}
	return 2
}

// addByUserID registers a member on a platform with stable ids (DingTalk,
// WeCom): the platform vouches for the user id, so the member is bound at once
// and needs no /认证 code. The id is the one typed as 账号= or else the one
// real @-mention's (DingTalk carries it; WeCom's callbacks carry no mentioned
// ids, so there it is typed). A typed @name is only text and proves nothing.
func addByUserID(req *Request, name, unit, uid string, role qunzhu.Role) (string, error) {
	in := req.In
	if uid == "" {
		if len(in.MentionIDs) != 1 {
			return "", qunzhu.Errorf(qunzhu.EINVALID,
				"请写上%s的账号（通讯录里的账号），或 @ 要登记的那一个人。例：/成员 添加 %s 单位=%s 账号=zhangsan", name, name, unit)
		}
		uid = in.MentionIDs[0]
	}
	if len(uid) > 64 || strings.ContainsAny(uid, " \t\n@＠") {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "账号「%s」不对：账号是通讯录里的英文数字账号，最长64个字符。", uid)
	}
	if old, err := req.Tx.MemberByUserID(in.GroupID, uid); err == nil {
		return "", qunzhu.Errorf(qunzhu.ECONFLICT, "这个账号已经登记为「%s」（%s，%s）。", old.Name, old.Unit, old.Role.Chinese())
	} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		return "", err
	}
	if old, err := req.Tx.MemberByName(in.GroupID, name); err == nil {
		return "", qunzhu.Errorf(qunzhu.ECONFLICT, "「%s」已经登记过了（%s，%s）。", old.Name, old.Unit, old.Role.Chinese())
	} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		return "", err
	}
	m := &qunzhu.Member{GroupID: in.GroupID, Name: name, Unit: unit, Role: role, Bound: true, BoundAt: req.Now,
		Identity: qunzhu.Identity{SessionKey: uid, UserID: uid, DisplayName: name}}
	if err := req.Tx.CreateMember(m); err != nil {
		return "", err
	}
	return fmt.Sprintf("已登记 %s（%s，%s），%s账号 %s 已确认，无需认证码。", m.Name, m.Unit, m.Role.Chinese(), in.Platform.Chinese(), uid), nil
}
