// Package festival tells when Chinese festivals fall: 春节, 端午 and 中秋 move
// with the lunar calendar, 清明 and 冬至 are solar terms, 元旦 and 国庆 are
// fixed days — and, in holidays.go, which days are statutory holidays or 调休
// working days. It is the only importer of github.com/6tail/lunar-go and
// implements qunzhu.Calendar; it is pure (no clock, no store), so its dates can
// be checked year by year in a table.
package festival

import (
	"strings"
	"sync"
	"time"

	"github.com/6tail/lunar-go/calendar"

	"github.com/qunzhu/qunzhu"
)

// rule computes the Gregorian date of one festival's occurrence number year.
type rule func(year int) (y int, m time.Month, d int)

// entry is one festival with the other names people type for it.
type entry struct {
	qunzhu.Festival
	aliases []string
	date    rule
}

// solar is a fixed day of the Gregorian calendar.
func solar(m time.Month, d int) rule {
	return func(year int) (int, time.Month, int) { return year, m, d }
}

// lunarDay is a day of the lunar calendar in lunar year `year+shift`: 腊八 of
// year Y is the one of lunar year Y-1, which falls in Y's winter, before 春节.
func lunarDay(month, day, shift int) rule {
	return func(year int) (int, time.Month, int) {
		return ymd(calendar.NewLunarFromYmd(year+shift, month, day).GetSolar())
	}
}

// newYearsEve (除夕) is the day before 春节: the 29th or the 30th of the last
// lunar month, whichever is last.
func newYearsEve(year int) (int, time.Month, int) {
	return ymd(calendar.NewLunarFromYmd(year, 1, 1).GetSolar().NextDay(-1))
}

// solarTerm is the day of a solar term (节气) in Beijing time. lunar-go keys
// each lunar year's terms by name, from the previous 冬至 ("冬至") to the
// next one ("DONG_ZHI"), so the lunar year of 1 June, which is the solar
// year, finds the term of that solar year.
func solarTerm(key string) rule {
	return func(year int) (int, time.Month, int) {
		return ymd(calendar.NewSolarFromYmd(year, 6, 1).GetLunar().GetJieQiTable()[key])
	}
}

func ymd(s *calendar.Solar) (int, time.Month, int) {
	return s.GetYear(), time.Month(s.GetMonth()), s.GetDay()
}

// festivals in the order of a year. Aliases are the names and numbers people
// write in a chat ("五一", "八月十五"); the canonical Name comes first.
var festivals = []entry{
	{qunzhu.Festival{Name: "元旦", FullName: "元旦"}, []string{"元旦节", "新年"}, solar(time.January, 1)},
	{qunzhu.Festival{Name: "腊八", FullName: "腊八节", Lunar: true}, []string{"腊八节"}, lunarDay(12, 8, -1)},
	{qunzhu.Festival{Name: "除夕", FullName: "除夕", Lunar: true}, []string{"大年三十", "年三十", "大年夜"}, newYearsEve},
	{qunzhu.Festival{Name: "春节", FullName: "春节", Lunar: true}, []string{"过年", "大年初一", "农历新年"}, lunarDay(1, 1, 0)},
	{qunzhu.Festival{Name: "元宵", FullName: "元宵节", Lunar: true}, []string{"元宵节", "上元节", "正月十五"}, lunarDay(1, 15, 0)},
	{qunzhu.Festival{Name: "龙抬头", FullName: "龙抬头", Lunar: true}, []string{"二月二"}, lunarDay(2, 2, 0)},
	{qunzhu.Festival{Name: "妇女节", FullName: "三八妇女节"}, []string{"三八", "三八节", "三八妇女节", "国际妇女节"}, solar(time.March, 8)},
	{qunzhu.Festival{Name: "植树节", FullName: "植树节"}, nil, solar(time.March, 12)},
	{qunzhu.Festival{Name: "清明", FullName: "清明节", Lunar: true}, []string{"清明节"}, solarTerm("清明")},
	{qunzhu.Festival{Name: "劳动节", FullName: "劳动节"}, []string{"五一", "五一劳动节", "国际劳动节"}, solar(time.May, 1)},
	{qunzhu.Festival{Name: "青年节", FullName: "五四青年节"}, []string{"五四", "五四青年节"}, solar(time.May, 4)},
	{qunzhu.Festival{Name: "端午", FullName: "端午节", Lunar: true}, []string{"端午节", "端阳", "端阳节"}, lunarDay(5, 5, 0)},
	{qunzhu.Festival{Name: "儿童节", FullName: "六一儿童节"}, []string{"六一", "六一儿童节"}, solar(time.June, 1)},
	{qunzhu.Festival{Name: "建党节", FullName: "建党节"}, []string{"七一"}, solar(time.July, 1)},
	{qunzhu.Festival{Name: "建军节", FullName: "八一建军节"}, []string{"八一", "八一建军节"}, solar(time.August, 1)},
	{qunzhu.Festival{Name: "七夕", FullName: "七夕节", Lunar: true}, []string{"七夕节", "乞巧节"}, lunarDay(7, 7, 0)},
	{qunzhu.Festival{Name: "教师节", FullName: "教师节"}, nil, solar(time.September, 10)},
	{qunzhu.Festival{Name: "中秋", FullName: "中秋节", Lunar: true}, []string{"中秋节", "八月十五"}, lunarDay(8, 15, 0)},
	{qunzhu.Festival{Name: "国庆", FullName: "国庆节"}, []string{"国庆节", "十一"}, solar(time.October, 1)},
	{qunzhu.Festival{Name: "重阳", FullName: "重阳节", Lunar: true}, []string{"重阳节", "重九", "老人节"}, lunarDay(9, 9, 0)},
	{qunzhu.Festival{Name: "冬至", FullName: "冬至", Lunar: true}, []string{"冬至节"}, solarTerm("DONG_ZHI")},
}

// Years the lunar tables are trusted for; outside them Date says no rather
// than guess (lunar-go itself covers far more).
const (
	minYear = 1901
	maxYear = 2099
)

// Calendar is the festival calendar in one time zone (Asia/Shanghai: the
// dates are China's, and so is the time a greeting is sent at).
type Calendar struct {
	loc    *time.Location
	byName map[string]*entry

	mu   sync.Mutex
	memo map[dateKey]time.Time // lunar arithmetic is slow enough to keep
}

type dateKey struct {
	name string
	year int
}

var _ qunzhu.Calendar = (*Calendar)(nil)

// New returns the calendar whose dates are midnights in loc (nil: UTC+8).
func New(loc *time.Location) *Calendar {
	if loc == nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	c := &Calendar{loc: loc, byName: map[string]*entry{}, memo: map[dateKey]time.Time{}}
	for i := range festivals {
		e := &festivals[i]
		for _, n := range append([]string{e.Name}, e.aliases...) {
			c.byName[n] = e
		}
	}
	return c
}

// Festival finds a festival by any of its names, ignoring spaces and a
// trailing "节" people add or leave out.
func (c *Calendar) Festival(name string) (qunzhu.Festival, bool) {
	name = strings.Join(strings.Fields(name), "")
	if e, ok := c.byName[name]; ok {
		return e.Festival, true
	}
	if e, ok := c.byName[strings.TrimSuffix(name, "节")]; ok {
		return e.Festival, true
	}
	return qunzhu.Festival{}, false
}

// Festivals lists every festival in the order of a year.
func (c *Calendar) Festivals() []qunzhu.Festival {
	out := make([]qunzhu.Festival, len(festivals))
	for i, e := range festivals {
		out[i] = e.Festival
	}
	return out
}

// Date is the festival's day in year at midnight in the calendar's zone.
func (c *Calendar) Date(name string, year int) (time.Time, bool) {
	e, ok := c.byName[name]
	if !ok || year < minYear || year > maxYear {
		return time.Time{}, false
	}
	k := dateKey{e.Name, year}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.memo[k]; ok {
		return t, true
	}
	y, m, d := e.date(year)
	t := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	c.memo[k] = t
	return t, true
}
