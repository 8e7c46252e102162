package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/schedule"
)

// TasksConfig tunes 督办 (tasks); every field has a default. Ladder offsets
// are from the deadline.
type TasksConfig struct {
	// AssignRole is who may assign tasks: "admin" (owners and admins, the
	// default) or "owner" (owners only).
	AssignRole string `yaml:"assign_role"`
	// DefaultDeadline applies when /督办 names none; default 72h.
	DefaultDeadline Duration `yaml:"default_deadline"`
	// The escalation ladder: a reminder RemindBefore the deadline (24h), 到期
	// at it, 黄牌 YellowAfter (24h), 红牌 RedAfter (72h), and a reminder every
	// DailyEvery (24h) while overdue.
	RemindBefore Duration `yaml:"remind_before"`
	YellowAfter  Duration `yaml:"yellow_after"`
	RedAfter     Duration `yaml:"red_after"`
	DailyEvery   Duration `yaml:"daily_every"`
	// TaskReminderLimit caps manual nudges (/催办) of one task,
	// "rate/period[,burst]"; default "1/2h". (The ladder's reminders are
	// bounded per person by DESIGN's limits, shared with 交作业.)
	TaskReminderLimit string `yaml:"task_reminder_limit"`
	// DayClose is the working day's close a count of days ends at ("限期3天"
	// ends at 18:00 of the third day); default "18:00".
	DayClose string `yaml:"day_close"`
	// Quiet is when the ladder keeps still (免打扰); QuietGroups overrides it
	// for groups by name.
	Quiet       QuietConfig            `yaml:"quiet"`
	QuietGroups map[string]QuietConfig `yaml:"quiet_groups"`
	// WeeklySummary is when the 督办周报 goes out, "周一 09:00" (the default)
	// or "monday 09:00"; "off" for never.
	WeeklySummary string `yaml:"weekly_summary"`
}

// validate names the bad tasks setting.
func (c TasksConfig) validate() []error {
	var errs []error
	if _, err := c.assignRole(); err != nil {
		errs = append(errs, err)
	}
	for name, d := range map[string]Duration{"default_deadline": c.DefaultDeadline, "remind_before": c.RemindBefore,
		"yellow_after": c.YellowAfter, "red_after": c.RedAfter, "daily_every": c.DailyEvery} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("tasks.%s: must not be negative (0 means the default)", name))
		}
	}
	if err := c.ladder().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("tasks: %w", err))
	}
	if c.TaskReminderLimit != "" {
		if _, err := parseLimit(c.TaskReminderLimit); err != nil {
			errs = append(errs, fmt.Errorf("tasks.task_reminder_limit: %w", err))
		}
	}
	if _, _, err := c.weekly(); err != nil {
		errs = append(errs, fmt.Errorf("tasks.weekly_summary: %w", err))
	}
	if _, err := c.dayClose(); err != nil {
		errs = append(errs, fmt.Errorf("tasks.day_close: %w", err))
	}
	if _, err := c.Quiet.hours(qunzhu.DefaultQuietHours()); err != nil {
		errs = append(errs, fmt.Errorf("tasks.quiet: %w", err))
	}
	for name, q := range c.QuietGroups {
		if _, err := q.hours(qunzhu.DefaultQuietHours()); err != nil {
			errs = append(errs, fmt.Errorf("tasks.quiet_groups[%s]: %w", name, err))
		}
	}
	return errs
}

// QuietConfig is a quiet time (免打扰): Hours "22:00-08:00" (the default) or
// "off", RestDays (default true) for weekends and statutory holidays, and
// UrgentOnRestDays (default true) letting tasks given a day or less and
// hotline tasks through on rest days (never at night); it is read from
// tasks.quiet only, not from a group's entry.
type QuietConfig struct {
	Hours            string `yaml:"hours"`
	RestDays         *bool  `yaml:"rest_days"`
	UrgentOnRestDays *bool  `yaml:"urgent_on_rest_days"`
}

// hours reads the quiet time over def.
func (c QuietConfig) hours(def qunzhu.QuietHours) (qunzhu.QuietHours, error) {
	q := def
	switch s := strings.ToLower(strings.TrimSpace(c.Hours)); s {
	case "":
	case "off", "none", "关闭":
		q.Night = false
	default:
		from, to, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), "-")
		f, err1 := time.Parse("15:04", from)
		t, err2 := time.Parse("15:04", to)
		if !ok || err1 != nil || err2 != nil || from == to {
			return q, fmt.Errorf("hours %q: want a span like \"22:00-08:00\", or off", c.Hours)
		}
		q.Night, q.From, q.To = true, clockOf(f), clockOf(t)
	}
	if c.RestDays != nil {
		q.RestDays = *c.RestDays
	}
	return q, nil
}

func clockOf(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
}

// dayClose reads DayClose; 18:00 by default.
func (c TasksConfig) dayClose() (time.Duration, error) {
	if strings.TrimSpace(c.DayClose) == "" {
		return commands.EndOfWorkday, nil
	}
	t, err := time.Parse("15:04", strings.TrimSpace(c.DayClose))
	if err != nil {
		return 0, fmt.Errorf("%q: want a time like \"18:00\"", c.DayClose)
	}
	return clockOf(t), nil
}

func (c TasksConfig) assignRole() (qunzhu.Role, error) {
	switch strings.ToLower(strings.TrimSpace(c.AssignRole)) {
	case "", "admin", "管理员":
		return qunzhu.RoleAdmin, nil
	case "owner", "群主":
		return qunzhu.RoleOwner, nil
	}
	return "", fmt.Errorf("tasks.assign_role: %q is not owner or admin", c.AssignRole)
}

// ladder is the configured ladder over the defaults.
func (c TasksConfig) ladder() qunzhu.TaskLadder {
	l := qunzhu.DefaultTaskLadder()
	for _, x := range []struct {
		v   Duration
		dst *time.Duration
	}{{c.RemindBefore, &l.RemindBefore}, {c.YellowAfter, &l.YellowAfter}, {c.RedAfter, &l.RedAfter}, {c.DailyEvery, &l.DailyEvery}} {
		if x.v > 0 {
			*x.dst = time.Duration(x.v)
		}
	}
	return l
}

// weekly reads WeeklySummary; enabled is false for "off".
func (c TasksConfig) weekly() (cfg schedule.TaskWeeklyConfig, enabled bool, err error) {
	cfg = schedule.DefaultTaskWeekly()
	s := strings.ToLower(strings.Join(strings.Fields(c.WeeklySummary), " "))
	switch s {
	case "":
		return cfg, true, nil
	case "off", "none", "关闭", "不发":
		return cfg, false, nil
	}
	day, at, ok := strings.Cut(s, " ")
	wd, known := map[string]time.Weekday{
		"周一": time.Monday, "周二": time.Tuesday, "周三": time.Wednesday, "周四": time.Thursday,
		"周五": time.Friday, "周六": time.Saturday, "周日": time.Sunday, "周天": time.Sunday,
		"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
		"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
	}[day]
	t, perr := time.Parse("15:04", at)
	if !ok || !known || perr != nil {
		return cfg, false, fmt.Errorf("%q: want a weekday and a time like \"周一 09:00\" or \"monday 09:00\", or off", c.WeeklySummary)
	}
	cfg.Weekday, cfg.At = wd, time.Duration(t.Hour())*time.Hour+time.Duration(t.Minute())*time.Minute
	return cfg, true, nil
}

// wireTasks plugs in 督办: the commands and the evidence picture handler, the
// escalation ladder job and the weekly summary job, all reading times in the
// router's time zone.
func wireTasks(a *app) error {
	cfg := a.cfg.Tasks
	role, err := cfg.assignRole()
	if err != nil {
		return err
	}
	closeAt, err := cfg.dayClose()
	if err != nil {
		return err
	}
	loc := a.router.Location()
	workdays := qunzhu.ReportCalendar{Location: loc, Holidays: festival.StatutoryHolidays{}}
	tc := commands.TaskConfig{AssignRole: role, DefaultDeadline: time.Duration(cfg.DefaultDeadline),
		Workdays: workdays, DayClose: closeAt, Festivals: festival.New(loc), Limiter: a.limiter}
	if cfg.TaskReminderLimit != "" {
		if tc.NudgeLimit, err = parseLimit(cfg.TaskReminderLimit); err != nil {
			return fmt.Errorf("tasks.task_reminder_limit: %w", err)
		}
	}
	tasks := commands.NewTasks(tc)
	a.router.RegisterFamily(commands.FamilyTask, tasks.Specs()...)
	a.router.RegisterAttach(tasks.Attach())
	// 随手拍: problems members report with photos, made into tasks by /督办 随手拍N.
	(&commands.Snapshots{ListRole: role}).Register(a.router)

	sweep := schedule.TaskSweepConfig{Ladder: cfg.ladder(), Location: loc, Workdays: workdays,
		Logger: a.log.With("component", "tasks"), UrgentOnRestDays: cfg.Quiet.UrgentOnRestDays == nil || *cfg.Quiet.UrgentOnRestDays}
	if sweep.Quiet, err = cfg.Quiet.hours(qunzhu.DefaultQuietHours()); err != nil {
		return fmt.Errorf("tasks.quiet: %w", err)
	}
	for name, q := range cfg.QuietGroups {
		if sweep.QuietByGroup == nil {
			sweep.QuietByGroup = map[string]qunzhu.QuietHours{}
		}
		if sweep.QuietByGroup[name], err = q.hours(sweep.Quiet); err != nil {
			return fmt.Errorf("tasks.quiet_groups[%s]: %w", name, err)
		}
	}
	a.runner.Add(schedule.NewTaskSweep(a.store, a.limiter, sweep))

	weekly, enabled, err := cfg.weekly()
	if err != nil {
		return fmt.Errorf("tasks.weekly_summary: %w", err)
	}
	if enabled {
		weekly.Location, weekly.Logger = a.router.Location(), a.log.With("component", "tasks")
		a.runner.Add(schedule.NewTaskWeekly(a.store, weekly))
	}
	return nil
}
