// Package outbox drains the durable outbox through the governor: one sender, in
// priority order, under the account and group limits and the daily cap,
// holding everything while the chat session is offline and backing off when
// the platform says 1205. Fallback tells people outside WeChat (a WeCom,
// DingTalk or Feishu group robot) when delivery stops.
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
	// Daily caps the messages the account sends per calendar day in the
	// sender's time zone (Config.Location); 0 means no cap. A calendar day,
	// not a rolling 24 h: "500 a day" means what the people who set it think,
	// and a hold ends at a time one can say ("明天 0 点").
	Daily int
	// Group caps each group: at most 20 a minute (the WeCom robot's own limit).
	Group qunzhu.Limit
	// Jitter adds a random pause of up to this much after each send so the
	// rhythm does not look machine-made.
	Jitter time.Duration
	// ReserveDaily is how many of Daily only alerts, webhooks, urgent messages
	// and notices may use (see Reserved); below 0 means none, 0 the default
	// (a fifth of Daily).
	ReserveDaily int
}

// DefaultLimits are the safe defaults for a personal WeChat account.
func DefaultLimits() Limits {
	return Limits{
		Account: qunzhu.Limit{Rate: 1, Period: 3 * time.Second, Burst: 2},
		Daily:   500,
		Group:   qunzhu.Limit{Rate: 20, Period: time.Minute, Burst: 5},
		Jitter:  time.Second,
	}
}

// Validate says which limit is unusable.
func (l Limits) Validate() error {
	for _, c := range []struct {
		name string
		l    qunzhu.Limit
	}{{"account", l.Account}, {"group", l.Group}} {
		if c.l.IsZero() {
			continue // zero disables that limit
		}
		if c.l.Burst < 0 {
			return fmt.Errorf("limit %s: burst must not be negative", c.name)
		}
	}
	if l.Daily < 0 {
		return fmt.Errorf("daily cap must not be negative")
	}
	if l.Jitter < 0 {
		return fmt.Errorf("jitter must not be negative")
	}
	return nil
}

// Limiter keys. Kept short and stable: they are shared by every replica through Redis.
const keyAccount = "account"

func groupKey(id int64) string { return fmt.Sprintf("group:%d", id) }

// accountKey is the account's key on platform p: WeChat keeps the key it
// always had; each other platform's robot has its own.
func accountKey(p qunzhu.Platform) string {
	if p == "" || p == qunzhu.PlatformWeChat {
		return keyAccount
	}
	return keyAccount + ":" + string(p)
}

// governor asks the Limiter before each send. Each platform's lane has its
// own governor, limits and account key; group keys are our group ids, unique
// across platforms.
type governor struct {
	limiter  qunzhu.Limiter
	limits   Limits
	platform qunzhu.Platform // "" for a sender without a platform lane (WeChat)
}

// allowGroup reports whether one more message fits the group's limit and, if not,
// how long the group must wait. Other groups' messages may go meanwhile.
func (g governor) allowGroup(ctx context.Context, groupID int64) (bool, time.Duration, error) {
	return g.allow(ctx, groupKey(groupID), g.limits.Group)
}

// allowAccount reports whether the account's steady pace allows a send now.
// The daily volume is the dailyCap's, counted in the store.
func (g governor) allowAccount(ctx context.Context) (bool, time.Duration, error) {
	return g.allow(ctx, accountKey(g.platform), g.limits.Account)
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

// dailyCap counts the account's sends per calendar day. The day's count is
// read from the store (rows sent since local midnight) when a day begins or
// the sender starts, then kept in memory: it survives a restart, which an
// in-process GCRA would forget, and it never scans the history. Only the
// sender's goroutine uses it.
type dailyCap struct {
	max     int
	reserve int // of max, kept for Reserved messages
	loc     *time.Location

	day  time.Time // local midnight of the day counted; zero until read
	sent int       // messages sent since day
	told time.Time // the day whose cap was last reported
}

// check reports whether one more send fits today's cap and, if not, when the
// next day begins.
func (d *dailyCap) check(ctx context.Context, store qunzhu.Outbox, now time.Time) (ok bool, resume time.Time, err error) {
	if d.max <= 0 {
		return true, time.Time{}, nil
	}
	day := startOfDay(now, d.loc)
	if !day.Equal(d.day) {
		n, err := store.SentSince(ctx, day)
		if err != nil {
			return false, time.Time{}, err
		}
		d.day, d.sent = day, n
	}
	if d.sent < d.max {
		return true, time.Time{}, nil
	}
	return false, nextDay(day, d.loc), nil
}

// record counts one delivered message; a delivery that crossed midnight is
// left to the next check, which reads the new day from the store.
func (d *dailyCap) record(now time.Time) {
	if d.max > 0 && startOfDay(now, d.loc).Equal(d.day) {
		d.sent++
	}
}

// startOfDay is local midnight of t's day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, dd := t.In(loc).Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// nextDay is local midnight after day (calendar arithmetic, so a 23- or 25-hour
// day in a zone with summer time still ends at midnight).
func nextDay(day time.Time, loc *time.Location) time.Time {
	y, m, dd := day.In(loc).Date()
	return time.Date(y, m, dd+1, 0, 0, 0, 0, loc)
}

// chinaTime is Asia/Shanghai, or UTC+8 where the zone database is missing
// (China has no summer time, so the two agree).
func chinaTime() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}
