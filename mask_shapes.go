package qunzhu

import (
	"bytes"
	"strings"
)

// The shapes citizens' numbers take, each read from a group of a run (see
// mask_number.go): ID numbers, bank cards, mobiles, landlines, a bare local
// number after a phone word, and any of them spelled out digit by digit.
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
