package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is one slash command as a person typed it in a group, before anyone
// decides what it means. Parsing is pure so that every odd thing a Chinese IME or
// the WeChat client puts into a message can be pinned down in a table test.
type Command struct {
	// Name is the command without the slash, lower-cased for ASCII ("ping", "督办").
	// After the router resolved a subcommand it is the canonical spec name, e.g.
	// "成员 添加".
	Name string
	// Args are the whitespace- or comma-separated words after the name, with
	// full-width letters, digits and "＝", "：" folded to ASCII, surrounding quotes
	// and a trailing "。" removed: ready for codes, names and key=value pairs.
	Args []string
	// Rest is the raw text after the name, trimmed, for free-text commands such as a
	// task's description, where the user's punctuation must survive.
	Rest string
}

// Limits that tell a command from a sentence that happens to start with a slash.
const (
	maxHanName   = 12 // "/今天下午三点开会请大家准时参加" is chatter, not a command
	maxASCIIName = 20
)

// Parse reads a chat message as a slash command. It returns ok=false for
// everything that is not one — ordinary chatter, URLs, paths, WeChat's "/::)"
// emoticons, a lone slash — so the bot never answers people talking to each
// other. botNames are the names the bot is shown under in groups; a leading (or
// trailing) "@name" mention of the bot is skipped.
func Parse(text string, botNames ...string) (cmd Command, ok bool) {
	s := trimSpace(text)
	s = stripLeadingMention(s, botNames)
	if s == "" {
		return Command{}, false
	}
	r, size := utf8.DecodeRuneInString(s)
	if r != '/' && r != '／' {
		return Command{}, false
	}
	s = s[size:]

	name, after, ok := scanName(s)
	if !ok {
		return Command{}, false
	}
	rest := trimLeadingSeps(after)
	rest = stripTrailingMention(rest, botNames)
	return Command{Name: name, Args: splitArgs(rest), Rest: rest}, true
}

// scanName reads the command name right after the slash and checks that what
// follows it can end a command name; "/usr/bin" and "/::)" fail here.
func scanName(s string) (name, after string, ok bool) {
	first, size := utf8.DecodeRuneInString(s)
	if f := fold(first); f == '?' {
		return "?", s[size:], true // "/?" and "／？" ask for help
	}
	if !unicode.IsLetter(first) {
		return "", "", false
	}
	ascii := isASCIILetter(fold(first))
	end, n := 0, 0
	for i, r := range s {
		if !unicode.IsLetter(r) || isASCIILetter(fold(r)) != ascii {
			break
		}
		end, n = i+utf8.RuneLen(r), n+1
	}
	if (ascii && n > maxASCIIName) || (!ascii && n > maxHanName) {
		return "", "", false
	}
	name, after = s[:end], s[end:]
	if !endsName(after) {
		return "", "", false
	}
	return strings.ToLower(foldString(name)), after, true
}

// endsName reports whether the text after a name lets the name end there: a
// space, Chinese or ASCII punctuation or an opening bracket, a digit ("/认证482913") or a letter of the
// other script ("/ping一下"). A "/" or "." inside a word means a path or a URL.
func endsName(after string) bool {
	if after == "" {
		return true
	}
	r, size := utf8.DecodeRuneInString(after)
	r = fold(r)
	switch {
	case unicode.IsSpace(r), unicode.IsDigit(r), unicode.IsLetter(r):
		return true
	case strings.ContainsRune(",;:、。!?", r):
		return true
	case strings.ContainsRune("([\"“「『【〔《", r):
		return true // an opening bracket or quote: "/督办【急】…", "/交作业（第48周）…"
	case r == '.':
		next, _ := utf8.DecodeRuneInString(after[size:])
		return len(after) == size || unicode.IsSpace(next)
	}
	return false
}

// splitArgs cuts the text after the name into words. Separators are any Unicode
// space (U+3000 from a Chinese IME, U+2005 after a WeChat mention, U+00A0),
// commas, "、" and semicolons, full-width or not.
func splitArgs(rest string) []string {
	var args []string
	for _, f := range strings.FieldsFunc(foldString(rest), isArgSep) {
		if a := cleanArg(f); a != "" {
			args = append(args, a)
		}
	}
	return args
}

// isArgSep reports whether a (folded) rune separates two arguments.
func isArgSep(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(",;、", r)
}

// cleanArg drops quotes people put around names (“张三”, 「张三」) and the
// sentence-ending punctuation an IME adds ("482913。").
func cleanArg(a string) string {
	a = strings.TrimRight(a, "。.!?")
	return strings.Trim(a, "\"'“”‘’「」『』")
}

// trimLeadingSeps drops the spaces and the punctuation people type between a
// name and its text ("/督办：修复路灯", "/帮助。").
func trimLeadingSeps(s string) string {
	return strings.TrimFunc(strings.TrimLeftFunc(s, func(r rune) bool {
		r = fold(r)
		return isArgSep(r) || strings.ContainsRune(":。.!?", r)
	}), unicode.IsSpace)
}

// trimSpace trims every Unicode space, including U+3000, U+2005 and U+00A0.
func trimSpace(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

// stripLeadingMention removes "@botname" from the start of s when it is followed
// by a space (WeChat's U+2005 or any other), a slash, or nothing.
func stripLeadingMention(s string, botNames []string) string {
	for _, name := range botNames {
		if name == "" {
			continue
		}
		for _, at := range []string{"@", "＠"} {
			after, found := strings.CutPrefix(s, at+name)
			if !found {
				continue
			}
			r, _ := utf8.DecodeRuneInString(after)
			if after == "" || unicode.IsSpace(r) || r == '/' || r == '／' {
				return trimSpace(after)
			}
		}
	}
	return s
}

// stripTrailingMention removes "@botname" from the end of the text, which some
// people add after the command instead of before it.
func stripTrailingMention(s string, botNames []string) string {
	for _, name := range botNames {
		if name == "" {
			continue
		}
		for _, at := range []string{"@", "＠"} {
			before, found := strings.CutSuffix(s, at+name)
			if !found {
				continue
			}
			r, _ := utf8.DecodeLastRuneInString(before)
			if before == "" || unicode.IsSpace(r) {
				return trimSpace(before)
			}
		}
	}
	return s
}

// fold maps full-width ASCII (what a Chinese IME types in full-width mode:
// "／", "＝", "：", "４８２９１３", "ＰＩＮＧ") and the ideographic space to ASCII.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == '\u3000':
		return ' '
	}
	return r
}

// foldString applies fold to every rune of s.
func foldString(s string) string { return strings.Map(fold, s) }

func isASCIILetter(r rune) bool { return r < utf8.RuneSelf && unicode.IsLetter(r) }

// KeyValues splits args such as "单位=市城管委 角色=管理员" into a map and the
// remaining positional args, in order. It accepts "=", "＝", ":" and "：", and
// pairs split by a stray space ("单位= 市城管委", "单位 ＝ 市城管委"). Keys are
// words (letters only, ASCII lower-cased); anything else, like "18:00" or a URL,
// stays positional.
func KeyValues(args []string) (kv map[string]string, rest []string) {
	kv = map[string]string{}
	for i := 0; i < len(args); i++ {
		start, a := i, foldString(args[i])
		// Join "单位=" + "市城管委", "单位" + "=市城管委" and "单位" + "=" + "市城管委".
		if i+1 < len(args) && isKey(a) && startsWithKVSep(args[i+1]) {
			a += foldString(args[i+1])
			i++
		}
		if i+1 < len(args) && endsWithKVSep(a) {
			a += foldString(args[i+1])
			i++
		}
		if k, v, ok := splitKV(a); ok {
			kv[k] = v
			continue
		}
		rest = append(rest, args[start:i+1]...)
	}
	return kv, rest
}

// splitKV splits one "key=value" word at its first separator.
func splitKV(a string) (key, value string, ok bool) {
	i := strings.IndexAny(a, "=:")
	if i < 0 {
		return "", "", false
	}
	key, value = a[:i], strings.TrimSpace(a[i+1:])
	if !isKey(key) || value == "" || strings.HasPrefix(value, "//") {
		return "", "", false
	}
	return strings.ToLower(key), value, true
}

// isKey reports whether s can be a key: a short word of letters.
func isKey(s string) bool {
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 8 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func startsWithKVSep(s string) bool {
	return strings.HasPrefix(foldString(s), "=") || strings.HasPrefix(foldString(s), ":")
}

func endsWithKVSep(s string) bool {
	key, _, found := strings.Cut(s, "=")
	if !found {
		key, _, found = strings.Cut(s, ":")
	}
	return found && isKey(key) && (strings.HasSuffix(s, "=") || strings.HasSuffix(s, ":"))
}
