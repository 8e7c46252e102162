package qunzhu_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestBroadcastRef(t *testing.T) {
	b := &qunzhu.Broadcast{ID: 12}
	if got, want := b.Ref(), "broadcast:12"; got != want {
		t.Errorf("Ref = %q, want %q", got, want)
	}
	for ref, want := range map[string]int64{"broadcast:12": 12, "broadcast:": 0, "task:12": 0, "broadcast:x": 0, "broadcast:-3": 0, "": 0} {
		id, ok := qunzhu.ParseBroadcastRef(ref)
		if id != want || ok != (want != 0) {
			t.Errorf("ParseBroadcastRef(%q) = %d, %v; want %d", ref, id, ok, want)
		}
	}
	if got, want := b.DedupKey(7), "broadcast:12:7"; got != want {
		t.Errorf("DedupKey = %q, want %q", got, want)
	}
	g := &qunzhu.Broadcast{ID: 13, GreetingID: 4, Year: 2026}
	if got, want := g.DedupKey(7), "greeting:4:2026:7"; got != want {
		t.Errorf("greeting DedupKey = %q, want %q", got, want)
	}
}

func TestBroadcastStatusAt(t *testing.T) {
	t0 := time.Date(2026, 6, 19, 9, 0, 0, 0, time.UTC)
	b := &qunzhu.Broadcast{Status: qunzhu.BroadcastDraft, ExpiresAt: t0.Add(10 * time.Minute)}
	if got := b.StatusAt(t0.Add(10*time.Minute - time.Millisecond)); got != qunzhu.BroadcastDraft {
		t.Errorf("just before expiry: %s", got)
	}
	if got := b.StatusAt(t0.Add(10 * time.Minute)); got != qunzhu.BroadcastExpired || got.Chinese() != "已过期" {
		t.Errorf("at expiry: %s", got)
	}
	b.Status = qunzhu.BroadcastScheduled
	if got := b.StatusAt(t0.Add(time.Hour)); got != qunzhu.BroadcastScheduled {
		t.Errorf("a confirmed broadcast does not expire: %s", got)
	}
}

func TestFillPlaceholders(t *testing.T) {
	tests := []struct{ text, festival, group, want string }{
		{"{节日}安康！{群名}的同志们辛苦了", "端午节", "区委干部工作群", "端午节安康！区委干部工作群的同志们辛苦了"},
		{"｛节日｝快乐｛群名｝", "中秋节", "城管工作群", "中秋节快乐城管工作群"},
		{"{节日}照写：{群名}", "", "城管工作群", "{节日}照写：城管工作群"},
		{"没有占位符", "春节", "甲群", "没有占位符"},
	}
	for _, tt := range tests {
		if got := qunzhu.FillPlaceholders(tt.text, tt.festival, tt.group); got != tt.want {
			t.Errorf("FillPlaceholders(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestOutMessages(t *testing.T) {
	b := &qunzhu.Broadcast{ID: 3, Text: "{群名}：国庆值班表", Targets: []int64{5, 9, 7}}
	groups := map[int64]*qunzhu.Group{5: {ID: 5, Name: "甲群"}, 7: {ID: 7, Name: "丙群"}} // 9 unregistered since
	at := time.Date(2026, 9, 30, 9, 0, 0, 0, time.UTC)
	ms := b.OutMessages(groups, []byte("png"), at)
	if len(ms) != 2 || ms[0].GroupID != 5 || ms[1].GroupID != 7 {
		t.Fatalf("rows = %+v", ms)
	}
	m := ms[1]
	if m.Text != "丙群：国庆值班表" || m.Kind != qunzhu.KindBroadcast || m.Priority != qunzhu.PriorityBroadcast ||
		m.Ref != "broadcast:3" || m.DedupKey != "broadcast:3:7" || string(m.Image) != "png" || !m.NotBefore.Equal(at) {
		t.Errorf("row = %+v", m)
	}
}

func TestProgressDue(t *testing.T) {
	t0 := time.Date(2026, 6, 19, 9, 0, 0, 0, time.UTC)
	p := func(sent, failed, total int) qunzhu.BroadcastProgress {
		return qunzhu.BroadcastProgress{Total: total, Sent: sent, Failed: failed, Pending: total - sent - failed}
	}
	tests := []struct {
		name         string
		reportedDone int
		reportedAt   time.Time
		progress     qunzhu.BroadcastProgress
		now          time.Time
		want         bool
	}{
		{"nothing yet", 0, time.Time{}, p(0, 0, 50), t0.Add(time.Hour), false},
		{"9 of 50", 0, time.Time{}, p(9, 0, 50), t0.Add(time.Minute), false},
		{"10 of 50", 0, time.Time{}, p(10, 0, 50), t0.Add(time.Minute), true},
		{"failures count", 0, time.Time{}, p(8, 2, 50), t0.Add(time.Minute), true},
		{"19 after telling 10", 10, t0.Add(time.Minute), p(19, 0, 50), t0.Add(2 * time.Minute), false},
		{"20 after telling 10", 10, t0.Add(time.Minute), p(20, 0, 50), t0.Add(2 * time.Minute), true},
		{"5 minutes since queued", 0, time.Time{}, p(3, 0, 50), t0.Add(5 * time.Minute), true},
		{"5 minutes since last word", 10, t0.Add(4 * time.Minute), p(12, 0, 50), t0.Add(9 * time.Minute), true},
		{"nothing new after 5 minutes", 12, t0.Add(4 * time.Minute), p(12, 0, 50), t0.Add(9 * time.Minute), false},
		{"the last group: the report says it", 40, t0, p(50, 0, 50), t0.Add(time.Hour), false},
	}
	for _, tt := range tests {
		b := &qunzhu.Broadcast{QueuedAt: t0, ReportedDone: tt.reportedDone, ReportedAt: tt.reportedAt}
		if got := qunzhu.ProgressDue(b, tt.progress, tt.now, 10, 5*time.Minute); got != tt.want {
			t.Errorf("%s: ProgressDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEstimateSendTime(t *testing.T) {
	def := qunzhu.Limit{Rate: 1, Period: 3 * time.Second, Burst: 2}
	tests := []struct {
		n      int
		limit  qunzhu.Limit
		jitter time.Duration
		want   time.Duration
	}{
		{0, def, time.Second, 0},
		{1, def, time.Second, 0},
		{2, def, time.Second, 500 * time.Millisecond},                   // within the burst: jitter only
		{5, def, time.Second, 500*time.Millisecond + 3*3*time.Second},   // then one per 3 s
		{50, def, time.Second, 500*time.Millisecond + 48*3*time.Second}, // 2 min 24.5 s
		{5, qunzhu.Limit{Rate: 1, Period: 300 * time.Millisecond, Burst: 1}, 0, 4 * 300 * time.Millisecond},
		{5, qunzhu.Limit{Rate: 1, Period: time.Second, Burst: 1}, 4 * time.Second, 4 * 2 * time.Second}, // jitter longer than the pace
		{5, qunzhu.Limit{}, 0, 0},                                                                       // no limit
	}
	for _, tt := range tests {
		if got := qunzhu.EstimateSendTime(tt.n, tt.limit, tt.jitter); got != tt.want {
			t.Errorf("EstimateSendTime(%d, %+v, %v) = %v, want %v", tt.n, tt.limit, tt.jitter, got, tt.want)
		}
	}
}
