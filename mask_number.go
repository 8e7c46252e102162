package qunzhu

import (
	"bytes"
	"strings"
)

// What MaskPII calls a number, found in one pass: the text is cut into runs
// of digit groups joined by up to three separator characters ("138 0013
// 8000", "110101 19900307 1234", "021 - 6234 5678"), and each run is read
// group by group against the shapes citizens' numbers take. Nothing is ever
// re-read from a later start, so the work is linear in the text.

// Kinds of number found.
const (
	kindMobile = iota + 1
	kindLandline
	kindID
	kindCard
)

// maskSpan is one number: the digits of [start, end) are hidden but for
// head and tail of them; key is its digits, for the allow-list.
type maskSpan struct {
	start, end int
	head, tail int
	kind       int
	skip       int    // leading digits that are no part of the key (a country code)
	key        string // set only when a masker with public numbers asks
}

// group is one digit group of a run, [start, end) in runes; x is set when
// it ends with an ID number's check character X.
type group struct {
	start, end int
	x          bool
}

func (g group) len() int { return g.end - g.start }

// maxSepRunes is how many separator characters may stand between two groups
// of one number (" - ", a double space).
const maxSepRunes = 3

func isSep(r rune) bool {
	switch r {
	case ' ', '-', '.', '_', '/', '(', ')':
		return true
	}
	return false
}

// A run is read in slices of runGroups groups, so a run of any length
// (1 MiB of "1 2 3 …") costs no more memory than a short one. A number spans
// at most spanGroups groups, and the slice keeps enough of them for that.
const (
	runGroups  = 64
	spanGroups = 19 // a card number written digit by digit
)

// numbers calls emit for each number to mask, in text order; numbers in the
// masker's allow-list are skipped. m may be nil.
func (t *folded) numbers(m *Masker, emit func(maskSpan)) {
	r := t.fold
	groups := make([]group, 0, runGroups)
	for i := 0; i < len(r); {
		if !isDigit(r[i]) {
			i++
			continue
		}
		// A run: groups joined by short separators.
		groups = groups[:0]
		t.singlesEnd = 0
		from := 0
		j := i
		for {
			g := group{start: j}
			for j < len(r) && isDigit(r[j]) {
				j++
			}
			if j < len(r) && (r[j] == 'X' || r[j] == 'x') && (j+1 == len(r) || !isWordRune(r[j+1])) {
				g.x = true
				j++
			}
			g.end = j
			groups = append(groups, g)
			if len(groups) == runGroups {
				// Read what no later group can change; keep the group before
				// the next start, whose separator says whether it may start.
				next := t.readRun(groups, from, runGroups-spanGroups, m, emit)
				groups = groups[:copy(groups, groups[next-1:])]
				from, t.singlesEnd = 1, 0
			}
			if g.x {
				break
			}
			k := j
			for k < len(r) && k-j < maxSepRunes && isSep(r[k]) {
				k++
			}
			if k == j || k == len(r) || !isDigit(r[k]) {
				break
			}
			j = k
		}
		t.readRun(groups, from, len(groups), m, emit)
		i = j
	}
}

// readRun matches the run's groups from index from until before until,
// taking the longest number that starts at each group and stands alone, and
// returns the index where it stopped (until, or after a number that goes
// past it). Index 0 is the run's first group.
func (t *folded) readRun(gs []group, from, until int, m *Masker, emit func(maskSpan)) int {
	i := from
	for i < until {
		n := t.matchAt(gs, i)
		if n == 0 {
			i++
			continue
		}
		sp := t.cur
		if m != nil {
			sp.key = t.keyOf(gs[i:i+n], sp.skip)
		}
		if m == nil || !m.public[sp.key] {
			emit(sp)
		}
		i += n
	}
	return i
}

// keyOf is the digits of gs without the first skip of them, the number as
// the allow-list keys it.
func (t *folded) keyOf(gs []group, skip int) string {
	var b []byte
	for _, g := range gs {
		for _, r := range t.fold[g.start:g.end] {
			b = append(b, byte(r))
		}
	}
	return string(b[min(skip, len(b)):])
}

// Digit counts each kind of number can have, as bit sets over window.has.
const (
	lenID       = 1<<15 | 1<<18
	lenCard     = 1<<16 | 1<<17 | 1<<18 | 1<<19
	lenMobile   = 1<<11 | 1<<13 | 1<<15
	lenLandline = 1<<10 | 1<<11 | 1<<12
	lenLocal    = 1<<7 | 1<<8
)

// matchAt finds the number starting at group i (left in t.cur) and returns
// how many groups it takes (0: none). Only the kinds whose digit count the
// window can reach are tried.
func (t *folded) matchAt(gs []group, i int) int {
	if gs[i].len() == 1 && t.aloneBefore(gs, i) {
		if n := t.spelledAt(gs, i); n > 0 && t.aloneAfter(gs, i+n-1) {
			return n
		}
	}
	t.load(gs, i)
	has := t.win.has
	if has&(lenID|lenCard|lenMobile|lenLandline|lenLocal) == 0 || !t.aloneBefore(gs, i) {
		return 0
	}
	for k := range 5 {
		n := 0
		switch {
		case k == 0 && has&lenID != 0:
			n = t.idAt(gs, i)
		case k == 1 && has&lenCard != 0:
			n = t.cardAt(gs, i)
		case k == 2 && has&lenMobile != 0:
			n = t.mobileAt(gs, i)
		case k == 3 && has&lenLandline != 0:
			n = t.landlineAt(gs, i)
		case k == 4 && has&lenLocal != 0 && i == 0:
			n = t.localAt(gs, i)
		}
		if n > 0 && t.aloneAfter(gs, i+n-1) {
			return n
		}
	}
	return 0
}

// spelledAt: a number written digit by digit ("1 3 8 0 0 1 3 8 0 0 0"), the
// way someone who wants it read out, or to slip past a filter, writes it.
func (t *folded) spelledAt(gs []group, i int) int {
	// Where this stretch of single digits ends is found once per stretch.
	if i >= t.singlesEnd {
		t.singlesEnd = i
		for t.singlesEnd < len(gs) && gs[t.singlesEnd].len() == 1 && !gs[t.singlesEnd].x {
			t.singlesEnd++
		}
	}
	var d [19]byte
	n := min(len(d), t.singlesEnd-i)
	if n < 10 { // the shortest spelled-out number, a landline, has ten digits
		return 0
	}
	for k := range n {
		d[k] = byte(t.fold[gs[i+k].start])
	}
	emit := func(groups, head, tail, kind, skip int) int {
		t.span(gs, i, groups, head, tail, kind)
		t.cur.start = gs[i+skip].start
		return groups
	}
	// (A landline keeps its area code visible and in its key, as landlineAt.)
	if n >= 18 && validID18(d[:18]) {
		return emit(18, 3, 4, kindID, 0)
	}
	if n >= 16 && strings.IndexByte("34569", d[0]) >= 0 {
		// The Luhn sums of every length at once: a[k] doubles the digits
		// at even indices among the first k, b[k] those at odd ones.
		var a, b [20]int
		for j := range n {
			v, w := int(d[j]-'0'), 2*int(d[j]-'0')
			if w > 9 {
				w -= 9
			}
			if j%2 == 0 {
				a[j+1], b[j+1] = a[j]+w, b[j]+v
			} else {
				a[j+1], b[j+1] = a[j]+v, b[j]+w
			}
		}
		for l := n; l >= 16; l-- {
			sum := b[l] // (l-1) even: the digits at odd indices are doubled
			if (l-1)%2 == 1 {
				sum = a[l]
			}
			if sum%10 == 0 {
				return emit(l, 4, 4, kindCard, 0)
			}
		}
	}
	if n >= 11 && isMobile(d[:11]) {
		return emit(11, 3, 4, kindMobile, 0)
	}
	for _, a := range []int{3, 4} {
		for _, l := range []int{8, 7} {
			if n >= a+l && areaCode(d[:a]) && localNumber(d[a:a+l]) {
				return emit(a+l, 0, 4, kindLandline, a)
			}
		}
	}
	return 0
}

// aloneBefore reports whether a number may start at group i: not glued to a
// letter, a digit or a mask star before the run, and not the digits after a
// decimal point or a version's dot.
func (t *folded) aloneBefore(gs []group, i int) bool {
	if i > 0 {
		return !t.sepHas(gs[i-1].end, gs[i].start, '.')
	}
	s := gs[0].start
	if s == 0 {
		return true
	}
	if s >= 3 && t.fold[s-3] == '%' && t.fold[s-2] == '2' && (t.fold[s-1] == 'B' || t.fold[s-1] == 'b') {
		return true // %2B86…: a '+' in a link
	}
	p := t.fold[s-1]
	return !isWordRune(p) && p != '*'
}

// aloneAfter reports whether a number may end with group j: not followed by
// a decimal part, a letter or a mask star.
func (t *folded) aloneAfter(gs []group, j int) bool {
	if j < len(gs)-1 {
		return !t.sepHas(gs[j].end, gs[j+1].start, '.')
	}
	e := gs[j].end
	if e == len(t.fold) {
		return true
	}
	p := t.fold[e]
	return !isWordRune(p) && p != '*'
}

func (t *folded) sepHas(from, to int, r rune) bool {
	for k := from; k < to; k++ {
		if t.fold[k] == r {
			return true
		}
	}
	return false
}

// isWordRune is what a number must not be glued to: a digit, an ASCII
// letter or '_' (Chinese text around a number is fine).
func isWordRune(r rune) bool { return isASCIIAlnum(r) || r == '_' }

// window holds the digits of the few groups from one start, so that each
// shape is checked without building strings: no number is longer than
// len(d) digits, and none spans more than len(cum)-1 groups.
type window struct {
	d   [24]byte
	cum [6]int // cum[k]: digits in the first k groups
	n   int    // groups loaded
	x   int    // groups loaded before one that ends with X (only a run's last can)
	has uint32 // bit c set when some cum[k] (k >= 1) is c
}

// load fills the window with the groups from i.
func (t *folded) load(gs []group, i int) {
	w := &t.win
	w.n, w.cum[0], w.has = 0, 0, 0
	pos := 0
	for k := i; k < len(gs) && w.n < len(w.cum)-1; k++ {
		g := gs[k]
		if pos+g.len() > len(w.d) {
			break
		}
		for _, r := range t.fold[g.start:g.end] {
			w.d[pos] = byte(r)
			pos++
		}
		w.n++
		w.cum[w.n] = pos
		w.has |= 1 << pos
	}
	w.x = w.n
	if w.n > 0 && gs[i+w.n-1].x {
		w.x = w.n - 1
	}
}

// digits is the text of the first n loaded groups without separators (the
// window must hold them: n <= t.win.n).
func (t *folded) digits(n int) []byte { return t.win.d[:t.win.cum[n]] }

// noX reports whether none of the first n loaded groups ends with an X.
func (t *folded) noX(n int) bool { return n <= t.win.x }

// span records in t.cur the number made of groups gs[i:i+n].
func (t *folded) span(gs []group, i, n, head, tail, kind int) {
	t.cur = maskSpan{start: gs[i].start, end: gs[i+n-1].end, head: head, tail: tail, kind: kind}
}

// idAt: an 18-character resident ID number, whole or in groups of three or
// more (6-8-4, 6-4-4-4 …), or the old 15-digit one; only the last character
// may be X.
func (t *folded) idAt(gs []group, i int) int {
	for n := t.win.n; n >= 1; n-- {
		if c := t.win.cum[n]; c != 18 && c != 15 {
			continue
		}
		if !t.noX(n-1) || (n > 1 && !groupsOK(gs, i, n, 0)) {
			continue
		}
		d := t.digits(n)
		if validID18(d) || (n == 1 && !gs[i].x && validID15(d)) {
			t.span(gs, i, n, 3, 4, kindID)
			return n
		}
	}
	return 0
}

// cardAt: a bank card number of 16-19 digits with a valid Luhn check digit,
// whole or in groups of three or more, starting like the cards issued in
// China (3, 4, 5, 6 or 9).
func (t *folded) cardAt(gs []group, i int) int {
	for n := t.win.n; n >= 1; n-- {
		if c := t.win.cum[n]; c < 16 || c > 19 {
			continue
		}
		if !t.noX(n) || (n > 1 && !groupsOK(gs, i, n, 0)) {
			continue
		}
		d := t.digits(n)
		if len(d) >= 16 && len(d) <= 19 && strings.IndexByte("34569", d[0]) >= 0 && luhn(d) {
			t.span(gs, i, n, 4, 4, kindCard)
			return n
		}
	}
	return 0
}

// mobileAt: a mainland mobile number, 1[3-9] and nine more digits, whole or
// in up to three groups of three or more, maybe after 86 or 0086 (as a group
// of its own or glued on; a '+' before it is outside the run).
func (t *folded) mobileAt(gs []group, i int) int {
	for n := min(4, t.win.n); n >= 1; n-- {
		if c := t.win.cum[n]; c != 11 && c != 13 && c != 15 {
			continue
		}
		if !t.noX(n) {
			continue
		}
		d := t.digits(n)
		for _, cc := range []string{"", "86", "0086"} {
			if len(d) != len(cc)+11 || !bytes.HasPrefix(d, []byte(cc)) || !isMobile(d[len(cc):]) || gs[i].len() < len(cc) {
				continue
			}
			if n > 1 && !groupsOK(gs, i, n, len(cc)) {
				continue
			}
			t.span(gs, i, n, 3, 4, kindMobile)
			t.cur.start, t.cur.skip = t.digitPos(gs, i, len(cc)), len(cc)
			return n
		}
	}
	return 0
}

// groupsOK reports whether the groups of a number written in parts each have
// three digits or more; a first group that is exactly the skip-digit prefix
// (a country code) is exempt.
func groupsOK(gs []group, i, n, skip int) bool {
	for k, g := range gs[i : i+n] {
		if g.len() < 3 && !(k == 0 && g.len() == skip) {
			return false
		}
	}
	return true
}

// digitPos is the rune index of the k-th digit (from 0) of the groups from i.
func (t *folded) digitPos(gs []group, i, k int) int {
	for _, g := range gs[i:] {
		if k < g.len() {
			return g.start + k
		}
		k -= g.len()
	}
	return gs[len(gs)-1].end
}

func isMobile(d []byte) bool { return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' }

// areaCode reports whether d is a Chinese area code: 010, 02x or 0[3-9]xx.
func areaCode(d []byte) bool {
	switch len(d) {
	case 3:
		return string(d) == "010" || (d[0] == '0' && d[1] == '2')
	case 4:
		return d[0] == '0' && d[1] >= '3' && d[1] <= '9'
	}
	return false
}

// localNumber reports whether d is a 7- or 8-digit local number (2-9 first).
func localNumber(d []byte) bool { return (len(d) == 7 || len(d) == 8) && d[0] >= '2' && d[0] <= '9' }

// landlineAt: an area code and a local number, written apart ("021-6234
// 5678", "(0571)88881234") or together ("02162345678"). The area code stays
// readable; an extension after it is not part of the number.
func (t *folded) landlineAt(gs []group, i int) int {
	for n := min(3, t.win.n); n >= 1; n-- {
		if c := t.win.cum[n]; c < 10 || c > 12 {
			continue
		}
		if !t.noX(n) || (n > 1 && !groupsOK(gs, i, n, 0)) {
			continue
		}
		d := t.digits(n)
		for _, a := range []int{3, 4} {
			if len(d) > a && gs[i].len() >= a && areaCode(d[:a]) && localNumber(d[a:]) {
				t.span(gs, i, n, 0, 4, kindLandline)
				t.cur.start = t.digitPos(gs, i, a)
				return n
			}
		}
	}
	return 0
}

// phoneWords say that the local number after them is a phone number; only
// then is a bare local number (no area code) masked.
var phoneWords = []string{"电话", "手机", "座机", "固话", "联系方式", "tel", "phone"}

// localAt: a bare 7- or 8-digit local number right after a word that says
// it is a phone ("电话：62345678", "联系电话 6234 5678", "Tel: 62345678").
func (t *folded) localAt(gs []group, i int) int {
	if i != 0 {
		return 0
	}
	for n := min(2, t.win.n); n >= 1; n-- {
		if c := t.win.cum[n]; c != 7 && c != 8 {
			continue
		}
		ok := t.noX(n) && (n == 1 || groupsOK(gs, 0, n, 0))
		if ok && localNumber(t.digits(n)) && t.afterPhoneWord(gs[0].start) {
			t.span(gs, 0, n, 0, 4, kindLandline)
			return n
		}
	}
	return 0
}

// afterPhoneWord reports whether a phone word ends just before s, allowing
// spaces, a colon and 号码/号 between.
func (t *folded) afterPhoneWord(s int) bool {
	k := s
	for k > 0 && k > s-8 && (t.fold[k-1] == ' ' || t.fold[k-1] == ':' || t.fold[k-1] == '：') {
		k--
	}
	before := []rune(strings.ToLower(string(t.fold[max(0, k-8):k])))
	if n := len(before); n >= 2 && string(before[n-2:]) == "号码" {
		before = before[:n-2]
	} else if n >= 1 && before[n-1] == '号' {
		before = before[:n-1]
	}
	for _, w := range phoneWords {
		wr := []rune(w)
		n := len(before) - len(wr)
		if n < 0 || string(before[n:]) != w {
			continue
		}
		// "Hotel 62345678" is no phone word: an English word stands alone.
		if isASCIILetter(wr[0]) && n > 0 && isASCIILetter(before[n-1]) {
			continue
		}
		return true
	}
	return false
}

// writeMasked writes the span with its digits hidden but for head and tail.
func (t *folded) writeMasked(b *strings.Builder, sp maskSpan) {
	total := 0
	for k := sp.start; k < sp.end; k++ {
		if isMaskable(t.fold[k]) {
			total++
		}
	}
	n := 0
	for k := sp.start; k < sp.end; k++ {
		if !isMaskable(t.fold[k]) {
			b.WriteRune(t.orig[k])
			continue
		}
		if n >= sp.head && n < total-sp.tail {
			b.WriteByte('*')
		} else {
			b.WriteRune(t.orig[k])
		}
		n++
	}
}

func isMaskable(r rune) bool { return isDigit(r) || r == 'X' || r == 'x' }

// luhn reports whether d passes the Luhn check bank card numbers carry.
func luhn(d []byte) bool {
	sum := 0
	for i := range len(d) {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

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
func validID18(s []byte) bool {
	return len(s) == 18 && (string(s[6:8]) == "19" || string(s[6:8]) == "20") && validMonthDay(s[10:12], s[12:14]) && provinces[string(s[:2])]
}

// validID15 accepts the pre-1999 form: province, yymmdd, three more digits.
func validID15(s []byte) bool {
	return len(s) == 15 && provinces[string(s[:2])] && validMonthDay(s[8:10], s[10:12])
}

func validMonthDay(mm, dd []byte) bool {
	m := int(mm[0]-'0')*10 + int(mm[1]-'0')
	d := int(dd[0]-'0')*10 + int(dd[1]-'0')
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}
