package ratelimit

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteRedisLogs sends go-redis's own log lines (dial failures during an
// outage) to logger at debug level instead of raw stderr, so they follow the
// process's log format and level. go-redis's logger is process-wide, hence
// this is a function for main, not something a Limiter does by itself.
func RouteRedisLogs(logger *slog.Logger) {
	redis.SetLogger(slogPrintf{logger})
}

type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "ratelimit: go-redis: "+fmt.Sprintf(format, v...))
}
