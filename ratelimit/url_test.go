package ratelimit

import (
	"context"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/redis/go-redis/v9"
)

const secret = "S3cr3t-Pa55"

func TestNewFromURLEmptyIsLocal(t *testing.T) {
	lim, closeFn, err := NewFromURL(context.Background(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lim.(*Local); !ok {
		t.Errorf("NewFromURL(\"\") = %T, want *Local", lim)
	}
	if err := closeFn(); err != nil {
		t.Errorf("close: %v", err)
	}
}

func TestNewFromURLRedis(t *testing.T) {
	raw := testenv.RedisURL(t)
	logger, logs := newLogger()
	lim, closeFn, err := NewFromURL(context.Background(), raw, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if _, ok := lim.(*Fallback); !ok {
		t.Fatalf("NewFromURL(redis) = %T, want *Fallback", lim)
	}

	key := "test:" + rand.Text()
	t.Cleanup(func() {
		opt, _ := redis.ParseURL(raw)
		c := redis.NewClient(opt)
		defer c.Close()
		c.Del(context.Background(), "rate:"+DefaultPrefix+key)
	})
	for i, want := range []qunzhu.LimitResult{allowed(0), denied(10 * time.Second)} {
		got, err := lim.Allow(context.Background(), key, one)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, i, got, want, false)
	}
	if logs.String() != "" {
		t.Errorf("logged with Redis up:\n%s", logs)
	}
	// The state is in Redis, where every replica sees it.
	opt, _ := redis.ParseURL(raw)
	c := redis.NewClient(opt)
	defer c.Close()
	if n, err := c.Exists(context.Background(), "rate:"+DefaultPrefix+key).Result(); err != nil || n != 1 {
		t.Errorf("Redis key for %s: exists = %d, %v; want 1", key, n, err)
	}
}

// TestNewFromURLUnreachable starts with Redis down: no error, a Fallback that
// answers locally at once, and a warning that names the address but not the
// password.
func TestNewFromURLUnreachable(t *testing.T) {
	for _, raw := range []string{
		"redis://:" + secret + "@127.0.0.1:1/0",
		"redis://qunzhu:" + secret + "@127.0.0.1:1/3?dial_timeout=100ms",
		"redis://:" + url.QueryEscape(secret+"/@:") + "@no-such-host.invalid:6379/0",
	} {
		t.Run("", func(t *testing.T) {
			logger, logs := newLogger()
			lim, closeFn, err := NewFromURL(context.Background(), raw, logger)
			if err != nil {
				t.Fatalf("error %v, want a Fallback", err)
			}
			defer closeFn()
			if got, want := logs.count("WARN", msgDown), 1; got != want {
				t.Errorf("warnings = %d, want %d; log:\n%s", got, want, logs)
			}
			// Known down from the start: calls answer locally without first
			// waiting for Redis, until the cool-down has passed.
			fb, ok := lim.(*Fallback)
			if !ok {
				t.Fatalf("NewFromURL = %T, want *Fallback", lim)
			}
			fb.mu.Lock()
			down := fb.down
			fb.mu.Unlock()
			if !down {
				t.Error("the Fallback does not know Redis is down after a failed ping")
			}
			got, err := lim.Allow(context.Background(), "k", one)
			if err != nil || got != allowed(0) {
				t.Errorf("Allow = %+v, %v; want %+v", got, err, allowed(0))
			}
			if got, want := logs.count("WARN", msgDown), 1; got != want {
				t.Errorf("warnings after a call = %d, want %d; log:\n%s", got, want, logs)
			}
			assertNoSecret(t, "log", logs.String())
		})
	}
}

// TestNewFromURLInvalid checks that a bad URL is an error, and that the error
// never contains the password, even when the URL is too broken to parse.
func TestNewFromURLInvalid(t *testing.T) {
	for _, raw := range []string{
		"redis://:" + secret + "@127.0.0.1:notaport/0",
		"redis://user:" + secret + "@127.0.0.1:6379/notadb",
		"redis://user:" + secret + "@127.0.0.1:6379/0/1",
		"redis://:" + secret + "@127.0.0.1:6379/0?dial_timeout=" + secret,
		"redis://:" + secret + "@127.0.0.1:6379/0?max_retries=" + secret,
		"redis://:" + secret + "@127.0.0.1:6379/0?" + secret + "=1",
		"http://:" + secret + "@127.0.0.1:6379/0",
		"redis://user:" + secret + "/x@127.0.0.1:6379/0", // unescaped '/'
		"redis://us er:" + secret + "@127.0.0.1:6379/0",
		":" + secret + "@127.0.0.1:6379",
	} {
		t.Run("", func(t *testing.T) {
			lim, _, err := NewFromURL(context.Background(), raw, nil)
			if err == nil {
				t.Fatalf("NewFromURL(%q) = %T, want an error", raw, lim)
			}
			t.Log(err)
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{secret, url.QueryEscape(secret), "S3cr3t"} {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the password (%q):\n%s", what, s, text)
		}
	}
}
