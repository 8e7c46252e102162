package qunzhu_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

// Every way a citizen's number leaked through the first masker, as filed
// (issue 12), kept as regression cases: the number must come out masked and
// the text around it unchanged.
func TestMaskPIILeakCorpus(t *testing.T) {
	tests := []struct{ in, want string }{
		// ID numbers written 6-8-4 or 6-4-4-4.
		{"身份证 110101 19900307 1234", "身份证 110*** ******** 1234"},
		{"身份证110101-19900307-1234", "身份证110***-********-1234"},
		{"身份证110101.19900307.1234", "身份证110***.********.1234"},
		{"身份证110101\u00a019900307\u00a01234", "身份证110***\u00a0********\u00a01234"},
		{"身份证110101\t19900307\t123X", "身份证110***\t********\t123X"},
		{"身份证 110101 1990 0307 1234", "身份证 110*** **** **** 1234"},
		{"身份证110101-1990-0307-123x", "身份证110***-****-****-123x"},
		// Mobiles with every separator people type.
		{"电话 138  0013  8000", "电话 138  ****  8000"},
		{"电话 138 - 0013 - 8000", "电话 138 - **** - 8000"},
		{"电话 138\u00a00013\u00a08000", "电话 138\u00a0****\u00a08000"},
		{"电话 138\t0013\t8000", "电话 138\t****\t8000"},
		{"电话 138\u20050013\u20058000", "电话 138\u2005****\u20058000"},
		{"电话 138.0013.8000", "电话 138.****.8000"},
		{"电话 138—0013—8000", "电话 138—****—8000"},
		{"电话 138\u200b0013\u200b8000", "电话 138\u200b****\u200b8000"},
		{"电话 138_0013_8000", "电话 138_****_8000"},
		{"电话 138/0013/8000", "电话 138/****/8000"},
		{"电话 1380013 8000", "电话 138**** 8000"},
		// Prefixes.
		{"电话+86 13800138000", "电话+86 138****8000"},
		{"tel=%2B8613800138000&x=1", "tel=%2B86138****8000&x=1"},
		{"tel=%2b86-13800138000", "tel=%2b86-138****8000"},
		{"0086 138 0013 8000", "0086 138 **** 8000"},
		{"008613800138000", "0086138****8000"},
		{"86-138-0013-8000", "86-138-****-8000"},
		// Landlines and cards.
		{"座机 021 - 6234 5678", "座机 021 - **** 5678"},
		{"(0571)8888 1234", "(0571)**** 1234"},
		{"银行卡 6222 0212 3456 7894", "银行卡 6222 **** **** 7894"},
		{"卡号6222021234567894转账", "卡号6222********7894转账"},
		{"卡号 6217 0012 3456 7890 122", "卡号 6217 **** **** ***0 122"},
		// Written digit by digit, to be read out or to slip past a filter.
		{"电话 1 3 8 0 0 1 3 8 0 0 0", "电话 1 3 8 * * * * 8 0 0 0"},
		{"身份证 1-1-0-1-0-1-1-9-9-0-0-3-0-7-1-2-3-4。", "身份证 1-1-0-*-*-*-*-*-*-*-*-*-*-*-1-2-3-4。"},
		{"座机 0 2 1 6 2 3 4 5 6 7 8", "座机 0 2 1 * * * * 5 6 7 8"},
		{"卡号 6 2 2 2 0 2 1 2 3 4 5 6 7 8 9 4", "卡号 6 2 2 2 * * * * * * * * 7 8 9 4"},
		{"卡号 6 2 1 7 0 0 1 2 3 4 5 6 7 8 9 0 1 2 2", "卡号 6 2 1 7 * * * * * * * * * * * 0 1 2 2"},
		// Full-width digits with full-width separators.
		{"电话１３８－００１３－８０００", "电话１３８－****－８０００"},
		{"身份证１１０１０１　１９９００３０７　１２３４", "身份证１１０***　********　１２３４"},
	}
	for _, tt := range tests {
		got := qunzhu.MaskPII(tt.in)
		if got != tt.want {
			t.Errorf("MaskPII(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if again := qunzhu.MaskPII(got); again != got {
			t.Errorf("MaskPII is not idempotent: %q → %q", got, again)
		}
	}
}

// The hotline digest clipped titles before masking them, so the group saw
// "请回电139123456……". Masking first and then clipping with ClipText never
// shows a prefix of a number.
func TestClipTextNeverCutsANumber(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"请回电13912345678谢谢", 12, "请回电……"},
		{"请回电139****5678谢谢", 12, "请回电……"},
		{"身份证110***********1234的市民", 20, "身份证……"},
		{"请回电 139 **** 5678 谢谢", 12, "请回电……"},
		{"路灯不亮，请尽快修复，谢谢", 5, "路灯不亮，……"},
		{"短文本", 40, "短文本"},
		{"超期 26 小时", 4, "超期……"},
	}
	for _, tt := range tests {
		if got := qunzhu.ClipText(tt.in, tt.n); got != tt.want {
			t.Errorf("ClipText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	// The order the hotline uses: mask, then clip; nothing of the number
	// survives at any cut.
	title := "市民李先生来电反映小区路灯不亮，请回电13912345678，身份证110101199003071234"
	masked := qunzhu.MaskPII(title)
	for n := 1; n < len([]rune(masked)); n++ {
		got := qunzhu.ClipText(masked, n)
		if strings.Contains(got, "139123") || strings.Contains(got, "11010119") {
			t.Errorf("ClipText(mask, %d) = %q shows a number", n, got)
		}
	}
}

// Public numbers stay readable: the hotline and emergency numbers always, a
// duty line when the owner configured it.
func TestMaskerPublicNumbers(t *testing.T) {
	for _, n := range qunzhu.PublicNumbers {
		s := "请拨打" + n + "反映"
		if got := qunzhu.MaskPII(s); got != s {
			t.Errorf("MaskPII(%q) = %q, want it unchanged", s, got)
		}
	}
	m, err := qunzhu.NewMasker([]string{"021-6234 5678", "+86 138 0013 8000"})
	if err != nil {
		t.Fatal(err)
	}
	in := "值班电话 021-62345678、13800138000，市民电话 13912345678、021-62349999"
	want := "值班电话 021-62345678、13800138000，市民电话 139****5678、021-****9999"
	if got := m.Mask(in); got != want {
		t.Errorf("Mask(%q)\n got %q\nwant %q", in, got, want)
	}
	if got, want := m.Mask("身份证 1 1 0 1 0 1 1 9 9 0 0 3 0 7 1 2 3 4"), "身份证 1 1 0 * * * * * * * * * * * 1 2 3 4"; got != want {
		t.Errorf("Mask of a spelled-out ID = %q, want %q", got, want)
	}
	if _, err := qunzhu.NewMasker([]string{"12345"}); err == nil {
		t.Error("NewMasker accepted 12345, which is no phone number that masking would hide")
	}
	if _, err := qunzhu.NewMasker([]string{"值班室"}); err == nil {
		t.Error("NewMasker accepted a non-number")
	}
}

// A run of digit groups is read in slices; a number that straddles the
// border between two slices is masked like any other.
func TestMaskPIILongRuns(t *testing.T) {
	for k := range 140 {
		in := strings.Repeat("1 ", k) + "138 0013 8000 " + strings.Repeat("2 ", 70-k%70)
		got := qunzhu.MaskPII(in)
		if !strings.Contains(got, "138 **** 8000") {
			t.Fatalf("k=%d: phone after %d single digits not masked: %q", k, k, got)
		}
	}
}
