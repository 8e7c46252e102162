package sqlite

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestReportSchedule_SetReplaceAndRead(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "副市长作业群")

	view(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.ReportSchedule(g.ID)
		checkError(t, err, qunzhu.ENOTFOUND, "本群还没有设置交作业周期。")
		return nil
	})

	rules := []qunzhu.ReportSchedule{
		{GroupID: g.ID, Rule: qunzhu.CycleRule{Kind: qunzhu.CycleWeekly, Weekdays: qunzhu.Weekdays(time.Friday),
			EveryWeeks: 1, Hour: 18}, RemindBefore: 2 * time.Hour},
		{GroupID: g.ID, Rule: qunzhu.CycleRule{Kind: qunzhu.CycleWeekly, Weekdays: qunzhu.Weekdays(time.Friday),
			EveryWeeks: 2, Anchor: t0.UTC(), Hour: 17, Minute: 30}},
		{GroupID: g.ID, Rule: qunzhu.CycleRule{Kind: qunzhu.CycleMonthly, Day: qunzhu.LastDayOfMonth, EveryWeeks: 1, Hour: 9}},
	}
	var created time.Time
	for i, want := range rules {
		clock.Advance(time.Hour)
		update(t, s, func(tx qunzhu.Tx) error { return tx.SetReportSchedule(&want) })
		if i == 0 {
			created = want.CreatedAt
		}
		view(t, s, func(tx qunzhu.Tx) error {
			got, err := tx.ReportSchedule(g.ID)
			if err != nil {
				t.Fatal(err)
			}
			want.CreatedAt, want.UpdatedAt = created, clock.Now().UTC()
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("schedule %d:\n got %+v\nwant %+v", i, *got, want)
			}
			return nil
		})
	}

	err := s.Update(t.Context(), func(tx qunzhu.Tx) error {
		return tx.SetReportSchedule(&qunzhu.ReportSchedule{GroupID: g.ID,
			Rule: qunzhu.CycleRule{Kind: qunzhu.CycleWeekly, EveryWeeks: 1, Hour: 18}})
	})
	checkError(t, err, qunzhu.EINVALID, "作业周期有误：每周至少要有一天。")
}

func TestRoster_AddRemoveAndHistory(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "副市长作业群")
	other := mustGroup(t, s, "城管工作群")

	add := func(gid int64, unit string) (added bool) {
		update(t, s, func(tx qunzhu.Tx) (err error) { added, err = tx.AddRosterUnit(gid, unit); return err })
		return added
	}
	remove := func(unit string) (removed bool) {
		update(t, s, func(tx qunzhu.Tx) (err error) { removed, err = tx.RemoveRosterUnit(g.ID, unit); return err })
		return removed
	}
	roster := func(at time.Time) []string {
		var out []string
		view(t, s, func(tx qunzhu.Tx) error {
			us, err := tx.Roster(g.ID, at)
			for _, u := range us {
				out = append(out, u.Unit)
			}
			return err
		})
		return out
	}

	for _, u := range []string{"成都市", "绵阳市", "德阳市"} {
		if !add(g.ID, u) {
			t.Errorf("AddRosterUnit(%s) = false, want true", u)
		}
		clock.Advance(time.Minute)
	}
	add(other.ID, "成都市")
	if add(g.ID, "绵阳市") {
		t.Error("adding 绵阳市 twice reported added")
	}
	t1 := clock.Now()
	clock.Advance(time.Hour)
	if !remove("绵阳市") || remove("绵阳市") || remove("广元市") {
		t.Error("RemoveRosterUnit: want true once, then false, and false for a unit never on it")
	}
	clock.Advance(time.Hour)
	add(g.ID, "绵阳市") // back, at the end of the list
	t3 := clock.Now()

	if got, want := roster(t1), []string{"成都市", "绵阳市", "德阳市"}; !reflect.DeepEqual(got, want) {
		t.Errorf("roster before the removal = %v, want %v", got, want)
	}
	if got, want := roster(t1.Add(90*time.Minute)), []string{"成都市", "德阳市"}; !reflect.DeepEqual(got, want) {
		t.Errorf("roster after the removal = %v, want %v", got, want)
	}
	if got, want := roster(t3), []string{"成都市", "德阳市", "绵阳市"}; !reflect.DeepEqual(got, want) {
		t.Errorf("roster now = %v, want %v", got, want)
	}
	if got := roster(t0.Add(-time.Second)); len(got) != 0 {
		t.Errorf("roster before anything was added = %v, want none", got)
	}
}

func TestReportCycles_CreateDueAndFinish(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "副市长作业群")
	friday := time.Date(2025, 5, 30, 18, 0, 0, 0, t0.Location())

	c := &qunzhu.ReportCycle{GroupID: g.ID, Deadline: friday, LabelKind: qunzhu.LabelWeek, RemindAt: friday.Add(-2 * time.Hour)}
	update(t, s, func(tx qunzhu.Tx) error { return tx.CreateReportCycle(c) })
	err := s.Update(t.Context(), func(tx qunzhu.Tx) error {
		return tx.CreateReportCycle(&qunzhu.ReportCycle{GroupID: g.ID, Deadline: friday, LabelKind: qunzhu.LabelWeek})
	})
	checkError(t, err, qunzhu.ECONFLICT, "")

	due := func(at time.Time) []int64 {
		var ids []int64
		view(t, s, func(tx qunzhu.Tx) error {
			cs, err := tx.DueReportCycles(at, 10)
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return err
		})
		return ids
	}
	if got := due(friday.Add(-3 * time.Hour)); len(got) != 0 {
		t.Errorf("due 3h before = %v, want none", got)
	}
	if got := due(friday.Add(-2 * time.Hour)); !reflect.DeepEqual(got, []int64{c.ID}) {
		t.Errorf("due at the reminder = %v, want [%d]", got, c.ID)
	}
	c.RemindedAt = friday.Add(-2 * time.Hour)
	update(t, s, func(tx qunzhu.Tx) error { return tx.UpdateReportCycle(c) })
	if got := due(friday.Add(-time.Minute)); len(got) != 0 {
		t.Errorf("due after the reminder, before the deadline = %v, want none", got)
	}
	if got := due(friday); !reflect.DeepEqual(got, []int64{c.ID}) {
		t.Errorf("due at the deadline = %v, want [%d]", got, c.ID)
	}
	c.SummarizedAt = friday
	update(t, s, func(tx qunzhu.Tx) error { return tx.UpdateReportCycle(c) })
	if got := due(friday.AddDate(1, 0, 0)); len(got) != 0 {
		t.Errorf("due after the summary = %v, want none", got)
	}

	view(t, s, func(tx qunzhu.Tx) error {
		got, err := tx.ReportCycleByID(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Deadline.Equal(friday) || !got.Nominal.Equal(friday) || !got.SummarizedAt.Equal(friday) ||
			!got.RemindedAt.Equal(c.RemindedAt) || got.LabelKind != qunzhu.LabelWeek {
			t.Errorf("stored cycle %+v, want %+v", got, c)
		}
		return nil
	})
}

func TestSubmissions_VersionsAndHistory(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "副市长作业群")
	c1 := &qunzhu.ReportCycle{GroupID: g.ID, Deadline: t0.Add(9 * time.Hour), LabelKind: qunzhu.LabelWeek}
	c2 := &qunzhu.ReportCycle{GroupID: g.ID, Deadline: t0.Add(7*24*time.Hour + 9*time.Hour), LabelKind: qunzhu.LabelWeek}
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.CreateReportCycle(c1); err != nil {
			return err
		}
		return tx.CreateReportCycle(c2)
	})

	hand := func(c *qunzhu.ReportCycle, unit, content string) *qunzhu.Submission {
		clock.Advance(time.Minute)
		sub := &qunzhu.Submission{GroupID: g.ID, CycleID: c.ID, Unit: unit, MemberName: unit + "副市长", Content: content}
		update(t, s, func(tx qunzhu.Tx) error { return tx.AddSubmission(sub) })
		return sub
	}
	a1 := hand(c1, "成都市", "完成整改3项")
	b1 := hand(c1, "绵阳市", "完成整改1项")
	a2 := hand(c1, "成都市", "完成整改4项（更正）")
	n1 := hand(c2, "成都市", "下周")
	if a1.Version != 1 || b1.Version != 1 || a2.Version != 2 || n1.Version != 1 {
		t.Errorf("versions = %d %d %d %d, want 1 1 2 1", a1.Version, b1.Version, a2.Version, n1.Version)
	}

	var img int64
	update(t, s, func(tx qunzhu.Tx) (err error) {
		if img, err = tx.SaveImage([]byte("png")); err != nil {
			return err
		}
		return tx.SetSubmissionImage(a2.ID, img)
	})
	view(t, s, func(tx qunzhu.Tx) error {
		subs, err := tx.Submissions(c1.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range subs {
			got = append(got, s.Unit+":"+s.Content)
		}
		want := []string{"成都市:完成整改3项", "绵阳市:完成整改1项", "成都市:完成整改4项（更正）"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Submissions = %v, want %v", got, want)
		}
		st := qunzhu.NewCycleStatus(c1, []string{"成都市", "绵阳市", "德阳市"}, subs)
		if u, _ := st.Unit("成都市"); u.Versions != 2 || u.Latest.ImageID != img || !u.First.SubmittedAt.Equal(a1.SubmittedAt) {
			t.Errorf("成都市 = %+v, want 2 versions, the picture on the latest and the first time", u)
		}
		latest, err := tx.LatestSubmission(g.ID, "成都市")
		if err != nil || latest.ID != n1.ID {
			t.Errorf("LatestSubmission = %+v, %v; want %d", latest, err, n1.ID)
		}
		_, err = tx.LatestSubmission(g.ID, "德阳市")
		checkError(t, err, qunzhu.ENOTFOUND, "德阳市还没有交过作业。")
		return nil
	})
}

// TestReportQueryPlans_UseIndexes keeps the scheduler's sweep and the per-unit
// lookups off full table scans.
func TestReportQueryPlans_UseIndexes(t *testing.T) {
	s := openTest(t, nil)
	tests := []struct {
		name, query, wantIndex string
		args                   []any
	}{
		{"DueReportCycles", dueCyclesQuery, "report_cycles_due", []any{0, 10}},
		{"LatestSubmission", `SELECT ` + submissionColumns + ` FROM report_submissions
			WHERE group_id = ? AND unit = ? ORDER BY id DESC LIMIT 1`, "report_submissions_unit", []any{1, "成都市"}},
		{"LatestReportCycle", `SELECT ` + cycleColumns + ` FROM report_cycles
			WHERE group_id = ? ORDER BY deadline DESC LIMIT 1`, "", []any{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, s, tt.query, tt.args...)
			if !strings.Contains(plan, tt.wantIndex) {
				t.Errorf("plan does not use %s:\n%s", tt.wantIndex, plan)
			}
			for _, line := range strings.Split(plan, "\n") {
				if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING") {
					t.Errorf("plan scans a whole table:\n%s", plan)
				}
				if strings.Contains(line, "TEMP B-TREE") {
					t.Errorf("plan sorts instead of reading in index order:\n%s", plan)
				}
			}
		})
	}
}
