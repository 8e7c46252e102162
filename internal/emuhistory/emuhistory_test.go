package emuhistory

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	tests := []struct {
		query   string
		after   int64
		wait    time.Duration
		wantErr bool
	}{
		{"", 0, 0, false},
		{"after=7&wait=2s", 7, 2 * time.Second, false},
		{"after=x", 0, 0, true},
		{"wait=-1s", 0, 0, true},
		{"wait=2m", 0, 0, true},
	}
	for _, tt := range tests {
		after, wait, err := Window(httptest.NewRequest("GET", "/?"+tt.query, nil), time.Minute)
		if after != tt.after || wait != tt.wait || (err != nil) != tt.wantErr {
			t.Errorf("%q: %d, %v, %v", tt.query, after, wait, err)
		}
	}
}

// Read answers at once without a wait, waits for a first message with one,
// and falls back to what there is when the wait passes.
func TestRead(t *testing.T) {
	now := func(after int64) ([]int64, error) { return []int64{after + 1}, nil }
	never := func(ctx context.Context, _ int64) ([]int64, error) { <-ctx.Done(); return nil, ctx.Err() }
	arrives := func(_ context.Context, after int64) ([]int64, error) { return []int64{after + 2}, nil }
	ctx := context.Background()
	if got, err := Read(ctx, 3, 0, now, never); err != nil || got[0] != 4 {
		t.Errorf("no wait: %v %v", got, err)
	}
	if got, err := Read(ctx, 3, time.Second, now, arrives); err != nil || got[0] != 5 {
		t.Errorf("arrives: %v %v", got, err)
	}
	if got, err := Read(ctx, 3, 10*time.Millisecond, now, never); err != nil || got[0] != 4 {
		t.Errorf("wait passes: %v %v", got, err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Read(gone, 3, time.Second, now, never); err == nil {
		t.Error("ended request: no error")
	}
}
