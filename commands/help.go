package commands

import (
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// Help is generated from the Specs the router runs, so it can only list what
// exists and only promise what the caller may do.

// maxHelpFamilies keeps /帮助 within 12 lines: a heading, ten families and a
// closing line. More families share one "其他" line.
const maxHelpFamilies = 10

// handleHelp lists, by family, the commands the caller may run with one
// example each, so a guest is not shown an owner's tools and nobody is shown a
// command that would only answer "只有群主可以…". With a command name it shows
// that command's detail instead.
func handleHelp(req *Request) (string, error) {
	if len(req.Cmd.Args) > 0 {
		return helpDetail(req)
	}
	m := req.Member()
	type family struct {
		name    string
		words   []string
		example string
	}
	var fams []*family
	byName := map[string]*family{}
	for _, s := range req.Router.Specs() {
		example, ok := exampleFor(m, s)
		if !ok {
			continue
		}
		name := familyOf(s)
		f := byName[name]
		if f == nil {
			f = &family{name: name}
			byName[name] = f
			fams = append(fams, f)
		}
		if w := "/" + strings.Fields(s.Name)[0]; !contains(f.words, w) {
			f.words = append(f.words, w)
		}
		if f.example == "" {
			f.example = example
		}
	}
	var b strings.Builder
	b.WriteString("你可以使用这些命令：")
	var other []string
	for i, f := range fams {
		if i >= maxHelpFamilies-1 && len(fams) > maxHelpFamilies {
			other = append(other, f.words...)
			continue
		}
		fmt.Fprintf(&b, "\n【%s】%s", f.name, strings.Join(f.words, " "))
		if f.example != "" {
			fmt.Fprintf(&b, "　例：%s", f.example)
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(&b, "\n【其他】%s", strings.Join(other, " "))
	}
	if m == nil {
		b.WriteString("\n你还没有认证身份：请群主或管理员登记你，再发送 /认证 <认证码>。")
	} else {
		b.WriteString("\n详细用法：/帮助 命令名，例：/帮助 督办")
	}
	return b.String(), nil
}

// familyOf is the heading a spec is listed under.
func familyOf(s Spec) string {
	if s.Family != "" {
		return s.Family
	}
	return strings.Fields(s.Name)[0]
}

// exampleFor is the first example of s that m may run; ok is false when m
// may run none of it.
func exampleFor(m *qunzhu.Member, s Spec) (example string, ok bool) {
	if len(s.Forms) == 0 {
		return s.Example, canRun(m, s.MinRole)
	}
	for _, f := range s.Forms {
		if canRun(m, f.MinRole) {
			return f.Example, true
		}
	}
	return "", false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// helpDetail explains one command, or a whole family ("/帮助 成员" shows every
// "/成员 …" subcommand), including who may use it: the caller learns whom to
// ask when it is not them.
func helpDetail(req *Request) (string, error) {
	args := append([]string(nil), req.Cmd.Args...)
	args[0] = strings.ToLower(strings.TrimLeft(args[0], "/／"))
	target := strings.Join(args, " ")
	target = clip(target, maxHanName) // never echo a whole paragraph
	spec, _ := req.Router.resolve(Command{Name: args[0], Args: args[1:]})
	if spec == nil || args[0] == "" {
		if near := req.Router.closest(strings.ReplaceAll(target, " ", "")); len(near) > 0 {
			return "", qunzhu.Errorf(qunzhu.ENOTFOUND,
				"没有「/%s」这个命令。你是不是要：%s？例：/帮助 %s", target, slashList(near), near[0])
		}
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND,
			"没有「/%s」这个命令。发送 /帮助 查看可用命令，例：/帮助 督办", target)
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
	parts := make([]string, 0, len(specs)+1)
	var details []string
	for _, s := range specs {
		parts = append(parts, describe(s))
		if s.Detail != "" && !contains(details, s.Detail) {
			details = append(details, s.Detail)
		}
	}
	parts = append(parts, details...)
	return strings.Join(parts, "\n"), nil
}

// describe is one command's help card: each form with who may use it and an
// example, then the other names it answers to (Chinese ones: an ASCII alias
// is for those who already know it).
func describe(s Spec) string {
	forms := s.Forms
	if len(forms) == 0 {
		forms = []Form{{Usage: "/" + s.Name, MinRole: s.MinRole, Summary: s.Summary, Example: s.Example}}
	}
	var b strings.Builder
	for i, f := range forms {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s：%s\n　谁可以用：%s", f.Usage, f.Summary, whoMay(f.MinRole, "、"))
		if f.Example != "" {
			fmt.Fprintf(&b, "；例：%s", f.Example)
		}
	}
	var alts []string
	for _, a := range s.Aliases {
		if !isASCIIWord(strings.ReplaceAll(a, " ", "")) {
			alts = append(alts, "/"+a)
		}
	}
	if len(alts) > 0 {
		fmt.Fprintf(&b, "\n　也可以写：%s", strings.Join(alts, "、"))
	}
	return b.String()
}

// clip shortens s to n runes with "…", for echoing what someone typed.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
