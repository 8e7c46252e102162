package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/qunzhu/qunzhu/ratelimit"
	"github.com/qunzhu/qunzhu/webhook"
)

// Every source has its own rate; over it a native endpoint answers 429 with
// Retry-After and the JSON error, queues nothing, and another source is not
// affected. Run against the in-process limiter on the fake clock (exact
// numbers) and against real Redis (the limiter every replica shares).
func TestSourceRateLimit(t *testing.T) {
	limit := qunzhu.Limit{Rate: 3, Period: time.Minute, Burst: 3}
	withLimits := func(lim qunzhu.Limiter) intakeOption {
		return func(d *webhook.Deps) {
			d.Limiter = lim
			for i := range d.Sources {
				d.Sources[i].Limit = limit
			}
		}
	}
	limiters := map[string]func(t *testing.T, e *intakeEnv) qunzhu.Limiter{
		"local": func(t *testing.T, e *intakeEnv) qunzhu.Limiter { return ratelimit.NewLocal(e.clock) },
		"redis": func(t *testing.T, e *intakeEnv) qunzhu.Limiter {
			lim, closeFn, err := ratelimit.NewFromURL(context.Background(), testenv.RedisURL(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeFn() })
			return &prefixed{lim, fmt.Sprintf("test-%d:", time.Now().UnixNano())}
		},
	}
	endpoints := map[string]func(e *intakeEnv, i int) *http.Request{
		"messages": func(e *intakeEnv, i int) *http.Request {
			return e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, fmt.Sprintf("通报%d", i))))
		},
		"hotline": func(e *intakeEnv, i int) *http.Request {
			return e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, jsonBody(t, ticket(fmt.Sprintf("R-%d", i))))
		},
		"alertmanager": func(e *intakeEnv, i int) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/alertmanager/ops", strings.NewReader(alertmanagerExample(t)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+promToken)
			return r
		},
	}
	for lname, newLimiter := range limiters {
		for ename, req := range endpoints {
			t.Run(lname+"/"+ename, func(t *testing.T) {
				e := newIntakeEnv(t)
				e.h = newApplied(t, func() webhook.Deps {
					d := webhook.Deps{Store: e.store, Sources: e.sources(), Clock: e.clock}
					withLimits(newLimiter(t, e))(&d)
					return d
				}())
				for i := range 3 {
					if w := e.do(req(e, i)); w.Code >= 300 {
						t.Fatalf("request %d: %d %s", i, w.Code, w.Body.String())
					}
				}
				before := e.tableRows()
				w := e.do(req(e, 3))
				if got, want := w.Code, http.StatusTooManyRequests; got != want {
					t.Fatalf("4th: status = %d, want %d; %s", got, want, w.Body.String())
				}
				var eb errorBody
				decode(t, w, &eb)
				if eb.Error.Code != "too_many_requests" || !strings.Contains(eb.Error.Message, "秒后重试") {
					t.Errorf("error = %+v", eb.Error)
				}
				secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
				if err != nil || secs < 1 || secs > 20 {
					t.Errorf("Retry-After = %q, want 1-20 s (one request every 20 s)", w.Header().Get("Retry-After"))
				}
				e.assertNothingWritten(t, before)
				// Another source has its own budget.
				if w := e.do(e.signedRequest("alerts", alertsSecret, []byte(msgBody(cityGroup, "另一来源")))); w.Code != http.StatusAccepted {
					t.Errorf("other source: %d %s", w.Code, w.Body.String())
				}
			})
		}
	}
}

// prefixed keeps a test's Redis keys apart from other runs'.
type prefixed struct {
	qunzhu.Limiter
	prefix string
}

func (p *prefixed) Allow(ctx context.Context, key string, l qunzhu.Limit) (qunzhu.LimitResult, error) {
	return p.Limiter.Allow(ctx, p.prefix+key, l)
}
