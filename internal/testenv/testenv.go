// Package testenv finds the services (Redis, PostgreSQL) that integration tests
// run against. Tests run against real services, not mocks; when one is missing a
// developer's run skips those tests loudly, and CI, which sets
// QUNZHU_REQUIRE_SERVICES=1, fails instead so a missing service is never a
// silent green.
//
// Only tests import this package.
package testenv

import (
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// Environment variables read by this package.
const (
	EnvRedisURL        = "QUNZHU_TEST_REDIS_URL"
	EnvPostgresURL     = "QUNZHU_TEST_POSTGRES_URL"
	EnvRequireServices = "QUNZHU_REQUIRE_SERVICES"
)

// Defaults match the services started on a developer machine and in CI. Redis
// uses database 15 so tests never touch database 0.
const (
	DefaultRedisURL    = "redis://127.0.0.1:6379/15"
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

const dialTimeout = 2 * time.Second

// RedisURL returns the URL of the test Redis, after checking that it accepts
// connections; if it does not, the test is skipped, or fails when
// QUNZHU_REQUIRE_SERVICES=1.
func RedisURL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "Redis", EnvRedisURL, DefaultRedisURL, "6379")
}

// PostgresURL returns the URL of the test PostgreSQL, after checking that it
// accepts TCP connections (no driver needed here); if it does not, the test is
// skipped, or fails when QUNZHU_REQUIRE_SERVICES=1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "PostgreSQL", EnvPostgresURL, DefaultPostgresURL, "5432")
}

// RequireServices reports whether a missing service must fail the tests.
func RequireServices() bool { return os.Getenv(EnvRequireServices) == "1" }

func serviceURL(t testing.TB, name, env, def, defaultPort string) string {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The URL itself is not shown: it may contain a password.
		t.Fatalf("%s is not a valid URL", env)
	}
	network, addr := "tcp", u.Host
	switch {
	case u.Scheme == "unix":
		network, addr = "unix", u.Path
	case u.Port() == "":
		addr = net.JoinHostPort(u.Hostname(), defaultPort)
	}
	conn, err := net.DialTimeout(network, addr, dialTimeout)
	if err != nil {
		msg := "SKIP: " + name + " not reachable at " + addr + " (" + err.Error() + "); set " +
			EnvRequireServices + "=1 to make this a failure"
		if RequireServices() {
			t.Fatalf("%s is required (%s=1) but not reachable at %s: %v", name, EnvRequireServices, addr, err)
		}
		t.Skip(msg)
	}
	conn.Close()
	return raw
}
