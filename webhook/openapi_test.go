package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// openAPIDoc is the part of the document the route check reads.
type openAPIDoc struct {
	OpenAPI string                    `yaml:"openapi"`
	Paths   map[string]map[string]any `yaml:"paths"`
}

// The served document describes exactly the routes gin has: every registered
// route is documented and every documented operation is registered. The
// server is built with every optional part on (demo clock, login page), so
// optional routes are checked too.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newIntakeEnv(t, func(d *webhook.Deps) {
		d.DemoClock = &qunzhu.OffsetClock{}
		d.Login = &webhook.LoginPage{QRCode: func() (string, bool) { return "", false }}
	})
	w := e.do(httptest.NewRequest(http.MethodGet, "/api/v1/openapi.yaml", nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/yaml") {
		t.Fatalf("GET /api/v1/openapi.yaml = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	var doc openAPIDoc
	if err := yaml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the document is not YAML: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}

	methods := []string{"get", "head", "post", "put", "patch", "delete", "options"}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for m := range item {
			if slices.Contains(methods, m) {
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	engine, ok := e.h.(*gin.Engine)
	if !ok {
		t.Fatalf("NewServer returned %T, want the gin engine", e.h)
	}
	param := regexp.MustCompile(`:(\w+)`)
	registered := map[string]bool{}
	for _, r := range engine.Routes() {
		registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	for op := range registered {
		if !documented[op] {
			t.Errorf("route %s is not in openapi.yaml", op)
		}
	}
	for op := range documented {
		if !registered[op] {
			t.Errorf("openapi.yaml documents %s, which is not a route", op)
		}
	}
	if len(registered) < 14 {
		t.Errorf("only %d routes registered: %v", len(registered), registered)
	}
}
