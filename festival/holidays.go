package festival

import (
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"github.com/qunzhu/qunzhu"
)

// StatutoryHolidays is the State Council's table of statutory holidays (法定节
// 假日) and adjusted working days (调休上班) as github.com/6tail/lunar-go ships
// it, year by year since 2002. Report deadlines use it to move off holidays and
// to find the last working day of a month; a new year's table arrives with a
// library update, never as a hand-made list here.
type StatutoryHolidays struct{}

var _ qunzhu.Holidays = StatutoryHolidays{}

// holidayEntry is one answer of the table, remembered: the library searches a
// long string on every lookup, and deadlines ask about the same days often.
type holidayEntry struct {
	name        string
	off, listed bool
}

var holidayMemo sync.Map // yyyymmdd int → holidayEntry; the table never changes

// Holiday looks the date up in the table.
func (StatutoryHolidays) Holiday(year int, month time.Month, day int) (name string, off, listed bool) {
	key := year*10000 + int(month)*100 + day
	if e, ok := holidayMemo.Load(key); ok {
		h := e.(holidayEntry)
		return h.name, h.off, h.listed
	}
	var e holidayEntry
	if h := HolidayUtil.GetHolidayByYmd(year, int(month), day); h != nil {
		e = holidayEntry{name: h.GetName(), off: !h.IsWork(), listed: true}
	}
	holidayMemo.Store(key, e)
	return e.name, e.off, e.listed
}
