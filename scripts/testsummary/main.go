// Command testsummary reads `go test -json` events on standard input (any
// number of runs, one after the other), shows what a person needs — each
// package's result line, build errors, the output of every failed test — and
// ends with the skipped tests and their reasons and one closing line:
//
//	N passed, N failed, N skipped
//
// Subtests count as tests. With QUNZHU_REQUIRE_SERVICES=1 (CI) a skipped test
// counts as failed: a missing service must never pass as green. A package
// that fails without a failing test (it did not build, or its binary
// crashed) counts as one failure. It exits 1 when anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type key struct{ pkg, test string }

type summary struct {
	out                     io.Writer
	passed, failed, skipped int
	output                  map[key][]string // buffered output of running tests
	skips                   []skip
	failedIn                map[string]int // failed tests per package
	pkgFailed               []string       // packages that failed without a failed test
}

type skip struct {
	key
	reason string
}

func main() {
	s := &summary{out: os.Stdout, output: map[key][]string{}, failedIn: map[string]int{}}
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if !s.finish(os.Getenv("QUNZHU_REQUIRE_SERVICES") == "1") {
		os.Exit(1)
	}
}

func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(s.out, string(line)) // not an event: show it as it is
			continue
		}
		s.handle(e)
	}
	return sc.Err()
}

func (s *summary) handle(e event) {
	k := key{e.Package, e.Test}
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.out, e.Output)
	case e.Test == "" && e.Action == "output":
		// The package's own lines: "ok …", "FAIL …", a panic outside a
		// test; shown when the package is done.
		s.output[k] = append(s.output[k], e.Output)
	case e.Test == "" && (e.Action == "pass" || e.Action == "skip"):
		// Only its result line ("ok …", "?  … [no test files]").
		for _, l := range s.output[k] {
			if strings.HasPrefix(l, "ok") || strings.HasPrefix(l, "?") {
				fmt.Fprint(s.out, l)
			}
		}
		delete(s.output, k)
	case e.Test == "" && e.Action == "fail":
		fmt.Fprint(s.out, strings.Join(s.output[k], ""))
		delete(s.output, k)
		if s.failedIn[e.Package] == 0 {
			s.pkgFailed = append(s.pkgFailed, e.Package)
		}
	case e.Action == "output":
		s.output[k] = append(s.output[k], e.Output)
	case e.Action == "pass":
		s.passed++
		delete(s.output, k)
	case e.Action == "fail":
		s.failed++
		s.failedIn[e.Package]++
		fmt.Fprint(s.out, strings.Join(s.output[k], ""))
		delete(s.output, k)
	case e.Action == "skip":
		s.skipped++
		s.skips = append(s.skips, skip{k, skipReason(s.output[k])})
		delete(s.output, k)
	}
}

// skipReason is what the test said when it skipped, without the framework's
// own lines.
func skipReason(lines []string) string {
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return "(no reason given)"
	}
	return strings.Join(out, " ")
}

// finish prints the skips and the closing line; it reports whether all passed.
func (s *summary) finish(require bool) bool {
	sort.Slice(s.skips, func(i, j int) bool {
		if s.skips[i].pkg != s.skips[j].pkg {
			return s.skips[i].pkg < s.skips[j].pkg
		}
		return s.skips[i].test < s.skips[j].test
	})
	if len(s.skips) > 0 {
		title := "skipped tests:"
		if require {
			title = "skipped tests, failures because QUNZHU_REQUIRE_SERVICES=1:"
		}
		fmt.Fprintln(s.out, title)
		for _, sk := range s.skips {
			fmt.Fprintf(s.out, "  %s %s: %s\n", sk.pkg, sk.test, sk.reason)
		}
	}
	for _, p := range s.pkgFailed {
		if s.failedIn[p] == 0 {
			fmt.Fprintf(s.out, "package %s failed outside its tests (build error or crash)\n", p)
			s.failed++
		}
	}
	if require {
		s.failed += s.skipped
		s.skipped = 0
	}
	fmt.Fprintf(s.out, "%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
	return s.failed == 0
}
