// Package emuhistory is what the three platform emulators (wxemu, dtemu,
// wecomemu) share in their control API: reading a chat's history after a
// sequence number, holding the request up to a wait for the first message.
// It uses the standard library only, like the emulators themselves.
package emuhistory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Window reads ?after=N and ?wait=D of a history request. Its errors say
// which parameter is wrong; callers wrap them in their own invalid-input
// error.
func Window(r *http.Request, maxWait time.Duration) (after int64, wait time.Duration, err error) {
	q := r.URL.Query()
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("after=%q is not a number", v)
		}
	}
	if v := q.Get("wait"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 || wait > maxWait {
			return 0, 0, fmt.Errorf("wait=%q must be a duration up to %v", v, maxWait)
		}
	}
	return after, wait, nil
}

// Read returns the messages after seq after: at once when wait is zero,
// else the first ones within wait through waitFor, and what there is (often
// nothing) when the wait passes. An ended request context is returned as
// is, for the caller to stop answering.
func Read[M any](ctx context.Context, after int64, wait time.Duration,
	now func(after int64) ([]M, error), waitFor func(ctx context.Context, after int64) ([]M, error)) ([]M, error) {
	if wait <= 0 {
		return now(after)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	msgs, err := waitFor(wctx, after)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return now(after)
	}
	return msgs, err
}
