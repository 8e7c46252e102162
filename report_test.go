package qunzhu_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

var (
	week47 = &qunzhu.ReportCycle{ID: 47, Deadline: at(2026, 11, 20, 18, 0)}
	week48 = &qunzhu.ReportCycle{ID: 48, Deadline: at(2026, 11, 27, 18, 0)}
	week49 = &qunzhu.ReportCycle{ID: 49, Deadline: at(2026, 12, 4, 18, 0)}
)

func TestCycleStatus_ArrivalOrderVersionsAndMissing(t *testing.T) {
	subs := []*qunzhu.Submission{
		{ID: 1, Unit: "绵阳市", Version: 1, SubmittedAt: at(2026, 11, 26, 10, 0), Content: "v1"},
		{ID: 2, Unit: "成都市", Version: 1, SubmittedAt: at(2026, 11, 26, 11, 0), Content: "v1"},
		{ID: 3, Unit: "绵阳市", Version: 2, SubmittedAt: at(2026, 11, 27, 12, 0), Content: "v2"},
		{ID: 4, Unit: "广元市", Version: 1, SubmittedAt: at(2026, 11, 27, 12, 0)}, // not on the roster
		{ID: 5, Unit: "德阳市", Version: 1, SubmittedAt: at(2026, 11, 27, 20, 0)}, // late
	}
	st := qunzhu.NewCycleStatus(week48, []string{"成都市", "绵阳市", "德阳市", "乐山市"}, subs)

	var order []string
	for _, u := range st.Submitted {
		order = append(order, u.Unit)
	}
	if want := []string{"绵阳市", "成都市", "德阳市"}; !reflect.DeepEqual(order, want) {
		t.Errorf("submitted in order %v, want %v", order, want)
	}
	if want := []string{"乐山市"}; !reflect.DeepEqual(st.Missing, want) {
		t.Errorf("missing %v, want %v", st.Missing, want)
	}
	if st.Expected() != 4 || st.OnTime() != 2 {
		t.Errorf("expected %d on time %d, want 4 and 2", st.Expected(), st.OnTime())
	}
	my, _ := st.Unit("绵阳市")
	if my.Versions != 2 || my.First.Content != "v1" || my.Latest.Content != "v2" || my.Late(week48.Deadline) {
		t.Errorf("绵阳市 = %+v, want 2 versions, first v1, latest v2, on time", my)
	}
	if dy, _ := st.Unit("德阳市"); !dy.Late(week48.Deadline) {
		t.Error("德阳市 handed in after the deadline but is not late")
	}
	if _, ok := st.Unit("广元市"); ok {
		t.Error("广元市 is not on the roster but has a status")
	}
}

func TestLateWindowOpen(t *testing.T) {
	d, next := week48.Deadline, week49.Deadline
	tests := []struct {
		name   string
		t      time.Time
		window time.Duration
		want   bool
	}{
		{"before the deadline it is not late", d.Add(-time.Minute), 0, false},
		{"at the deadline it is not late", d, 0, false},
		{"a minute after", d.Add(time.Minute), 0, true},
		{"until the next deadline", next, 0, true},
		{"after the next deadline", next.Add(time.Minute), 0, false},
		{"a 24h window, inside", d.Add(24 * time.Hour), 24 * time.Hour, true},
		{"a 24h window, outside", d.Add(25 * time.Hour), 24 * time.Hour, false},
		{"a window longer than the cycle", next.Add(time.Hour), 10 * 24 * time.Hour, true},
	}
	for _, tt := range tests {
		if got := qunzhu.LateWindowOpen(d, next, tt.t, tt.window); got != tt.want {
			t.Errorf("%s: LateWindowOpen = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestChooseSubmissionCycle(t *testing.T) {
	closed := []*qunzhu.ReportCycle{week48, week47} // newest first
	saturday := at(2026, 11, 28, 9, 0)
	tests := []struct {
		name    string
		t       time.Time
		window  time.Duration
		pending map[int64]bool // cycles the unit still owes
		want    int64
	}{
		{"missed Friday → late for that week", saturday, 0, map[int64]bool{48: true}, 48},
		{"handed in on Friday → next week", saturday, 0, map[int64]bool{}, 49},
		{"an older miss is beyond the default window", saturday, 0, map[int64]bool{47: true}, 49},
		{"a long window reaches the older miss first", saturday, 14 * 24 * time.Hour, map[int64]bool{47: true, 48: true}, 47},
		{"a short window has closed", saturday, 12 * time.Hour, map[int64]bool{48: true}, 49},
	}
	for _, tt := range tests {
		got := qunzhu.ChooseSubmissionCycle(week49, closed, tt.t, tt.window,
			func(c *qunzhu.ReportCycle) bool { return tt.pending[c.ID] })
		if got.ID != tt.want {
			t.Errorf("%s: cycle %d, want %d", tt.name, got.ID, tt.want)
		}
	}
}

func TestRankRecords_WorstFirst(t *testing.T) {
	rs := []qunzhu.UnitRecord{
		{Unit: "成都市", OnTime: 4},
		{Unit: "德阳市", OnTime: 1, Late: 1, Missing: 2},
		{Unit: "绵阳市", OnTime: 3, Late: 1},
		{Unit: "乐山市", OnTime: 2, Late: 1, Missing: 1},
		{Unit: "广元市", OnTime: 3, Late: 1},
	}
	qunzhu.RankRecords(rs)
	var got []string
	for _, r := range rs {
		got = append(got, r.Unit)
	}
	if want := []string{"德阳市", "乐山市", "广元市", "绵阳市", "成都市"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ranked %v, want %v", got, want)
	}
}

func TestReportCycle_NextActionAt(t *testing.T) {
	d := week48.Deadline
	c := qunzhu.ReportCycle{Deadline: d, RemindAt: d.Add(-2 * time.Hour)}
	if got := c.NextActionAt(); !got.Equal(c.RemindAt) {
		t.Errorf("fresh cycle: next action %v, want the reminder %v", got, c.RemindAt)
	}
	c.RemindedAt = c.RemindAt
	if got := c.NextActionAt(); !got.Equal(d) {
		t.Errorf("reminded: next action %v, want the deadline %v", got, d)
	}
	c.SummarizedAt = d
	if got := c.NextActionAt(); !got.IsZero() {
		t.Errorf("summarized: next action %v, want none", got)
	}
	noReminder := qunzhu.ReportCycle{Deadline: d}
	if got := noReminder.NextActionAt(); !got.Equal(d) {
		t.Errorf("no reminder: next action %v, want the deadline", got)
	}
}
