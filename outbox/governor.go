// Package outbox drains the durable outbox through the governor: one sender, in
// priority order, under the account and group limits, holding everything while the
// chat session is offline and backing off when the platform says 1205.
package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Limits are the governor's pacing rules. Defaults follow DESIGN.md: a personal
// account that sends faster than a person would gets banned.
type Limits struct {
	// Account paces every message the account sends: ~1 every 3 s, small burst.
	Account qunzhu.Limit
	// Daily caps the account's volume over a rolling day.
	Daily qunzhu.Limit
	// Group caps each group: at most 20 a minute (the WeCom robot's own limit).
	Group qunzhu.Limit
	// Jitter adds a random pause of up to this much after each send so the
	// rhythm does not look machine-made.
	Jitter time.Duration
}

// DefaultLimits are the safe defaults for a personal WeChat account.
func DefaultLimits() Limits {
	return Limits{
		Account: qunzhu.Limit{Rate: 1, Period: 3 * time.Second, Burst: 2},
		Daily:   qunzhu.Limit{Rate: 500, Period: 24 * time.Hour, Burst: 500},
		Group:   qunzhu.Limit{Rate: 20, Period: time.Minute, Burst: 5},
		Jitter:  time.Second,
	}
}

// Validate says which limit is unusable.
func (l Limits) Validate() error {
	for _, c := range []struct {
		name string
		l    qunzhu.Limit
	}{{"account", l.Account}, {"daily", l.Daily}, {"group", l.Group}} {
		if c.l.IsZero() {
			continue // zero disables that limit
		}
		if c.l.Burst < 0 {
			return fmt.Errorf("limit %s: burst must not be negative", c.name)
		}
	}
	if l.Jitter < 0 {
		return fmt.Errorf("jitter must not be negative")
	}
	return nil
}

// Limiter keys. Kept short and stable: they are shared by every replica through Redis.
const (
	keyAccount = "account"
	keyDaily   = "account:daily"
)

func groupKey(id int64) string { return fmt.Sprintf("group:%d", id) }

// governor asks the Limiter before each send.
type governor struct {
	limiter qunzhu.Limiter
	limits  Limits
}

// allowGroup reports whether one more message fits the group's limit and, if not,
// how long the group must wait. Other groups' messages may go meanwhile.
func (g governor) allowGroup(ctx context.Context, groupID int64) (bool, time.Duration, error) {
	return g.allow(ctx, groupKey(groupID), g.limits.Group)
}

// allowAccount reports whether the account may send now, checking the steady pace
// first and the daily volume only when the pace allows, so a denied pace does not
// spend the daily budget.
func (g governor) allowAccount(ctx context.Context) (bool, time.Duration, error) {
	ok, wait, err := g.allow(ctx, keyAccount, g.limits.Account)
	if err != nil || !ok {
		return ok, wait, err
	}
	return g.allow(ctx, keyDaily, g.limits.Daily)
}

func (g governor) allow(ctx context.Context, key string, l qunzhu.Limit) (bool, time.Duration, error) {
	if l.IsZero() || g.limiter == nil {
		return true, 0, nil
	}
	res, err := g.limiter.Allow(ctx, key, l)
	if err != nil {
		return false, time.Second, fmt.Errorf("limiter %s: %w", key, err)
	}
	if res.Allowed {
		return true, 0, nil
	}
	wait := res.RetryAfter
	if wait <= 0 {
		wait = l.Interval()
	}
	return false, wait, nil
}
