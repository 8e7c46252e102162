package festival_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/festival"
)

var china = time.FixedZone("CST", 8*3600)

// TestDates pins every festival's date for 2026–2028. The lunar ones come from
// lunar-go and were checked by hand against the State Council's holiday
// notices and printed almanacs: 春节 2026-02-17 (除夕 02-16), 清明 2026-04-05,
// 端午 2026-06-19, 中秋 2026-09-25 and 2027-09-15, 春节 2027-02-06 and
// 2028-01-26, 中秋 2028-10-03; 2028 has a leap fifth month, after 端午.
func TestDates(t *testing.T) {
	want := map[string][3]string{
		"元旦":  {"2026-01-01", "2027-01-01", "2028-01-01"},
		"腊八":  {"2026-01-26", "2027-01-15", "2028-01-04"},
		"除夕":  {"2026-02-16", "2027-02-05", "2028-01-25"},
		"春节":  {"2026-02-17", "2027-02-06", "2028-01-26"},
		"元宵":  {"2026-03-03", "2027-02-20", "2028-02-09"},
		"龙抬头": {"2026-03-20", "2027-03-09", "2028-02-26"},
		"妇女节": {"2026-03-08", "2027-03-08", "2028-03-08"},
		"植树节": {"2026-03-12", "2027-03-12", "2028-03-12"},
		"清明":  {"2026-04-05", "2027-04-05", "2028-04-04"},
		"劳动节": {"2026-05-01", "2027-05-01", "2028-05-01"},
		"青年节": {"2026-05-04", "2027-05-04", "2028-05-04"},
		"端午":  {"2026-06-19", "2027-06-09", "2028-05-28"},
		"儿童节": {"2026-06-01", "2027-06-01", "2028-06-01"},
		"建党节": {"2026-07-01", "2027-07-01", "2028-07-01"},
		"建军节": {"2026-08-01", "2027-08-01", "2028-08-01"},
		"七夕":  {"2026-08-19", "2027-08-08", "2028-08-26"},
		"教师节": {"2026-09-10", "2027-09-10", "2028-09-10"},
		"中秋":  {"2026-09-25", "2027-09-15", "2028-10-03"},
		"国庆":  {"2026-10-01", "2027-10-01", "2028-10-01"},
		"重阳":  {"2026-10-18", "2027-10-08", "2028-10-26"},
		"冬至":  {"2026-12-22", "2027-12-22", "2028-12-21"},
	}
	cal := festival.New(china)
	if got, want := len(cal.Festivals()), len(want); got != want {
		t.Errorf("Festivals() has %d festivals, the table %d: add the new one here", got, want)
	}
	for _, f := range cal.Festivals() {
		dates, ok := want[f.Name]
		if !ok {
			t.Errorf("festival %q has no expected dates", f.Name)
			continue
		}
		for i, w := range dates {
			year := 2026 + i
			d, ok := cal.Date(f.Name, year)
			if !ok {
				t.Errorf("Date(%s, %d) not known", f.Name, year)
				continue
			}
			if got := d.Format(time.DateOnly); got != w {
				t.Errorf("Date(%s, %d) = %s, want %s", f.Name, year, got, w)
			}
			if d.Hour() != 0 || d.Minute() != 0 || d.Location() != china {
				t.Errorf("Date(%s, %d) = %v, want midnight in the calendar's zone", f.Name, year, d)
			}
		}
	}
}

// TestLabaOfAYearMayFallTheDecemberBefore: 腊八 of year 2023 (lunar 2022-12-08)
// was 2022-12-30, and 腊八 of 2024 was 2024-01-18; each year number still has
// exactly one occurrence, so a yearly greeting neither skips nor repeats.
func TestLabaOfAYearMayFallTheDecemberBefore(t *testing.T) {
	cal := festival.New(china)
	for year, want := range map[int]string{2023: "2022-12-30", 2024: "2024-01-18"} {
		d, _ := cal.Date("腊八", year)
		if got := d.Format(time.DateOnly); got != want {
			t.Errorf("Date(腊八, %d) = %s, want %s", year, got, want)
		}
	}
}

// TestOccurrencesIncrease: for every festival, year after year (2020–2050),
// the dates are strictly increasing and between 300 and 420 days apart — no
// year number maps to the same day twice or skips a year.
func TestOccurrencesIncrease(t *testing.T) {
	cal := festival.New(china)
	for _, f := range cal.Festivals() {
		prev, _ := cal.Date(f.Name, 2020)
		for y := 2021; y <= 2050; y++ {
			d, ok := cal.Date(f.Name, y)
			if !ok {
				t.Fatalf("Date(%s, %d) not known", f.Name, y)
			}
			if gap := d.Sub(prev).Hours() / 24; gap < 300 || gap > 420 {
				t.Errorf("%s: %s then %s, %v days apart", f.Name, prev.Format(time.DateOnly), d.Format(time.DateOnly), gap)
			}
			prev = d
		}
	}
}

func TestFestivalNames(t *testing.T) {
	cal := festival.New(china)
	tests := []struct {
		typed, want string
	}{
		{"端午", "端午"}, {"端午节", "端午"}, {"端阳", "端午"},
		{"中秋节", "中秋"}, {"八月十五", "中秋"},
		{"五一", "劳动节"}, {"劳动节", "劳动节"}, {"国庆节", "国庆"}, {"十一", "国庆"},
		{"春节", "春节"}, {"过年", "春节"}, {"大年三十", "除夕"},
		{"元宵节", "元宵"}, {"清明节", "清明"}, {"重阳节", "重阳"}, {"七夕节", "七夕"},
		{"腊八节", "腊八"}, {"冬至", "冬至"}, {"元旦", "元旦"}, {" 中 秋 ", "中秋"},
		{"三八", "妇女节"}, {"教师节", "教师节"},
	}
	for _, tt := range tests {
		f, ok := cal.Festival(tt.typed)
		if !ok || f.Name != tt.want {
			t.Errorf("Festival(%q) = %q, %v; want %q", tt.typed, f.Name, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "圣诞节", "情人节", "节"} {
		if f, ok := cal.Festival(bad); ok {
			t.Errorf("Festival(%q) = %q, want unknown", bad, f.Name)
		}
	}
	if f, _ := cal.Festival("端午"); f.FullName != "端午节" || !f.Lunar {
		t.Errorf("端午 = %+v, want full name 端午节 and lunar", f)
	}
	if _, ok := cal.Date("端午", 2100); ok {
		t.Error("Date(端午, 2100) known, want out of range")
	}
}

// TestNextFestivalTime: the next 端午 at 9:00 seen from various moments,
// including the festival morning itself and just after the greeting time.
func TestNextFestivalTime(t *testing.T) {
	cal := festival.New(china)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, china)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		after    string
		wantAt   string
		wantYear int
	}{
		{"2026-01-01 00:00", "2026-06-19 09:00", 2026},
		{"2026-06-19 08:59", "2026-06-19 09:00", 2026},
		{"2026-06-19 09:00", "2027-06-09 09:00", 2027},
		{"2026-12-31 23:59", "2027-06-09 09:00", 2027},
		{"2027-07-01 12:00", "2028-05-28 09:00", 2028},
	}
	for _, tt := range tests {
		got, year, ok := qunzhu.NextFestivalTime(cal, "端午", 9, 0, at(tt.after))
		if !ok || !got.Equal(at(tt.wantAt)) || year != tt.wantYear {
			t.Errorf("after %s: %v %d %v, want %s %d", tt.after, got, year, ok, tt.wantAt, tt.wantYear)
		}
	}
	// 腊八 of 2027 is in January 2027: seen from February 2026, the next one
	// is that one, year number 2027.
	got, year, _ := qunzhu.NextFestivalTime(cal, "腊八", 8, 30, at("2026-02-01 00:00"))
	if want := at("2027-01-15 08:30"); !got.Equal(want) || year != 2027 {
		t.Errorf("next 腊八 = %v (%d), want %v (2027)", got, year, want)
	}
	if _, _, ok := qunzhu.NextFestivalTime(cal, "圣诞", 9, 0, at("2026-01-01 00:00")); ok {
		t.Error("unknown festival found")
	}
}

func BenchmarkDate(b *testing.B) {
	cal := festival.New(china)
	for i := 0; b.Loop(); i++ {
		cal.Date("中秋", 1950+i%100)
	}
}
