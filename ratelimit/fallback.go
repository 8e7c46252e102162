package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
)

// DefaultCoolDown is how long Fallback answers from its local limiter after the
// primary failed before it tries the primary again: long enough not to pay a
// connection timeout on every message while Redis is down, short enough that
// replicas share their limits again soon after it is back.
const DefaultCoolDown = 10 * time.Second

// FallbackOptions tunes a Fallback; the zero value gives the defaults.
type FallbackOptions struct {
	// CoolDown is the time between two attempts at a failed primary;
	// 0 means DefaultCoolDown.
	CoolDown time.Duration
	// Clock measures the cool-down; nil means the local limiter's clock, so a
	// test that fakes one fakes both.
	Clock qunzhu.Clock
}

// Fallback keeps the governor working while Redis is unreachable: sending must
// slow down to the in-process pace, never stop, and never be unlimited. It asks
// the primary (normally a Redis) and, when that fails, answers from the local
// limiter for a cool-down before it tries the primary again. Only one call at a
// time tries a failed primary, so an outage costs one timeout per cool-down, not
// one per message. It logs a warning when the primary fails and an info when it
// answers again, once per outage.
//
// While the primary is down each replica enforces its limits alone, so the
// replicas together may exceed them; with one replica nothing changes.
type Fallback struct {
	primary  qunzhu.Limiter
	local    *Local
	log      *slog.Logger
	clock    qunzhu.Clock
	coolDown time.Duration

	mu        sync.Mutex
	down      bool      // the primary failed and has not answered since
	downSince time.Time // when down became true
	retryAt   time.Time // when down, the earliest time to try the primary again
	probing   bool      // a call is trying the primary while down
}

var _ qunzhu.Limiter = (*Fallback)(nil)

// NewFallback returns a limiter that uses primary while it answers and local
// otherwise. logger may be nil to log nothing.
func NewFallback(primary qunzhu.Limiter, local *Local, logger *slog.Logger, opts FallbackOptions) *Fallback {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.CoolDown <= 0 {
		opts.CoolDown = DefaultCoolDown
	}
	if opts.Clock == nil {
		opts.Clock = local.clock
	}
	return &Fallback{primary: primary, local: local, log: logger, clock: opts.Clock, coolDown: opts.CoolDown}
}

// Allow answers from the primary when it is up (or due for another try) and from
// the local limiter otherwise. It never returns an error: a failing primary is
// logged and replaced, not reported to every caller.
func (f *Fallback) Allow(ctx context.Context, key string, limit qunzhu.Limit) (qunzhu.LimitResult, error) {
	f.mu.Lock()
	probe := false
	if f.down {
		if f.probing || f.clock.Now().Before(f.retryAt) {
			f.mu.Unlock()
			return f.local.Allow(ctx, key, limit)
		}
		f.probing, probe = true, true
	}
	f.mu.Unlock()

	res, err := f.primary.Allow(ctx, key, limit)

	f.mu.Lock()
	if probe {
		f.probing = false
	}
	switch {
	case err == nil && probe:
		// The primary answers again.
		downFor := f.clock.Now().Sub(f.downSince)
		f.down = false
		f.mu.Unlock()
		f.log.Info("ratelimit: redis reachable again, using the shared limiter", "down_for", downFor)
		return res, nil
	case err == nil:
		// Either all is well, or this call started before another one saw the
		// primary fail: its answer is good, but only a probe ends an outage.
		f.mu.Unlock()
		return res, nil
	case ctx.Err() != nil:
		// The caller gave up; that says nothing about the primary.
		f.mu.Unlock()
		return f.local.Allow(ctx, key, limit)
	case probe:
		// Still down: wait another cool-down, without logging again.
		f.retryAt = f.clock.Now().Add(f.coolDown)
		f.mu.Unlock()
		f.log.Debug("ratelimit: redis still unreachable", "err", err, "retry_in", f.coolDown)
		return f.local.Allow(ctx, key, limit)
	case !f.down:
		f.markDownLocked()
		f.mu.Unlock()
		f.logDown(err)
		return f.local.Allow(ctx, key, limit)
	default:
		// Another call already marked the primary down and logged it.
		f.mu.Unlock()
		return f.local.Allow(ctx, key, limit)
	}
}

// markDown switches to the local limiter at once, for a primary known to be
// unreachable before any call (NewFromURL's failed ping), and logs it.
func (f *Fallback) markDown(err error) {
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		return
	}
	f.markDownLocked()
	f.mu.Unlock()
	f.logDown(err)
}

// markDownLocked starts an outage. f.mu must be held.
func (f *Fallback) markDownLocked() {
	now := f.clock.Now()
	f.down = true
	f.downSince = now
	f.retryAt = now.Add(f.coolDown)
}

// logDown logs the start of an outage. The error comes from the Redis client,
// whose messages name the address but never the password.
func (f *Fallback) logDown(err error) {
	f.log.Warn("ratelimit: redis unreachable, using in-process limiter", "err", err, "retry_in", f.coolDown)
}
