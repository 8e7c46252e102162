package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/webhook"
)

// Secrets of the test sources; no response body or log line may contain them.
const (
	hotlineSecret = "hotline-secret-0123456789"
	alertsSecret  = "alerts-secret-9876543210"
	wrongSecret   = "wrong-secret-00000000000"
)

// Group names registered in every test store.
const (
	cadreGroup = "区委干部群"
	cityGroup  = "市城管委工作群"
	yearGroup  = "2024" // a group whose name looks like an id
)

// testStart is when every test's fake clock starts: a Sunday 09:00 in Chengdu.
var testStart = time.Date(2025, 6, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// env is one server over a real SQLite file with a fake clock and captured logs.
type env struct {
	t      testing.TB
	path   string // the SQLite file, for tests that count every table's rows
	store  *sqlite.Store
	clock  *qunzhu.FakeClock
	logs   *lockedBuffer
	groups map[string]*qunzhu.Group
	state  qunzhu.SessionState
	h      http.Handler
}

// newEnv opens a store in t.TempDir, registers the test groups and builds the
// server with two sources: "hotline" may post anywhere, "alerts" only to the
// city group (by name) and the year group (by id).
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	clock := qunzhu.NewFakeClock(testStart)
	path := filepath.Join(t.TempDir(), "qunzhu.db")
	store, err := sqlite.Open(ctx, path, clock)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })

	e := &env{t: t, path: path, store: store, clock: clock, logs: &lockedBuffer{}, groups: map[string]*qunzhu.Group{}, state: qunzhu.StateOnline}
	err = store.Update(ctx, func(tx qunzhu.Tx) error {
		for _, name := range []string{cadreGroup, cityGroup, yearGroup} {
			g, err := tx.CreateGroup(name)
			if err != nil {
				return err
			}
			e.groups[name] = g
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create groups: %v", err)
	}
	e.h = e.server(func() qunzhu.SessionState { return e.state })
	return e
}

// server builds a handler over e's store with the standard sources and the
// given chat state function.
func (e *env) server(state func() qunzhu.SessionState) http.Handler {
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return newApplied(e.t, webhook.Deps{
		Store: e.store,
		Sources: []webhook.Source{
			{Name: "hotline", Secret: hotlineSecret},
			{Name: "alerts", Secret: alertsSecret, Groups: []string{cityGroup, strconv.FormatInt(e.groups[yearGroup].ID, 10)}},
		},
		State:  state,
		Clock:  e.clock,
		Logger: logger,
	})
}

// do serves r and returns the recorder.
func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// outboxRows counts every outbox row, whatever its status.
func (e *env) outboxRows() int {
	e.t.Helper()
	st, err := e.store.OutboxStats(context.Background())
	if err != nil {
		e.t.Fatalf("outbox stats: %v", err)
	}
	return st.Pending + st.Sending + st.Sent + st.Failed
}

// signedRequest builds a POST /api/v1/messages signed as source with secret at
// the clock's current time.
func (e *env) signedRequest(source, secret string, body []byte) *http.Request {
	ts := e.clock.Now().Unix()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/messages", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.HeaderSource, source)
	r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	r.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, ts, body))
	return r
}

// decode unmarshals a response body into v, failing the test on bad JSON.
func decode(t testing.TB, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if got, want := w.Header().Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("response %q is not JSON: %v", w.Body.String(), err)
	}
}

// errorBody is the JSON error shape clients see.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// assertNoSecrets fails if any secret or signature value is in s.
func assertNoSecrets(t *testing.T, what, s string, secrets []string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s contains secret or signature %q:\n%s", what, sec, s)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the JSON log records written so far.
func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestSign(t *testing.T) {
	// Vector from: printf '%s\n%s' 1748739600 "$body" | openssl dgst -sha256 -hmac "$secret"
	body := []byte(`{"group":"区委干部群","text":"12345 工单超期"}`)
	got := webhook.Sign(hotlineSecret, 1748739600, body)
	want := "sha256=03e7f08ac2a15e4ecb59a08b96b7206604ba4fe748dfe822f4d980e04dd31c51"
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestValidateSources(t *testing.T) {
	tests := []struct {
		name    string
		sources []webhook.Source
		wantErr string // substring; "" for valid
	}{
		{"none", nil, ""},
		{"good", []webhook.Source{{Name: "hotline-12345", Secret: hotlineSecret}, {Name: "alerts", Secret: alertsSecret}}, ""},
		{"empty name", []webhook.Source{{Name: "", Secret: hotlineSecret}}, "name must be"},
		{"chinese name", []webhook.Source{{Name: "热线", Secret: hotlineSecret}}, "name must be"},
		{"colon in name", []webhook.Source{{Name: "a:b", Secret: hotlineSecret}}, "name must be"},
		{"short secret", []webhook.Source{{Name: "hotline", Secret: "short-secret"}}, "at least 16 bytes"},
		{"empty secret", []webhook.Source{{Name: "hotline"}}, "at least 16 bytes"},
		{"twice", []webhook.Source{{Name: "hotline", Secret: hotlineSecret}, {Name: "hotline", Secret: alertsSecret}}, "used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.ValidateSources(tt.sources)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateSources: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ValidateSources error = %v, want one containing %q", err, tt.wantErr)
			}
			secrets := []string{hotlineSecret, alertsSecret, "short-secret"}
			assertNoSecrets(t, "error", err.Error(), secrets)
		})
	}
}

// An invalid source is left out, so its requests are refused rather than
// authenticated with a weak secret, and the reason is logged without the secret.
func TestNewServerDisablesInvalidSources(t *testing.T) {
	e := newEnv(t)
	const weak = "weak-secret"
	logger := slog.New(slog.NewJSONHandler(e.logs, nil))
	e.h = webhook.NewServer(webhook.Deps{
		Store: e.store,
		Sources: []webhook.Source{
			{Name: "weak", Secret: weak},
			{Name: "twice", Secret: hotlineSecret},
			{Name: "twice", Secret: alertsSecret},
		},
		Clock:  e.clock,
		Logger: logger,
	})
	body := []byte(`{"group":"区委干部群","text":"hi"}`)
	for _, src := range []struct{ name, secret string }{{"weak", weak}, {"twice", hotlineSecret}, {"twice", alertsSecret}} {
		w := e.do(e.signedRequest(src.name, src.secret, body))
		if got, want := w.Code, http.StatusUnauthorized; got != want {
			t.Errorf("source %s: status = %d, want %d", src.name, got, want)
		}
	}
	if got, want := e.outboxRows(), 0; got != want {
		t.Errorf("outbox rows = %d, want %d", got, want)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "source disabled") {
		t.Errorf("logs do not say a source was disabled:\n%s", logs)
	}
	assertNoSecrets(t, "logs", logs, []string{weak, hotlineSecret, alertsSecret})
}

// A Source printed by mistake (fmt or slog) does not show its secret.
func TestSourceDoesNotPrintSecret(t *testing.T) {
	src := webhook.Source{Name: "hotline", Secret: hotlineSecret, Groups: []string{cadreGroup}}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "source", src)
	for _, s := range []string{src.String(), buf.String()} {
		assertNoSecrets(t, "printed source", s, []string{hotlineSecret})
		if !strings.Contains(s, "hotline") {
			t.Errorf("printed source %q lacks its name", s)
		}
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/nope", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/api/v1/messages", http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "method_not_allowed"},
	}
	for _, tt := range tests {
		w := e.do(httptest.NewRequest(tt.method, tt.path, nil))
		if got, want := w.Code, tt.status; got != want {
			t.Errorf("%s %s: status = %d, want %d", tt.method, tt.path, got, want)
		}
		var eb errorBody
		decode(t, w, &eb)
		if got, want := eb.Error.Code, tt.code; got != want {
			t.Errorf("%s %s: code = %q, want %q", tt.method, tt.path, got, want)
		}
	}
}

// newApplied is webhook.NewServer with the journal applied after every
// request, so a test sees a request's effect as soon as it is answered. The
// asynchronous applier itself is tested in journal_test.go.
func newApplied(t testing.TB, d webhook.Deps) http.Handler {
	return &appliedHandler{h: webhook.NewServer(d), a: webhook.NewApplier(d), t: t}
}

// appliedHandler is newApplied's handler; h is NewServer's own.
type appliedHandler struct {
	h http.Handler
	a *webhook.Applier
	t testing.TB
}

func (ah *appliedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, a, t := ah.h, ah.a, ah.t
	{
		h.ServeHTTP(w, r)
		// A store the test closed or broke applies nothing; that test
		// checks the answers, and what was accepted stays in the journal.
		if err := a.Drain(context.Background()); err != nil && !errors.Is(err, sqlite.ErrClosed) &&
			qunzhu.ErrorCode(err) != qunzhu.EUNAVAILABLE {
			t.Errorf("apply the journal: %v", err)
		}
	}
}
