package main

import (
	"regexp"
	"testing"
)

func regexpFind(t *testing.T, expr, s string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q not found in %q", expr, s)
	}
	return m[1]
}
