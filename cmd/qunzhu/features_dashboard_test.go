package main

import "testing"

func TestDashboardAndHonorConfig(t *testing.T) {
	checkConfigCases(t, []configCase{
		{"metrics_addr: 127.0.0.1:9100", ""},
		{"metrics_addr: localhost", "metrics_addr"},
		{"dashboard: {link_ttl: 48h, session_ttl: 8h}", ""},
		{"dashboard: {link_ttl: 10s}", "dashboard.link_ttl"},
		{"dashboard: {session_ttl: 1000h}", "dashboard.session_ttl"},
		{"honor: {weekly: 周五 17:00, stall_days: 5}", ""},
		{"honor: {weekly: off}", ""},
		{"honor: {weekly: 每周一}", "honor.weekly"},
		{"honor: {stall_days: 365}", "honor.stall_days"},
	})
	cfg, err := loadChecked("login_token: abcdefghijklmnop0123")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.metricsToken(); got != "abcdefghijklmnop0123" {
		t.Errorf("metrics token on the main address = %q, want the login token", got)
	}
	cfg.MetricsAddr = "127.0.0.1:9100"
	if got := cfg.metricsToken(); got != "" {
		t.Errorf("metrics token with metrics_addr = %q, want none (not served on the main address)", got)
	}
}
