package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/webhook"
)

// healthcheck succeeds against a ready server (a real store behind the real
// /readyz) and fails once the store fails, or when nothing answers.
func TestHealthcheck(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "q.db"), qunzhu.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(webhook.NewServer(webhook.Deps{Store: store}))
	defer srv.Close()
	check := func() (string, error) {
		var out, errOut strings.Builder
		err := run(t.Context(), []string{"qunzhu", "healthcheck", "--url", srv.URL + "/readyz"}, func(string) string { return "" }, &out, &errOut)
		return out.String(), err
	}
	if out, err := check(); err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("ready server: %q %v, want ok", out, err)
	}
	store.Close()
	if _, err := check(); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("store closed: %v, want a 503 failure", err)
	}
	srv.Close()
	if _, err := check(); err == nil {
		t.Fatal("nothing listening: healthcheck succeeded")
	}
}

func TestReadyURL(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://127.0.0.1:8080/readyz",
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/readyz",
		"127.0.0.1:8181": "http://127.0.0.1:8181/readyz",
		"[::]:8080":      "http://127.0.0.1:8080/readyz",
	} {
		if got := readyURL(addr); got != want {
			t.Errorf("readyURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
