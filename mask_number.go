package qunzhu

import "strings"

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
