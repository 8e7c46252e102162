package main

import (
	"testing"
	"time"
)

func TestReportsConfig(t *testing.T) {
	tests := []configCase{
		{"", ""},
		{"reports:\n  move_holidays: false\n  remind_before: 0s\n  late_window: 24h\n", ""},
		{"reports:\n  remind_before: -1h\n", "reports.remind_before"},
		{"reports:\n  remind_before: 200h\n", "reports.remind_before"},
		{"reports:\n  late_window: -1h\n", "reports.late_window"},
		{"reports:\n  late_windo: 1h\n", "late_windo"},
	}
	checkConfigCases(t, tests)
	cfg, err := loadConfig("", []byte("reports:\n  move_holidays: false\n  remind_before: 30m\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.Reports.MoveHolidays || time.Duration(*cfg.Reports.RemindBefore) != 30*time.Minute {
		t.Errorf("reports config = %+v", cfg.Reports)
	}
}
