package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// msgCase is one request to POST /api/v1/messages and what must come of it.
type msgCase struct {
	name   string
	body   string
	source string // default "hotline"
	secret string // signing secret; default the source's own
	// tsOffset moves the signed timestamp away from the server's clock.
	tsOffset time.Duration
	// edit changes the request after signing (headers, content type).
	edit func(r *http.Request)

	status int
	code   string // error code, "" for a success
}

// msgBody builds a JSON body the way a sender would.
func msgBody(group any, text string, extra ...string) string {
	g := fmt.Sprintf("%q", group)
	if n, ok := group.(int64); ok {
		g = strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf(`{"group":%s,"text":%q%s}`, g, text, strings.Join(extra, ""))
}

func TestPostMessage(t *testing.T) {
	e := newEnv(t)
	cadreID := e.groups[cadreGroup].ID
	yearID := e.groups[yearGroup].ID
	const alert = "【12345超期】工单 2025060100123 已超期 2 天，责任单位：市城管委。"
	oneMiB := func(extra int) string {
		b := msgBody(cadreGroup, "填充到 1 MiB")
		return b + strings.Repeat(" ", webhook.MaxBodyBytes-len(b)+extra)
	}
	setHeader := func(k, v string) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Set(k, v) }
	}
	delHeader := func(k string) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Del(k) }
	}

	tests := []msgCase{
		// Accepted.
		{name: "by name", body: msgBody(cadreGroup, alert), status: 202},
		{name: "by id string", body: msgBody(strconv.FormatInt(cadreID, 10), alert+"1"), status: 202},
		{name: "by id number", body: msgBody(cadreID, alert+"2"), status: 202},
		{name: "numeric name", body: msgBody("  "+yearGroup+" ", alert), status: 202},
		{name: "with dedup key", body: msgBody(cadreGroup, alert, `,"dedup_key":"ticket-1:overdue"`), status: 202},
		{name: "unknown fields ignored", body: msgBody(cadreGroup, alert, `,"level":"red"`), status: 202},
		{name: "charset utf-8", body: msgBody(cadreGroup, alert+"3"), edit: setHeader("Content-Type", "application/json; charset=UTF-8"), status: 202},
		{name: "4000 runes", body: msgBody(cadreGroup, strings.Repeat("督", webhook.MaxTextRunes)), status: 202},
		{name: "exactly 1 MiB", body: oneMiB(0), status: 202},
		{name: "clock 300 s behind", body: msgBody(cadreGroup, alert+"4"), tsOffset: -300 * time.Second, status: 202},
		{name: "clock 300 s ahead", body: msgBody(cadreGroup, alert+"5"), tsOffset: 300 * time.Second, status: 202},
		{name: "allowed group by name", source: "alerts", body: msgBody(cityGroup, alert), status: 202},
		{name: "allowed group by id", source: "alerts", body: msgBody(yearID, alert), status: 202},

		// Refused before the body is read.
		{name: "text/plain", body: msgBody(cadreGroup, alert), edit: setHeader("Content-Type", "text/plain"), status: 415, code: "unsupported_media_type"},
		{name: "form", body: msgBody(cadreGroup, alert), edit: setHeader("Content-Type", "application/x-www-form-urlencoded"), status: 415, code: "unsupported_media_type"},
		{name: "no content type", body: msgBody(cadreGroup, alert), edit: delHeader("Content-Type"), status: 415, code: "unsupported_media_type"},
		{name: "gbk", body: msgBody(cadreGroup, alert), edit: setHeader("Content-Type", "application/json; charset=gbk"), status: 415, code: "unsupported_media_type"},
		{name: "1 MiB + 1", body: oneMiB(1), status: 413, code: "body_too_large"},
		{name: "1 MiB + 1 unsigned", body: oneMiB(1), edit: delHeader(webhook.HeaderSignature), status: 413, code: "body_too_large"},

		// Authentication.
		{name: "unknown source", source: "nobody", secret: hotlineSecret, body: msgBody(cadreGroup, alert), status: 401, code: "unknown_source"},
		{name: "no source", body: msgBody(cadreGroup, alert), edit: delHeader(webhook.HeaderSource), status: 401, code: "unknown_source"},
		{name: "secret as source name", body: msgBody(cadreGroup, alert), edit: setHeader(webhook.HeaderSource, hotlineSecret), status: 401, code: "unknown_source"},
		{name: "wrong secret", secret: wrongSecret, body: msgBody(cadreGroup, alert), status: 401, code: "bad_signature"},
		{name: "other source's secret", secret: alertsSecret, body: msgBody(cadreGroup, alert), status: 401, code: "bad_signature"},
		{name: "no signature", body: msgBody(cadreGroup, alert), edit: delHeader(webhook.HeaderSignature), status: 401, code: "bad_signature"},
		{name: "signature not hex", body: msgBody(cadreGroup, alert), edit: setHeader(webhook.HeaderSignature, "sha256=zz"), status: 401, code: "bad_signature"},
		{name: "signature wrong scheme", body: msgBody(cadreGroup, alert), edit: func(r *http.Request) {
			r.Header.Set(webhook.HeaderSignature, strings.Replace(r.Header.Get(webhook.HeaderSignature), "sha256=", "sha1=", 1))
		}, status: 401, code: "bad_signature"},
		{name: "timestamp changed after signing", body: msgBody(cadreGroup, alert), edit: func(r *http.Request) {
			ts, _ := strconv.ParseInt(r.Header.Get(webhook.HeaderTimestamp), 10, 64)
			r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts+1, 10))
		}, status: 401, code: "bad_signature"},
		{name: "timestamp 301 s old", body: msgBody(cadreGroup, alert), tsOffset: -301 * time.Second, status: 401, code: "stale_timestamp"},
		{name: "timestamp 301 s ahead", body: msgBody(cadreGroup, alert), tsOffset: 301 * time.Second, status: 401, code: "stale_timestamp"},
		{name: "no timestamp", body: msgBody(cadreGroup, alert), edit: delHeader(webhook.HeaderTimestamp), status: 401, code: "stale_timestamp"},
		{name: "timestamp in ms", body: msgBody(cadreGroup, alert), edit: setHeader(webhook.HeaderTimestamp, strconv.FormatInt(testStart.UnixMilli(), 10)), status: 401, code: "stale_timestamp"},
		{name: "timestamp not a number", body: msgBody(cadreGroup, alert), edit: setHeader(webhook.HeaderTimestamp, "yesterday"), status: 401, code: "stale_timestamp"},
		{name: "bad json signed with wrong secret", secret: wrongSecret, body: `{"group":`, status: 401, code: "bad_signature"},

		// Authenticated but invalid.
		{name: "truncated json", body: `{"group":`, status: 400, code: "bad_json"},
		{name: "array", body: `[]`, status: 400, code: "bad_json"},
		{name: "empty body", body: ``, status: 400, code: "bad_json"},
		{name: "trailing garbage", body: msgBody(cadreGroup, alert) + ` x`, status: 400, code: "bad_json"},
		{name: "group is bool", body: `{"group":true,"text":"hi"}`, status: 400, code: "bad_json"},
		{name: "group is fraction", body: `{"group":1.5,"text":"hi"}`, status: 400, code: "bad_json"},
		{name: "text is number", body: `{"group":"区委干部群","text":5}`, status: 400, code: "bad_json"},
		{name: "no group", body: `{"text":"hi"}`, status: 400, code: "missing_field"},
		{name: "null", body: `null`, status: 400, code: "missing_field"},
		{name: "blank group", body: msgBody("  ", alert), status: 400, code: "missing_field"},
		{name: "no text", body: `{"group":"区委干部群"}`, status: 400, code: "missing_field"},
		{name: "blank text", body: msgBody(cadreGroup, " \n\u3000"), status: 400, code: "missing_field"},
		{name: "4001 runes", body: msgBody(cadreGroup, strings.Repeat("督", webhook.MaxTextRunes+1)), status: 400, code: "text_too_long"},
		{name: "dedup key too long", body: msgBody(cadreGroup, alert, `,"dedup_key":"`+strings.Repeat("k", 201)+`"`), status: 400, code: "invalid_field"},
		{name: "unknown group name", body: msgBody("不存在的群", alert), status: 404, code: "unknown_group"},
		{name: "unknown group id", body: msgBody(int64(987654), alert), status: 404, code: "unknown_group"},
		{name: "group not allowed", source: "alerts", body: msgBody(cadreGroup, alert), status: 403, code: "group_not_allowed"},
		{name: "group not allowed by id", source: "alerts", body: msgBody(cadreID, alert), status: 403, code: "group_not_allowed"},
	}

	secrets := []string{hotlineSecret, alertsSecret, wrongSecret}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, sig := buildRequest(e, tt)
			secrets = append(secrets, strings.TrimPrefix(sig, "sha256="))
			before, tables := e.outboxRows(), e.tableRows()
			w := e.do(r)

			if got, want := w.Code, tt.status; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, w.Body.String())
			}
			assertNoSecrets(t, "response", w.Body.String(), secrets)
			after := e.outboxRows()
			if tt.code == "" {
				var resp webhook.MessageResponse
				decode(t, w, &resp)
				if got, want := resp.Status, "queued"; got != want {
					t.Errorf("status field = %q, want %q", got, want)
				}
				if got, want := after, before+1; got != want {
					t.Errorf("outbox rows = %d, want %d", got, want)
				}
				return
			}
			var eb errorBody
			decode(t, w, &eb)
			if got, want := eb.Error.Code, tt.code; got != want {
				t.Errorf("code = %q, want %q (message %q)", got, want, eb.Error.Message)
			}
			if eb.Error.Message == "" {
				t.Errorf("error has no message")
			}
			if got, want := after, before; got != want {
				t.Errorf("outbox rows = %d after a refused request, want %d (unchanged)", got, want)
			}
			e.assertNothingWritten(t, tables)
		})
	}
	assertNoSecrets(t, "logs", e.logs.String(), secrets)
}

// buildRequest signs tc's body as its source at the clock's time plus tsOffset,
// then applies edit. It returns the signature it computed.
func buildRequest(e *env, tc msgCase) (*http.Request, string) {
	source, secret := tc.source, tc.secret
	if source == "" {
		source = "hotline"
	}
	if secret == "" {
		secret = map[string]string{"hotline": hotlineSecret, "alerts": alertsSecret}[source]
	}
	body := []byte(tc.body)
	ts := e.clock.Now().Add(tc.tsOffset).Unix()
	r := e.signedRequest(source, secret, body)
	sig := webhook.Sign(secret, ts, body)
	r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	r.Header.Set(webhook.HeaderSignature, sig)
	if tc.edit != nil {
		tc.edit(r)
	}
	return r, sig
}

// The queued row is what the sender will post: our group id, the webhook kind
// and priority, the text unchanged.
func TestPostMessageQueuesRow(t *testing.T) {
	e := newEnv(t)
	text := "【告警】市政供水压力低于阈值\n请市水务局立即处置。"
	w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, text))))
	if got, want := w.Code, http.StatusAccepted; got != want {
		t.Fatalf("status = %d, want %d; body %s", got, want, w.Body.String())
	}
	var resp webhook.MessageResponse
	decode(t, w, &resp)

	m, err := e.store.OutMessage(context.Background(), resp.ID)
	if err != nil {
		t.Fatalf("OutMessage(%d): %v", resp.ID, err)
	}
	if got, want := m.GroupID, e.groups[cadreGroup].ID; got != want {
		t.Errorf("GroupID = %d, want %d", got, want)
	}
	if got, want := m.Kind, qunzhu.KindWebhook; got != want {
		t.Errorf("Kind = %q, want %q", got, want)
	}
	if got, want := m.Priority, qunzhu.PriorityAlert; got != want {
		t.Errorf("Priority = %d, want %d", got, want)
	}
	if got, want := m.Text, text; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := m.Status, qunzhu.OutPending; got != want {
		t.Errorf("Status = %q, want %q", got, want)
	}
	due, err := e.store.Due(context.Background(), e.clock.Now(), 10)
	if err != nil {
		t.Fatalf("Due: %v", err)
	}
	if got, want := len(due), 1; got != want {
		t.Fatalf("due messages = %d, want %d", got, want)
	}
}

func TestPostMessageDuplicate(t *testing.T) {
	e := newEnv(t)
	post := func(source, secret, body string) (int, webhook.MessageResponse) {
		t.Helper()
		w := e.do(e.signedRequest(source, secret, []byte(body)))
		var resp webhook.MessageResponse
		decode(t, w, &resp)
		return w.Code, resp
	}
	dedup := `,"dedup_key":"12345:2025060100123:overdue"`

	status, first := post("hotline", hotlineSecret, msgBody(cadreGroup, "工单超期", dedup))
	if got, want := status, http.StatusAccepted; got != want {
		t.Fatalf("first: status = %d, want %d", got, want)
	}
	// A retry minutes later, re-signed, maybe with a reworded text: still a duplicate.
	e.clock.Advance(2 * time.Minute)
	status, second := post("hotline", hotlineSecret, msgBody(cadreGroup, "工单超期（重试）", dedup))
	if got, want := status, http.StatusOK; got != want {
		t.Fatalf("second: status = %d, want %d", got, want)
	}
	if got, want := second, (webhook.MessageResponse{ID: first.ID, Status: "duplicate"}); got != want {
		t.Errorf("second = %+v, want %+v", got, want)
	}
	if got, want := e.outboxRows(), 1; got != want {
		t.Errorf("outbox rows = %d, want %d", got, want)
	}

	// Dedup keys are per source: another source's same key is a new message.
	status, other := post("alerts", alertsSecret, msgBody(cityGroup, "工单超期", dedup))
	if got, want := status, http.StatusAccepted; got != want {
		t.Fatalf("other source: status = %d, want %d", got, want)
	}
	if other.ID == first.ID {
		t.Errorf("other source got the same id %d", other.ID)
	}
}

// A byte-identical request (same timestamp, body and signature) replayed inside
// the window is answered as a duplicate even without a dedup_key, so a captured
// request cannot post twice and a sender's blind retry is harmless. The same text
// signed again later is a new message.
func TestPostMessageReplay(t *testing.T) {
	e := newEnv(t)
	body := []byte(msgBody(cadreGroup, "每日通报：3 件未办结"))
	r1 := e.signedRequest("hotline", hotlineSecret, body)
	r2 := httptest.NewRequest(http.MethodPost, "/api/v1/messages", bytes.NewReader(body))
	r2.Header = r1.Header.Clone()

	w1 := e.do(r1)
	e.clock.Advance(4 * time.Minute)
	w2 := e.do(r2)
	var a, b webhook.MessageResponse
	decode(t, w1, &a)
	decode(t, w2, &b)
	if got, want := w1.Code, http.StatusAccepted; got != want {
		t.Fatalf("first: status = %d, want %d", got, want)
	}
	if got, want := w2.Code, http.StatusOK; got != want {
		t.Fatalf("replay: status = %d, want %d", got, want)
	}
	if got, want := b, (webhook.MessageResponse{ID: a.ID, Status: "duplicate"}); got != want {
		t.Errorf("replay = %+v, want %+v", got, want)
	}

	w3 := e.do(e.signedRequest("hotline", hotlineSecret, body))
	if got, want := w3.Code, http.StatusAccepted; got != want {
		t.Fatalf("re-signed: status = %d, want %d", got, want)
	}
	if got, want := e.outboxRows(), 2; got != want {
		t.Errorf("outbox rows = %d, want %d", got, want)
	}
}

// When the store fails the sender gets a generic 500 and may retry; the detail is
// logged for the operator, and neither shows a secret.
func TestPostMessageStoreDown(t *testing.T) {
	e := newEnv(t)
	r := e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, "hi")))
	sig := r.Header.Get(webhook.HeaderSignature)
	if err := e.store.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	w := e.do(r)
	if got, want := w.Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d; body %s", got, want, w.Body.String())
	}
	var eb errorBody
	decode(t, w, &eb)
	if got, want := eb.Error.Code, "internal"; got != want {
		t.Errorf("code = %q, want %q", got, want)
	}
	if strings.Contains(eb.Error.Message, "sql") {
		t.Errorf("message %q leaks internals", eb.Error.Message)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "database is closed") {
		t.Errorf("the internal error is not logged:\n%s", logs)
	}
	secrets := []string{hotlineSecret, strings.TrimPrefix(sig, "sha256=")}
	assertNoSecrets(t, "response", w.Body.String(), secrets)
	assertNoSecrets(t, "logs", logs, secrets)
}

// The request log names method, path, status and the source, and nothing from
// headers or body.
func TestRequestLog(t *testing.T) {
	e := newEnv(t)
	text := "市民电话 13800138000 反映噪音"
	w := e.do(e.signedRequest("alerts", alertsSecret, []byte(msgBody(cadreGroup, text))))
	if got, want := w.Code, http.StatusForbidden; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	var line map[string]any
	for _, l := range e.logs.lines(t) {
		if l["msg"] == "webhook: request" {
			line = l
		}
	}
	if line == nil {
		t.Fatalf("no request log line in:\n%s", e.logs.String())
	}
	want := map[string]any{"level": "WARN", "method": "POST", "path": "/api/v1/messages",
		"status": float64(403), "source": "alerts", "error_code": "group_not_allowed"}
	for k, v := range want {
		if got := line[k]; got != v {
			t.Errorf("log %s = %v, want %v", k, got, v)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Errorf("log line has no duration: %v", line)
	}
	if logs := e.logs.String(); strings.Contains(logs, "13800138000") || strings.Contains(logs, cadreGroup) {
		t.Errorf("logs contain the request body:\n%s", logs)
	}
}
