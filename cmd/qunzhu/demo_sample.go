package main

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
)

// seedDemo gives a fresh demo three weeks of history, so the dashboard, the
// ledger, the 交作业 matrix and the statistics have something to show the
// moment a newcomer signs in: 督办 tasks in the cadres' group (overdue, open,
// reported done, closed on time and late) and three weekly report cycles in
// the vice-mayors' group (on time, late, missing).
//
// It writes through the store as the features do, with the demo clock moved
// back and brought forward step by step, so every time in the history is one
// the store itself recorded. It runs before anything else does (no
// scheduler, no sender), and leaves the clock where it found it. Messages the
// history calls for now (the overdue tasks' current ladder step) go out once
// the bot is online, as after any outage.
func seedDemo(ctx context.Context, store qunzhu.Store, clock *qunzhu.OffsetClock, loc *time.Location) error {
	const back = 22 * 24 * time.Hour
	var offset time.Duration // what seedDemo added to the clock so far
	setOffset := func(o time.Duration) { clock.Advance(o - offset); offset = o }
	defer setOffset(0)
	at := func(d time.Duration) { setOffset(d - back) } // d after the history's start
	update := func(fn func(tx qunzhu.Tx) error) error { return store.Update(ctx, fn) }

	// The cadres' group: units with people who were registered, not bound.
	var cadres *qunzhu.Group
	var owner *qunzhu.Member
	tasks := map[string]int64{}
	err := update(func(tx qunzhu.Tx) (err error) {
		if cadres, err = tx.GroupByPlatformName(qunzhu.PlatformWeChat, "区委干部工作群"); err != nil {
			return err
		}
		if owner, err = tx.MemberByName(cadres.ID, "张书记"); err != nil {
			return err
		}
		for _, m := range []struct{ name, unit string }{{"赵科长", "市城管委"}, {"孙干事", "区委办"}} {
			if err := tx.CreateMember(&qunzhu.Member{GroupID: cadres.ID, Name: m.name, Unit: m.unit}); err != nil &&
				qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo sample: %w", err)
	}
	by := qunzhu.MemberActor(owner)
	assign := func(key, unit, title string, due time.Duration) error {
		return update(func(tx qunzhu.Tx) error {
			t := &qunzhu.Task{GroupID: cadres.ID, Unit: unit, Title: title, Deadline: clock.Now().Add(due)}
			if err := tx.CreateTask(t, by); err != nil {
				return err
			}
			tasks[key] = t.ID
			return nil
		})
	}
	finish := func(key, who, text string, close bool) error {
		return update(func(tx qunzhu.Tx) error {
			if _, err := tx.FinishTask(tasks[key], qunzhu.TaskActor{Name: who}, text); err != nil {
				return err
			}
			if close {
				_, err := tx.CloseTask(tasks[key], by, "")
				return err
			}
			return nil
		})
	}
	day := 24 * time.Hour
	steps := []struct {
		at time.Duration
		do func() error
	}{
		{1 * day, func() error { return assign("lamp", "市城管委", "修复人民路路灯", 3*day) }},
		{1*day + time.Hour, func() error { return assign("minutes", "区委办", "整理周例会纪要", 2*day) }},
		{2 * day, func() error { return finish("minutes", "孙干事", "纪要已印发", true) }},
		{6 * day, func() error { return finish("lamp", "赵科长", "路灯已修复", true) }}, // late
		{8 * day, func() error { return assign("stalls", "市城管委", "清理福州路占道经营", 5*day) }},
		{9 * day, func() error { return assign("report", "区委办", "报送年度考核材料", 6*day) }},
		{12 * day, func() error { return finish("report", "孙干事", "材料已报送", false) }},
		{15 * day, func() error { return assign("illegal", "市城管委", "拆除河南路违章搭建", 4*day) }},
		{20 * day, func() error { return assign("manhole", "市城管委", "补齐福州路井盖", 4*day) }},
		{21 * day, func() error { return assign("meeting", "区委办", "筹备区委全会", 3*day) }},
	}
	for _, s := range steps {
		at(s.at)
		if err := s.do(); err != nil {
			return fmt.Errorf("demo sample tasks: %w", err)
		}
	}

	// The vice-mayors' group hands in every Friday at 18:00: 成都市 on time,
	// 绵阳市 once late and once missing, 德阳市 mostly missing.
	at(0)
	rule, err := commands.ParseCycle("每周五18:00", clock.Now().In(loc))
	if err != nil {
		return fmt.Errorf("demo sample cycle: %w", err)
	}
	cal := qunzhu.ReportCalendar{Location: loc, Holidays: festival.StatutoryHolidays{}, MoveHolidays: true}
	var mayors *qunzhu.Group
	sched := &qunzhu.ReportSchedule{Rule: rule, RemindBefore: 2 * time.Hour}
	members := map[string]*qunzhu.Member{}
	err = update(func(tx qunzhu.Tx) (err error) {
		if mayors, err = tx.GroupByPlatformName(qunzhu.PlatformWeChat, "副市长作业群"); err != nil {
			return err
		}
		sched.GroupID = mayors.ID
		if err := tx.SetReportSchedule(sched); err != nil {
			return err
		}
		for _, unit := range []string{"成都市", "绵阳市", "德阳市"} {
			if _, err := tx.AddRosterUnit(mayors.ID, unit); err != nil {
				return err
			}
			m := &qunzhu.Member{GroupID: mayors.ID, Name: unit + "副市长", Unit: unit}
			if err := tx.CreateMember(m); qunzhu.ErrorCode(err) == qunzhu.ECONFLICT {
				m, err = tx.MemberByName(mayors.ID, m.Name)
			}
			if err != nil {
				return err
			}
			members[unit] = m
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo sample reports: %w", err)
	}
	hand := map[string][]time.Duration{ // per week: before (-) or after (+) the deadline; 0: missing
		"成都市": {-26 * time.Hour, -5 * time.Hour, -3 * time.Hour},
		"绵阳市": {-4 * time.Hour, 3 * time.Hour, 0},
		"德阳市": {0, -1 * time.Hour, 0},
	}
	texts := []string{"本周完成整改3项，剩余2项下周完成", "已完成老旧小区燃气排查，发现隐患7处并整改5处", "河道清淤完成80%，下周验收"}
	for week := range 3 {
		if offset >= 0 {
			break // the current week is for the newcomer to hand in
		}
		var cycle *qunzhu.ReportCycle
		if err := update(func(tx qunzhu.Tx) (err error) {
			cycle, err = qunzhu.EnsureReportCycles(tx, sched, cal, clock.Now())
			return err
		}); err != nil {
			return fmt.Errorf("demo sample cycle: %w", err)
		}
		if cycle.Deadline.After(time.Now()) {
			break // the current week is for the newcomer to hand in
		}
		for _, unit := range []string{"成都市", "绵阳市", "德阳市"} {
			off := hand[unit][week]
			if off == 0 || cycle.Deadline.Add(off).After(time.Now()) {
				continue // missing, or not yet due in real time
			}
			m := members[unit]
			if err := update(func(tx qunzhu.Tx) error {
				return tx.AddSubmission(&qunzhu.Submission{GroupID: mayors.ID, CycleID: cycle.ID, Unit: unit,
					MemberID: m.ID, MemberName: m.Name, Content: texts[week], SubmittedAt: cycle.Deadline.Add(off)})
			}); err != nil {
				return fmt.Errorf("demo sample submission: %w", err)
			}
		}
		// The reminder and the summary of a past week were posted then.
		if err := update(func(tx qunzhu.Tx) error {
			cycle.RemindedAt, cycle.SummarizedAt = cycle.Deadline, cycle.Deadline
			return tx.UpdateReportCycle(cycle)
		}); err != nil {
			return fmt.Errorf("demo sample cycle: %w", err)
		}
		// On to the next week, just past this deadline.
		setOffset(min(cycle.Deadline.Add(time.Minute).Sub(time.Now()), 0))
	}
	return nil
}
