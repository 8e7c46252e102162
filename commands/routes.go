package commands

import "github.com/qunzhu/qunzhu"

// registerBuiltins lists every built-in command in one place, in the order
// /帮助 shows them. Features outside this package register theirs with
// Router.Register from the wiring, the same way.
func registerBuiltins(r *Router) {
	r.Register(Spec{
		Name:     "帮助",
		Family:   "帮助",
		Aliases:  []string{"help", "?", "菜单"},
		Summary:  "查看你可以使用的命令；带上命令名查看详细用法",
		Example:  "/帮助 督办",
		Handle:   handleHelp,
		ReadOnly: true,
	})
	r.Register(Spec{
		Name:     "ping",
		Family:   "帮助",
		Summary:  "检查机器人是否在线，在线会回复 pong",
		Example:  "/ping",
		Handle:   handlePing,
		ReadOnly: true,
	})
	r.Register(Spec{
		Name:    "认证",
		Family:  "成员",
		Aliases: []string{"bind"},
		Summary: "用群主或管理员给你的认证码认证身份",
		Example: "/认证 482913",
		Handle:  handleBind,
	})
	r.Register(Spec{
		Name:     "成员",
		Family:   "成员",
		Aliases:  []string{"成员 列表"},
		Summary:  "按单位列出本群登记的成员、角色和是否已认证",
		Example:  "/成员 列表",
		Handle:   handleMemberList,
		ReadOnly: true,
	})
	r.Register(Spec{
		Name:    "成员 添加",
		Family:  "成员",
		Aliases: []string{"成员 新增", "成员 登记"},
		MinRole: qunzhu.RoleAdmin,
		Summary: "登记一位成员并生成认证码（登记管理员只能由群主操作；钉钉、企业微信写 账号=… 即登记并认证）",
		Example: "/成员 添加 张三 单位=市城管委",
		Handle:  handleMemberAdd,
	})
	r.Register(Spec{
		Name:    "成员 认证码",
		Family:  "成员",
		Aliases: []string{"成员 重发"},
		MinRole: qunzhu.RoleAdmin,
		Summary: "给已登记的成员重新生成认证码（过期或换了微信号时用）",
		Example: "/成员 认证码 张三",
		Handle:  handleMemberCode,
	})
	r.Register(Spec{
		Name:    "成员 解绑",
		MinRole: qunzhu.RoleOwner,
		Summary: "撤销一位成员的认证（认错了人时用），之后可用 /成员 认证码 重新认证",
		Example: exampleUnbind,
		Handle:  handleMemberUnbind,
	})
}
