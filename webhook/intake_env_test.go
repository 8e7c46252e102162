package webhook_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/ratelimit"
	"github.com/qunzhu/qunzhu/webhook"
)

// Credentials of the intake test sources. The WeCom key is the one in WeCom's
// own documentation (群机器人配置说明); none may appear in a body or a log.
const (
	hotline12345Secret = "hotline-12345-secret-0123456789"
	wecomKey           = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
	dingToken          = "b3b4c9f1d2e8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2"
	dingSecret         = "SEC8d2a9c3f1e7b6a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9"
	promToken          = "prom-bearer-token-0123456789abcdef"
)

// intakeSecrets are every credential of the intake tests.
var intakeSecrets = []string{hotlineSecret, alertsSecret, hotline12345Secret, wecomKey, dingToken, dingSecret, promToken}

// Members the mention tests expect: bound, with the contacts other systems use.
const (
	wangqing = "王清"  // in the cadre group: WeCom userid wangqing, mobile 13800001111
	zhouju   = "周局长" // in the city group: unit 市城管委, DingTalk user123, mobile 15012345678
	wuke     = "吴科长" // in the city group: unit 市城管委, registered but not bound
)

// intakeEnv is env with every kind of source and a limiter.
type intakeEnv struct {
	*env
	limiter qunzhu.Limiter
	deps    webhook.Deps // what e.h was built from
}

type intakeOption func(*webhook.Deps)

// newIntakeEnv builds the server over a fresh store with sources of every
// kind: the message sources of newEnv, a hotline routing 市城管委 to the city
// group and 市水务局 by district, a WeCom robot and a DingTalk robot, and an
// Alertmanager with two routes. The limiter is the in-process one on the
// fake clock, so rate tests are exact.
func newIntakeEnv(t testing.TB, opts ...intakeOption) *intakeEnv {
	t.Helper()
	e := &intakeEnv{env: newEnv(t)}
	e.limiter = ratelimit.NewLocal(e.clock)
	e.addMembers()
	deps := webhook.Deps{
		Store:   e.store,
		Sources: e.sources(),
		Clock:   e.clock,
		Logger:  slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limiter: e.limiter,
	}
	for _, o := range opts {
		o(&deps)
	}
	e.h, e.deps = newApplied(t, deps), deps
	return e
}

func (e *intakeEnv) sources() []webhook.Source {
	cityID := strconv.FormatInt(e.groups[cityGroup].ID, 10)
	return []webhook.Source{
		{Name: "hotline", Secret: hotlineSecret},
		{Name: "alerts", Secret: alertsSecret, Groups: []string{cityGroup}},
		{Name: "hotline-12345", Kind: webhook.KindHotline, Secret: hotline12345Secret, DigestWindow: 30 * time.Second,
			Groups: []string{cityGroup, cadreGroup, "不存在的群", yearGroup + "0"},
			Routes: []webhook.Route{
				{Unit: "市城管委", Groups: []string{cityID}},
				{Unit: "市水务局", District: "黄浦区", Groups: []string{cadreGroup, cityGroup}},
				{Unit: "市水务局", Groups: []string{yearGroup}},
				{Unit: "市住建委", Groups: []string{"不存在的群"}},
				{Unit: "市交通委", Groups: []string{yearGroup + "0"}},
				{District: "浦东新区", Groups: []string{cadreGroup}},
			}},
		{Name: "wecom-ops", Kind: webhook.KindWeCom, Token: wecomKey, Group: cadreGroup, Limit: webhook.DefaultLimit(webhook.KindWeCom)},
		{Name: "ding-ops", Kind: webhook.KindDingTalk, Token: dingToken, Secret: dingSecret, Group: cityGroup, Limit: webhook.DefaultLimit(webhook.KindDingTalk)},
		{Name: "prom", Kind: webhook.KindAlertmanager, Token: promToken, Routes: []webhook.Route{
			{Name: "ops", Groups: []string{cadreGroup}},
			{Name: "city", Groups: []string{cityGroup, yearGroup}},
		}},
	}
}

// addMembers registers the people the mention and notice tests expect.
func (e *intakeEnv) addMembers() {
	err := e.store.Update(context.Background(), func(tx qunzhu.Tx) error {
		for _, m := range []struct {
			group, name, unit string
			bound             bool
			contacts          [][2]string
		}{
			{cadreGroup, wangqing, "区委办", true, [][2]string{{qunzhu.ContactWeCom, "wangqing"}, {qunzhu.ContactMobile, "13800001111"}}},
			{cityGroup, zhouju, "市城管委", true, [][2]string{{qunzhu.ContactDingTalk, "user123"}, {qunzhu.ContactMobile, "15012345678"}}},
			{cityGroup, wuke, "市城管委", false, [][2]string{{qunzhu.ContactMobile, "13912345678"}}},
		} {
			mem := &qunzhu.Member{GroupID: e.groups[m.group].ID, Name: m.name, Unit: m.unit, Bound: m.bound}
			if m.bound {
				mem.Identity = qunzhu.Identity{SessionKey: "@" + m.name, DisplayName: m.name}
			}
			if err := tx.CreateMember(mem); err != nil {
				return err
			}
			for _, c := range m.contacts {
				if err := tx.AddMemberContact(mem.ID, c[0], c[1]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("add members: %v", err)
	}
}

// posted returns the pending outbox rows of a group, due or not, in the
// order the sender would take them.
func (e *intakeEnv) posted(group string) []*qunzhu.OutMessage {
	e.t.Helper()
	all, err := e.store.Due(context.Background(), e.clock.Now().Add(24*time.Hour), 1000)
	if err != nil {
		e.t.Fatalf("Due: %v", err)
	}
	var out []*qunzhu.OutMessage
	for _, m := range all {
		if m.GroupID == e.groups[group].ID {
			out = append(out, m)
		}
	}
	return out
}

// robotPost posts body to a compatible robot's URL with query values.
func (e *intakeEnv) robotPost(path string, q url.Values, contentType, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path+"?"+q.Encode(), strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return e.do(r)
}

// robotAnswer decodes a WeCom or DingTalk style answer.
func robotAnswer(t *testing.T, w *httptest.ResponseRecorder) (int, string) {
	t.Helper()
	var a struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.ErrCode == nil {
		t.Fatalf("answer %q is not {errcode, errmsg}: %v", w.Body.String(), err)
	}
	return *a.ErrCode, a.ErrMsg
}

// signedTo builds a POST to path signed as source with secret at the clock's time.
func (e *intakeEnv) signedTo(path, source, secret string, body []byte) *http.Request {
	ts := e.clock.Now().Unix()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.HeaderSource, source)
	r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	r.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, ts, body))
	return r
}

// tableRows counts the rows of every table in the store, read through a
// separate read-only connection to the file, so a test can say that a refused
// request wrote nothing anywhere — not only in the outbox but in tickets,
// events, digests, tasks and their history, replay keys and contacts.
func (e *env) tableRows() map[string]int {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.path+"?mode=ro")
	if err != nil {
		e.t.Fatalf("open %s: %v", e.path, err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		e.t.Fatalf("list tables: %v", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			e.t.Fatalf("list tables: %v", err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		e.t.Fatalf("list tables: %v", err)
	}
	counts := make(map[string]int, len(names))
	for _, n := range names {
		var c int
		if err := db.QueryRow(`SELECT count(*) FROM "` + n + `"`).Scan(&c); err != nil {
			e.t.Fatalf("count %s: %v", n, err)
		}
		counts[n] = c
	}
	for _, want := range []string{"outbox", "images", "tasks", "task_events", "webhook_replays", "hotline_tickets", "hotline_events", "hotline_digests", "hotline_digest_tickets"} {
		if _, ok := counts[want]; !ok {
			e.t.Fatalf("tableRows does not see table %s: %v", want, counts)
		}
	}
	return counts
}

// assertNothingWritten fails when any table's row count differs from before.
func (e *env) assertNothingWritten(t *testing.T, before map[string]int) {
	t.Helper()
	after := e.tableRows()
	if maps.Equal(before, after) {
		return
	}
	for name, n := range after {
		if before[name] != n {
			t.Errorf("a refused request changed table %s: %d rows before, %d after", name, before[name], n)
		}
	}
}
