package main

import (
	"strings"
	"testing"
)

const events = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"p","Test":"TestB"}
{"Action":"run","Package":"p","Test":"TestC/sub"}
{"Action":"output","Package":"p","Test":"TestC/sub","Output":"    c_test.go:3: SKIP: Redis not reachable\n"}
{"Action":"output","Package":"p","Test":"TestC/sub","Output":"--- SKIP: TestC/sub (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestC/sub"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}
{"Action":"fail","Package":"p"}
{"Action":"fail","Package":"q"}
`

func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		require bool
		last    string
	}{
		{false, "1 passed, 2 failed, 1 skipped"},
		{true, "1 passed, 3 failed, 0 skipped"},
	} {
		var out strings.Builder
		s := &summary{out: &out, output: map[key][]string{}, failedIn: map[string]int{}}
		if err := s.read(strings.NewReader(events)); err != nil {
			t.Fatal(err)
		}
		if ok := s.finish(tt.require); ok {
			t.Error("finish reported success with failures")
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if got := lines[len(lines)-1]; got != tt.last {
			t.Errorf("require=%v: closing line %q, want %q\n%s", tt.require, got, tt.last, out.String())
		}
		for _, want := range []string{"got 1, want 2", "p TestC/sub: c_test.go:3: SKIP: Redis not reachable", "package q failed outside its tests"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
	}
}
