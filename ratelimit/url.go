package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/redis/go-redis/v9"
)

// pingTimeout bounds the start-up check of NewFromURL.
const pingTimeout = 2 * time.Second

// setClientDefaults tunes a client for the limiter where the URL left go-redis's
// defaults. One limiter call is one small Lua script and a failure only means the
// Fallback answers locally, so waiting long for Redis is worse than giving up
// early: go-redis would otherwise dial 5 times, retry a command 3 times and wait
// 5 s per dial and 3 s per read, holding a message for seconds at every probe.
//   - dial_timeout 1 s, read_timeout and write_timeout 500 ms;
//   - max_retries 1 (the URL's max_retries=-1 turns retries off);
//   - one dial attempt per connection (no URL parameter sets this);
//   - the caller's context deadline applies to every call.
func setClientDefaults(opt *redis.Options) {
	if opt.DialTimeout == 0 {
		opt.DialTimeout = time.Second
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 500 * time.Millisecond
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = 500 * time.Millisecond
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 1
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	opt.ContextTimeoutEnabled = true
}

// NewFromURL builds the governor's limiter from configuration: "" gives a Local
// (the embedded default, no Redis); a redis:// or rediss:// URL gives a Fallback
// over Redis, so the process starts and sends at the local pace even when Redis
// is down at start-up, and shares limits as soon as Redis answers. closeFn
// releases the Redis connections; call it on shutdown.
//
// Errors are for malformed URLs only, and never contain the URL's password.
func NewFromURL(ctx context.Context, rawURL string, logger *slog.Logger) (lim qunzhu.Limiter, closeFn func() error, err error) {
	return NewFromURLClock(ctx, rawURL, nil, logger)
}

// NewFromURLClock is NewFromURL with the in-process limiter (and the fallback's
// cool-down) on clock: the demo runs its domain on a clock that can jump ahead,
// and per-person reminder limits must jump with it. Redis keeps its own time.
func NewFromURLClock(ctx context.Context, rawURL string, clock qunzhu.Clock, logger *slog.Logger) (lim qunzhu.Limiter, closeFn func() error, err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	local := NewLocal(clock)
	if rawURL == "" {
		return local, func() error { return nil }, nil
	}
	opt, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	setClientDefaults(opt)
	client := redis.NewClient(opt)

	logger = logger.With("redis_addr", opt.Addr) // host:port, no credentials
	fb := NewFallback(NewRedis(client, DefaultPrefix), local, logger, FallbackOptions{})

	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		fb.markDown(scrubError(err, opt.Password))
	}
	return fb, client.Close, nil
}

// parseRedisURL is redis.ParseURL with errors that never show the password. When
// net/url cannot even split the URL nothing of it is shown, because a password
// with a stray '/' or '@' can then land in any part of the message.
func parseRedisURL(rawURL string) (*redis.Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("ratelimit: the Redis URL is not a valid URL (not shown: it may contain a password); " +
			"expected redis://[user:password@]host:port/db")
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// Shown: the URL without its password and query (whose values are not
		// ours to show), and go-redis's reason, scrubbed again as a whole.
		shown := *u
		shown.RawQuery, shown.Fragment = "", ""
		password, _ := u.User.Password()
		return nil, scrubError(fmt.Errorf("ratelimit: invalid Redis URL %s: %w", shown.Redacted(), err), password)
	}
	return opt, nil
}

// scrubError returns err with every occurrence of secret (raw or URL-escaped)
// replaced, as a defence in depth for messages that are logged.
func scrubError(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, s := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
		clean = strings.ReplaceAll(clean, s, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}
