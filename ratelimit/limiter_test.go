package ratelimit

import (
	"context"
	"crypto/rand"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// Limits used by the shared table. The slow ones never refill during a test, so
// their numbers are exact even on a real clock; fast (T = 1 s) is for refills,
// slow enough that every step of its case keeps 400 ms or more from a
// boundary where the answer would change, so a busy machine does not flip it.
var (
	slow  = qunzhu.Limit{Rate: 1, Period: 10 * time.Second, Burst: 3}
	fast  = qunzhu.Limit{Rate: 1, Period: time.Second, Burst: 2}
	one   = qunzhu.Limit{Rate: 1, Period: 10 * time.Second, Burst: 1}
	five  = qunzhu.Limit{Rate: 5, Period: 10 * time.Second, Burst: 5} // T = 2 s
	zeroB = qunzhu.Limit{Rate: 1, Period: 10 * time.Second, Burst: 0}
)

// step is one Allow call of a case. RetryAfter in want is the exact value on a
// fake clock; on a real clock the time spent running the steps is already gone
// from it, so it may be up to timingBudget less.
type step struct {
	sleep time.Duration // before the call: real sleep, or fake clock advance
	key   string
	limit qunzhu.Limit
	want  qunzhu.LimitResult
}

// timingBudget is how late, beyond the sleeps before it, a step may run on a
// real clock: every case keeps more than this from a boundary where its answers
// would change. A run that was later (a very busy machine) proves nothing either
// way and is repeated with fresh keys, up to attempts times; only then does the
// test fail. It never skips: Redis's timing is exactly what it is here to check.
const (
	timingBudget = 400 * time.Millisecond
	attempts     = 5
)

func allowed(remaining int) qunzhu.LimitResult {
	return qunzhu.LimitResult{Allowed: true, Remaining: remaining}
}

func denied(retryAfter time.Duration) qunzhu.LimitResult {
	return qunzhu.LimitResult{RetryAfter: retryAfter}
}

// cases is the behaviour every limiter must share, in real time (Redis keeps its
// own clock) with little sleeping.
var cases = []struct {
	name  string
	steps []step
}{
	{"burst then denied", []step{
		{key: "a", limit: slow, want: allowed(2)},
		{key: "a", limit: slow, want: allowed(1)},
		{key: "a", limit: slow, want: allowed(0)},
		{key: "a", limit: slow, want: denied(10 * time.Second)},
		{key: "a", limit: slow, want: denied(10 * time.Second)},
	}},
	{"burst 0 counts as 1", []step{
		{key: "a", limit: zeroB, want: allowed(0)},
		{key: "a", limit: zeroB, want: denied(10 * time.Second)},
	}},
	{"keys are independent", []step{
		{key: "a", limit: one, want: allowed(0)},
		{key: "a", limit: one, want: denied(10 * time.Second)},
		{key: "b", limit: one, want: allowed(0)},
		{key: "b", limit: one, want: denied(10 * time.Second)},
		{key: "a", limit: one, want: denied(10 * time.Second)},
	}},
	{"different limits on different keys", []step{
		{key: "a", limit: one, want: allowed(0)},
		{key: "b", limit: five, want: allowed(4)},
		{key: "a", limit: one, want: denied(10 * time.Second)},
		{key: "b", limit: five, want: allowed(3)},
		{key: "b", limit: five, want: allowed(2)},
		{key: "b", limit: five, want: allowed(1)},
		{key: "b", limit: five, want: allowed(0)},
		{key: "b", limit: five, want: denied(2 * time.Second)},
	}},
	{"refill after the interval, capped at the burst", []step{
		{key: "a", limit: fast, want: allowed(1)},
		{key: "a", limit: fast, want: allowed(0)},
		{key: "a", limit: fast, want: denied(time.Second)},
		// 1.45 s later one interval has passed: one more, and the next in 550 ms.
		{sleep: 1450 * time.Millisecond, key: "a", limit: fast, want: allowed(0)},
		{key: "a", limit: fast, want: denied(550 * time.Millisecond)},
		// Three intervals of silence refill only the burst, not three events.
		{sleep: 3 * time.Second, key: "a", limit: fast, want: allowed(1)},
		{key: "a", limit: fast, want: allowed(0)},
		{key: "a", limit: fast, want: denied(time.Second)},
	}},
	{"zero limit does not limit", []step{
		{key: "a", limit: qunzhu.Limit{}, want: allowed(math.MaxInt)},
		{key: "a", limit: qunzhu.Limit{}, want: allowed(math.MaxInt)},
		{key: "a", limit: qunzhu.Limit{Rate: 0, Period: time.Second, Burst: 5}, want: allowed(math.MaxInt)},
	}},
}

// impl builds a fresh limiter for one test, with the way to let time pass for it
// and whether that time is exact (fake clock) or real.
type impl struct {
	name  string
	build func(t *testing.T) (lim qunzhu.Limiter, sleep func(time.Duration), exact bool)
}

var impls = []impl{
	{"Redis", func(t *testing.T) (qunzhu.Limiter, func(time.Duration), bool) {
		client, prefix := newTestRedis(t)
		return NewRedis(client, prefix), time.Sleep, false
	}},
	{"Local", func(t *testing.T) (qunzhu.Limiter, func(time.Duration), bool) {
		return NewLocal(nil), time.Sleep, false
	}},
	{"Local fake clock", func(t *testing.T) (qunzhu.Limiter, func(time.Duration), bool) {
		clock := qunzhu.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		return NewLocal(clock), clock.Advance, true
	}},
}

func TestLimiters(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			lim, sleep, exact := impl.build(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					runCase(t, lim, sleep, exact, tc.name, tc.steps)
				})
			}
		})
	}
}

// runCase runs the steps and checks the answers, on a real clock only when the
// steps ran on time (see timingBudget).
func runCase(t *testing.T, lim qunzhu.Limiter, sleep func(time.Duration), exact bool, name string, steps []step) {
	t.Helper()
	var late time.Duration
	for attempt := 1; attempt <= attempts; attempt++ {
		got := make([]qunzhu.LimitResult, len(steps))
		start, planned := time.Now(), time.Duration(0)
		late = 0
		for i, s := range steps {
			if s.sleep > 0 {
				sleep(s.sleep)
				planned += s.sleep
			}
			var err error
			got[i], err = lim.Allow(context.Background(), name+"/"+strconv.Itoa(attempt)+"/"+s.key, s.limit)
			if err != nil {
				t.Fatalf("step %d: Allow: %v", i, err)
			}
			late = max(late, time.Since(start)-planned)
		}
		if !exact && late > timingBudget {
			t.Logf("attempt %d ran %v late (budget %v): the machine is busy, trying again", attempt, late, timingBudget)
			continue
		}
		for i, s := range steps {
			checkResult(t, i, got[i], s.want, exact)
		}
		return
	}
	t.Fatalf("the machine was too busy to keep real-time steps within %v in %d attempts (last %v late)",
		timingBudget, attempts, late)
}

func checkResult(t *testing.T, i int, got, want qunzhu.LimitResult, exact bool) {
	t.Helper()
	if exact || want.Allowed {
		if got != want {
			t.Errorf("step %d: got %+v, want %+v", i, got, want)
		}
		return
	}
	// Denied on a real clock: the time since the event that set the TAT is
	// already gone from RetryAfter (Redis may also be off by float rounding).
	if got.Allowed || got.Remaining != 0 ||
		got.RetryAfter <= want.RetryAfter-timingBudget || got.RetryAfter > want.RetryAfter+time.Millisecond {
		t.Errorf("step %d: got %+v, want denied with RetryAfter in (%v, %v]",
			i, got, want.RetryAfter-timingBudget, want.RetryAfter)
	}
}

// TestLimitersConcurrent checks that concurrent callers cannot together exceed
// the burst: the read-modify-write of a key is atomic.
func TestLimitersConcurrent(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			lim, _, _ := impl.build(t)
			limit := qunzhu.Limit{Rate: 1, Period: time.Hour, Burst: 5}
			var got atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for range 10 {
						res, err := lim.Allow(context.Background(), "shared", limit)
						if err != nil {
							t.Error(err)
							return
						}
						if res.Allowed {
							got.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if want := int64(5); got.Load() != want {
				t.Errorf("allowed %d of 80 concurrent calls, want %d", got.Load(), want)
			}
		})
	}
}

// TestRedisKeyPrefix checks where Redis stores a key: redis_rate's "rate:" then
// our prefix, so qunzhu's keys can be found and never collide with others'.
func TestRedisKeyPrefix(t *testing.T) {
	client, prefix := newTestRedis(t)
	ctx := context.Background()
	if _, err := NewRedis(client, prefix).Allow(ctx, "group:42", one); err != nil {
		t.Fatal(err)
	}
	n, err := client.Exists(ctx, "rate:"+prefix+"group:42").Result()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n, int64(1); got != want {
		t.Errorf("keys at rate:%sgroup:42 = %d, want %d", prefix, got, want)
	}
	if got, want := NewRedis(client, "").prefix, DefaultPrefix; got != want {
		t.Errorf("empty prefix became %q, want %q", got, want)
	}
}

// newTestRedis connects to the test Redis (or skips, see testenv) and returns a
// random key prefix for this test, whose keys are deleted when it ends, so
// parallel runs and other packages' tests never share a key.
func newTestRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatalf("%s: %v", testenv.EnvRedisURL, err)
	}
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		t.Fatalf("Redis at %s accepts connections but does not answer PING: %v", opt.Addr, err)
	}
	prefix := "qunzhu:test:" + rand.Text() + ":"
	t.Cleanup(func() {
		deleteKeys(t, client, "rate:"+prefix+"*")
		client.Close()
	})
	return client, prefix
}

func deleteKeys(t testing.TB, client *redis.Client, pattern string) {
	t.Helper()
	ctx := context.Background()
	iter := client.Scan(ctx, 0, pattern, 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s: %v", pattern, err)
		return
	}
	if len(keys) > 0 {
		if err := client.Del(ctx, keys...).Err(); err != nil {
			t.Errorf("delete test keys: %v", err)
		}
	}
}

func BenchmarkLocalAllow(b *testing.B) {
	lim := NewLocal(nil)
	limit := qunzhu.Limit{Rate: 1000, Period: time.Second, Burst: 100}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "group:" + strconv.Itoa(i)
	}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			lim.Allow(ctx, keys[i%len(keys)], limit)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				lim.Allow(ctx, keys[i%len(keys)], limit)
				i++
			}
		})
	})
}

func BenchmarkRedisAllow(b *testing.B) {
	client, prefix := newTestRedis(b)
	lim := NewRedis(client, prefix)
	limit := qunzhu.Limit{Rate: 1000, Period: time.Second, Burst: 100}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := lim.Allow(ctx, "group:"+strconv.Itoa(i%1024), limit); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := lim.Allow(ctx, "group:"+strconv.Itoa(i%1024), limit); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
