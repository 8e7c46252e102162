package testenv

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of acting on the
// real test, so both branches of the rule can be checked.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls RedisURL on a recorder in its own goroutine, since Skip and Fatal
// end the goroutine that calls them.
func run(t *testing.T) (got string, r *recorder) {
	r = &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = RedisURL(r)
	}()
	<-done
	return got, r
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachableSkipsLoudly(t *testing.T) {
	addr := closedAddr(t)
	t.Setenv(EnvRedisURL, "redis://:s3cret@"+addr+"/15")
	t.Setenv(EnvRequireServices, "")
	_, r := run(t)
	if !strings.HasPrefix(r.skipped, "SKIP: Redis not reachable at "+addr) ||
		!strings.Contains(r.skipped, "QUNZHU_REQUIRE_SERVICES=1") {
		t.Errorf("skip message = %q, want a loud SKIP naming %s and QUNZHU_REQUIRE_SERVICES=1", r.skipped, addr)
	}
	if r.fatal != "" {
		t.Errorf("fatal = %q, want none", r.fatal)
	}
	if strings.Contains(r.skipped, "s3cret") {
		t.Errorf("skip message %q contains the password", r.skipped)
	}
}

func TestUnreachableFailsWhenRequired(t *testing.T) {
	addr := closedAddr(t)
	t.Setenv(EnvRedisURL, "redis://:s3cret@"+addr+"/15")
	t.Setenv(EnvRequireServices, "1")
	_, r := run(t)
	if r.fatal == "" || r.skipped != "" {
		t.Errorf("fatal = %q, skipped = %q; want a failure, no skip", r.fatal, r.skipped)
	}
	if strings.Contains(r.fatal, "s3cret") {
		t.Errorf("failure message %q contains the password", r.fatal)
	}
}

func TestReachableReturnsURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := "redis://" + ln.Addr().String() + "/15"
	t.Setenv(EnvRedisURL, want)
	got, r := run(t)
	if got != want || r.skipped != "" || r.fatal != "" {
		t.Errorf("RedisURL = %q (skipped %q, fatal %q), want %q", got, r.skipped, r.fatal, want)
	}
}

func TestPostgresReachableReturnsURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := "postgres://postgres@" + ln.Addr().String() + "/test?sslmode=disable"
	t.Setenv(EnvPostgresURL, want)
	if got := PostgresURL(t); got != want {
		t.Errorf("PostgresURL = %q, want %q", got, want)
	}
}
