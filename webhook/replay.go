package webhook

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// replayGuard protects one signed request against being acted on twice. Every
// signed endpoint (messages, hotline tickets, DingTalk) checks it inside the
// transaction that does the work and remembers the request in the same
// transaction, so "accepted" and "remembered" commit together: a replay inside
// the signature's window, by an attacker or by a sender retrying after a
// timeout, is answered as a duplicate of the first and posts nothing. After
// the window the timestamp check refuses the request anyway, so the key can
// be forgotten (schedule's replay prune job).
type replayGuard struct {
	key     string
	expires time.Time
}

// newReplayGuard remembers a request signed at signedAt, acceptable while the
// clock is within window of it.
func newReplayGuard(source string, signedAt time.Time, window time.Duration, parts ...string) replayGuard {
	return replayGuard{key: replayKey(source, parts...), expires: signedAt.Add(window + time.Second)}
}

// seen reports whether the request was handled before, and what it made.
func (g replayGuard) seen(tx qunzhu.Tx) (int64, bool, error) {
	if g.key == "" {
		return 0, false, nil
	}
	return tx.Replayed(g.key)
}

// remember records the request with the id of what it made.
func (g replayGuard) remember(tx qunzhu.Tx, resultID int64) error {
	if g.key == "" {
		return nil
	}
	return tx.RememberRequest(g.key, resultID, g.expires)
}

// HeaderStatus tells a compatible robot's sender that its request was a
// duplicate (the body keeps the original's shape, which has no room for it).
const HeaderStatus = "X-Qunzhu-Status"

// allow asks the limiter whether src may make one more request now; when not,
// it returns how long to wait. A failing limiter lets the request through:
// an alert that arrives is worth more than the limit it might exceed.
func (s *server) allow(ctx context.Context, src Source) (time.Duration, bool) {
	if s.limiter == nil || src.Limit.IsZero() {
		return 0, true
	}
	res, err := s.limiter.Allow(ctx, "webhook:"+src.Name, src.Limit)
	if err != nil {
		s.logger.Warn("webhook: rate limiter failed, request allowed",
			slog.String("source", src.Name), slog.String("error", err.Error()))
		return 0, true
	}
	if res.Allowed {
		return 0, true
	}
	return res.RetryAfter, false
}

// setRetryAfter writes the Retry-After header in whole seconds, rounded up so
// a client that waits exactly that long is allowed.
func setRetryAfter(c *gin.Context, d time.Duration) int {
	secs := max(1, int(math.Ceil(d.Seconds())))
	c.Header("Retry-After", strconv.Itoa(secs))
	return secs
}

// tooMany answers a native endpoint's request over its source's rate.
func (s *server) tooMany(c *gin.Context, src Source, wait time.Duration) {
	secs := setRetryAfter(c, wait)
	s.writeError(c, qunzhu.Errorf(qunzhu.ETOOMANY,
		"来源 %s 请求过于频繁，请 %d 秒后重试 (rate limit exceeded, retry after %d s)", src.Name, secs, secs))
}
