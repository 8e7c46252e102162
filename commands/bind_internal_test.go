package commands

import (
	"bytes"
	"testing"
	"time"
)

func TestRandomCode(t *testing.T) {
	// 0xFFFFFFFF lies above the largest multiple of a million and is rejected,
	// so the next draw (1) is used.
	rnd := bytes.NewReader([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1})
	got, err := randomCode(rnd)
	if err != nil {
		t.Fatal(err)
	}
	if want := "000001"; got != want {
		t.Errorf("randomCode = %q, want %q", got, want)
	}
	if _, err := randomCode(bytes.NewReader(nil)); err == nil {
		t.Error("randomCode from an empty reader: no error")
	}
}

func TestChineseDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{2 * time.Hour, "2小时"},
		{30 * time.Minute, "30分钟"},
		{90 * time.Minute, "1小时30分钟"},
		{24 * time.Hour, "1天"},
		{36 * time.Hour, "36小时"},
		{45 * time.Second, "45秒"},
	}
	for _, tt := range tests {
		if got := chineseDuration(tt.d); got != tt.want {
			t.Errorf("chineseDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
