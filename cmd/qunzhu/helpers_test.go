package main

import (
	"regexp"
	"strings"
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

// configCase is one YAML configuration and what validating it must say:
// want "" for a valid one, else a fragment naming the bad setting.
type configCase struct {
	yaml string
	want string
}

// loadChecked loads yaml with no environment and validates it.
func loadChecked(yaml string) (*Config, error) {
	cfg, err := loadConfig("", []byte(yaml), func(string) string { return "" })
	if err == nil {
		err = cfg.validate()
	}
	return cfg, err
}

// checkConfigCases runs a table of configCase, one line of output per miss.
func checkConfigCases(t *testing.T, cases []configCase) {
	t.Helper()
	for _, tt := range cases {
		_, err := loadChecked(tt.yaml)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.yaml, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want one naming %s", tt.yaml, err, tt.want)
		}
	}
}
