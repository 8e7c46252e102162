// Package ratelimit is the governor's memory (限流, see qunzhu.Limiter): it decides
// whether one more message fits in a sending limit, so the WeChat account is not
// banned for sending too fast.
//
// Three implementations answer the same way: Redis, shared by every replica and
// built on go-redis/redis_rate; Local, the same GCRA in process for a single
// replica or for tests; and Fallback, which uses Redis while it answers and Local
// while it does not, because a Redis outage must slow sending down, not stop it.
//
// The algorithm is redis_rate's generic cell rate algorithm (GCRA). For a
// qunzhu.Limit{Rate, Period, Burst}:
//
//   - the emission interval is T = Period/Rate, the steady time between events;
//   - a key remembers its theoretical arrival time (TAT), never earlier than now;
//   - an event is allowed when TAT+T-Burst·T <= now, and then TAT becomes TAT+T;
//   - so a fresh key allows Burst events at once and then one every T;
//   - Remaining is how many more would be allowed right now, rounded down;
//   - RetryAfter, when denied, is how long until one would be allowed.
//
// A Burst below 1 is treated as 1: with redis_rate Burst 0 would deny every event
// forever, which is never what a configuration meant. A zero limit
// (qunzhu.Limit.IsZero) means "no limiting": every event is allowed.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/qunzhu/qunzhu"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix namespaces qunzhu's limiter keys so a Redis shared with other
// applications (or other qunzhu deployments using another prefix) never mixes
// counters. redis_rate adds its own "rate:" in front, so the stored key is
// "rate:qunzhu:rl:" + key.
const DefaultPrefix = "qunzhu:rl:"

// Redis is the limiter shared by every replica: the state lives in Redis and is
// updated by one Lua script per call, so replicas cannot together exceed a limit.
// It uses the Redis server's clock, not the process's.
type Redis struct {
	limiter *redis_rate.Limiter
	prefix  string
}

var _ qunzhu.Limiter = (*Redis)(nil)

// NewRedis returns a limiter storing its state in client under prefix (""
// means DefaultPrefix). The caller owns client and closes it.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Redis{limiter: redis_rate.NewLimiter(client), prefix: prefix}
}

// Allow reports whether one more event under key fits in limit, with redis_rate's
// GCRA. It returns an error only when Redis does not answer; wrap the limiter in a
// Fallback to keep answering then.
func (r *Redis) Allow(ctx context.Context, key string, limit qunzhu.Limit) (qunzhu.LimitResult, error) {
	if limit.IsZero() {
		return unlimited, nil
	}
	burst := effectiveBurst(limit)
	res, err := r.limiter.Allow(ctx, r.prefix+key, redis_rate.Limit{
		Rate:   limit.Rate,
		Burst:  burst,
		Period: limit.Period,
	})
	if err != nil {
		return qunzhu.LimitResult{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if res.Allowed <= 0 {
		return qunzhu.LimitResult{RetryAfter: max(res.RetryAfter, 0)}, nil
	}
	return qunzhu.LimitResult{Allowed: true, Remaining: redisRemaining(limit, burst, res)}, nil
}

// redisRemaining recomputes Remaining from ResetAfter. The Lua script computes
// remaining = (now - allow_at) / T in floating-point seconds counted from 2017,
// where one unit in the last place is tens of nanoseconds, and Redis truncates the
// result to an integer: an exact 1 often arrives as 0.9999999 and is reported as
// 0. ResetAfter (= new TAT - now) carries the same information, so
// (Burst·T - ResetAfter) / T with a microsecond of tolerance (Redis's clock
// resolution) gives the exact count that Local computes.
func redisRemaining(limit qunzhu.Limit, burst int, res *redis_rate.Result) int {
	interval := float64(limit.Period) / float64(limit.Rate)
	diff := interval*float64(burst) - float64(res.ResetAfter)
	n := math.Floor((diff + float64(time.Microsecond)) / interval)
	if n < 0 || math.IsNaN(n) {
		return 0
	}
	if n > float64(burst-1) {
		// An allowed event uses one of the burst: never report more than the rest.
		return burst - 1
	}
	return int(n)
}

// unlimited is the answer for a zero limit, which means "no limiting".
// Remaining is as large as an int goes because nothing bounds it.
var unlimited = qunzhu.LimitResult{Allowed: true, Remaining: math.MaxInt}

// effectiveBurst is the burst actually applied: at least 1, because GCRA with a
// burst of 0 denies every event (its allow_at is always one interval ahead).
func effectiveBurst(limit qunzhu.Limit) int {
	return max(limit.Burst, 1)
}
