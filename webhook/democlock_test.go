package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

func TestDemoClockOnlyInDemoAndOnlyForward(t *testing.T) {
	e := newEnv(t)
	if w := e.do(httptest.NewRequest(http.MethodGet, "/_demo/clock", nil)); w.Code != http.StatusNotFound {
		t.Fatalf("without a demo clock: status %d, want 404 (the route must not exist in production)", w.Code)
	}

	clock := &qunzhu.OffsetClock{}
	kicked := 0
	h := webhook.NewServer(webhook.Deps{Store: e.store, DemoClock: clock, OnClockAdvance: func() { kicked++ }})
	post := func(body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/_demo/clock", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := post(`{"advance":"25h"}`); w.Code != http.StatusOK {
		t.Fatalf("advance: %d %s", w.Code, w.Body)
	}
	if got := time.Until(clock.Now()); got < 24*time.Hour+59*time.Minute {
		t.Fatalf("clock is %v ahead, want 25h", got)
	}
	if kicked != 1 {
		t.Fatalf("OnClockAdvance ran %d times, want 1", kicked)
	}
	for _, bad := range []string{`{"advance":"-1h"}`, `{"advance":"soon"}`, `not json`} {
		if w := post(bad); w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, w.Code)
		}
	}
	if kicked != 1 {
		t.Fatalf("a refused request moved the clock")
	}
}
