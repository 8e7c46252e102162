package commands

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Examples shown with every refusal of a 周期, so the owner sees what works.
const (
	exampleSetCycle = "/作业 设置 每周五18:00 提前2小时提醒"
	cycleForms      = "每周五18:00，每周一、周四12:00，每天17:30，每个工作日17:30，每月15日18:00，每月最后一个工作日18:00"
	// defaultCycleHour is the deadline when an owner names only the day
	// ("每两周周五"): the end of the working day, as offices mean it.
	defaultCycleHour = 18
)

// ParseCycle reads a 作业周期 as owners write it — "每周五18:00", "每周一、周四
// 12:00", "每天17:30", "每个工作日17:30", "每月15日18:00", "每月最后一个工作日
// 18:00", "每两周周五", "每周五下午6点", full-width digits and spaces included —
// into a rule. now anchors 每两周: the first deadline is the next such day. It
// is pure; a rule it cannot read is an *qunzhu.Error with a Chinese message
// that shows forms that work.
func ParseCycle(text string, now time.Time) (qunzhu.CycleRule, error) {
	src := normCycleText(text)
	if src == "" {
		return qunzhu.CycleRule{}, qunzhu.Errorf(qunzhu.EINVALID, "请写上交作业的周期。例：%s", exampleSetCycle)
	}
	p := &cycleScanner{s: []rune(src)}
	rule, ok := p.day()
	if !ok {
		return qunzhu.CycleRule{}, errCycle(src)
	}
	if err := p.clock(&rule, src); err != nil {
		return qunzhu.CycleRule{}, err
	}
	if !p.done() {
		return qunzhu.CycleRule{}, errCycle(src)
	}
	if rule.Kind == qunzhu.CycleMonthly && rule.Day != qunzhu.LastDayOfMonth && (rule.Day < 1 || rule.Day > 31) {
		return qunzhu.CycleRule{}, qunzhu.Errorf(qunzhu.EINVALID, "每月没有%d日：请写1到31日。例：/作业 设置 每月15日18:00", rule.Day)
	}
	if rule.EveryWeeks == 2 {
		if rule.Weekdays.Len() != 1 {
			return qunzhu.CycleRule{}, qunzhu.Errorf(qunzhu.EINVALID, "每两周只能选一天。例：/作业 设置 每两周周五18:00")
		}
		rule.Anchor = cycleAnchor(now, rule)
	}
	if err := rule.Validate(); err != nil {
		return qunzhu.CycleRule{}, err
	}
	return rule, nil
}

// errCycle is the refusal of an unreadable 周期.
func errCycle(src string) error {
	return qunzhu.Errorf(qunzhu.EINVALID, "看不懂周期「%s」。可以写：%s。例：%s", src, cycleForms, exampleSetCycle)
}

// normCycleText folds full-width forms, collapses spaces and drops the words
// that add nothing ("截止", "的", "前", trailing punctuation).
func normCycleText(s string) string {
	s = strings.Join(strings.FieldsFunc(foldString(s), unicode.IsSpace), " ")
	s = strings.NewReplacer("的", "", "：", ":", "，", ",", "～", "~", "—", "-", "．", ".").Replace(s)
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "截止"), "截至"))
	for {
		t := strings.TrimRight(s, " 。.!,;、")
		for _, w := range []string{"截止", "截至", "之前", "以前", "前"} {
			t = strings.TrimSuffix(t, w)
		}
		if t == s {
			return s
		}
		s = t
	}
}

// cycleScanner reads a normalized 周期 rune by rune; spaces between words are
// skipped.
type cycleScanner struct {
	s []rune
	i int
}

func (p *cycleScanner) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// eat consumes the first of words found at the cursor.
func (p *cycleScanner) eat(words ...string) bool {
	p.skipSpace()
	rest := string(p.s[p.i:])
	for _, w := range words {
		if strings.HasPrefix(rest, w) {
			p.i += utf8.RuneCountInString(w)
			return true
		}
	}
	return false
}

func (p *cycleScanner) done() bool { p.skipSpace(); return p.i >= len(p.s) }

func (p *cycleScanner) peek() rune {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// day reads the day part of a 周期.
func (p *cycleScanner) day() (qunzhu.CycleRule, bool) {
	r := qunzhu.CycleRule{EveryWeeks: 1, Hour: defaultCycleHour}
	switch {
	case p.eat("每个工作日", "每一个工作日", "每工作日", "工作日每天", "每天工作日", "工作日"):
		r.Kind = qunzhu.CycleWorkdays
	case p.eat("每天", "每日", "天天"):
		r.Kind = qunzhu.CycleDaily
	case p.eat("每月最后一个工作日", "每月最后1个工作日", "每月最后工作日", "每个月最后一个工作日"):
		r.Kind = qunzhu.CycleMonthLastWorkday
	case p.eat("每月最后一天", "每个月最后一天", "每月月底", "每月底", "每月末"):
		r.Kind, r.Day = qunzhu.CycleMonthly, qunzhu.LastDayOfMonth
	case p.eat("每月", "每个月"):
		n, ok := p.number()
		if !ok || !p.eat("日", "号") {
			return r, false
		}
		r.Kind, r.Day = qunzhu.CycleMonthly, n
	case p.eat("每两周", "每2周", "每隔一周", "每隔1周", "隔周", "双周"):
		r.Kind, r.EveryWeeks = qunzhu.CycleWeekly, 2
		return r, p.weekdays(&r)
	case p.eat("每周", "每个周", "每星期", "每个星期", "每礼拜", "每个礼拜", "每週"):
		r.Kind = qunzhu.CycleWeekly
		return r, p.weekdays(&r)
	default:
		return r, false
	}
	return r, true
}

// cycleWeekdayPrefix are the words before a day of the week; after 每周 they are optional.
var cycleWeekdayPrefix = []string{"周", "星期", "礼拜", "週"}

// weekdays reads "五", "一、四", "一至五", "周一和周四" into r.Weekdays.
func (p *cycleScanner) weekdays(r *qunzhu.CycleRule) bool {
	for {
		save := p.i
		p.eat(cycleWeekdayPrefix...)
		d, ok := p.weekday()
		if !ok {
			p.i = save
			return r.Weekdays != 0
		}
		r.Weekdays |= qunzhu.Weekdays(d)
		if p.eat("至", "到", "-", "~") {
			p.eat(cycleWeekdayPrefix...)
			end, ok := p.weekday()
			if !ok {
				return false
			}
			for x := cycleMondayIndex(d); x <= cycleMondayIndex(end); x++ {
				r.Weekdays |= qunzhu.Weekdays(time.Weekday((x + 1) % 7))
			}
		}
		save = p.i
		if !p.eat("、", ",", "和", "及", "与", "/", ";") {
			return true
		}
		if !p.startsWeekday() {
			p.i = save // "每周五, 18:00": the comma ends the days
			return true
		}
	}
}

// startsWeekday reports whether a day of the week follows the cursor.
func (p *cycleScanner) startsWeekday() bool {
	save := p.i
	defer func() { p.i = save }()
	p.eat(cycleWeekdayPrefix...)
	_, ok := p.weekday()
	return ok
}

// weekday reads one day of the week: 一…六, 日, 天, 七, or a digit 1…7 that
// is not the start of a time ("每周5 18:00" but not "每周12:00").
func (p *cycleScanner) weekday() (time.Weekday, bool) {
	p.skipSpace()
	c := p.peek()
	if i := strings.IndexRune("日一二三四五六", c); i >= 0 {
		p.i++
		return time.Weekday(utf8.RuneCountInString("日一二三四五六"[:i])), true
	}
	switch c {
	case '天', '七':
		p.i++
		return time.Sunday, true
	}
	if c >= '1' && c <= '7' {
		if p.i+1 < len(p.s) && strings.ContainsRune("0123456789:点时", p.s[p.i+1]) {
			return 0, false
		}
		p.i++
		return time.Weekday((c - '0') % 7), true
	}
	return 0, false
}

// cycleMondayIndex numbers days Monday 0 … Sunday 6, for ranges like 一至五.
func cycleMondayIndex(d time.Weekday) int { return (int(d) + 6) % 7 }

// clock reads the time of day, if any: "18:00", "18点", "18点半", "下午6点",
// "晚上八点三十分". Without one the deadline stays at defaultCycleHour.
func (p *cycleScanner) clock(r *qunzhu.CycleRule, src string) error {
	p.eat(",", "、")
	if p.done() {
		return nil
	}
	bad := qunzhu.Errorf(qunzhu.EINVALID, "看不懂周期「%s」里的时间：请写成 18:00 或 下午6点。例：%s", src, exampleSetCycle)
	period := ""
	for _, w := range []string{"上午", "早上", "早晨", "中午", "下午", "傍晚", "晚上", "夜里", "凌晨", "晚"} {
		if p.eat(w) {
			period = w
			break
		}
	}
	h, ok := p.number()
	if !ok {
		if period == "" {
			return errCycle(src)
		}
		return bad
	}
	m := 0
	switch {
	case p.eat(":"):
		if m, ok = p.digits(2); !ok {
			return bad
		}
	case p.eat("点", "时"):
		switch {
		case p.eat("半"):
			m = 30
		case p.eat("整"):
		default:
			if n, ok := p.number(); ok {
				m = n
				p.eat("分")
			}
		}
	}
	switch period {
	case "下午", "傍晚", "晚上", "夜里", "晚":
		if h >= 1 && h <= 11 {
			h += 12
		}
	case "中午":
		if h >= 1 && h <= 2 {
			h += 12
		}
	}
	if h > 23 || m > 59 {
		return qunzhu.Errorf(qunzhu.EINVALID, "时间「%s」不对：应在00:00到23:59之间。例：%s", src, exampleSetCycle)
	}
	r.Hour, r.Minute = h, m
	return nil
}

// digits reads exactly n ASCII digits.
func (p *cycleScanner) digits(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for _, c := range p.s[p.i : p.i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}

// number reads a number up to 99 in ASCII digits ("18") or Chinese numerals
// ("十八", "六", "两", "三十", "零五").
func (p *cycleScanner) number() (int, bool) {
	p.skipSpace()
	start := p.i
	v := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' && p.i-start < 3 {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	if p.i > start {
		return v, true
	}
	// Chinese numerals: [d]十[d], or one digit, or 零 followed by a digit.
	d1, ok1 := cycleDigit(p.peek())
	if ok1 {
		p.i++
	}
	if p.peek() == '十' {
		p.i++
		tens := 1
		if ok1 {
			tens = d1
		}
		units, ok := cycleDigit(p.peek())
		if ok {
			p.i++
		}
		return tens*10 + units, true
	}
	if !ok1 {
		return 0, false
	}
	if d1 == 0 {
		if d2, ok := cycleDigit(p.peek()); ok {
			p.i++
			return d2, true
		}
	}
	return d1, true
}

// cycleDigit is the value of one Chinese numeral 零…九 (〇 and 两 included).
func cycleDigit(c rune) (int, bool) {
	switch c {
	case '〇', '零':
		return 0, true
	case '两':
		return 2, true
	}
	const digits = "一二三四五六七八九"
	if i := strings.IndexRune(digits, c); i >= 0 {
		return utf8.RuneCountInString(digits[:i]) + 1, true
	}
	return 0, false
}

// cycleAnchor is the first day of r's week days at or after now, at r's time:
// the anchor that makes 每两周 start with the coming one.
func cycleAnchor(now time.Time, r qunzhu.CycleRule) time.Time {
	for i := 0; i < 8; i++ {
		d := now.AddDate(0, 0, i)
		t := time.Date(d.Year(), d.Month(), d.Day(), r.Hour, r.Minute, 0, 0, now.Location())
		if r.Weekdays.Has(d.Weekday()) && !t.Before(now) {
			return t
		}
	}
	return now
}
