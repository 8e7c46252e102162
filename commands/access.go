package commands

import (
	"github.com/qunzhu/qunzhu"
)

// errUnbound is what a guest hears when a command needs a registered, bound
// member: it says how to become one rather than just "no".
var errUnbound = qunzhu.Errorf(qunzhu.EUNAUTHORIZED,
	"你还没有认证身份：请群主或管理员用 /成员 添加 登记你，再发送 /认证 <认证码>。")

// boundMember returns the member who sent in if they proved their identity
// with /认证 in this group, else nil. Permissions come only from here: a
// display name can be changed by anyone to anyone's.
func boundMember(in *qunzhu.Inbound) *qunzhu.Member {
	m := in.Member
	if m == nil || !m.Bound || m.GroupID != in.GroupID {
		return nil
	}
	return m
}

// authorize returns the *qunzhu.Error a sender gets when spec is not theirs to
// run, or nil when it is.
func authorize(in *qunzhu.Inbound, spec *Spec) error {
	if spec.MinRole == "" {
		return nil
	}
	m := boundMember(in)
	if m == nil {
		return errUnbound
	}
	return requireRole(m, spec.MinRole, "使用 /"+spec.Name)
}

// Require returns nil when the sender is a bound member with at least role min,
// and otherwise the refusal "只有…可以<what>。" (what is e.g. "登记管理员"), for
// handlers whose rule depends on the arguments.
func (r *Request) Require(min qunzhu.Role, what string) error {
	m := r.Member()
	if m == nil {
		return errUnbound
	}
	return requireRole(m, min, what)
}

// requireRole refuses a bound member below min, naming who may.
func requireRole(m *qunzhu.Member, min qunzhu.Role, what string) error {
	if m.Role.AtLeast(min) {
		return nil
	}
	return qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有%s可以%s。", whoMay(min, "或"), what)
}

// canRun reports whether m (nil for a guest) may run a command needing min;
// /帮助 uses it to list only what the caller can do.
func canRun(m *qunzhu.Member, min qunzhu.Role) bool {
	if min == "" {
		return true
	}
	return m != nil && m.Role.AtLeast(min)
}

// whoMay names, in Chinese, the people allowed to run a command needing min,
// joined with or ("群主或管理员").
func whoMay(min qunzhu.Role, or string) string {
	switch min {
	case "":
		return "所有人"
	case qunzhu.RoleOwner:
		return qunzhu.RoleOwner.Chinese()
	case qunzhu.RoleAdmin:
		return qunzhu.RoleOwner.Chinese() + or + qunzhu.RoleAdmin.Chinese()
	}
	return "已认证的成员"
}
