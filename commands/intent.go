package commands

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Intent: messages meant for the bot that are not written as a slash command.
// People address the bot the way they address a colleague ("@群主助手 帮助"),
// put a space after the slash ("/ 督办 3") or write the command like a heading
// ("交作业：本周完成整改3项"). Parse stays strict so chatter is never answered;
// the router reads these forms only when the word is one of its commands.

// maxIntentWord bounds the word before "：" in "交作业：…"; a longer head is a
// sentence, not a command.
const maxIntentWord = 6

// intent reads in as a command the router knows, when it is written in one of
// the forms above. hint is a one-line answer for a message addressed to the bot
// that names no command; ok is false when the message is not for the bot.
func (r *Router) intent(in *qunzhu.Inbound) (cmd Command, hint string, ok bool) {
	names := r.botNames(in)
	s := trimSpace(in.Text)
	rest := stripLeadingMention(s, names)
	addressed := rest != s
	rest = stripTrailingMention(rest, names)
	if r0, size := utf8.DecodeRuneInString(rest); r0 == '/' || r0 == '／' {
		// "/ 督办 3": a slash, spaces, then a command word.
		if c, ok := Parse("/"+trimSpace(rest[size:]), names...); ok && r.knownName(c.Name) {
			return c, "", true
		}
		return Command{}, "", false
	}
	if c, ok := r.colonForm(rest, names); ok {
		return c, "", true
	}
	if !addressed {
		return Command{}, "", false
	}
	if rest == "" {
		return Command{}, "我在。要我做什么请用命令，例：/帮助", false
	}
	if c, ok := Parse("/"+rest, names...); ok && r.knownName(c.Name) {
		return c, "", true // "@群主助手 帮助", "@群主助手 督办 列表"
	}
	word, _ := splitWord(rest)
	hint = "要我做什么请用斜杠命令，例：/帮助"
	if near := r.closest(strings.ToLower(foldString(word))); len(near) > 0 {
		hint = "你是不是要：" + slashList(near) + "？" + hint
	}
	return Command{}, hint, false
}

// colonForm reads "交作业：本周完成…" and "督办:市城管委 …": a Chinese command
// word, then a colon, at the very start of the message.
func (r *Router) colonForm(s string, names []string) (Command, bool) {
	i := strings.IndexAny(s, ":：")
	if i <= 0 {
		return Command{}, false
	}
	head := trimSpace(s[:i])
	if n := utf8.RuneCountInString(head); n == 0 || n > maxIntentWord || isASCIIWord(head) {
		return Command{}, false
	}
	for _, c := range head {
		if !unicode.IsLetter(c) && c != ' ' {
			return Command{}, false
		}
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	c, ok := Parse("/"+head+" "+trimSpace(s[i+size:]), names...)
	if !ok || !r.knownName(c.Name) {
		return Command{}, false
	}
	return c, true
}

// knownName reports whether a parsed name is a registered command or family
// (possibly glued to its first word, "成员添加").
func (r *Router) knownName(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, ok := r.index[name]; ok || r.hasSubcommands(name) {
		return true
	}
	_, _, ok := r.splitGlued(name, "")
	return ok
}

// closest returns up to three command names that look like word: one typo in a
// short name, two in a longer one, or one containing the other ("/督查" →
// /督办, "/交做业" → /交作业, "/成员添加人" → /成员 添加). Names are the
// canonical ones, in registration order among equals.
func (r *Router) closest(word string) []string {
	if word == "" || utf8.RuneCountInString(word) > maxHanName+maxIntentWord {
		return nil // a sentence, not a misspelt name; and the distance stays cheap
	}
	type cand struct {
		name string
		dist int
		pos  int
	}
	var found []cand
	seen := map[string]bool{}
	for pos, s := range r.Specs() {
		for _, k := range append([]string{s.Name}, s.Aliases...) {
			k = strings.ReplaceAll(k, " ", "")
			d := editDistance(word, k)
			limit := 1
			if utf8.RuneCountInString(k) >= 3 {
				limit = 2
			}
			if d > limit && !(strings.Contains(word, k) || strings.Contains(k, word)) {
				continue
			}
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			found = append(found, cand{s.Name, d, pos})
		}
	}
	slices.SortStableFunc(found, func(a, b cand) int { return a.dist - b.dist })
	out := make([]string, 0, 3)
	for _, c := range found {
		if len(out) == 3 {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// slashList writes names as "/督办、/督办 列表".
func slashList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "/" + n
	}
	return strings.Join(out, "、")
}

// unknownCommand is the refusal of a command nobody registered, with the
// nearest names when there are any.
func (r *Router) unknownCommand(name string) error {
	if near := r.closest(name); len(near) > 0 {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "未知命令「/%s」。你是不是要：%s？发送 /帮助 查看可用命令。", name, slashList(near))
	}
	return qunzhu.Errorf(qunzhu.ENOTFOUND, "未知命令「/%s」。发送 /帮助 查看可用命令。", name)
}
