package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoFile reads a file at the repository root.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The packaging promises of the README: local configuration, secrets, state
// and the repository's history stay out of git and out of the image, and
// the image and compose probe the service with `qunzhu healthcheck`.
func TestPackaging(t *testing.T) {
	lines := func(s string) map[string]bool {
		out := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			out[strings.TrimSpace(l)] = true
		}
		return out
	}
	git, docker := lines(repoFile(t, ".gitignore")), lines(repoFile(t, ".dockerignore"))
	for _, p := range []string{"/config.yaml", "/secrets/", "/data/", "*.db"} {
		if !git[p] {
			t.Errorf(".gitignore lacks %s", p)
		}
		if !docker[p] {
			t.Errorf(".dockerignore lacks %s", p)
		}
	}
	if !docker[".git"] {
		t.Error(".dockerignore lacks .git")
	}
	if df := repoFile(t, "Dockerfile"); !strings.Contains(df, `HEALTHCHECK`) || !strings.Contains(df, `"healthcheck"]`) {
		t.Error("Dockerfile has no HEALTHCHECK running qunzhu healthcheck")
	}
	compose := repoFile(t, "docker-compose.yml")
	for _, want := range []string{`"healthcheck"]`, "condition: service_healthy", `"redis-cli", "ping"`} {
		if !strings.Contains(compose, want) {
			t.Errorf("docker-compose.yml lacks %s", want)
		}
	}
}

// The README points only at files that exist in the repository (it once
// cited a DESIGN.md that was not there). config.yaml is the one file it
// names that the user creates.
func TestReadmeNamesExistingFiles(t *testing.T) {
	readme := repoFile(t, "README.md")
	re := regexp.MustCompile(`[A-Za-z0-9_./-]*[A-Za-z0-9_]\.(?:md|ya?ml|sh|go|lua|cjs|json)\b`)
	for _, name := range re.FindAllString(readme, -1) {
		name = strings.TrimPrefix(name, "./")
		// config.yaml and prometheus.yml are the operator's own files.
		if strings.Contains(name, "//") || name == "config.yaml" || name == "prometheus.yml" || strings.HasPrefix(name, "/") {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", "..", name)); err == nil {
			continue
		}
		// A bare name may be a file in a package folder (routes.go,
		// cmd/qunzhu's features.go).
		m1, _ := filepath.Glob(filepath.Join("..", "..", "*", name))
		m2, _ := filepath.Glob(filepath.Join("..", "..", "*", "*", name))
		if len(m1)+len(m2) == 0 {
			t.Errorf("README names %s, which is not in the repository", name)
		}
	}
}
