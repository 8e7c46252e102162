package qunzhu

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaskPII hides citizens' personal data (个人信息) in text before it is posted
// into a group: mobile numbers (138****5678), landlines (021-****5678), 18-
// and 15-digit ID card numbers (110***********123X) and e-mail addresses
// (z***@163.com). A 12345 ticket is read by a hundred officials; the full
// number stays in the store, where the people who must call back find it.
//
// It is conservative about what it calls a number: digits glued to other
// digits or Latin letters (ticket ids such as 2025060100123 or GD13800138000,
// amounts such as 13800138000.50) are left alone, and ID numbers must carry a
// real province code and birth date. Links get no exemption: a ticket link
// such as …/t?id=GD001&tel=13912345678 would show the citizen's number to the
// whole group, so it is masked there too (the link still leads to the ticket
// when the id is elsewhere in it; a link that works only with the number in
// it is exactly what must not be posted).
// Full-width digits (１３８…), common in text typed on a phone, count too.
// Separators are kept, so 138-0013-8000 becomes 138-****-8000 and the reader
// still sees what kind of number it was. Masking is idempotent.
func MaskPII(s string) string {
	if s == "" {
		return s
	}
	t := fold(s)
	var spans []maskSpan
	for i := range maskFinders {
		spans = append(spans, t.find(&maskFinders[i])...)
	}
	if len(spans) == 0 {
		return s
	}
	// The earliest span wins; at the same start the longest (an ID number
	// rather than the phone-shaped digits inside it).
	slices.SortFunc(spans, func(a, b maskSpan) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out := make([]rune, 0, len(t.orig))
	pos := 0
	for _, sp := range spans {
		if sp.start < pos {
			continue // inside a span already taken
		}
		out = append(out, t.orig[pos:sp.start]...)
		out = append(out, sp.masked(t)...)
		pos = sp.end
	}
	out = append(out, t.orig[pos:]...)
	return string(out)
}

// A maskFinder says what one kind of personal data looks like and how much of
// it stays visible.
type maskFinder struct {
	re *regexp.Regexp // anchored at the start of a candidate
	// first says which characters a match can start with: only there, and
	// only where no digit or letter comes before, is re tried, which keeps
	// masking fast on long Chinese text.
	first func(r rune) bool
	// group is the submatch to mask (0: the whole match), e.g. the number
	// after "+86 " or after "电话：".
	group int
	// head and tail are how many digits of it stay visible at each end.
	head, tail int
	email      bool // mask the local part of an address
	// valid, when set, vets a match (ID numbers).
	valid func(folded string) bool
}

// maskFinders run on the folded text (full-width digits and symbols turned
// into ASCII, one rune for one rune). Boundaries are checked in code
// (aloneBefore, aloneAfter) because Go's regexp has no look-around. Overlaps are resolved
// by position, so the order here does not matter.
var maskFinders = []maskFinder{
	{re: anchored(`[A-Za-z0-9][\w.%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}`), first: isASCIIAlnum, email: true},
	// Resident ID numbers: 18 characters (the last may be X) and the old 15.
	{re: anchored(`\d{17}[\dXx]`), first: isDigit, head: 3, tail: 4, valid: validID18},
	{re: anchored(`\d{15}`), first: isDigit, head: 3, tail: 4, valid: validID15},
	// Mobiles: 1[3-9]x then 4+4 digits, optionally split by a space or hyphen
	// (138 0013 8000), with an optional +86 / 0086 prefix.
	{re: anchored(`(?:(?:\+|00)86[ -]?|86[ -])?(1[3-9]\d(?:[ -]?\d{4}){2})`), first: func(r rune) bool { return isDigit(r) || r == '+' }, group: 1, head: 3, tail: 4},
	// Landlines: area code 010, 02x or 0xxx, maybe in brackets, then a 7- or
	// 8-digit local number that starts with 2-9. The area code stays visible.
	{re: anchored(`\(?0(?:10|2\d|[3-9]\d{2})\)?[ -]?([2-9]\d{6,7})`), first: oneOf("0("), group: 1, tail: 4},
	// A bare local number only right after a word that says it is a phone.
	{re: anchored(`(?i)(?:电话|手机|座机|固话|联系方式|tel|phone)(?:号码|号)?[:：]?[ ]*([2-9]\d{6,7})`), first: oneOf("电手座固联tTpP"), group: 1, tail: 4},
}

// anchored compiles a pattern that must match at the start of the input.
func anchored(expr string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + expr + `)`) }

func oneOf(chars string) func(r rune) bool {
	return func(r rune) bool { return strings.ContainsRune(chars, r) }
}

func isASCIIAlnum(r rune) bool {
	return isDigit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}

// folded is a text and its folded twin, rune for rune.
type folded struct {
	orig, fold []rune
	text       string // string(fold), what the patterns run on
	runeAt     []int  // byte offset in text → rune index (valid at rune starts)
	byteAt     []int  // rune index → byte offset in text
}

func fold(s string) *folded {
	t := &folded{orig: []rune(s)}
	t.fold = make([]rune, len(t.orig))
	for i, r := range t.orig {
		t.fold[i] = foldRune(r)
	}
	t.text = string(t.fold)
	t.runeAt = make([]int, len(t.text)+1)
	t.byteAt = make([]int, len(t.fold)+1)
	i := 0
	for b := range t.text {
		t.runeAt[b], t.byteAt[i] = i, b
		i++
	}
	t.runeAt[len(t.text)], t.byteAt[i] = i, len(t.text)
	return t
}

// maskSpan is one match, in rune indices: [start, end) is replaced by its
// masked form, in which the digits of [from, to) are hidden but for f.head
// and f.tail of them.
type maskSpan struct {
	start, end int
	from, to   int
	f          *maskFinder
}

// find returns the matches of f that stand alone. It tries f only where a
// match could start and stand alone (f.first, nothing glued before); after a
// match it goes on from the match's end, so a number inside a longer one is
// never taken for a phone and a phone after a rejected candidate is found.
func (t *folded) find(f *maskFinder) []maskSpan {
	var out []maskSpan
	for i := 0; i < len(t.fold); i++ {
		if !f.first(t.fold[i]) {
			continue
		}
		start := t.byteAt[i]
		if !t.aloneBefore(start) {
			continue
		}
		m := f.re.FindStringSubmatchIndex(t.text[start:])
		if m == nil {
			continue
		}
		end := start + m[1]
		if !t.aloneAfter(end) || (f.valid != nil && !f.valid(t.text[start:end])) {
			continue
		}
		sp := maskSpan{start: i, end: t.runeAt[end], f: f}
		sp.from, sp.to = sp.start, sp.end
		if f.group > 0 && m[2*f.group] >= 0 {
			sp.from, sp.to = t.runeAt[start+m[2*f.group]], t.runeAt[start+m[2*f.group+1]]
		}
		out = append(out, sp)
		i = sp.end - 1
	}
	return out
}

// aloneBefore and aloneAfter report whether a token starting or ending there
// stands on its own: not glued to a digit or Latin letter, and not either
// side of a decimal point.
func (t *folded) aloneBefore(start int) bool {
	if start == 0 {
		return true
	}
	r, size := utf8.DecodeLastRuneInString(t.text[:start])
	if isGlue(r) {
		return false
	}
	return !(r == '.' && start-size > 0 && isDigit(rune(t.text[start-size-1])))
}

func (t *folded) aloneAfter(end int) bool {
	if end == len(t.text) {
		return true
	}
	r, size := utf8.DecodeRuneInString(t.text[end:])
	if isGlue(r) {
		return false
	}
	return !(r == '.' && end+size < len(t.text) && isDigit(rune(t.text[end+size])))
}

// masked is the replacement for the span.
func (sp maskSpan) masked(t *folded) []rune {
	orig := t.orig[sp.start:sp.end]
	if sp.f.email {
		at := slices.Index(t.fold[sp.start:sp.end], '@')
		out := append([]rune{orig[0]}, []rune("***")...)
		return append(out, orig[at:]...)
	}
	total := 0
	for i := sp.from; i < sp.to; i++ {
		if isMaskable(t.fold[i]) {
			total++
		}
	}
	out := slices.Clone(orig)
	k := 0
	for i := sp.from; i < sp.to; i++ {
		if !isMaskable(t.fold[i]) {
			continue
		}
		if k >= sp.f.head && k < total-sp.f.tail {
			out[i-sp.start] = '*'
		}
		k++
	}
	return out
}

func isGlue(r rune) bool {
	return isDigit(r) || r == '_' || (r < utf8.RuneSelf && unicode.IsLetter(r))
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isMaskable(r rune) bool { return isDigit(r) || r == 'X' || r == 'x' }

// provinces are the first two digits of a resident ID number (GB/T 2260):
// a long number that does not start with one is not an ID.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// validID18 accepts a province code and a birth date of 1900-2099. The check
// digit is not verified: a citizen's mistyped ID is still theirs to protect.
func validID18(s string) bool {
	return provinces[s[:2]] && (s[6:8] == "19" || s[6:8] == "20") && validMonthDay(s[10:12], s[12:14])
}

// validID15 accepts the pre-1999 form: province, yymmdd, three more digits.
func validID15(s string) bool {
	return provinces[s[:2]] && validMonthDay(s[8:10], s[10:12])
}

func validMonthDay(mm, dd string) bool {
	m := int(mm[0]-'0')*10 + int(mm[1]-'0')
	d := int(dd[0]-'0')*10 + int(dd[1]-'0')
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// foldRune maps full-width digits, letters and number punctuation to ASCII,
// one rune for one rune, so rune indices carry over to the original.
func foldRune(r rune) rune {
	switch {
	case r >= '０' && r <= '９':
		return r - '０' + '0'
	case r >= 'Ａ' && r <= 'Ｚ':
		return r - 'Ａ' + 'A'
	case r >= 'ａ' && r <= 'ｚ':
		return r - 'ａ' + 'a'
	}
	switch r {
	case '－', '‐', '‑', '–':
		return '-'
	case '＋':
		return '+'
	case '＠':
		return '@'
	case '．':
		return '.'
	case '（':
		return '('
	case '）':
		return ')'
	case '\u3000':
		return ' '
	}
	return r
}
