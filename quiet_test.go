package qunzhu_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// holidays2026 lists what the table says for the days this test uses: 元旦
// 2027 is 1–3 January, 2 January a Saturday.
type holidayTable map[string]bool // yyyy-mm-dd → off (false: 调休上班)

func (h holidayTable) Holiday(y int, m time.Month, d int) (string, bool, bool) {
	off, ok := h[time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)]
	return "元旦", off, ok
}

func TestQuietHoursNextOpen(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	cal := qunzhu.ReportCalendar{Location: cst, Holidays: holidayTable{
		"2027-01-01": true, "2027-01-02": true, "2027-01-03": true, "2027-01-09": false}}
	at := func(m time.Month, d, h, min int) time.Time {
		y := 2026
		if m == time.January {
			y = 2027
		}
		return time.Date(y, m, d, h, min, 0, 0, cst)
	}
	q := qunzhu.DefaultQuietHours()
	nights := qunzhu.QuietHours{Night: true, From: 22 * time.Hour, To: 8 * time.Hour}
	tests := []struct {
		name      string
		q         qunzhu.QuietHours
		now, want time.Time
	}{
		{"working day, daytime", q, at(12, 9, 10, 0), at(12, 9, 10, 0)},
		{"22:00 sharp is quiet", q, at(12, 9, 22, 0), at(12, 10, 8, 0)},
		{"early morning", q, at(12, 10, 3, 0), at(12, 10, 8, 0)},
		{"07:59 is quiet, 08:00 is not", q, at(12, 10, 7, 59), at(12, 10, 8, 0)},
		{"Friday night to Monday", q, at(12, 11, 23, 51), at(12, 14, 8, 0)},
		{"Saturday noon to Monday", q, at(12, 12, 12, 0), at(12, 14, 8, 0)},
		{"New Year's Eve night over 元旦 to the 4th", q, at(12, 31, 22, 30), at(1, 4, 8, 0)},
		{"a 调休 Saturday is a working day", q, at(1, 9, 10, 0), at(1, 9, 10, 0)},
		{"nights only: Saturday is open", nights, at(12, 12, 12, 0), at(12, 12, 12, 0)},
		{"nights only: Saturday night to Sunday 08:00", nights, at(12, 12, 23, 0), at(12, 13, 8, 0)},
		{"off", qunzhu.QuietHours{}, at(12, 12, 23, 0), at(12, 12, 23, 0)},
	}
	for _, tt := range tests {
		if got := tt.q.NextOpen(tt.now, cal); !got.Equal(tt.want) {
			t.Errorf("%s: NextOpen(%v) = %v, want %v", tt.name, tt.now, got, tt.want)
		}
	}
}
