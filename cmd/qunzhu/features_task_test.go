package main

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestTasksConfig(t *testing.T) {
	tests := []configCase{
		{"", ""},
		{"tasks:\n  assign_role: owner\n  default_deadline: 48h\n  remind_before: 12h\n  yellow_after: 12h\n  red_after: 36h\n" +
			"  daily_every: 24h\n  task_reminder_limit: 1/24h\n  weekly_summary: 周五 17:30\n", ""},
		{"tasks:\n  weekly_summary: off\n", ""},
		{"tasks:\n  weekly_summary: monday 08:30\n", ""},
		{"tasks:\n  assign_role: member\n", "tasks.assign_role"},
		{"tasks:\n  default_deadline: -1h\n", "tasks.default_deadline"},
		{"tasks:\n  yellow_after: 96h\n", "red_after"},
		{"tasks:\n  daily_every: 10m\n", "daily_every"},
		{"tasks:\n  task_reminder_limit: often\n", "tasks.task_reminder_limit"},
		{"tasks:\n  weekly_summary: 每周一\n", "tasks.weekly_summary"},
		{"tasks:\n  weekly_summary: 周八 09:00\n", "tasks.weekly_summary"},
		{"tasks:\n  red_card: 3d\n", "red_card"},
		{"tasks:\n  day_close: \"17:30\"\n  quiet:\n    hours: 21:00-07:30\n    rest_days: false\n" +
			"  quiet_groups:\n    应急值班群: {hours: off, rest_days: false}\n", ""},
		{"tasks:\n  day_close: 下班\n", "tasks.day_close"},
		{"tasks:\n  quiet:\n    hours: 晚上\n", "tasks.quiet"},
		{"tasks:\n  quiet_groups:\n    应急值班群: {hours: 22-8}\n", "tasks.quiet_groups[应急值班群]"},
	}
	checkConfigCases(t, tests)
	cfg, err := loadConfig("", []byte("tasks:\n  assign_role: 群主\n  red_after: 96h\n  weekly_summary: 周五 17:30\n"),
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	role, _ := cfg.Tasks.assignRole()
	ladder := cfg.Tasks.ladder()
	weekly, on, _ := cfg.Tasks.weekly()
	if role != qunzhu.RoleOwner || ladder.RedAfter != 96*time.Hour || ladder.YellowAfter != 24*time.Hour ||
		!on || weekly.Weekday != time.Friday || weekly.At != 17*time.Hour+30*time.Minute {
		t.Errorf("tasks config: role %s, ladder %+v, weekly %v %+v", role, ladder, on, weekly)
	}
}
