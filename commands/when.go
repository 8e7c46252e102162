package commands

import (
	"cmp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// EndOfWorkday is the time of day a deadline written as a date alone means:
// "12月1日", "周五", "明天", "月底" all mean 18:00 that day, the end of the
// working day, which is also what "下班前" says in words.
const EndOfWorkday = 18 * time.Hour

// UrgentWithin is what "急" and "加急" mean: within 24 hours.
const UrgentWithin = 24 * time.Hour

// whenExample is shown with every refusal of a deadline.
const whenExample = "限期3天、明天下班前、周五、12月1日18:00"

// maxAhead refuses deadlines further than this: "2062-12-01" is a typo.
const maxAhead = 366 * 24 * time.Hour

// ParseWhen reads a deadline or a send time written the way officials write it
// (督办 deadlines, 群发 定时 and anything else that takes a time), so every
// feature understands the same words. now must be in the group's location
// (Asia/Shanghai); the result is in the same location, to the minute.
//
// The time expression is looked for as the first word(s) of text, then as the
// last: "明天9点 端午节放假通知" and "修复人民路路灯 限期3天" both work, and so
// does a bracketed one ("【急】修复路灯"). At the end it may also be glued to
// the text when it starts with 限期/期限/截止/于/到 or ends with 前/之前/内/以内
// ("落实整改限期3天", "报送材料12月1日前"). rest is text without it.
//
// Forms (digits may be full-width or Chinese numerals, "：" works as ":"):
//
//	durations from now    限期3天, 3天内, 3日内, 48小时, 一周内, 1个月内, 2个工作日内 (Mon–Fri)
//	urgent                急, 加急, 特急, 紧急 = within 24 hours
//	days                  今天, 明天, 后天, 大后天, 周五 (the next Friday that is
//	                      still ahead), 本周五, 下周一, 本周/下周 (= that week's Friday),
//	                      月底, 下月底, 年底
//	dates                 12月1日, 12月1号, 1号, 2026-12-01, 2026/12/1, 2026年12月1日
//	times of day          18:00, 18点, 18点30分, 6点半, 下午3点, 晚上8点, 中午,
//	                      下班(前) = 18:00, 上班(前) = 9:00, 上午 = 12:00, 下午 = 18:00
//	combined              今天18点, 明天下班前, 12月1日18:00, 2026-12-01 18:00, 周五上午10点
//
// Rules: a date alone means EndOfWorkday (18:00) that day; a time alone means
// today; "前" and "之前" are inclusive ("12月1日前" = 12月1日18:00); a date
// without a year is the one nearest to now (in December "1月10日" is next
// year's); day durations are exact ("限期3天" at 10:30 Monday = 10:30
// Thursday). 昨天, 前天 and 大前天 are read only to be refused as past. A
// deadline that is not after now, or more than a year ahead, or a
// date that does not exist ("2月30日"), is an error (*qunzhu.Error, EINVALID,
// with a Chinese message and an example).
//
// rest keeps the text as typed: only the separators where the expression was
// cut out, and a sentence end after a trailing expression, are dropped. When
// text holds no time expression, t is zero, rest is text trimmed of spaces
// and err is nil: callers decide whether a time is optional (督办 uses its
// default).
func ParseWhen(text string, now time.Time) (t time.Time, rest string, err error) {
	w, rest, err := ParseWhenIn(text, now, WhenRules{})
	return w.At, rest, err
}

// WhenRules say how day counts end: with IsWorkday set, "限期3天", "3天内",
// "一周内" end at Close (the working day's close, 18:00 by default) of the
// last day, and "N个工作日" counts the days IsWorkday accepts (statutory
// holidays skipped, 调休 days counted). The zero value keeps the plain rules
// (exact durations, Monday to Friday), which 群发 uses for send times.
type WhenRules struct {
	Close     time.Duration
	IsWorkday func(time.Time) bool
}

// When is a parsed time and how it was written.
type When struct {
	At time.Time
	// Counted is set for a count of days ("限期3天", "2个工作日"): a
	// deadline that lands on a rest day may then move to the next working day.
	Counted bool
}

// ParseWhenIn is ParseWhen under rules r.
func ParseWhenIn(text string, now time.Time, r WhenRules) (w When, rest string, err error) {
	typed := trimSpace(text)
	s := trimWhenEnd(typed)
	if s == "" {
		return When{}, "", nil
	}
	p := whenParser{now: now, rules: r, counted: &w.Counted}
	// Leading: one bracketed group, or the first two words, then the first one.
	// The text after it keeps its sentence end ("端午节快乐！"). A longer
	// candidate that looks bad gives way to a shorter one that reads ("限期10天
	// 施工队未到位").
	var bad error
	for _, c := range leadingCandidates(s) {
		switch t, res, err := p.parse(c.expr, c.glued); res {
		case whenOK:
			w.At = t
			return w, strings.TrimLeftFunc(typed[c.end:], isRestSep), nil
		case whenBad:
			bad = cmp.Or(bad, err)
		}
		w.Counted = false
	}
	if bad != nil {
		return When{}, "", bad
	}
	// Trailing: the longest suffix (at most two words) that reads as a time.
	for _, c := range trailingCandidates(s) {
		switch t, res, err := p.parse(c.expr, c.glued); res {
		case whenOK:
			w.At = t
			return w, strings.TrimRightFunc(s[:c.start], isRestSep), nil
		case whenBad:
			return When{}, "", err
		}
		w.Counted = false
	}
	return When{}, typed, nil
}

// candidate is a piece of text that may be a time expression: expr is what to
// parse, [start, end) where it sits in the text.
type candidate struct {
	expr       string
	start, end int
	glued      bool // starts inside a word: only a clear deadline counts
}

// word is one whitespace- or comma-separated word of the text, by byte offsets.
type word struct{ start, end int }

func whenWords(s string) []word {
	var ws []word
	start := -1
	for i, r := range s {
		if isWhenSep(r) {
			if start >= 0 {
				ws = append(ws, word{start, i})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		ws = append(ws, word{start, len(s)})
	}
	return ws
}

func isWhenSep(r rune) bool {
	r = fold(r)
	return unicode.IsSpace(r) || strings.ContainsRune(",;、", r)
}

// Brackets people put around a deadline: "【急】", "（限期3天）".
var bracketPairs = map[rune]rune{'【': '】', '[': ']', '(': ')', '（': '）', '〔': '〕', '「': '」'}

func leadingCandidates(s string) []candidate {
	var cs []candidate
	if open, size := utf8.DecodeRuneInString(s); bracketPairs[open] != 0 {
		if i := strings.IndexRune(s[size:], bracketPairs[open]); i >= 0 {
			end := size + i + utf8.RuneLen(bracketPairs[open])
			cs = append(cs, candidate{expr: s[size : size+i], start: 0, end: end})
		}
	}
	ws := whenWords(s)
	for n := min(2, len(ws)); n >= 1; n-- {
		cs = append(cs, candidate{expr: s[:ws[n-1].end], start: 0, end: ws[n-1].end})
	}
	return cs
}

func trailingCandidates(s string) []candidate {
	var cs []candidate
	if close, size := utf8.DecodeLastRuneInString(s); close != utf8.RuneError {
		for open, c := range bracketPairs {
			if c != close {
				continue
			}
			if i := strings.LastIndex(s[:len(s)-size], string(open)); i >= 0 {
				cs = append(cs, candidate{expr: s[i+utf8.RuneLen(open) : len(s)-size], start: i, end: len(s)})
			}
		}
	}
	ws := whenWords(s)
	if len(ws) == 0 {
		return cs
	}
	first := ws[len(ws)-1]
	if len(ws) >= 2 {
		first = ws[len(ws)-2]
	}
	// Every word start in the last two words, and every point inside them where
	// a glued expression may begin, longest first.
	for i := first.start; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWhenSep(r) {
			i += size
			continue
		}
		atWord := i == 0 || isWhenSep(lastRune(s[:i]))
		if atWord || gluable(s[:i], s[i:]) {
			cs = append(cs, candidate{expr: s[i:], start: i, end: len(s), glued: !atWord})
		}
		i += size
	}
	return cs
}

// gluable reports whether a time expression may start at tail although it is
// glued to the text before it: only when it says so with a marker or a
// suffix, and never in the middle of a number ("2026-12-01", "13月").
func gluable(before, tail string) bool {
	prev := fold(lastRune(before))
	if prev < utf8.RuneSelf && (unicode.IsDigit(prev) || unicode.IsLetter(prev) || strings.ContainsRune("-/.:", prev)) {
		return false
	}
	if isCNDigit(prev) {
		return false
	}
	tail = trimWhenEnd(tail)
	for _, m := range whenMarkers {
		if strings.HasPrefix(tail, m) {
			return true
		}
	}
	for _, x := range whenSuffixes {
		if strings.HasSuffix(tail, x) {
			return true
		}
	}
	return false
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// trimWhenEnd drops the sentence end people type after a deadline.
func trimWhenEnd(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool {
		return strings.ContainsRune("。.！!", r) || unicode.IsSpace(r)
	})
}

// isRestSep is what is trimmed where the expression was cut out of the text.
func isRestSep(r rune) bool { return isWhenSep(r) || strings.ContainsRune(":：。", r) }

// whenBadf is the refusal of an unreadable or impossible deadline.
func whenBadf(format string, args ...any) error {
	return qunzhu.Errorf(qunzhu.EINVALID, format+"例："+whenExample, args...)
}
