package main

import (
	"strings"
	"testing"
	"time"
)

func TestReportsConfig(t *testing.T) {
	tests := []struct {
		yaml string
		want string // "" for valid
	}{
		{"", ""},
		{"reports:\n  move_holidays: false\n  remind_before: 0s\n  late_window: 24h\n", ""},
		{"reports:\n  remind_before: -1h\n", "reports.remind_before"},
		{"reports:\n  remind_before: 200h\n", "reports.remind_before"},
		{"reports:\n  late_window: -1h\n", "reports.late_window"},
		{"reports:\n  late_windo: 1h\n", "late_windo"},
	}
	for _, tt := range tests {
		cfg, err := loadConfig("", []byte(tt.yaml), func(string) string { return "" })
		if err == nil {
			err = cfg.validate()
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.yaml, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want one naming %s", tt.yaml, err, tt.want)
		}
	}
	cfg, err := loadConfig("", []byte("reports:\n  move_holidays: false\n  remind_before: 30m\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.Reports.MoveHolidays || time.Duration(*cfg.Reports.RemindBefore) != 30*time.Minute {
		t.Errorf("reports config = %+v", cfg.Reports)
	}
}
