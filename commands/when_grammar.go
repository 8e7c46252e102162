package commands

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// The grammar of one time expression (see ParseWhen for the forms): markers
// and suffixes, durations, days, dates and times of day, and how a written
// day becomes an instant relative to now.

// whenResult says what a candidate turned out to be.
type whenResult int

const (
	whenNone whenResult = iota // not a time expression: part of the text
	whenOK
	whenBad // looks like a deadline but is unreadable, impossible or past
)

// Words that may introduce a deadline ("限期3天", "截止12月1日") and end one
// ("周五前", "3天内"), longest first so "截止到" is not read as "截止" + "到".
var (
	whenMarkers = []string{"截止到", "截止于", "截止", "截至", "限期至", "限期到", "限期于", "限期在",
		"限期", "期限为", "期限是", "期限", "限", "于", "在", "至", "到"}
	whenSuffixes = []string{"之前", "以前", "以内", "之内", "为止", "前", "内", "止"}
)

// strongMarker reports whether a marker can only introduce a deadline; "于",
// "在", "到" are everyday words.
func strongMarker(m string) bool {
	return strings.HasPrefix(m, "限期") || strings.HasPrefix(m, "期限") || strings.HasPrefix(m, "截")
}

func isAnyDigit(r rune) bool { return (r >= '0' && r <= '9') || isCNDigit(r) }

// whenParser reads one candidate expression relative to now.
type whenParser struct {
	now     time.Time
	rules   WhenRules
	counted *bool // set when a count of days was read
}

// parse reads expr as a whole; anything left over means it is not a time.
// An unreadable expression is refused only when a strong marker ("限期",
// "截止") says a deadline was meant, at a word start or followed by a number:
// "把材料交到办公室" and "完善期限管理制度" are task text, "限期三天半" is a
// deadline nobody can read.
func (p whenParser) parse(expr string, glued bool) (time.Time, whenResult, error) {
	shown := trimSpace(expr)
	e := strings.Join(strings.Fields(strings.ReplaceAll(foldString(shown), "点钟", "点")), " ")
	marker := cutAny(&e, whenMarkers, strings.CutPrefix)
	e = strings.TrimLeft(e, ": ")
	suffix := cutAny(&e, whenSuffixes, strings.CutSuffix)
	e = trimSpace(e)
	unreadable := func() (time.Time, whenResult, error) {
		if strongMarker(marker) && (!glued || strings.ContainsFunc(e, isAnyDigit)) {
			return time.Time{}, whenBad, whenBadf("看不懂期限「%s」。", shown)
		}
		return time.Time{}, whenNone, nil
	}
	if e == "" {
		return unreadable()
	}
	switch e {
	case "急", "加急", "特急", "紧急":
		if suffix != "" {
			return unreadable()
		}
		return p.check(shown, p.now.Add(UrgentWithin).Truncate(time.Minute))
	}
	rs := []rune(e)
	if t, res, err := p.duration(shown, rs, marker, suffix); res != whenNone {
		return t, res, err
	}
	var d whenDate
	i, hasDate := readDate(rs, 0, &d)
	for hasDate && i < len(rs) && (rs[i] == ' ' || rs[i] == 'T') {
		i++
	}
	tod, i, hasTime, badTime := readTimeOfDay(rs, i)
	if i != len(rs) || (!hasDate && !hasTime) {
		return unreadable()
	}
	if badTime {
		return time.Time{}, whenBad, whenBadf("看不懂期限「%s」：没有这个钟点。", shown)
	}
	if !hasTime {
		tod = EndOfWorkday
	}
	if d.kind == dateNextWeekday && d.weekday == p.now.Weekday() {
		y, m, day := p.now.Date()
		if today := time.Date(y, m, day, 0, 0, 0, 0, p.now.Location()).Add(tod); !today.After(p.now) {
			// Said on that very weekday after the hour: a week later is a
			// guess nobody would check, so ask.
			return time.Time{}, whenBad, whenBadf("「%s」今天（%s）已经过了。如果指下一个%s，请写「下%s」。",
				shown, qunzhu.WeekdayName(p.now.Weekday()), qunzhu.WeekdayName(d.weekday), shown)
		}
	}
	t, ok := p.resolve(d, tod)
	if !ok {
		return time.Time{}, whenBad, whenBadf("看不懂期限「%s」：没有这一天。", shown)
	}
	return p.check(shown, t)
}

// check refuses deadlines that have passed or are implausibly far away.
func (p whenParser) check(shown string, t time.Time) (time.Time, whenResult, error) {
	switch {
	case !t.After(p.now):
		return time.Time{}, whenBad, whenBadf("期限「%s」是%s，已经过了，请写一个将来的时间。", shown, qunzhu.FormatWhen(t, p.now))
	case t.Sub(p.now) > maxAhead:
		return time.Time{}, whenBad, whenBadf("期限「%s」是%s，超过一年了，请核对。", shown, qunzhu.FormatWhen(t, p.now))
	}
	return t, whenOK, nil
}

// cmpDuration is d, or def when d is not positive.
func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// cutAny removes the first of affixes that cut finds in *s and returns it.
func cutAny(s *string, affixes []string, cut func(s, affix string) (string, bool)) string {
	for _, a := range affixes {
		if rest, ok := cut(*s, a); ok {
			*s = rest
			return a
		}
	}
	return ""
}

// duration reads "3天", "48小时", "一周", "1个月", "2个工作日", "半天" as a
// time from now. A bare "3日" is a day of the month unless a marker or "内"
// says it is a duration.
func (p whenParser) duration(shown string, rs []rune, marker, suffix string) (time.Time, whenResult, error) {
	n, i, ok := readNumber(rs, 0)
	half := false
	if !ok && len(rs) > 0 && rs[0] == '半' {
		half, i = true, 1
	} else if !ok {
		return time.Time{}, whenNone, nil
	}
	within := suffix == "" || suffix == "内" || suffix == "以内" || suffix == "之内"
	now := p.now.Truncate(time.Minute)
	var t time.Time
	days := func(n int) time.Time { return now.AddDate(0, 0, n) }
	if p.rules.IsWorkday != nil {
		// The last day ends at the close of work, not at this minute.
		y, m, d := now.Date()
		close := cmpDuration(p.rules.Close, EndOfWorkday)
		days = func(n int) time.Time {
			*p.counted = true
			return time.Date(y, m, d+n, 0, 0, 0, 0, now.Location()).Add(close)
		}
	}
	switch unit := string(rs[i:]); {
	case unit == "天" || (unit == "日" && (marker != "" || (suffix != "" && within))):
		t = days(n)
		if half {
			t = now.Add(12 * time.Hour)
		}
	case (unit == "小时" || unit == "个小时" || unit == "钟头" || unit == "个钟头") && !half:
		t = now.Add(time.Duration(n) * time.Hour)
	case (unit == "周" || unit == "个星期" || unit == "星期" || unit == "个礼拜") && !half:
		t = days(7 * n)
	case unit == "个月" || (unit == "月" && half):
		t = now.AddDate(0, n, 0)
		if half {
			t = now.Add(15 * 24 * time.Hour)
		}
	case (unit == "个工作日" || unit == "工作日") && !half:
		workday := func(t time.Time) bool { return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday }
		if p.rules.IsWorkday != nil {
			workday = p.rules.IsWorkday
		}
		k, ahead := 0, 0
		for ahead < 800 && k < n {
			ahead++
			if workday(now.AddDate(0, 0, ahead)) {
				k++
			}
		}
		t = days(ahead)
	default:
		return time.Time{}, whenNone, nil
	}
	if !within {
		if !strongMarker(marker) {
			return time.Time{}, whenNone, nil // "3天前" is a time in the past, not a deadline
		}
		return time.Time{}, whenBad, whenBadf("看不懂期限「%s」。", shown)
	}
	if n == 0 && !half {
		return time.Time{}, whenBad, whenBadf("期限「%s」是零，请写一个将来的时间。", shown)
	}
	return p.check(shown, t)
}

// whenDate is a day as written, resolved against now later.
type whenDate struct {
	kind    dateKind
	n       int          // days from today, or weeks, or months
	weekday time.Weekday // for weekday kinds
	y, m, d int          // for written dates; y is 0 when not written
}

type dateKind int

const (
	dateToday       dateKind = iota // also "no date": today
	dateOffset                      // 明天, 后天: n days from today
	dateNextWeekday                 // 周五: the next one still ahead
	dateWeekOf                      // 本周五, 下周一: weekday of the week n weeks from this one
	dateMonthEnd                    // 月底: last day of the month n months from this one
	dateYearEnd                     // 年底
	dateYMD                         // 12月1日 (y may be 0), 2026-12-01
	dateDayOfMonth                  // 1号
)

// readDate reads a day at rs[i:] into d and returns where it ended.
func readDate(rs []rune, i int, d *whenDate) (int, bool) {
	s := string(rs[i:])
	word := func(kind dateKind, n int, words ...string) (int, bool) {
		for _, w := range words {
			if strings.HasPrefix(s, w) {
				d.kind, d.n = kind, n
				return i + utf8.RuneCountInString(w), true
			}
		}
		return 0, false
	}
	for _, try := range []func() (int, bool){
		func() (int, bool) { return word(dateOffset, 3, "大后天") },
		func() (int, bool) { return word(dateOffset, 2, "后天") },
		func() (int, bool) { return word(dateOffset, 1, "明天", "明日") },
		func() (int, bool) { return word(dateToday, 0, "今天", "今日") },
		// Past days are read so that "修复路灯 昨天" is refused as past
		// rather than taken as part of the task's text.
		func() (int, bool) { return word(dateOffset, -3, "大前天") },
		func() (int, bool) { return word(dateOffset, -2, "前天") },
		func() (int, bool) { return word(dateOffset, -1, "昨天", "昨日") },
		func() (int, bool) { return word(dateMonthEnd, 1, "下个月底", "下月底", "下月末") },
		func() (int, bool) {
			return word(dateMonthEnd, 0, "这个月底", "本月底", "本月末", "月底", "月末", "本月")
		},
		func() (int, bool) { return word(dateYearEnd, 0, "今年年底", "今年底", "年底", "年末") },
	} {
		if j, ok := try(); ok {
			return j, true
		}
	}
	for _, w := range []struct {
		prefix string
		weeks  int
	}{{"下下周", 2}, {"下下星期", 2}, {"下个星期", 1}, {"下星期", 1}, {"下礼拜", 1}, {"下周", 1},
		{"这个星期", 0}, {"本星期", 0}, {"这星期", 0}, {"本礼拜", 0}, {"本周", 0}, {"这周", 0},
		{"星期", -1}, {"礼拜", -1}, {"周", -1}} {
		if !strings.HasPrefix(s, w.prefix) {
			continue
		}
		j := i + utf8.RuneCountInString(w.prefix)
		wd, ok := weekdayAt(rs, j)
		switch {
		case ok && w.weeks < 0:
			d.kind, d.weekday = dateNextWeekday, wd
			return j + 1, true
		case ok:
			d.kind, d.n, d.weekday = dateWeekOf, w.weeks, wd
			return j + 1, true
		case w.weeks >= 0: // "本周", "下周": that week's Friday
			d.kind, d.n, d.weekday = dateWeekOf, w.weeks, time.Friday
			return j, true
		}
		return 0, false
	}
	return readNumericDate(rs, i, d)
}

// weekdayAt reads "一" … "日"/"天" or "1" … "7" as a weekday.
func weekdayAt(rs []rune, i int) (time.Weekday, bool) {
	if i >= len(rs) {
		return 0, false
	}
	if k := strings.IndexRune("日一二三四五六", rs[i]); k >= 0 {
		return time.Weekday(utf8.RuneCountInString("日一二三四五六"[:k])), true
	}
	switch r := rs[i]; {
	case r == '天':
		return time.Sunday, true
	case r >= '1' && r <= '7':
		return time.Weekday((r - '0') % 7), true
	}
	return 0, false
}

// readNumericDate reads 2026-12-01, 2026/12/1, 2026.12.1, 2026年12月1日,
// 12月1日 (or 号) and 1号.
func readNumericDate(rs []rune, i int, d *whenDate) (int, bool) {
	a, j, ok := readNumber(rs, i)
	if !ok {
		return 0, false
	}
	if j-i == 4 && j < len(rs) && strings.ContainsRune("-/.", rs[j]) { // 2026-12-01
		sep := rs[j]
		m, k, ok1 := readDigits(rs, j+1)
		if ok1 && k < len(rs) && rs[k] == sep {
			if day, l, ok2 := readDigits(rs, k+1); ok2 {
				d.kind, d.y, d.m, d.d = dateYMD, a, m, day
				return l, true
			}
		}
		return 0, false
	}
	if j-i == 4 && j < len(rs) && rs[j] == '年' { // 2026年12月1日
		if k, ok := readMonthDay(rs, j+1, d); ok {
			d.y = a
			return k, true
		}
		return 0, false
	}
	if j < len(rs) && rs[j] == '月' {
		return readMonthDay(rs, i, d)
	}
	if j < len(rs) && (rs[j] == '号' || rs[j] == '日') {
		d.kind, d.d = dateDayOfMonth, a
		return j + 1, true
	}
	return 0, false
}

// readMonthDay reads "12月1日" or "12月1号".
func readMonthDay(rs []rune, i int, d *whenDate) (int, bool) {
	m, j, ok := readNumber(rs, i)
	if !ok || j >= len(rs) || rs[j] != '月' {
		return 0, false
	}
	day, k, ok := readNumber(rs, j+1)
	if !ok || k >= len(rs) || (rs[k] != '日' && rs[k] != '号') {
		return 0, false
	}
	d.kind, d.y, d.m, d.d = dateYMD, 0, m, day
	return k + 1, true
}

// resolve turns a written day and a time of day into an instant.
func (p whenParser) resolve(d whenDate, tod time.Duration) (time.Time, bool) {
	now := p.now
	loc := now.Location()
	y, mo, day := now.Date()
	at := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, loc).Add(tod)
	}
	switch d.kind {
	case dateToday:
		return at(y, mo, day), true
	case dateOffset:
		return at(y, mo, day+d.n), true
	case dateNextWeekday:
		for k := 0; ; k++ {
			if t := at(y, mo, day+k); t.Weekday() == d.weekday && t.After(now) {
				return t, true
			}
		}
	case dateWeekOf:
		monday := day - (int(now.Weekday())+6)%7
		return at(y, mo, monday+7*d.n+(int(d.weekday)+6)%7), true
	case dateMonthEnd:
		return at(y, mo+time.Month(d.n)+1, 0), true
	case dateYearEnd:
		return at(y, 12, 31), true
	case dateYMD:
		if d.y != 0 {
			return at(d.y, time.Month(d.m), d.d), validDate(d.y, d.m, d.d)
		}
		return nearest(now, func(k int) (time.Time, bool) {
			return at(y+k, time.Month(d.m), d.d), validDate(y+k, d.m, d.d)
		})
	case dateDayOfMonth:
		return nearest(now, func(k int) (time.Time, bool) {
			first := time.Date(y, mo+time.Month(k), 1, 0, 0, 0, 0, loc)
			return at(first.Year(), first.Month(), d.d), validDate(first.Year(), int(first.Month()), d.d)
		})
	}
	return time.Time{}, false
}

// nearest picks, among the candidates for k = -1, 0, 1 (years or months), the
// valid one closest to now.
func nearest(now time.Time, candidate func(k int) (time.Time, bool)) (time.Time, bool) {
	var best time.Time
	found := false
	for k := -1; k <= 1; k++ {
		t, ok := candidate(k)
		if ok && (!found || absDuration(t.Sub(now)) < absDuration(best.Sub(now))) {
			best, found = t, true
		}
	}
	return best, found
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func validDate(y, m, d int) bool {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return m >= 1 && m <= 12 && t.Day() == d && int(t.Month()) == m
}
