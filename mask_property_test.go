package qunzhu_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

// A generated number in one of the formats citizens write.
type genNumber struct {
	text string // as written
	core string // the digits that must not survive (X for an ID's check character)
}

var (
	genSeps    = []string{"", " ", "  ", " - ", "-", "\u00a0", "\t", "\u2005", ".", "—", "\u200b", "_", "/", "\u3000", "－"}
	genURLSeps = []string{"", "-", ".", "_"}
	genBefore  = []string{"市民来电反映：", "请回电", "联系人王女士，", "身份证号", "卡号", "（", "座机：", "", "【12345】"}
	genAfter   = []string{"，谢谢。", "。", "）", "反映噪音扰民", "", "，请尽快处理"}
)

func digitsN(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

func luhnComplete(p string) string {
	sum := 0
	for i := range len(p) {
		v := int(p[len(p)-1-i] - '0')
		if i%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return p + string(rune('0'+(10-sum%10)%10))
}

// grouped writes digits in groups of the given sizes with separators from seps.
func grouped(r *rand.Rand, digits string, sizes []int, seps []string) string {
	var b strings.Builder
	pos := 0
	for i, n := range sizes {
		if i > 0 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
		b.WriteString(digits[pos : pos+n])
		pos += n
	}
	return b.String()
}

func genOne(r *rand.Rand, seps []string, inURL bool) genNumber {
	pick := func(opts ...[]int) []int { return opts[r.IntN(len(opts))] }
	switch r.IntN(4) {
	case 0: // mobile, maybe with a country code
		d := "1" + string(rune('3'+r.IntN(7))) + digitsN(r, 9)
		text := grouped(r, d, pick([]int{11}, []int{3, 4, 4}, []int{3, 8}, []int{7, 4}), seps)
		prefixes := []string{"", "+86", "+86 ", "0086", "0086-", "86-"}
		if inURL {
			prefixes = []string{"", "%2B86", "0086"}
		}
		return genNumber{text: prefixes[r.IntN(len(prefixes))] + text, core: d}
	case 1: // 18-character ID number
		provinces := []string{"11", "31", "44", "51", "65"}
		d := provinces[r.IntN(len(provinces))] + digitsN(r, 4) +
			fmt.Sprintf("%d%02d%02d%02d", 19+r.IntN(2), r.IntN(100), 1+r.IntN(12), 1+r.IntN(28)) + digitsN(r, 3)
		if r.IntN(4) == 0 {
			d += "X"
		} else {
			d += digitsN(r, 1)
		}
		return genNumber{text: grouped(r, d, pick([]int{18}, []int{6, 8, 4}, []int{6, 4, 4, 4}), seps), core: d}
	case 2: // bank card, 16 or 19 digits
		if r.IntN(2) == 0 {
			d := luhnComplete("62" + digitsN(r, 13))
			return genNumber{text: grouped(r, d, pick([]int{16}, []int{4, 4, 4, 4}), seps), core: d}
		}
		d := luhnComplete("62" + digitsN(r, 16))
		return genNumber{text: grouped(r, d, pick([]int{19}, []int{4, 4, 4, 4, 3}, []int{6, 13}), seps), core: d}
	}
	// landline with an area code
	areas := []string{"010", "021", "0571", "0755", "028"}
	area := areas[r.IntN(len(areas))]
	local := string(rune('2'+r.IntN(8))) + digitsN(r, 7)
	var text string
	if r.IntN(2) == 0 {
		text = area + seps[r.IntN(len(seps))] + grouped(r, local, pick([]int{8}, []int{4, 4}), seps)
	} else {
		text = "(" + area + ")" + local
	}
	return genNumber{text: text, core: local}
}

// digitsAndStars keeps what could show a number: digits (folded), X and the
// mask's stars.
func digitsAndStars(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case r >= '0' && r <= '9', r == 'X', r == '*':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}

// Numbers in every generated format, inside Chinese text and inside links,
// never survive masking: no phone's 11 digits, no ID's 18 characters, no
// card's digits, no landline's local number.
func TestMaskPIIProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	for i := range 5000 {
		inURL := r.IntN(3) == 0
		var nums []genNumber
		var b strings.Builder
		if inURL {
			n := genOne(r, genURLSeps, true)
			nums = append(nums, n)
			b.WriteString("工单详情：https://12345.sh.gov.cn/t?id=GD001&tel=" + n.text + "&n=2 请查看")
		} else {
			for range 1 + r.IntN(3) {
				n := genOne(r, genSeps, false)
				if r.IntN(4) == 0 {
					n.text = fullWidth(n.text)
				}
				nums = append(nums, n)
				b.WriteString(genBefore[r.IntN(len(genBefore))] + n.text + genAfter[r.IntN(len(genAfter))] + "、")
			}
		}
		in := b.String()
		got := qunzhu.MaskPII(in)
		shown := digitsAndStars(got)
		for _, n := range nums {
			if strings.Contains(shown, strings.ToUpper(n.core)) {
				t.Fatalf("case %d: %q survives masking\n in %q\nout %q", i, n.core, in, got)
			}
		}
		if again := qunzhu.MaskPII(got); again != got {
			t.Fatalf("case %d: not idempotent: %q → %q", i, got, again)
		}
	}
}
