package commands

import (
	"strings"
	"unicode/utf8"
)

// resolve finds the spec a parsed command means and returns the command as the
// handler should see it. In order: a subcommand from the first word
// ("/成员 添加 张三" → "成员 添加"), then the command itself by name or alias.
//
// Chinese names typed without a space ("/成员添加 张三", "/帮助成员",
// "/成员添加张三") are split at the longest registered name. A subcommand is
// split off a longer word only when the user typed no space after the command
// either, so a free-text "/督办 完成情况汇总" never loses its first two
// characters to a "督办 完成" subcommand. ASCII names are never split: "/helpme"
// stays unknown instead of becoming "/help me". The spec is nil for an unknown
// command.
func (r *Router) resolve(cmd Command) (*Spec, Command) {
	r.mu.RLock()
	defer r.mu.RUnlock()

	glued := false
	if _, ok := r.index[cmd.Name]; !ok && !r.hasSubcommands(cmd.Name) {
		if head, tail, ok := r.splitGlued(cmd.Name, ""); ok {
			cmd, glued = unglueName(cmd, head, tail), true
		}
	}
	if len(cmd.Args) > 0 {
		word := strings.ToLower(cmd.Args[0])
		if s, ok := r.index[cmd.Name+" "+word]; ok {
			return s, shiftArg(cmd, s.Name)
		}
		if head, tail, ok := r.splitGlued(word, cmd.Name+" "); ok && glued {
			s := r.index[cmd.Name+" "+head]
			return s, unglueArg(cmd, s.Name, head, tail)
		}
	}
	if s, ok := r.index[cmd.Name]; ok {
		cmd.Name = s.Name
		return s, cmd
	}
	return nil, cmd
}

// hasSubcommands reports whether some "name …" spec exists, so a family like
// "成员" is known even when only its subcommands are registered.
func (r *Router) hasSubcommands(name string) bool {
	for k := range r.index {
		if strings.HasPrefix(k, name+" ") {
			return true
		}
	}
	return false
}

// splitGlued finds the longest registered non-ASCII word w (a name under
// prefix, "" for top-level, "成员 " for its subcommands) such that word is w
// followed by more text, and returns w and that text.
func (r *Router) splitGlued(word, prefix string) (head, tail string, ok bool) {
	for k := range r.index {
		w, found := strings.CutPrefix(k, prefix)
		if !found || w == "" || strings.Contains(w, " ") || isASCIIWord(w) {
			continue
		}
		if len(w) > len(head) && len(word) > len(w) && strings.HasPrefix(word, w) {
			head, tail, ok = w, word[len(w):], true
		}
	}
	return head, tail, ok
}

// isASCIIWord reports whether w is written in ASCII only.
func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// unglueName turns "/成员添加 张三" (name "成员添加") into name "成员" with
// "添加" as its first word.
func unglueName(cmd Command, head, tail string) Command {
	rest := tail
	if cmd.Rest != "" {
		rest += " " + cmd.Rest
	}
	return Command{Name: head, Args: append([]string{tail}, cmd.Args...), Rest: rest}
}

// shiftArg drops the subcommand word from the args and the raw rest.
func shiftArg(cmd Command, name string) Command {
	return Command{Name: name, Args: cmd.Args[1:], Rest: cutFirstWord(cmd.Rest)}
}

// unglueArg turns first word "添加张三" of "/成员 添加张三" into subcommand
// "添加" followed by the word "张三".
func unglueArg(cmd Command, name, head, tail string) Command {
	args := append([]string{tail}, cmd.Args[1:]...)
	rest := cmd.Rest
	if after, found := strings.CutPrefix(rest, head); found {
		rest = after
	}
	return Command{Name: name, Args: args, Rest: trimLeadingSeps(rest)}
}

// cutFirstWord removes the first word from raw text, with the same separators
// splitArgs uses, keeping the rest as typed.
func cutFirstWord(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return isArgSep(fold(r)) })
	if i < 0 {
		return ""
	}
	return trimLeadingSeps(s[i:])
}
