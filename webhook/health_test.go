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

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	if got, want := e.do(httptest.NewRequest(http.MethodHead, "/healthz", nil)).Code, http.StatusOK; got != want {
		t.Errorf("HEAD status = %d, want %d", got, want)
	}
	w := e.do(httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if got, want := w.Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := w.Body.String(), `{"status":"ok"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	// Liveness does not depend on the store: restarting would not fix it.
	e.store.Close()
	if got, want := e.do(httptest.NewRequest(http.MethodGet, "/healthz", nil)).Code, http.StatusOK; got != want {
		t.Errorf("status with store closed = %d, want %d", got, want)
	}
}

// readyz fetches /readyz and decodes it.
func (e *env) readyz() (int, webhook.ReadyResponse, string) {
	e.t.Helper()
	w := e.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var resp webhook.ReadyResponse
	decode(e.t, w, &resp)
	return w.Code, resp, w.Body.String()
}

func TestReadyzOK(t *testing.T) {
	e := newEnv(t)
	status, resp, body := e.readyz()
	if got, want := status, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := body, `{"status":"ok","store":"ok","wechat":"online","outbox":{"pending":0,"failed":0,"oldest_pending":null,"oldest_pending_age_s":0},"intake":{"pending":0,"oldest_pending_age_s":0,"failed":0}}`; got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}

	// A queued webhook shows up as a backlog with its age.
	queuedAt := e.clock.Now()
	if w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, "hi")))); w.Code != http.StatusAccepted {
		t.Fatalf("post: status = %d, body %s", w.Code, w.Body.String())
	}
	e.clock.Advance(10 * time.Minute)
	status, resp, body = e.readyz()
	if got, want := status, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := resp.Outbox.Pending, 1; got != want {
		t.Errorf("pending = %d, want %d", got, want)
	}
	if resp.Outbox.OldestPending == nil {
		t.Fatalf("oldest_pending is null in %s", body)
	}
	oldest, err := time.Parse(time.RFC3339, *resp.Outbox.OldestPending)
	if err != nil {
		t.Fatalf("oldest_pending %q is not RFC 3339: %v", *resp.Outbox.OldestPending, err)
	}
	if !oldest.Equal(queuedAt) {
		t.Errorf("oldest_pending = %v, want %v", oldest, queuedAt)
	}
}

// A logged-out, banned or not-yet-scanned session still accepts webhooks, so
// the service is degraded but ready.
func TestReadyzDegraded(t *testing.T) {
	for _, st := range []qunzhu.SessionState{qunzhu.StateOffline, qunzhu.StateWaitingScan, qunzhu.StateBanned} {
		t.Run(string(st), func(t *testing.T) {
			e := newEnv(t)
			e.state = st
			status, resp, _ := e.readyz()
			if got, want := status, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if got, want := resp.Status, "degraded"; got != want {
				t.Errorf("status field = %q, want %q", got, want)
			}
			if got, want := resp.WeChat, string(st); got != want {
				t.Errorf("wechat = %q, want %q", got, want)
			}
			if got, want := resp.Store, "ok"; got != want {
				t.Errorf("store = %q, want %q", got, want)
			}
			// And it really still accepts.
			w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, "hi"))))
			if got, want := w.Code, http.StatusAccepted; got != want {
				t.Errorf("post while %s: status = %d, want %d", st, got, want)
			}
		})
	}
}

func TestReadyzNoChatState(t *testing.T) {
	e := newEnv(t)
	e.h = e.server(nil)
	status, resp, _ := e.readyz()
	if got, want := status, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := resp.WeChat, "unknown"; got != want {
		t.Errorf("wechat = %q, want %q", got, want)
	}
}

func TestReadyzStoreClosed(t *testing.T) {
	e := newEnv(t)
	e.state = qunzhu.StateOffline
	if err := e.store.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	status, _, body := e.readyz()
	if got, want := status, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := body, `{"status":"unavailable","store":"error","wechat":"offline","outbox":null,"intake":null}`; got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
	if !strings.Contains(e.logs.String(), "store failed") {
		t.Errorf("store failure not logged:\n%s", e.logs.String())
	}
}

// A panic in a handler (here the chat state callback) is a logged 500 with the
// usual error body, and the server goes on serving.
func TestPanicRecovery(t *testing.T) {
	e := newEnv(t)
	e.h = e.server(func() qunzhu.SessionState { panic("messenger not wired") })
	w := e.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if got, want := w.Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	var eb errorBody
	decode(t, w, &eb)
	if got, want := eb.Error.Code, "internal"; got != want {
		t.Errorf("code = %q, want %q", got, want)
	}
	if strings.Contains(w.Body.String(), "messenger not wired") {
		t.Errorf("panic value leaked to the client: %s", w.Body.String())
	}
	if !strings.Contains(e.logs.String(), "messenger not wired") {
		t.Errorf("panic not logged:\n%s", e.logs.String())
	}
	if got, want := e.do(httptest.NewRequest(http.MethodGet, "/healthz", nil)).Code, http.StatusOK; got != want {
		t.Errorf("after panic: /healthz status = %d, want %d", got, want)
	}
}

// TestReadyzDegradedByBacklogAndDailyCap: online but not keeping up (a
// message waiting longer than BacklogAge), or with only the alerts' reserve
// of the daily cap left, is degraded, with the numbers.
func TestReadyzDegradedByBacklogAndDailyCap(t *testing.T) {
	e := newEnv(t)
	if w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, "hi")))); w.Code != http.StatusAccepted {
		t.Fatalf("post: status = %d, body %s", w.Code, w.Body.String())
	}
	e.clock.Advance(webhook.BacklogAge + time.Second)
	_, resp, body := e.readyz()
	if resp.Status != webhook.ReadyDegraded || resp.Outbox.OldestPendingAge != 601 || len(resp.Reasons) != 1 ||
		resp.Reasons[0] != "backlog: 1 pending, the oldest waiting 601s" {
		t.Errorf("backlog: %s", body)
	}

	e2 := newEnv(t)
	sent := 0
	e2.h = newApplied(t, webhook.Deps{Store: e2.store, Clock: e2.clock,
		State: func() qunzhu.SessionState { return qunzhu.StateOnline },
		Daily: func() (int, int, int) { return sent, 500, 100 }})
	sent = 399
	if _, resp, body := e2.readyz(); resp.Status != webhook.ReadyOK || resp.Daily == nil || resp.Daily.Sent != 399 {
		t.Errorf("below the reserve: %s", body)
	}
	sent = 400
	_, resp, body = e2.readyz()
	if resp.Status != webhook.ReadyDegraded || len(resp.Reasons) != 1 ||
		resp.Reasons[0] != "daily cap nearly used: 400 of 500 sent, the last 100 kept for alerts" {
		t.Errorf("into the reserve: %s", body)
	}
}
