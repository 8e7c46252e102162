package webhook_test

import (
	"context"
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

// What the journal accepted before a jump of the demo clock is applied before
// the clock moves, so its effects (a digest's due time) are dated before the
// jump, whether or not the applier had reached it yet.
func TestDemoClockAppliesTheJournalBeforeItMoves(t *testing.T) {
	e := newEnv(t)
	clock := &qunzhu.OffsetClock{}
	// No applier runs: only the clock's advance can apply the entry.
	h := webhook.NewServer(webhook.Deps{Store: e.store, DemoClock: clock, Clock: e.clock,
		Sources: []webhook.Source{{Name: "hotline", Secret: hotlineSecret}}})
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	body := []byte(`{"group":"` + cadreGroup + `","text":"跳钟之前收下的消息","dedup_key":"before-jump"}`)
	if w := serve(e.signedRequest("hotline", hotlineSecret, body)); w.Code != http.StatusAccepted {
		t.Fatalf("message: %d %s", w.Code, w.Body)
	}
	pending := func() int {
		var b qunzhu.IntakeBacklog
		if err := e.store.View(context.Background(), func(tx qunzhu.Tx) error {
			var err error
			b, err = tx.IntakeBacklog()
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return b.Pending
	}
	if n := pending(); n != 1 || e.outboxRows() != 0 {
		t.Fatalf("before the jump: %d pending, %d outbox rows; want 1 and 0", n, e.outboxRows())
	}
	r := httptest.NewRequest(http.MethodPost, "/_demo/clock", strings.NewReader(`{"advance":"31s"}`))
	r.Header.Set("Content-Type", "application/json")
	if w := serve(r); w.Code != http.StatusOK {
		t.Fatalf("advance: %d %s", w.Code, w.Body)
	}
	if n := pending(); n != 0 || e.outboxRows() != 1 {
		t.Fatalf("after the jump: %d pending, %d outbox rows; want 0 and 1", n, e.outboxRows())
	}
}
