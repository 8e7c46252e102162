package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRunServesTheConfiguredGroups starts the command on the sample file and
// reads its groups through the control API.
func TestRunServesTheConfiguredGroups(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	out, done := &syncBuf{}, make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--config", "testdata/wecom.yaml"}, func(string) string { return "" }, out, &syncBuf{})
	}()
	var groups []struct {
		Name     string   `json:"name"`
		Platform string   `json:"platform"`
		Members  []string `json:"members"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/_emu/groups")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&groups)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(groups) != 1 || groups[0].Name != "企微应急专班" || groups[0].Platform != "wecom" || len(groups[0].Members) != 4 {
		t.Errorf("groups = %+v", groups)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v", err)
	}
	if !strings.Contains(out.String(), "wecomemu: serving 1 groups") {
		t.Errorf("stdout: %s", out)
	}
}

func TestRunRefusesABadConfig(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"typo.yaml":  "tokn: x\n",
		"empty.yaml": "robot_name: x\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--config", p}, func(string) string { return "" }, &syncBuf{}, &syncBuf{})
		if err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
