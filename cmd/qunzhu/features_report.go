package main

import (
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/schedule"
)

// ReportsConfig tunes 交作业 (report cycles); every field has a default.
type ReportsConfig struct {
	// MoveHolidays moves a deadline that falls on a statutory holiday to the
	// previous working day (lunar-go's table); default true.
	MoveHolidays *bool `yaml:"move_holidays"`
	// RemindBefore is how long before a deadline the missing units are
	// reminded when /作业 设置 names no time; default 2h, 0s for none.
	RemindBefore *Duration `yaml:"remind_before"`
	// LateWindow is how long after a deadline a report still counts as late
	// (迟交) for that cycle; 0 (default) means until the next deadline.
	LateWindow Duration `yaml:"late_window"`
}

// defaultReportRemind is the reminder lead time unless configured.
const defaultReportRemind = 2 * time.Hour

// validate names the bad reports setting.
func (c ReportsConfig) validate() []error {
	var errs []error
	if c.RemindBefore != nil && (*c.RemindBefore < 0 || time.Duration(*c.RemindBefore) > 7*24*time.Hour) {
		errs = append(errs, fmt.Errorf("reports.remind_before: must be between 0s and 168h"))
	}
	if c.LateWindow < 0 {
		errs = append(errs, fmt.Errorf("reports.late_window: must not be negative (0 means until the next deadline)"))
	}
	return errs
}

// wireReports plugs in 交作业: the commands and the picture handler, and the
// job that posts reminders and summaries. Both get the same calendar, so the
// deadline a reply announces is the one the job keeps.
func wireReports(a *app) {
	cfg := a.cfg.Reports
	move, remind := true, defaultReportRemind
	if cfg.MoveHolidays != nil {
		move = *cfg.MoveHolidays
	}
	if cfg.RemindBefore != nil {
		remind = time.Duration(*cfg.RemindBefore)
	}
	cal := qunzhu.ReportCalendar{Location: a.router.Location(), Holidays: festival.StatutoryHolidays{}, MoveHolidays: move}
	reports := commands.NewReports(commands.ReportConfig{Calendar: cal, RemindBefore: remind, LateWindow: time.Duration(cfg.LateWindow)})
	reports.Register(a.router)
	// 交作业 reminders keep the tasks' quiet nights (not rest days: a cycle
	// on a Saturday was chosen); validate() has checked the setting.
	quiet, _ := a.cfg.Tasks.Quiet.hours(qunzhu.DefaultQuietHours())
	quiet.RestDays = false
	a.runner.Add(schedule.NewReportJob(a.store, a.limiter, schedule.ReportJobConfig{
		Calendar: cal, Texts: reports, Logger: a.log.With("component", "reports"), Quiet: quiet,
	}))
}
