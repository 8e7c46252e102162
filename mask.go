package qunzhu

import (
	"strings"
	"unicode/utf8"
)

// MaskPII hides citizens' personal data (个人信息) in text before it is posted
// into a group: mobile numbers (138****5678), landlines (021-****5678), 18-
// and 15-digit ID card numbers (110***********123X), bank card numbers
// (6222 **** **** 1234, 16-19 digits passing the Luhn check) and e-mail
// addresses (z***@163.com). A 12345 ticket is read by a hundred officials;
// the full number stays in the store, where the people who must call back
// find it. It is Masker.Mask with no owner-configured public numbers.
func MaskPII(s string) string { return (*Masker)(nil).Mask(s) }

// PublicNumbers are numbers that are never personal data and must stay
// readable in a group: the hotlines and emergency numbers every notice
// names. None of them is long enough to look like a citizen's number, so
// they are listed here to say so (and tested); an office's own duty line,
// which does look like one, is added through NewMasker.
var PublicNumbers = []string{"12345", "110", "119", "120", "122", "12315", "12319", "12369", "95598"}

// Masker is MaskPII with an allow-list of public numbers: a duty line (值班
// 电话) or a unit's service mobile that the owner configured stays readable,
// while every citizen's number around it is masked. The zero value and a nil
// *Masker mask everything MaskPII masks.
type Masker struct {
	public map[string]bool // digits only: a mobile's 11, a landline's area code + local number
}

// NewMasker returns a Masker that leaves the given numbers readable. Each is
// written as people write it ("021-6234 5678", "+86 138 0013 8000"); what is
// not a phone number is refused, so a typo in the configuration is found at
// startup instead of a number that was meant to stay readable being masked.
func NewMasker(public []string) (*Masker, error) {
	m := &Masker{public: map[string]bool{}}
	for _, p := range public {
		d := phoneDigits(p)
		if d == "" {
			return nil, Errorf(EINVALID, "公开号码「%s」不是手机号或带区号的座机号 (not a phone number)", p)
		}
		m.public[d] = true
	}
	return m, nil
}

// phoneDigits is a mobile number's 11 digits or a landline's area code and
// local number, as the allow-list keys them; "" when p is neither.
func phoneDigits(p string) string {
	t := foldText(p)
	if emails := t.emails(); len(emails) > 0 {
		return ""
	}
	var found string
	t.numbers(&Masker{}, func(sp maskSpan) { // a masker, so each span carries its key
		if found == "" && (sp.kind == kindMobile || sp.kind == kindLandline) {
			found = sp.key
		}
	})
	return found
}

// Mask hides the personal data in s (see MaskPII), except the configured
// public numbers. It reads s once, in time linear in its length: the caller
// bounds s first (every webhook endpoint has a limit), and no input makes it
// slower per character.
//
// It is conservative about what it calls a number: digits glued to other
// digits or Latin letters (ticket ids such as 2025060100123 or GD13800138000,
// amounts such as 13800138000.50, an IP address) are left alone, ID numbers
// must carry a real province code and birth date, card numbers a valid Luhn
// digit. Links get no exemption: a ticket link such as …&tel=13912345678
// would show the citizen's number to the whole group. Full-width digits, the
// separators people actually type between groups (spaces of every width, tab,
// NBSP, zero-width space, '-', '—', '.', '_', '/') and the prefixes +86,
// %2B86, 0086 and 86 are understood. Separators are kept, so 138-0013-8000
// becomes 138-****-8000 and the reader still sees what kind of number it
// was. Masking is idempotent.
func (m *Masker) Mask(s string) string {
	if s == "" {
		return s
	}
	t := foldText(s)
	emails := t.emails()
	for _, e := range emails {
		for i := e.start; i < e.end; i++ {
			t.fold[i] = 'a' // numbers inside an address are the address's
		}
	}
	var spans []maskSpan
	t.numbers(m, func(sp maskSpan) { spans = append(spans, sp) })
	if len(spans) == 0 && len(emails) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pos := 0
	for len(spans) > 0 || len(emails) > 0 {
		// Both lists are in text order and never overlap.
		if len(emails) > 0 && (len(spans) == 0 || emails[0].start < spans[0].start) {
			e := emails[0]
			emails = emails[1:]
			writeRunes(&b, t.orig[pos:e.start])
			b.WriteRune(t.orig[e.start])
			b.WriteString("***")
			writeRunes(&b, t.orig[e.at:e.end])
			pos = e.end
			continue
		}
		sp := spans[0]
		spans = spans[1:]
		writeRunes(&b, t.orig[pos:sp.start])
		t.writeMasked(&b, sp)
		pos = sp.end
	}
	writeRunes(&b, t.orig[pos:])
	return b.String()
}

func writeRunes(b *strings.Builder, rs []rune) {
	for _, r := range rs {
		b.WriteRune(r)
	}
}

// folded is a text and its folded twin, rune for rune: full-width digits and
// letters become ASCII, every separator people type between digit groups
// becomes ' ', '-', '.', '_', '/', '(' or ')'.
type folded struct {
	orig, fold []rune
	win        window   // the digit groups being read (mask_number.go)
	cur        maskSpan // the number just matched
	singlesEnd int      // end of the stretch of single-digit groups being read
}

func foldText(s string) *folded {
	t := &folded{orig: []rune(s)}
	t.fold = make([]rune, len(t.orig))
	for i, r := range t.orig {
		t.fold[i] = foldRune(r)
	}
	return t
}

// emailSpan is one address: [start, at) is the local part, [at, end) the
// '@' and the domain.
type emailSpan struct{ start, at, end int }

// emails finds the addresses. Each '@' is looked at once, and the scans to
// its left and right stop at the neighbouring '@' at the latest, so the whole
// pass is linear whatever the text.
func (t *folded) emails() []emailSpan {
	var out []emailSpan
	prevEnd := 0
	for at, r := range t.fold {
		if r != '@' || at < prevEnd {
			continue
		}
		start := at
		for start > prevEnd && isLocalRune(t.fold[start-1]) {
			start--
		}
		for start < at && !isASCIIAlnum(t.fold[start]) {
			start++
		}
		if start == at {
			continue
		}
		end := t.domainEnd(at + 1)
		if end < 0 {
			continue
		}
		out = append(out, emailSpan{start: start, at: at, end: end})
		prevEnd = end
	}
	return out
}

// domainEnd is where the domain starting at i ends: after the last label of
// two or more letters that follows at least one other label; -1 if none.
func (t *folded) domainEnd(i int) int {
	end, labels := -1, 0
	for i < len(t.fold) {
		j := i
		letters := true
		for j < len(t.fold) && (isASCIIAlnum(t.fold[j]) || t.fold[j] == '-') {
			if !isASCIILetter(t.fold[j]) {
				letters = false
			}
			j++
		}
		if j == i || t.fold[i] == '-' || t.fold[j-1] == '-' {
			break
		}
		labels++
		if labels > 1 && letters && j-i >= 2 {
			end = j
		}
		if j >= len(t.fold) || t.fold[j] != '.' {
			break
		}
		i = j + 1
	}
	return end
}

func isLocalRune(r rune) bool {
	return isASCIIAlnum(r) || strings.ContainsRune("._%+-", r)
}

func isASCIIAlnum(r rune) bool { return isDigit(r) || isASCIILetter(r) }

func isASCIILetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// foldRune maps full-width digits, letters and number punctuation to ASCII,
// and every space or dash people type between digit groups to ' ' or '-',
// one rune for one rune, so rune indices carry over to the original.
func foldRune(r rune) rune {
	switch {
	case r >= '０' && r <= '９':
		return r - '０' + '0'
	case r >= 'Ａ' && r <= 'Ｚ':
		return r - 'Ａ' + 'A'
	case r >= 'ａ' && r <= 'ｚ':
		return r - 'ａ' + 'a'
	case r >= '\u2000' && r <= '\u200d', r == '\u202f', r == '\u205f', r == '\u2060', r == '\ufeff':
		return ' ' // the typographic spaces, U+2005 (WeChat's mention space) and zero-width ones
	}
	switch r {
	case '－', '‐', '‑', '‒', '–', '—', '―', '−':
		return '-'
	case '\u3000', '\u00a0', '\t':
		return ' '
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
	case '／':
		return '/'
	case '＿':
		return '_'
	case '％':
		return '%'
	}
	return r
}

// ClipText cuts s to at most n characters, marking the cut with "……". It
// never cuts inside a number, masked or not: a number the cut would split
// is dropped whole, so "请回电139****5678" clipped inside the number shows
// "请回电……", never a prefix of the digits. Clip after masking: a prefix of a
// number is no longer recognisable as one.
func ClipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	cut := n
	if numberish(rs[cut]) {
		for cut > 0 && numberish(rs[cut-1]) {
			cut--
		}
	}
	return strings.TrimRight(string(rs[:cut]), " \t") + "……"
}

// numberish is a character that can be part of a written number: a digit,
// a mask star, an ID's X or a separator between groups.
func numberish(r rune) bool {
	r = foldRune(r)
	return isDigit(r) || r == '*' || r == 'X' || r == 'x' || isSep(r) || r == '+'
}
