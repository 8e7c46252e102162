package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

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
	h := e.h
	if ah, ok := h.(*appliedHandler); ok {
		h = ah.h
	}
	engine, ok := h.(*gin.Engine)
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

// The request and response bodies the document describes are the Go types
// the handlers read and write, field for field both ways: a field added to a
// type but not to the document (or documented but never read) fails here.
// Names are compared as encoding/json matches them, case-insensitively
// (DingTalk's feedCard spells messageURL where its link says messageUrl).
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]schemaNode `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPIYAML(t), &doc); err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]reflect.Type{
		"MessageRequest":       reflect.TypeFor[webhook.MessageRequest](),
		"MessageResponse":      reflect.TypeFor[webhook.MessageResponse](),
		"HotlineTicketRequest": reflect.TypeFor[webhook.HotlineTicketRequest](),
		"HotlineResponse":      reflect.TypeFor[webhook.HotlineResponse](),
		"WeComMessage":         reflect.TypeFor[webhook.WeComMessage](),
		"DingTalkMessage":      reflect.TypeFor[webhook.DingTalkMessage](),
		"AlertmanagerMessage":  reflect.TypeFor[webhook.AlertmanagerMessage](),
		"ReadyResponse":        reflect.TypeFor[webhook.ReadyResponse](),
	} {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("components.schemas.%s is missing", name)
			continue
		}
		compareSchema(t, name, s, typ)
	}
}

// schemaNode is the part of a JSON schema the comparison reads.
type schemaNode struct {
	Properties map[string]schemaNode `yaml:"properties"`
	Items      *schemaNode           `yaml:"items"`
}

func openAPIYAML(t *testing.T) []byte {
	t.Helper()
	e := newEnv(t)
	w := e.do(httptest.NewRequest(http.MethodGet, "/api/v1/openapi.yaml", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.yaml = %d", w.Code)
	}
	return w.Body.Bytes()
}

// compareSchema checks that s lists exactly the JSON fields of typ, and
// recurses into nested objects and arrays of objects.
func compareSchema(t *testing.T, path string, s schemaNode, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
		if s.Items != nil {
			s = *s.Items
		}
	}
	if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() {
		return
	}
	fields := map[string]reflect.StructField{}
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		fields[strings.ToLower(orDefault(name, f.Name))] = f
	}
	documented := map[string]schemaNode{}
	for name, p := range s.Properties {
		documented[strings.ToLower(name)] = p
	}
	for name, f := range fields {
		p, ok := documented[name]
		if !ok {
			t.Errorf("%s: field %s (%s.%s) is not in openapi.yaml", path, name, typ.Name(), f.Name)
			continue
		}
		compareSchema(t, path+"."+name, p, f.Type)
	}
	for name := range documented {
		if _, ok := fields[name]; !ok {
			t.Errorf("%s: openapi.yaml documents %s, which %s does not have", path, name, typ.Name())
		}
	}
}
