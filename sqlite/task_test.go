package sqlite

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// taskWorld is a group with an owner and two units, as a district's cadre
// group looks.
type taskWorld struct {
	s               *Store
	clock           *qunzhu.FakeClock
	g               *qunzhu.Group
	owner, li, zhao *qunzhu.Member // 张书记 (区委), 李局长 and 赵科长 (市城管委)
	sun             *qunzhu.Member // 孙干事 (区委办)
}

func newTaskWorld(t *testing.T) *taskWorld {
	t.Helper()
	w := &taskWorld{clock: qunzhu.NewFakeClock(t0)}
	w.s = openTest(t, w.clock)
	w.g = mustGroup(t, w.s, "区委干部工作群")
	update(t, w.s, func(tx qunzhu.Tx) error {
		for _, m := range []**qunzhu.Member{&w.owner, &w.li, &w.zhao, &w.sun} {
			*m = &qunzhu.Member{GroupID: w.g.ID}
		}
		w.owner.Name, w.owner.Unit, w.owner.Role = "张书记", "区委", qunzhu.RoleOwner
		w.li.Name, w.li.Unit = "李局长", "市城管委"
		w.zhao.Name, w.zhao.Unit = "赵科长", "市城管委"
		w.sun.Name, w.sun.Unit = "孙干事", "区委办"
		for _, m := range []*qunzhu.Member{w.owner, w.li, w.zhao, w.sun} {
			if err := tx.CreateMember(m); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

func (w *taskWorld) create(t *testing.T, task *qunzhu.Task, by qunzhu.TaskActor) *qunzhu.Task {
	t.Helper()
	if task.GroupID == 0 {
		task.GroupID = w.g.ID
	}
	update(t, w.s, func(tx qunzhu.Tx) error { return tx.CreateTask(task, by) })
	return task
}

func (w *taskWorld) get(t *testing.T, id int64) *qunzhu.Task {
	t.Helper()
	var task *qunzhu.Task
	view(t, w.s, func(tx qunzhu.Tx) (err error) {
		task, err = tx.TaskByID(id)
		return err
	})
	return task
}

func TestCreateTask_UnitAssignsItsMembers(t *testing.T) {
	w := newTaskWorld(t)
	task := w.create(t, &qunzhu.Task{Title: "  修复人民路路灯 ", Unit: "市城管委", Deadline: t0.Add(72 * time.Hour)},
		qunzhu.MemberActor(w.owner))
	got := w.get(t, task.ID)
	if got.Title != "修复人民路路灯" || got.Unit != "市城管委" || got.Status != qunzhu.TaskOpen {
		t.Errorf("task = %+v", got)
	}
	if want := []int64{w.li.ID, w.zhao.ID}; !slices.Equal(got.AssigneeIDs, want) {
		t.Errorf("assignees = %v, want %v", got.AssigneeIDs, want)
	}
	if got.AssignerID != w.owner.ID || got.AssignerName != "张书记" {
		t.Errorf("assigner = %d %q", got.AssignerID, got.AssignerName)
	}
	if !got.NextActionAt.Equal(t0) || !got.Deadline.Equal(t0.Add(72*time.Hour)) || !got.CreatedAt.Equal(t0) {
		t.Errorf("times: next %v deadline %v created %v", got.NextActionAt, got.Deadline, got.CreatedAt)
	}
}

func TestCreateTask_PeopleSetTheUnitFromTheFirst(t *testing.T) {
	w := newTaskWorld(t)
	task := w.create(t, &qunzhu.Task{Title: "整改材料", AssigneeIDs: []int64{w.sun.ID, w.li.ID},
		Deadline: t0.Add(time.Hour)}, qunzhu.MemberActor(w.owner))
	got := w.get(t, task.ID)
	if got.Unit != "区委办" || !slices.Equal(got.AssigneeIDs, []int64{w.sun.ID, w.li.ID}) {
		t.Errorf("unit %q assignees %v", got.Unit, got.AssigneeIDs)
	}
}

func TestCreateTask_Invalid(t *testing.T) {
	w := newTaskWorld(t)
	other := mustGroup(t, w.s, "城管工作群")
	var stranger *qunzhu.Member
	update(t, w.s, func(tx qunzhu.Tx) error {
		stranger = &qunzhu.Member{GroupID: other.ID, Name: "周局长", Unit: "市城管委"}
		return tx.CreateMember(stranger)
	})
	by := qunzhu.MemberActor(w.owner)
	tests := []struct {
		name string
		task qunzhu.Task
		code string
	}{
		{"no title", qunzhu.Task{Title: " ", Unit: "市城管委", Deadline: t0}, qunzhu.EINVALID},
		{"no deadline", qunzhu.Task{Title: "x", Unit: "市城管委"}, qunzhu.EINVALID},
		{"nobody", qunzhu.Task{Title: "x", Deadline: t0}, qunzhu.EINVALID},
		{"member of another group", qunzhu.Task{Title: "x", AssigneeIDs: []int64{stranger.ID}, Deadline: t0}, qunzhu.EINVALID},
		{"unknown member", qunzhu.Task{Title: "x", AssigneeIDs: []int64{999}, Deadline: t0}, qunzhu.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.task.GroupID = w.g.ID
			err := w.s.Update(t.Context(), func(tx qunzhu.Tx) error { return tx.CreateTask(&tt.task, by) })
			checkError(t, err, tt.code, "")
		})
	}
}

// TestTaskHotlineContract is what the 12345 intake relies on: a task for a
// unit created by the system, found again by ticket id, progress and close by
// the system, and one task per ticket.
func TestTaskHotlineContract(t *testing.T) {
	w := newTaskWorld(t)
	hotline := qunzhu.SystemActor("12345热线")
	task := w.create(t, &qunzhu.Task{Title: "黄浦区人民路噪音扰民", Unit: "市城管委", Source: qunzhu.TaskSourceHotline,
		ExternalID: "GD20261125001", Deadline: t0.Add(-2 * time.Hour)}, hotline)
	if task.AssignerID != 0 || task.AssignerName != "12345热线" {
		t.Errorf("assigner = %d %q", task.AssignerID, task.AssignerName)
	}
	dup := &qunzhu.Task{GroupID: w.g.ID, Title: "again", Unit: "市城管委", Source: "12345", ExternalID: "GD20261125001", Deadline: t0}
	err := w.s.Update(t.Context(), func(tx qunzhu.Tx) error { return tx.CreateTask(dup, hotline) })
	checkError(t, err, qunzhu.ECONFLICT, "")
	// The same ticket id from another source, and chat tasks without one, are fine.
	w.create(t, &qunzhu.Task{Title: "x", Unit: "市城管委", Source: "12319", ExternalID: "GD20261125001", Deadline: t0}, hotline)
	w.create(t, &qunzhu.Task{Title: "y", Unit: "市城管委", Deadline: t0}, hotline)
	w.create(t, &qunzhu.Task{Title: "z", Unit: "市城管委", Deadline: t0}, hotline)

	update(t, w.s, func(tx qunzhu.Tx) error {
		found, err := tx.TaskByExternal("12345", "GD20261125001")
		if err != nil {
			return err
		}
		if found.ID != task.ID || len(found.AssigneeIDs) != 2 {
			t.Errorf("found %+v", found)
		}
		if _, err := tx.ProgressTask(found.ID, hotline, "已派单至市城管委执法大队"); err != nil {
			return err
		}
		_, err = tx.CloseTask(found.ID, hotline, "热线回访：市民满意")
		return err
	})
	view(t, w.s, func(tx qunzhu.Tx) error {
		_, err := tx.TaskByExternal("12345", "nope")
		checkError(t, err, qunzhu.ENOTFOUND, "")
		evs, err := tx.TaskEvents(task.ID)
		if err != nil {
			return err
		}
		if got, want := eventLine(evs), "created:12345热线: progress:12345热线:已派单至市城管委执法大队 closed:12345热线:热线回访：市民满意"; got != want {
			t.Errorf("history = %s\nwant %s", got, want)
		}
		return nil
	})
	if got := w.get(t, task.ID); got.Status != qunzhu.TaskClosed || !got.NextActionAt.IsZero() || !got.ClosedAt.Equal(t0) {
		t.Errorf("closed task = %+v", got)
	}
}

func eventLine(evs []*qunzhu.TaskEvent) string {
	parts := make([]string, len(evs))
	for i, ev := range evs {
		parts[i] = string(ev.Kind) + ":" + ev.ActorName + ":" + ev.Text + ev.Step
	}
	return strings.Join(parts, " ")
}

// TestTaskLifecycle walks progress, done, return, done, close and reopen, and
// the transitions the status refuses.
func TestTaskLifecycle(t *testing.T) {
	w := newTaskWorld(t)
	task := w.create(t, &qunzhu.Task{Title: "修复路灯", Unit: "市城管委", Deadline: t0.Add(48 * time.Hour)},
		qunzhu.MemberActor(w.owner))
	li, owner := qunzhu.MemberActor(w.li), qunzhu.MemberActor(w.owner)
	step := func(name string, fn func(tx qunzhu.Tx) error) {
		t.Helper()
		w.clock.Advance(time.Hour)
		if err := w.s.Update(t.Context(), fn); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	refused := func(name, want string, fn func(tx qunzhu.Tx) error) {
		t.Helper()
		err := w.s.Update(t.Context(), fn)
		if !strings.Contains(qunzhu.ErrorMessage(err), want) {
			t.Fatalf("%s: err = %v, want %q", name, err, want)
		}
	}
	id := task.ID
	step("progress", func(tx qunzhu.Tx) error { _, err := tx.ProgressTask(id, li, "已联系施工队"); return err })
	if got := w.get(t, id); !got.LastProgressAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("last progress = %v", got.LastProgressAt)
	}
	refused("return while open", "正在办理中", func(tx qunzhu.Tx) error { _, err := tx.ReturnTask(id, owner, "x"); return err })
	step("done", func(tx qunzhu.Tx) error { _, err := tx.FinishTask(id, li, "已修复"); return err })
	if got := w.get(t, id); got.Status != qunzhu.TaskDone || !got.NextActionAt.IsZero() {
		t.Errorf("after done: %+v", got)
	}
	refused("done twice", "等待销号", func(tx qunzhu.Tx) error { _, err := tx.FinishTask(id, li, "x"); return err })
	step("return", func(tx qunzhu.Tx) error { _, err := tx.ReturnTask(id, owner, "照片看不清"); return err })
	if got := w.get(t, id); got.Status != qunzhu.TaskOpen || !got.NextActionAt.Equal(t0.Add(3*time.Hour)) || !got.DoneAt.IsZero() {
		t.Errorf("after return: %+v", got)
	}
	step("done again", func(tx qunzhu.Tx) error { _, err := tx.FinishTask(id, li, "已更换灯杆"); return err })
	var imageID int64
	step("evidence", func(tx qunzhu.Tx) (err error) {
		if imageID, err = tx.SaveImage([]byte("\x89PNG fake")); err != nil {
			return err
		}
		_, err = tx.AttachTaskEvidence(id, li, imageID)
		return err
	})
	step("close", func(tx qunzhu.Tx) error { _, err := tx.CloseTask(id, owner, ""); return err })
	got := w.get(t, id)
	if got.Status != qunzhu.TaskClosed || !got.DoneAt.Equal(t0.Add(4*time.Hour)) || !got.ClosedAt.Equal(t0.Add(6*time.Hour)) {
		t.Errorf("after close: %+v", got)
	}
	if !got.Finished().Equal(got.DoneAt) {
		t.Errorf("Finished = %v, want the done report %v", got.Finished(), got.DoneAt)
	}
	refused("progress when closed", "已销号，不能再报进展", func(tx qunzhu.Tx) error { _, err := tx.ProgressTask(id, li, "x"); return err })
	refused("close twice", "已经销号了", func(tx qunzhu.Tx) error { _, err := tx.CloseTask(id, owner, ""); return err })
	step("reopen", func(tx qunzhu.Tx) error { _, err := tx.ReturnTask(id, owner, "群众再次反映"); return err })

	view(t, w.s, func(tx qunzhu.Tx) error {
		evs, err := tx.TaskEvents(id)
		if err != nil {
			return err
		}
		want := "created:张书记: progress:李局长:已联系施工队 done:李局长:已修复 returned:张书记:照片看不清 " +
			"done:李局长:已更换灯杆 evidence:李局长: closed:张书记: reopened:张书记:群众再次反映"
		if got := eventLine(evs); got != want {
			t.Errorf("history:\n got %s\nwant %s", got, want)
		}
		if evs[5].ImageID != imageID {
			t.Errorf("evidence image = %d, want %d", evs[5].ImageID, imageID)
		}
		return nil
	})
}

func TestDueTasksAndRecordSteps(t *testing.T) {
	w := newTaskWorld(t)
	by := qunzhu.MemberActor(w.owner)
	a := w.create(t, &qunzhu.Task{Title: "a", Unit: "市城管委", Deadline: t0.Add(time.Hour)}, by)
	w.clock.Advance(time.Minute)
	b := w.create(t, &qunzhu.Task{Title: "b", Unit: "区委办", Deadline: t0.Add(time.Hour)}, by)
	due := func(at time.Time) []int64 {
		var ids []int64
		view(t, w.s, func(tx qunzhu.Tx) error {
			list, err := tx.DueTasks(at, 10)
			for _, task := range list {
				ids = append(ids, task.ID)
			}
			return err
		})
		return ids
	}
	if got := due(t0); !slices.Equal(got, []int64{a.ID}) {
		t.Errorf("due at t0 = %v, want [a]", got)
	}
	if got := due(t0.Add(time.Minute)); !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Errorf("due at t0+1m = %v, want [a b]", got)
	}
	update(t, w.s, func(tx qunzhu.Tx) error {
		return tx.RecordTaskSteps(a.ID, []*qunzhu.TaskEvent{{Step: "due", ActorName: "系统", Text: "到期"}}, "due", t0.Add(25*time.Hour))
	})
	if got := due(t0.Add(time.Minute)); !slices.Equal(got, []int64{b.ID}) {
		t.Errorf("after recording a: due = %v, want [b]", got)
	}
	if got := w.get(t, a.ID); got.LadderStep != "due" || !got.NextActionAt.Equal(t0.Add(25*time.Hour)) {
		t.Errorf("a = %+v", got)
	}
	// A step is recorded once per task, whatever the caller does.
	update(t, w.s, func(tx qunzhu.Tx) error {
		return tx.RecordTaskSteps(a.ID, []*qunzhu.TaskEvent{{Step: "due", Text: "again"}}, "due", t0.Add(25*time.Hour))
	})
	view(t, w.s, func(tx qunzhu.Tx) error {
		evs, err := tx.TaskEvents(a.ID)
		if got, want := eventLine(evs), "created:张书记: step:系统:到期due"; got != want {
			t.Errorf("history = %s, want %s", got, want)
		}
		return err
	})
	// Done tasks leave the sweep; the sweep records nothing for them.
	update(t, w.s, func(tx qunzhu.Tx) error { _, err := tx.FinishTask(b.ID, qunzhu.MemberActor(w.sun), ""); return err })
	if got := due(t0.Add(48 * time.Hour)); !slices.Equal(got, []int64{a.ID}) {
		t.Errorf("due later = %v, want [a]", got)
	}
	err := w.s.Update(t.Context(), func(tx qunzhu.Tx) error {
		return tx.RecordTaskSteps(b.ID, []*qunzhu.TaskEvent{{Step: "yellow"}}, "yellow", time.Time{})
	})
	checkError(t, err, qunzhu.EINVALID, "")
}

func TestTasksListFilters(t *testing.T) {
	w := newTaskWorld(t)
	by := qunzhu.MemberActor(w.owner)
	late := w.create(t, &qunzhu.Task{Title: "逾期的", Unit: "区委办", Deadline: t0.Add(2 * time.Hour)}, by)
	soon := w.create(t, &qunzhu.Task{Title: "快到期", Unit: "市城管委", Deadline: t0.Add(5 * time.Hour)}, by)
	later := w.create(t, &qunzhu.Task{Title: "下周", AssigneeIDs: []int64{w.zhao.ID}, Deadline: t0.Add(7 * 24 * time.Hour)}, by)
	doneLate := w.create(t, &qunzhu.Task{Title: "已报办结", Unit: "区委办", Deadline: t0.Add(time.Hour)}, qunzhu.MemberActor(w.sun))
	closed := w.create(t, &qunzhu.Task{Title: "已销号", Unit: "市城管委", Deadline: t0.Add(time.Hour)}, by)
	update(t, w.s, func(tx qunzhu.Tx) error {
		if _, err := tx.FinishTask(doneLate.ID, by, ""); err != nil {
			return err
		}
		_, err := tx.CloseTask(closed.ID, by, "")
		return err
	})
	w.clock.Advance(3 * time.Hour) // "late" is overdue now, "soon" is not
	list := func(f qunzhu.TaskFilter) []int64 {
		f.GroupID = w.g.ID
		var ids []int64
		view(t, w.s, func(tx qunzhu.Tx) error {
			ts, err := tx.Tasks(f)
			for _, task := range ts {
				ids = append(ids, task.ID)
			}
			return err
		})
		return ids
	}
	tests := []struct {
		name string
		f    qunzhu.TaskFilter
		want []int64
	}{
		{"all, overdue first then by deadline", qunzhu.TaskFilter{}, []int64{late.ID, doneLate.ID, soon.ID, later.ID}},
		{"overdue", qunzhu.TaskFilter{OverdueAt: t0.Add(3 * time.Hour)}, []int64{late.ID}},
		{"unit", qunzhu.TaskFilter{Unit: "市城管委"}, []int64{soon.ID, later.ID}},
		{"involving 赵科长 (his unit and his own)", qunzhu.TaskFilter{Involving: w.zhao.ID}, []int64{soon.ID, later.ID}},
		{"involving 孙干事 (assigner and unit)", qunzhu.TaskFilter{Involving: w.sun.ID}, []int64{late.ID, doneLate.ID}},
		{"limit", qunzhu.TaskFilter{Limit: 1}, []int64{late.ID}},
	}
	for _, tt := range tests {
		if got := list(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTaskStatsAndWeek(t *testing.T) {
	w := newTaskWorld(t)
	by := qunzhu.MemberActor(w.owner)
	day := 24 * time.Hour
	// 市城管委: one closed on time (done before the deadline, closed after),
	// one closed late, one overdue. 区委办: one open in time.
	onTime := w.create(t, &qunzhu.Task{Title: "a", Unit: "市城管委", Deadline: t0.Add(day)}, by)
	late := w.create(t, &qunzhu.Task{Title: "b", Unit: "市城管委", Deadline: t0.Add(day)}, by)
	w.create(t, &qunzhu.Task{Title: "c", Unit: "市城管委", Deadline: t0.Add(day)}, by)
	w.create(t, &qunzhu.Task{Title: "d", Unit: "区委办", Deadline: t0.Add(10 * day)}, by)
	w.clock.Advance(day - time.Hour)
	update(t, w.s, func(tx qunzhu.Tx) error { _, err := tx.FinishTask(onTime.ID, by, ""); return err })
	w.clock.Advance(2 * day)
	update(t, w.s, func(tx qunzhu.Tx) error {
		if _, err := tx.CloseTask(onTime.ID, by, ""); err != nil {
			return err
		}
		_, err := tx.CloseTask(late.ID, by, "")
		return err
	})
	now := w.clock.Now()
	var stats []qunzhu.TaskUnitStats
	var week []qunzhu.TaskWeekStats
	view(t, w.s, func(tx qunzhu.Tx) (err error) {
		if stats, err = tx.TaskStats(w.g.ID, time.Time{}, now.Add(time.Millisecond), now); err != nil {
			return err
		}
		week, err = tx.TaskWeek(w.g.ID, t0, now.Add(time.Millisecond), now)
		return err
	})
	// The average counts to when each was finished: the on-time one's /办结
	// a day after assignment, not its 销号 two days later.
	avg := ((day - time.Hour) + (3*day - time.Hour)).Hours() / 2 / 24
	want := []qunzhu.TaskUnitStats{
		{Unit: "市城管委", Assigned: 3, ClosedOnTime: 1, ClosedLate: 1, Open: 1, Overdue: 1, AvgDaysToClose: avg},
		{Unit: "区委办", Assigned: 1, Open: 1},
	}
	if !slices.Equal(stats, want) {
		t.Errorf("stats =\n %+v\nwant\n %+v", stats, want)
	}
	wantWeek := []qunzhu.TaskWeekStats{{Unit: "市城管委", New: 3, Closed: 2, Overdue: 1}, {Unit: "区委办", New: 1}}
	if !slices.Equal(week, wantWeek) {
		t.Errorf("week = %+v, want %+v", week, wantWeek)
	}
	// A period that starts after the tasks were assigned has none.
	view(t, w.s, func(tx qunzhu.Tx) (err error) {
		stats, err = tx.TaskStats(w.g.ID, now, now.Add(day), now)
		return err
	})
	if len(stats) != 0 {
		t.Errorf("stats of an empty period = %+v", stats)
	}
}

// TestTaskQueryPlans shows that the sweep, the lists and the statistics read
// indexes and never scan the tasks table.
func TestTaskQueryPlans(t *testing.T) {
	s := openTest(t, nil)
	tests := []struct {
		name, query string
		args        []any
		wantIndex   string
	}{
		{"sweep", dueTasksQuery, []any{0, 100}, "USING INDEX tasks_next_action (next_action_at>? AND next_action_at<?)"},
		{"stats: partial days", exactStatsQuery, []any{1, 0, 1}, "USING COVERING INDEX tasks_created (group_id=? AND created_at>? AND created_at<?)"},
		{"stats: overdue", overdueStatsQuery, []any{1, 0, 0, 1}, "INDEX tasks_list (group_id=? AND status=? AND deadline<?)"},
		{"list: overdue", listQuery("group_id = ?", partOverdue), []any{1, 0, 10}, "USING INDEX tasks_list (group_id=? AND status=? AND deadline<?)"},
		{"list: not due", listQuery("group_id = ?", partNotDue), []any{1, 0, 10}, "USING INDEX tasks_list (group_id=? AND status=? AND deadline>?)"},
		{"list: unit", listQuery("group_id = ? AND unit = ?", partOverdue), []any{1, "市城管委", 0, 10}, "USING INDEX tasks_unit_list (group_id=? AND unit=? AND status=? AND deadline<?)"},
		{"list: count overdue today", `SELECT count(*) FROM tasks WHERE group_id = ?` + partOverdue + ` AND deadline >= ?`, []any{1, 0, 0}, "INDEX tasks_list (group_id=? AND status=? AND deadline>? AND deadline<?)"},
		{"list: suspended", suspendedQuery("group_id = ?"), []any{1, 0, 10}, "INDEX tasks_suspended (group_id=? AND deadline<?)"},
		{"week: closed", taskWeekQuery, []any{1, 0, 1, 1, 0, 1, 1, 0}, "USING COVERING INDEX tasks_closed (group_id=? AND closed_at>? AND closed_at<?)"},
		{"week: overdue", taskWeekQuery, []any{1, 0, 1, 1, 0, 1, 1, 0}, "INDEX tasks_list (group_id=? AND status=? AND deadline<?)"},
		{"by ticket", `SELECT ` + taskColumns + ` FROM tasks
			WHERE source = ? AND external_id = ? AND external_id <> ''`, []any{"12345", "x"}, "USING INDEX tasks_external"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, s, tt.query, tt.args...)
			t.Logf("EXPLAIN QUERY PLAN:\n%s", plan)
			if !strings.Contains(plan, tt.wantIndex) {
				t.Errorf("plan does not use %s:\n%s", tt.wantIndex, plan)
			}
			if strings.Contains(plan, "SCAN tasks") {
				t.Errorf("plan scans the tasks table:\n%s", plan)
			}
			if strings.HasPrefix(tt.name, "list") && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("a list sorts instead of reading the index in order:\n%s", plan)
			}
		})
	}
}
