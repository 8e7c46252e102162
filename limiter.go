package qunzhu

import (
	"context"
	"time"
)

// Limit is a rate: Rate events per Period with bursts of up to Burst (below 1
// counts as 1). It is the generic cell rate algorithm's parameters, as
// redis_rate uses them. A zero limit allows everything.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// IsZero reports whether the limit is unset (no limiting).
func (l Limit) IsZero() bool { return l.Rate <= 0 || l.Period <= 0 }

// Interval is the time between two events at the steady rate.
func (l Limit) Interval() time.Duration {
	if l.IsZero() {
		return 0
	}
	return l.Period / time.Duration(l.Rate)
}

// LimitResult is the answer to one Allow call. RetryAfter is 0 when allowed;
// Remaining is rounded down (math.MaxInt for a zero limit).
type LimitResult struct {
	Allowed    bool
	Remaining  int           // events still allowed right now
	RetryAfter time.Duration // when Allowed is false, how long until one is
}

// Limiter is the governor's memory: it decides whether one more event under key
// fits in limit. Implementations: ratelimit.Redis (shared by every replica) and
// ratelimit.Local (in-process), with the same semantics, and ratelimit.Fallback
// that uses Redis while it answers and the local one otherwise. Errors mean an
// infrastructure failure (Fallback never returns one), never "denied".
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (LimitResult, error)
}
