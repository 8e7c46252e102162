package main

import (
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/schedule"
)

// HonorConfig tunes the 红黑榜; every field has a default.
type HonorConfig struct {
	// Weekly is when the board goes out, "周一 09:00" (the default), or
	// "off"; not on statutory holidays.
	Weekly string `yaml:"weekly"`
	// StallDays is how many days without progress make an open task 停滞; 7.
	StallDays int `yaml:"stall_days"`
}

// schedule reads Weekly the way tasks.weekly_summary is read.
func (c HonorConfig) schedule() (schedule.TaskWeeklyConfig, bool, error) {
	return TasksConfig{WeeklySummary: c.Weekly}.weekly()
}

// validate names the bad 红黑榜 setting.
func (c HonorConfig) validate() []error {
	var errs []error
	if _, _, err := c.schedule(); err != nil {
		errs = append(errs, fmt.Errorf("honor.weekly: %w", err))
	}
	if c.StallDays < 0 || c.StallDays > 90 {
		errs = append(errs, fmt.Errorf("honor.stall_days: must be between 1 and 90 (0 for the default 7)"))
	}
	return errs
}

// wireHonor plugs in the 红黑榜: /红黑榜 and /点赞, and the weekly post.
func wireHonor(a *app) error {
	cfg := a.cfg.Honor
	stall := time.Duration(cfg.StallDays) * 24 * time.Hour
	for _, s := range commands.NewHonor(stall).Specs() {
		a.router.Register(s)
	}
	weekly, enabled, err := cfg.schedule()
	if err != nil {
		return fmt.Errorf("honor.weekly: %w", err)
	}
	if !enabled {
		return nil
	}
	loc := a.router.Location()
	weekly.Location, weekly.Logger = loc, a.log.With("component", "honor")
	if stall <= 0 {
		stall = commands.DefaultStallFor
	}
	a.runner.Add(schedule.NewHonorJob(a.store, schedule.HonorConfig{
		Weekly: weekly, StallFor: stall,
		Calendar: qunzhu.ReportCalendar{Location: loc, Holidays: festival.StatutoryHolidays{}},
	}))
	return nil
}
