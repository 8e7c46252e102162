package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

// TestRunServesTheSampleConfig starts the command as main does, reads the URL it
// prints, checks the groups it serves, and stops it with the context.
func TestRunServesTheSampleConfig(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--config", "testdata/groups.yaml", "--auto-confirm"}, noEnv, outW, io.Discard)
		_ = outW.Close()
	}()

	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("no output; run: %v", <-errc)
	}
	url := regexp.MustCompile(`http://\S+`).FindString(lines.Text())
	if url == "" || !strings.Contains(lines.Text(), `"督办助手"`) {
		t.Fatalf("first line %q does not name the bot and the URL", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

	resp, err := http.Get(url + "/_emu/groups")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []struct {
		Name    string   `json:"name"`
		Members []string `json:"members"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		Name    string   `json:"name"`
		Members []string `json:"members"`
	}{
		{"城管委工作群", []string{"张三", "李四", "王五"}},
		{"12345热线督办群", []string{"李四", "赵六(市城管委)"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups = %+v, want %+v", got, want)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop after cancel")
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
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no config", nil, "--config is required"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yaml")}, "no such file"},
		{"duplicate member", []string{"--config", write("dup.yaml", "groups:\n  - name: 甲群\n    members: [张三, 张三]\n")}, `duplicate member "张三"`},
		{"unknown key", []string{"--config", write("typo.yaml", "group:\n  - name: 甲群\n")}, "field group not found"},
		{"unknown member field", []string{"--config", write("mtypo.yaml", "groups:\n  - name: 甲群\n    members:\n      - nmae: 张三\n")}, `member field "nmae" unknown`},
		{"bad flag", []string{"--port", "1"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(t.Context(), tc.args, noEnv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.wantErr)
			}
		})
	}
}

func TestLoadConfigAcceptsBothMemberForms(t *testing.T) {
	cfg, err := loadConfig("testdata/groups.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Groups[0].Members[2]; got.Name != "王五" || got.AttrStatus != 2147600869 {
		t.Errorf("member written as a mapping = %+v", got)
	}
	if got := cfg.Groups[0].Members[0]; got.Name != "张三" || got.AttrStatus != 0 {
		t.Errorf("member written as a string = %+v", got)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("sample config is invalid: %v", err)
	}
}
