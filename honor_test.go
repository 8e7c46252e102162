package qunzhu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestHonorBoard_RanksByLatenessNeverByCount(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC) // Monday 09:00 in Beijing
	since := now.AddDate(0, 0, -7)
	day := 24 * time.Hour
	var tasks []*qunzhu.Task
	add := func(unit string, deadline time.Time, status qunzhu.TaskStatus, progress, closed time.Time) {
		tasks = append(tasks, &qunzhu.Task{Unit: unit, Deadline: deadline, Status: status, CreatedAt: deadline.Add(-3 * day),
			LastProgressAt: progress, ClosedAt: closed, DoneAt: closed})
	}
	// 市水务局: twenty tasks, all closed on time this week: red.
	for range 20 {
		add("市水务局", now.Add(-day), qunzhu.TaskClosed, time.Time{}, now.Add(-2*day))
	}
	// 市城管委: one task ten days overdue. 市交通局: five tasks two days overdue,
	// with progress yesterday. The one long overdue ranks first.
	add("市城管委", now.Add(-10*day-time.Hour), qunzhu.TaskOpen, now.Add(-day), time.Time{})
	for range 5 {
		add("市交通局", now.Add(-2*day-time.Hour), qunzhu.TaskOpen, now.Add(-day), time.Time{})
	}
	// 区环保局: not overdue, but nothing moved for twelve days.
	add("区环保局", now.Add(30*day), qunzhu.TaskOpen, time.Time{}, time.Time{})
	tasks[len(tasks)-1].CreatedAt = now.Add(-12 * day)
	// 教育局: one task closed on time, then praised.
	add("市教育局", now.Add(-day), qunzhu.TaskClosed, time.Time{}, now.Add(-2*day))
	// Reports: 成都市 missed the week's cycle, 绵阳市 handed in on time.
	cycle := &qunzhu.ReportCycle{Deadline: now.Add(-3 * day)}
	old := &qunzhu.ReportCycle{Deadline: since.Add(-day)} // last week's: does not count
	m := &qunzhu.ReportMatrix{Cycles: []*qunzhu.ReportCycle{old, cycle}, Units: []string{"成都市", "绵阳市"},
		Cells: [][]qunzhu.ReportCell{{{State: qunzhu.CellMissing}, {State: qunzhu.CellMissing}}, {{State: qunzhu.CellMissing}, {State: qunzhu.CellOnTime}}}}
	praise := []*qunzhu.Praise{{Unit: "市教育局", MemberName: "张书记", Text: "又快又好"}, {Unit: "市教育局", MemberName: "张书记", Text: "再次点赞"}}

	b := qunzhu.BuildHonorBoard(qunzhu.HonorInput{Tasks: tasks, Reports: m, Praises: praise, Since: since, Now: now, StallFor: 7 * day})
	units := func(es []qunzhu.HonorEntry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.Unit)
		}
		return strings.Join(s, " ")
	}
	if got, want := units(b.Black), "市城管委 市交通局 区环保局 成都市"; got != want {
		t.Errorf("黑榜 = %s, want %s", got, want)
	}
	if got, want := units(b.Red), "市教育局 市水务局 绵阳市"; got != want {
		t.Errorf("红榜 = %s, want %s", got, want)
	}
	if e := b.Black[0]; e.MaxOverdueDays != 10 || e.OverdueTasks != 1 {
		t.Errorf("市城管委 = %+v", e)
	}
	if e := b.Black[2]; e.MaxStalledDays != 12 || e.StalledTasks != 1 || e.OverdueTasks != 0 {
		t.Errorf("区环保局 = %+v", e)
	}
	if e := b.Black[3]; e.Missing != 1 {
		t.Errorf("成都市 missing %d, want 1 (last week's cycle does not count)", e.Missing)
	}
	text := b.Text(time.FixedZone("CST", 8*3600), 10)
	for _, want := range []string{"【红黑榜】11月30日—12月7日", "1. 市教育局：按期办结1项，获点赞2次（张书记：再次点赞）", "2. 市水务局：按期办结20项",
		"1. 市城管委：最长逾期10天（逾期1项）", "3. 区环保局：最长12天无进展（停滞1项）", "4. 成都市：作业未交1次"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if short := b.Text(time.UTC, 2); !strings.Contains(short, "……另有2个单位") {
		t.Errorf("limit 2 does not say how many more:\n%s", short)
	}
}

func TestHonorBoard_EmptyWeek(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	b := qunzhu.BuildHonorBoard(qunzhu.HonorInput{Since: now.AddDate(0, 0, -7), Now: now})
	if len(b.Red)+len(b.Black) != 0 {
		t.Fatalf("empty input gave %+v", b)
	}
	if text := b.Text(time.UTC, 10); !strings.Contains(text, "（本周暂无）") || !strings.Contains(text, "（本周无逾期、无停滞、无缺交）") {
		t.Errorf("text = %q", text)
	}
}
