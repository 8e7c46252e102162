package webhook_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// testdata/alertmanager_v4.json is a notification in the shape Alertmanager's
// documentation gives for the webhook receiver, version 4
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config):
// version, groupKey, truncatedAlerts, status, receiver, groupLabels,
// commonLabels, commonAnnotations, externalURL and alerts with status,
// labels, annotations, startsAt, endsAt, generatorURL and fingerprint — one
// alert resolved and one firing in the same notification, as Alertmanager
// sends them when send_resolved is on.
func alertmanagerExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/alertmanager_v4.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantAlertText is the example as the group reads it: firing first, times in
// Asia/Shanghai.
const wantAlertText = `【告警】1 条告警触发，1 条已恢复（qunzhu）

1. [触发] 告警名称：InstanceDown
级别：严重（critical）
摘要：政务外网节点 10.12.0.9 宕机超过 5 分钟
实例：10.12.0.9:9100
开始时间：2025-06-01 08:55:02

2. [已恢复] 告警名称：InstanceDown
级别：严重（critical）
摘要：政务外网节点 10.12.0.7 宕机超过 5 分钟
实例：10.12.0.7:9100
开始时间：2025-06-01 08:31:15
恢复时间：2025-06-01 08:52:45

详情：http://alertmanager.example.gov.cn:9093`

func TestAlertmanager(t *testing.T) {
	example := alertmanagerExample(t)
	tests := []struct {
		name, route, auth, contentType, body string
		status                               int
		code                                 string
		groups                               []string // where it is posted
	}{
		{name: "documented example", route: "ops", body: example, status: 202, groups: []string{cadreGroup}},
		{name: "route with two groups", route: "city", body: example, status: 202, groups: []string{cityGroup, yearGroup}},
		{name: "bearer in lower case", route: "ops", auth: "bearer " + promToken, body: example, status: 202, groups: []string{cadreGroup}},

		{name: "no authorization", route: "ops", auth: "-", body: example, status: 401, code: "bad_token"},
		{name: "wrong token", route: "ops", auth: "Bearer " + strings.Repeat("x", 32), body: example, status: 401, code: "bad_token"},
		{name: "basic auth", route: "ops", auth: "Basic cHJvbTpwcm9t", body: example, status: 401, code: "bad_token"},
		{name: "wecom key as token", route: "ops", auth: "Bearer " + wecomKey, body: example, status: 401, code: "bad_token"},
		{name: "unknown route", route: "finance", body: example, status: 404, code: "unknown_route"},
		{name: "bad json", route: "ops", body: `{"version":"4","alerts":[`, status: 400, code: "bad_json"},
		{name: "version 3", route: "ops", body: strings.Replace(example, `"version": "4"`, `"version": "3"`, 1), status: 400, code: "invalid_field"},
		{name: "no version", route: "ops", body: `{"alerts":[{"status":"firing"}]}`, status: 400, code: "missing_field"},
		{name: "no alerts", route: "ops", body: `{"version":"4","status":"firing","alerts":[]}`, status: 400, code: "missing_field"},
		{name: "alert status unknown", route: "ops", body: `{"version":"4","alerts":[{"status":"pending"}]}`, status: 400, code: "invalid_field"},
		{name: "startsAt not a time", route: "ops", body: `{"version":"4","alerts":[{"status":"firing","startsAt":"昨天"}]}`, status: 400, code: "bad_json"},
		{name: "text/plain", route: "ops", contentType: "text/plain", body: example, status: 415, code: "unsupported_media_type"},
		{name: "over 1 MiB", route: "ops", body: example + strings.Repeat(" ", webhook.MaxBodyBytes), status: 413, code: "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			r := httptest.NewRequest(http.MethodPost, "/api/v1/alertmanager/"+tt.route, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", orDefault(tt.contentType, "application/json"))
			switch tt.auth {
			case "":
				r.Header.Set("Authorization", "Bearer "+promToken)
			case "-":
			default:
				r.Header.Set("Authorization", tt.auth)
			}
			before := e.tableRows()
			w := e.do(r)
			if got, want := w.Code, tt.status; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, w.Body.String())
			}
			assertNoSecrets(t, "response", w.Body.String(), intakeSecrets)
			assertNoSecrets(t, "logs", e.logs.String(), intakeSecrets)
			if tt.code != "" {
				var eb errorBody
				decode(t, w, &eb)
				if eb.Error.Code != tt.code || eb.Error.Message == "" {
					t.Errorf("error = %+v, want code %s with a message", eb.Error, tt.code)
				}
				if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				e.assertNothingWritten(t, before)
				return
			}
			var resp webhook.AlertmanagerResponse
			decode(t, w, &resp)
			if resp.Status != "queued" || resp.ID == 0 {
				t.Errorf("response = %+v", resp)
			}
			if got, want := e.outboxRows(), len(tt.groups); got != want {
				t.Errorf("rows = %d, want %d", got, want)
			}
			for _, g := range tt.groups {
				posted := e.posted(g)
				if len(posted) != 1 {
					t.Fatalf("group %s got %d messages, want 1", g, len(posted))
				}
				if got := posted[0].Text; got != wantAlertText {
					t.Errorf("text in %s\n got:\n%s\nwant:\n%s", g, got, wantAlertText)
				}
				if posted[0].Kind != qunzhu.KindAlert {
					t.Errorf("kind = %s, want alert", posted[0].Kind)
				}
			}
		})
	}
}

// A storm is one message: the first alerts in full, the rest counted, and
// what Alertmanager itself truncated said too.
func TestAlertmanagerStorm(t *testing.T) {
	e := newIntakeEnv(t)
	var b strings.Builder
	b.WriteString(`{"version":"4","status":"firing","receiver":"qunzhu","truncatedAlerts":7,"alerts":[`)
	for i := range 30 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"status":"firing","labels":{"alertname":"DiskFull","severity":"warning","instance":"10.0.0.` +
			string(rune('0'+i%10)) + `:9100"},"annotations":{"summary":"磁盘使用率超过 90%"},"startsAt":"2025-06-01T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}`)
	}
	b.WriteString(`]}`)
	r := httptest.NewRequest(http.MethodPost, "/api/v1/alertmanager/ops", strings.NewReader(b.String()))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+promToken)
	if w := e.do(r); w.Code != http.StatusAccepted {
		t.Fatalf("status %d %s", w.Code, w.Body.String())
	}
	posted := e.posted(cadreGroup)
	if len(posted) != 1 {
		t.Fatalf("%d messages, want 1", len(posted))
	}
	text := posted[0].Text
	for _, want := range []string{"【告警】30 条告警触发", "级别：警告（warning）", "开始时间：2025-06-01 09:00:00", "……另有 10 条告警未列出", "另有 7 条告警因 max_alerts 被 Alertmanager 截断"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "告警名称") != 20 {
		t.Errorf("listed %d alerts, want 20", strings.Count(text, "告警名称"))
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// A route naming a group nobody registered is refused as a whole: the
// notification is not posted to the route's other groups either.
func TestAlertmanagerRouteGroupMissing(t *testing.T) {
	e := newIntakeEnv(t, func(d *webhook.Deps) {
		for i := range d.Sources {
			if d.Sources[i].Kind == webhook.KindAlertmanager {
				d.Sources[i].Routes = []webhook.Route{{Name: "ops", Groups: []string{cadreGroup, "已解散的群"}}}
			}
		}
	})
	r := httptest.NewRequest(http.MethodPost, "/api/v1/alertmanager/ops", strings.NewReader(alertmanagerExample(t)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+promToken)
	before := e.tableRows()
	w := e.do(r)
	var eb errorBody
	decode(t, w, &eb)
	if w.Code != http.StatusNotFound || eb.Error.Code != "unknown_group" {
		t.Errorf("answer = %d %+v, want 404 unknown_group", w.Code, eb.Error)
	}
	e.assertNothingWritten(t, before)
}

// A notification of any size is one message WeChat shows whole: the first
// alerts that fit MaxTextRunes, then how many more there are; the values
// are masked before they are cut, so no number is shown in part (a
// 100,061-character message was once queued and sent).
func TestAlertmanagerHugeNotificationIsShortened(t *testing.T) {
	e := newIntakeEnv(t)
	long := strings.Repeat("磁盘写满，", 500) + "值班人电话13912345678"
	var b strings.Builder
	b.WriteString(`{"version":"4","status":"firing","receiver":"qunzhu","externalURL":"http://am.example:9093","alerts":[`)
	for i := range 60 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"status":"firing","labels":{"alertname":"DiskFull%d","instance":%q},"annotations":{"summary":%q},"startsAt":"2025-06-01T01:00:00Z"}`,
			i, strings.Repeat("h", 5000), long)
	}
	b.WriteString(`]}`)
	if b.Len() < 100_000 {
		t.Fatalf("notification is only %d bytes", b.Len())
	}
	r := httptest.NewRequest(http.MethodPost, "/api/v1/alertmanager/ops", strings.NewReader(b.String()))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+promToken)
	if w := e.do(r); w.Code != http.StatusAccepted {
		t.Fatalf("status %d %s", w.Code, w.Body.String())
	}
	posted := e.posted(cadreGroup)
	if len(posted) != 1 {
		t.Fatalf("%d messages, want 1", len(posted))
	}
	text := posted[0].Text
	if n := utf8.RuneCountInString(text); n > webhook.MaxTextRunes {
		t.Errorf("message is %d characters, limit %d", n, webhook.MaxTextRunes)
	}
	listed := strings.Count(text, "告警名称")
	if listed == 0 || !strings.Contains(text, fmt.Sprintf("……另有 %d 条告警未列出", 60-listed)) {
		t.Errorf("listed %d alerts without counting the rest:\n%s", listed, text)
	}
	if !strings.HasSuffix(text, "详情：http://am.example:9093") {
		t.Errorf("the link to Alertmanager is lost:\n…%s", text[max(0, len(text)-200):])
	}
	if strings.Contains(text, "139123") {
		t.Errorf("a citizen's number is shown:\n%s", text)
	}
}
