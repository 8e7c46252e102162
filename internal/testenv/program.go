package testenv

import (
	"os/exec"
	"testing"
)

// Program returns the path of an executable the tests drive (promtool,
// chromium), looking for each name in order on PATH. When none is there the
// test is skipped, saying which Debian package provides it, or fails when
// QUNZHU_REQUIRE_SERVICES=1, as CI sets (.ci/run installs them).
func Program(t testing.TB, debianPackage string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if RequireServices() {
		t.Fatalf("%v required (%s=1) but not on PATH: apt-get install -y %s", names, EnvRequireServices, debianPackage)
	}
	t.Skipf("SKIP: %v not on PATH (apt-get install -y %s); set %s=1 to make this a failure", names, debianPackage, EnvRequireServices)
	return ""
}
