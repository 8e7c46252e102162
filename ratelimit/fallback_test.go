package ratelimit

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// logBuffer captures a logger's text output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count returns how many lines have the level and contain msg.
func (b *logBuffer) count(level, msg string) int {
	n := 0
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, "level="+level) && strings.Contains(line, msg) {
			n++
		}
	}
	return n
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

const (
	msgDown      = "redis unreachable, using in-process limiter"
	msgRecovered = "redis reachable again"
)

// TestFallbackClosedPort starts with a Redis that is not there: every answer
// comes from the local limiter, without an error, and the outage is logged once.
func TestFallbackClosedPort(t *testing.T) {
	client := newClosedPortClient()
	defer client.Close()
	clock := qunzhu.NewFakeClock(t0)
	local := NewLocal(clock)
	logger, logs := newLogger()
	fb := NewFallback(NewRedis(client, "qunzhu:test:"), local, logger, FallbackOptions{})

	limit := qunzhu.Limit{Rate: 1, Period: time.Hour, Burst: 2}
	for i, want := range []qunzhu.LimitResult{allowed(1), allowed(0), denied(time.Hour)} {
		got, err := fb.Allow(context.Background(), "k", limit)
		if err != nil {
			t.Fatalf("call %d: error %v, want none", i, err)
		}
		checkResult(t, i, got, want, true)
	}
	// The answers were the local limiter's: its key is used up.
	if got, want := mustAllow(t, local, "k", limit), denied(time.Hour); got != want {
		t.Errorf("local after fallback calls: got %+v, want %+v", got, want)
	}

	// After the cool-down one call tries Redis again, fails, and says nothing new.
	clock.Advance(DefaultCoolDown)
	if got, err := fb.Allow(context.Background(), "other", limit); err != nil || got != allowed(1) {
		t.Errorf("after cool-down: got %+v, %v; want %+v from local", got, err, allowed(1))
	}
	if got, want := logs.count("WARN", msgDown), 1; got != want {
		t.Errorf("warnings = %d, want %d; log:\n%s", got, want, logs)
	}
	if got, want := logs.count("DEBUG", "still unreachable"), 1; got != want {
		t.Errorf("retry debug lines = %d, want %d; log:\n%s", got, want, logs)
	}
	if !strings.Contains(logs.String(), "127.0.0.1:1") {
		t.Errorf("warning does not say which address failed; log:\n%s", logs)
	}
}

// TestFallbackConcurrentOutage has many callers meet a dead Redis at once: one
// warning, no error, and the local limiter still holds the burst.
func TestFallbackConcurrentOutage(t *testing.T) {
	client := newClosedPortClient()
	defer client.Close()
	clock := qunzhu.NewFakeClock(t0)
	logger, logs := newLogger()
	fb := NewFallback(NewRedis(client, "qunzhu:test:"), NewLocal(clock), logger, FallbackOptions{CoolDown: time.Minute})
	limit := qunzhu.Limit{Rate: 1, Period: time.Hour, Burst: 5}

	var n atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if g == 0 && i == 10 {
					clock.Advance(time.Minute) // a probe while others keep calling
				}
				res, err := fb.Allow(context.Background(), "shared", limit)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Allowed {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got, want := n.Load(), int64(5); got != want {
		t.Errorf("allowed %d of 200, want %d", got, want)
	}
	if got, want := logs.count("WARN", msgDown), 1; got != want {
		t.Errorf("warnings = %d, want %d; log:\n%s", got, want, logs)
	}
}

// TestFallbackRecovers puts a TCP proxy between the Fallback and the real Redis,
// stops and restarts it, and follows where each answer comes from. The key is
// used up in Redis but fresh in the local limiter, so a denial is Redis's answer
// and an allowance the local one's.
func TestFallbackRecovers(t *testing.T) {
	direct, prefix := newTestRedis(t)
	proxy := startProxy(t, direct.Options().Addr)
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	opt.Addr = proxy.addr
	setClientDefaults(opt) // as NewFromURL builds it
	viaProxy := redis.NewClient(opt)
	defer viaProxy.Close()

	ctx := context.Background()
	limit := qunzhu.Limit{Rate: 1, Period: time.Hour, Burst: 5}
	shared := NewRedis(direct, prefix)
	for range 5 {
		mustAllow(t, shared, "k", limit)
	}

	clock := qunzhu.NewFakeClock(t0)
	logger, logs := newLogger()
	fb := NewFallback(NewRedis(viaProxy, prefix), NewLocal(clock), logger, FallbackOptions{})
	call := func(what string, want qunzhu.LimitResult) {
		t.Helper()
		got, err := fb.Allow(ctx, "k", limit)
		if err != nil {
			t.Fatalf("%s: error %v, want none", what, err)
		}
		if got.Allowed != want.Allowed || got.Remaining != want.Remaining {
			t.Fatalf("%s: got %+v, want %+v", what, got, want)
		}
	}

	call("redis up", qunzhu.LimitResult{})
	proxy.stop()
	call("redis down", allowed(4))
	call("redis down, second call", allowed(3))
	clock.Advance(DefaultCoolDown)
	call("redis down after the cool-down", allowed(2))
	if got, want := logs.count("WARN", msgDown), 1; got != want {
		t.Errorf("warnings during the outage = %d, want %d; log:\n%s", got, want, logs)
	}

	proxy.start()
	call("redis back, within the cool-down", allowed(1))
	if got := logs.count("INFO", msgRecovered); got != 0 {
		t.Errorf("recovered before the cool-down ended; log:\n%s", logs)
	}
	clock.Advance(DefaultCoolDown)
	call("redis back, after the cool-down", qunzhu.LimitResult{})
	call("redis back, next call", qunzhu.LimitResult{})
	if got, want := logs.count("INFO", msgRecovered), 1; got != want {
		t.Errorf("recovery lines = %d, want %d; log:\n%s", got, want, logs)
	}
	if got, want := logs.count("WARN", msgDown), 1; got != want {
		t.Errorf("warnings in all = %d, want %d; log:\n%s", got, want, logs)
	}
}

// TestFallbackCallerCancel checks that a caller giving up is not taken for an
// outage: no warning, and the next call uses Redis.
func TestFallbackCallerCancel(t *testing.T) {
	client, prefix := newTestRedis(t)
	opt := *client.Options()
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(&opt)
	defer c.Close()
	logger, logs := newLogger()
	fb := NewFallback(NewRedis(c, prefix), NewLocal(qunzhu.NewFakeClock(t0)), logger, FallbackOptions{})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewRedis(c, prefix).Allow(ctx, "k", one); err == nil {
		t.Fatal("Redis answered a cancelled call; this test needs it to fail")
	}
	if _, err := fb.Allow(ctx, "k", one); err != nil {
		t.Errorf("cancelled call: error %v, want none", err)
	}
	if got := logs.count("WARN", msgDown); got != 0 {
		t.Errorf("a cancelled caller was logged as an outage:\n%s", logs)
	}
	if fb.down {
		t.Errorf("a cancelled caller marked Redis down")
	}
}

// proxy forwards TCP connections to a target and can be stopped (closing every
// connection, as a Redis restart or a network cut would) and started again on
// the same address.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.start()
	p.addr = p.ln.Addr().String()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.ln != ln { // stopped meanwhile
				p.mu.Unlock()
				c.Close()
				up.Close()
				return
			}
			p.conns[c], p.conns[up] = struct{}{}, struct{}{}
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				io.Copy(dst, src)
				dst.Close()
				src.Close()
			}
			p.wg.Go(func() { pipe(up, c) })
			p.wg.Go(func() { pipe(c, up) })
		}
	})
}

func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// newClosedPortClient returns a client, set up as NewFromURL does, for a Redis
// that is not there: nothing listens on port 1.
func newClosedPortClient() *redis.Client {
	opt := &redis.Options{Addr: "127.0.0.1:1"}
	setClientDefaults(opt)
	return redis.NewClient(opt)
}
