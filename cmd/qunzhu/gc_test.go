package main

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, maxGCPercent},
		{1 * mb, maxGCPercent}, // 3200 capped
		{4 * mb, 800},          // goal 36 MB
		{16 * mb, 200},         // goal 48 MB
		{32 * mb, 100},         // Go's default from here on
		{500 * mb, 100},
	} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MB) = %d, want %d", c.live/mb, got, c.want)
		}
	}
}

func gogc() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

func TestGCTunerStaysOffWhenTheOperatorChose(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		getenv := func(k string) string {
			if k == env {
				return "100"
			}
			return ""
		}
		if startGCTuner(getenv) {
			t.Errorf("with %s set the tuner started", env)
		}
	}
}

// The tuner runs after collections and lifts GOGC for this small heap. It
// stays on for the rest of the test binary, which is what the program does.
func TestGCTunerRaisesGOGCForASmallHeap(t *testing.T) {
	if gogc() != 100 {
		t.Skipf("GOGC is %d here, not Go's default: the tuner's effect cannot be told apart", gogc())
	}
	if !startGCTuner(func(string) string { return "" }) {
		t.Fatal("the tuner did not start with GOGC and GOMEMLIMIT unset")
	}
	deadline := time.Now().Add(10 * time.Second)
	for gogc() == 100 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := s[0].Value.Uint64()
	if got := gogc(); got <= 100 && live < heapFloor/2 {
		t.Fatalf("GOGC is %d with %d bytes live: the tuner did not raise it", got, live)
	}
	t.Logf("GOGC %d with %.1f MB live", gogc(), float64(live)/(1<<20))
}
