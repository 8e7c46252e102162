package webhook_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/webhook"
)

// A store whose database file was deleted under it cannot keep what it would
// accept: webhooks answer 503 with Retry-After (in the robots' shape on their
// endpoints) instead of 202, nothing is queued, and /readyz fails saying why.
func TestStoreFilesChangedAnswer503(t *testing.T) {
	e := newIntakeEnv(t)
	before := e.outboxRows()
	if err := os.Remove(e.path); err != nil {
		t.Fatal(err)
	}

	w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, "停电通知"))))
	if got, want := w.Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("message: status = %d, want %d; body %s", got, want, w.Body.String())
	}
	if w.Header().Get("Retry-After") == "" {
		t.Error("message: no Retry-After")
	}
	var eb errorBody
	decode(t, w, &eb)
	if got, want := eb.Error.Code, webhook.CodeUnavailable; got != want {
		t.Errorf("message: code = %q, want %q", got, want)
	}
	if strings.Contains(eb.Error.Message, "qunzhu.db") {
		t.Errorf("message %q names our files; the reason belongs in the log and /readyz", eb.Error.Message)
	}

	w = e.robotPost("/cgi-bin/webhook/send", url.Values{"key": {wecomKey}}, "application/json", wecomDocHello)
	if got, want := w.Code, http.StatusServiceUnavailable; got != want {
		t.Fatalf("WeCom robot: status = %d, want %d; body %s", got, want, w.Body.String())
	}
	if errcode, _ := robotAnswer(t, w); errcode != -1 || w.Header().Get("Retry-After") == "" {
		t.Errorf("WeCom robot: errcode %d, Retry-After %q; want -1 (system busy) and a Retry-After", errcode, w.Header().Get("Retry-After"))
	}

	status, resp, _ := e.readyz()
	if status != http.StatusServiceUnavailable || resp.Store != "error" || !strings.Contains(resp.StoreReason, "database file deleted") {
		t.Errorf("readyz: %d %+v, want 503 with the reason", status, resp)
	}
	if got := e.outboxRows(); got != before {
		t.Errorf("outbox rows %d, want %d: something was queued", got, before)
	}
	if strings.Contains(e.logs.String(), "internal error") {
		t.Errorf("a 503 was logged as our bug:\n%s", e.logs.String())
	}
}
