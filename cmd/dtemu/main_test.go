package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestRunServesTheSampleConfig(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--config", "testdata/dingtalk.yaml"}, noEnv, outW, io.Discard)
		_ = outW.Close()
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("no output; run: %v", <-errc)
	}
	url := regexp.MustCompile(`http://\S+`).FindString(lines.Text())
	go func() { _, _ = io.Copy(io.Discard, out) }()
	resp, err := http.Get(url + "/_emu/groups")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"name":"城管执法钉钉群","platform":"dingtalk","chat_id":"cidZhiFa001=="`) {
		t.Errorf("groups = %s", b)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no config", nil, "--config is required"},
		{"unknown key", []string{"--config", write("typo.yaml", "client_id: a\nclientsecret: b\n")}, "field clientsecret not found"},
		{"no secret", []string{"--config", write("nosecret.yaml", "client_id: a\n")}, "client_secret are required"},
		{"no chat id", []string{"--config", write("nochat.yaml", "client_id: a\nclient_secret: b\ngroups:\n  - name: 甲群\n")}, "empty chat_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(t.Context(), tc.args, noEnv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("run(%q) = %v, want %q", tc.args, err, tc.wantErr)
			}
		})
	}
}
