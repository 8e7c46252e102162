package ratelimit

import (
	"context"
	"maps"
	"math"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
)

// minSweepEvery is the fewest calls between two sweeps of Local's map, so a
// small map is not scanned on every call.
const minSweepEvery = 1024

// Local is the limiter for a single process: the embedded default with no Redis,
// and the Fallback's answer while Redis is unreachable. It applies redis_rate's
// GCRA with the same formula (see the package doc) on its own clock, so a limit
// behaves the same whichever limiter enforces it.
//
// It computes in integer nanoseconds where the Lua script uses floating-point
// seconds, so the two can differ by well under a microsecond at a boundary.
type Local struct {
	clock qunzhu.Clock

	mu   sync.Mutex
	tats map[string]int64 // key → theoretical arrival time, Unix nanoseconds
	// untilSweep counts calls down to the next sweep. Resetting it to the map's
	// size after each sweep keeps the cost of sweeping O(1) per call while stale
	// keys can at most double the map between sweeps.
	untilSweep int
	peak       int // the most keys seen at a sweep since the map was last rebuilt
}

var _ qunzhu.Limiter = (*Local)(nil)

// NewLocal returns an empty in-process limiter reading time from clock (nil means
// the system clock); tests pass a *qunzhu.FakeClock to check exact numbers.
func NewLocal(clock qunzhu.Clock) *Local {
	if clock == nil {
		clock = qunzhu.SystemClock{}
	}
	return &Local{clock: clock, tats: make(map[string]int64), untilSweep: minSweepEvery}
}

// Allow reports whether one more event under key fits in limit. It never fails;
// the error is there to satisfy qunzhu.Limiter.
func (l *Local) Allow(_ context.Context, key string, limit qunzhu.Limit) (qunzhu.LimitResult, error) {
	if limit.IsZero() {
		return unlimited, nil
	}
	// Same names and steps as redis_rate's allowN script, with cost 1.
	interval := max(int64(limit.Interval()), 1) // emission_interval
	burstOffset := mulSat(interval, int64(effectiveBurst(limit)))

	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now().UnixNano()
	l.maybeSweep(now)

	tat, ok := l.tats[key]
	if !ok || tat < now {
		tat = now
	}
	newTat := tat + interval
	allowAt := newTat - burstOffset
	diff := now - allowAt
	if diff < 0 {
		// Denied: the state is left unchanged, as in the script.
		return qunzhu.LimitResult{RetryAfter: time.Duration(-diff)}, nil
	}
	l.tats[key] = newTat
	return qunzhu.LimitResult{Allowed: true, Remaining: int(diff / interval)}, nil
}

// maybeSweep drops, every so many calls, the keys whose TAT is not after now:
// such a key answers exactly like a key never seen (Redis lets them expire too),
// so forgetting them changes nothing but the memory used. l.mu must be held.
func (l *Local) maybeSweep(now int64) {
	l.untilSweep--
	if l.untilSweep > 0 {
		return
	}
	l.sweep(now)
}

// sweep drops every key whose TAT is not after now. A Go map keeps its buckets
// when keys are deleted, so once the map holds under a quarter of what it held at
// its largest it is copied into a new one, and a burst of one-off keys (a
// broadcast to every person) does not pin its memory forever. l.mu must be held.
func (l *Local) sweep(now int64) {
	l.peak = max(l.peak, len(l.tats))
	for key, tat := range l.tats {
		if tat <= now {
			delete(l.tats, key)
		}
	}
	if l.peak > minSweepEvery && len(l.tats) < l.peak/4 {
		// Not maps.Clone: it copies the old capacity too.
		tats := make(map[string]int64, len(l.tats))
		maps.Copy(tats, l.tats)
		l.tats = tats
		l.peak = len(l.tats)
	}
	l.untilSweep = max(minSweepEvery, len(l.tats))
}

// mulSat multiplies two non-negative numbers, saturating instead of overflowing
// for absurd limits (a burst of millions of day-long intervals).
func mulSat(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/4/a {
		return math.MaxInt64 / 4 // room left to add an interval without overflow
	}
	return a * b
}
