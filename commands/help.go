package commands

import (
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// handleHelp lists the commands the caller may run, each with its one example,
// so a guest is not shown an owner's tools and nobody is shown a command that
// would only answer "只有群主可以…". With a command name it shows that
// command's detail instead.
func handleHelp(req *Request) (string, error) {
	if len(req.Cmd.Args) > 0 {
		return helpDetail(req)
	}
	m := req.Member()
	var b strings.Builder
	b.WriteString("你可以使用这些命令：")
	for _, s := range req.Router.Specs() {
		if !canRun(m, s.MinRole) {
			continue
		}
		fmt.Fprintf(&b, "\n/%s：%s", s.Name, s.Summary)
		if s.Example != "" {
			fmt.Fprintf(&b, "\n　例：%s", s.Example)
		}
	}
	if m == nil {
		b.WriteString("\n你还没有认证身份，认证后可以使用更多命令。")
	}
	b.WriteString("\n发送「/帮助 命令名」查看详细用法，例：/帮助 认证")
	return b.String(), nil
}

// helpDetail explains one command, or a whole family ("/帮助 成员" shows every
// "/成员 …" subcommand), including who may use it: the caller learns whom to
// ask when it is not them.
func helpDetail(req *Request) (string, error) {
	args := append([]string(nil), req.Cmd.Args...)
	args[0] = strings.ToLower(strings.TrimLeft(args[0], "/"))
	target := strings.Join(args, " ")
	spec, _ := req.Router.resolve(Command{Name: args[0], Args: args[1:]})
	if spec == nil || args[0] == "" {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND,
			"没有「/%s」这个命令。发送 /帮助 查看可用命令。", target)
	}
	specs := []Spec{*spec}
	if !strings.Contains(spec.Name, " ") {
		specs = specs[:0]
		for _, s := range req.Router.Specs() {
			if s.Name == spec.Name || strings.HasPrefix(s.Name, spec.Name+" ") {
				specs = append(specs, s)
			}
		}
	}
	parts := make([]string, len(specs))
	for i, s := range specs {
		parts[i] = describe(s)
	}
	return strings.Join(parts, "\n\n"), nil
}

// describe is one command's help card.
func describe(s Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "/%s：%s\n谁可以用：%s", s.Name, s.Summary, whoMay(s.MinRole, "、"))
	if len(s.Aliases) > 0 {
		alts := make([]string, len(s.Aliases))
		for i, a := range s.Aliases {
			alts[i] = "/" + a
		}
		fmt.Fprintf(&b, "\n也可以写：%s", strings.Join(alts, "、"))
	}
	if s.Example != "" {
		fmt.Fprintf(&b, "\n例：%s", s.Example)
	}
	return b.String()
}
