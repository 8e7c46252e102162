package ratelimit

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// TestLocalExactGCRA follows one key through redis_rate's formula on a fake
// clock: Rate 1 per 3 s, Burst 2.
func TestLocalExactGCRA(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	lim := NewLocal(clock)
	limit := qunzhu.Limit{Rate: 1, Period: 3 * time.Second, Burst: 2}
	for i, s := range []step{
		{key: "k", limit: limit, want: allowed(1)},
		{key: "k", limit: limit, want: allowed(0)},
		{key: "k", limit: limit, want: denied(3 * time.Second)},
		{sleep: time.Second, key: "k", limit: limit, want: denied(2 * time.Second)},
		{sleep: 2 * time.Second, key: "k", limit: limit, want: allowed(0)},
		{key: "k", limit: limit, want: denied(3 * time.Second)},
		{sleep: 3*time.Second - time.Nanosecond, key: "k", limit: limit, want: denied(time.Nanosecond)},
		{sleep: time.Nanosecond, key: "k", limit: limit, want: allowed(0)},
		// A long silence refills the burst and no more.
		{sleep: time.Hour, key: "k", limit: limit, want: allowed(1)},
		{key: "k", limit: limit, want: allowed(0)},
		{key: "k", limit: limit, want: denied(3 * time.Second)},
		// Half an interval later Remaining still rounds down to 0.
		{sleep: 4500 * time.Millisecond, key: "k", limit: limit, want: allowed(0)},
	} {
		clock.Advance(s.sleep)
		got, err := lim.Allow(context.Background(), s.key, s.limit)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, i, got, s.want, true)
	}
}

// TestLocalUnevenInterval checks a period that Rate does not divide: the
// interval is Period/Rate rounded down to the nanosecond, as Limit.Interval says.
func TestLocalUnevenInterval(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	lim := NewLocal(clock)
	limit := qunzhu.Limit{Rate: 3, Period: time.Second, Burst: 1}
	ctx := context.Background()
	if got, _ := lim.Allow(ctx, "k", limit); got != allowed(0) {
		t.Fatalf("first: got %+v, want %+v", got, allowed(0))
	}
	if got, want := mustAllow(t, lim, "k", limit), denied(333333333); got != want {
		t.Errorf("second: got %+v, want %+v", got, want)
	}
	clock.Advance(333333333)
	if got, want := mustAllow(t, lim, "k", limit), allowed(0); got != want {
		t.Errorf("after one interval: got %+v, want %+v", got, want)
	}
}

func mustAllow(t *testing.T, lim qunzhu.Limiter, key string, limit qunzhu.Limit) qunzhu.LimitResult {
	t.Helper()
	got, err := lim.Allow(context.Background(), key, limit)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLocalSweepBoundsMemory fills the limiter with 100k one-off keys (say, one
// per person reminded) and checks that once their TAT has passed they are
// forgotten by the calls that follow, and the memory they held is given back.
func TestLocalSweepBoundsMemory(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	lim := NewLocal(clock)
	limit := qunzhu.Limit{Rate: 1, Period: 3 * time.Second, Burst: 2}
	ctx := context.Background()
	before := heapAlloc()

	const n = 100_000
	for i := range n {
		lim.Allow(ctx, "person:"+strconv.Itoa(i), limit)
	}
	if got, want := lim.size(), n; got != want {
		t.Fatalf("keys while all are live = %d, want %d", got, want)
	}
	full := heapAlloc()

	// Every TAT is t0+3s: once that has passed the keys mean nothing. Ordinary
	// calls on one key must sweep them within about as many calls as there were
	// keys (the sweep's cost is spread over the calls).
	clock.Advance(3 * time.Second)
	calls := 0
	for lim.size() > 1 && calls <= 2*n {
		lim.Allow(ctx, "account", limit)
		calls++
	}
	if got := lim.size(); got > 1 {
		t.Fatalf("keys after %d calls = %d, want at most 1", calls, got)
	}
	t.Logf("swept after %d calls; heap before %d KiB, full %d KiB", calls, before>>10, full>>10)

	after := heapAlloc()
	if grown := int64(after) - int64(before); grown > 1<<20 {
		t.Errorf("heap after sweeping is %d KiB above the start (full: %d KiB), want under 1 MiB",
			grown>>10, (int64(full)-int64(before))>>10)
	}
	// The limiter still works after a sweep.
	if got := mustAllow(t, lim, "person:1", limit); got != allowed(1) {
		t.Errorf("swept key: got %+v, want %+v", got, allowed(1))
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// size is the number of keys held, for tests.
func (l *Local) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tats)
}
