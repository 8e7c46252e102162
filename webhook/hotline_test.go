package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

const ticketsPath = "/api/v1/hotline/tickets"

// ticket is a realistic overdue ticket of 市城管委 with a citizen's numbers in it.
func ticket(id string, edit ...func(*webhook.HotlineTicketRequest)) webhook.HotlineTicketRequest {
	r := webhook.HotlineTicketRequest{
		Event:          "overdue",
		TicketID:       id,
		Title:          "黄浦区某路段夜间施工噪音扰民",
		Content:        "市民王女士（身份证110101199003071234）来电反映：某工地连续一周夜间施工至凌晨，请尽快处理。回电13800138000。",
		Unit:           "市城管委",
		District:       "黄浦区",
		Category:       "市容环境",
		CitizenPhone:   "13800138000",
		ReceivedAt:     "2025-05-29T10:12:00+08:00",
		Deadline:       "2025-05-31T07:00:00+08:00",
		OverdueMinutes: 1560,
		URL:            "https://12345.example.gov.cn/ticket/" + id,
		OccurredAt:     "2025-06-01T09:00:00+08:00",
	}
	for _, f := range edit {
		if f != nil {
			f(&r)
		}
	}
	return r
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postTicket signs and posts a ticket event as the hotline source.
func (e *intakeEnv) postTicket(t *testing.T, r webhook.HotlineTicketRequest) (int, webhook.HotlineResponse) {
	t.Helper()
	w := e.do(e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, jsonBody(t, r)))
	var resp webhook.HotlineResponse
	if w.Code < 300 {
		decode(t, w, &resp)
	} else {
		t.Logf("answer %d %s", w.Code, w.Body.String())
	}
	assertNoSecrets(t, "response", w.Body.String(), intakeSecrets)
	return w.Code, resp
}

func (e *intakeEnv) task(t *testing.T, id int64) (*qunzhu.Task, []*qunzhu.TaskEvent) {
	t.Helper()
	var task *qunzhu.Task
	var events []*qunzhu.TaskEvent
	err := e.store.View(context.Background(), func(tx qunzhu.Tx) (err error) {
		if task, err = tx.TaskByID(id); err != nil {
			return err
		}
		events, err = tx.TaskEvents(id)
		return err
	})
	if err != nil {
		t.Fatalf("task %d: %v", id, err)
	}
	return task, events
}

func TestHotlineBadRequests(t *testing.T) {
	with := func(f func(*webhook.HotlineTicketRequest)) string {
		b, _ := json.Marshal(ticket("2025060100123", f))
		return string(b)
	}
	good := with(nil)
	tests := []struct {
		name, source, secret, contentType, body string
		tsOffset                                time.Duration
		status                                  int
		code                                    string
	}{
		{name: "text/plain", contentType: "text/plain", body: good, status: 415, code: "unsupported_media_type"},
		{name: "over 1 MiB", body: good + strings.Repeat(" ", webhook.MaxBodyBytes), status: 413, code: "body_too_large"},
		{name: "unknown source", source: "12345", body: good, status: 401, code: "unknown_source"},
		{name: "wrong secret", secret: wrongSecret, body: good, status: 401, code: "bad_signature"},
		{name: "stale timestamp", tsOffset: -6 * time.Minute, body: good, status: 401, code: "stale_timestamp"},
		{name: "a message source", source: "hotline", secret: hotlineSecret, body: good, status: 403, code: "wrong_endpoint"},
		{name: "a wecom source by name", source: "wecom-ops", secret: wecomKey, body: good, status: 401, code: "unknown_source"},
		{name: "bad json", body: `{"event":"overdue",`, status: 400, code: "bad_json"},
		{name: "overdue_minutes a string", body: strings.Replace(good, `"overdue_minutes":1560`, `"overdue_minutes":"26小时"`, 1), status: 400, code: "bad_json"},
		{name: "no event", body: with(func(r *webhook.HotlineTicketRequest) { r.Event = "" }), status: 400, code: "missing_field"},
		{name: "unknown event", body: with(func(r *webhook.HotlineTicketRequest) { r.Event = "reopened" }), status: 400, code: "invalid_field"},
		{name: "no ticket id", body: with(func(r *webhook.HotlineTicketRequest) { r.TicketID = " " }), status: 400, code: "missing_field"},
		{name: "ticket id too long", body: with(func(r *webhook.HotlineTicketRequest) { r.TicketID = strings.Repeat("9", 65) }), status: 400, code: "invalid_field"},
		{name: "overdue without unit", body: with(func(r *webhook.HotlineTicketRequest) { r.Unit = "" }), status: 400, code: "missing_field"},
		{name: "overdue without deadline", body: with(func(r *webhook.HotlineTicketRequest) { r.Deadline = "" }), status: 400, code: "missing_field"},
		{name: "overdue without title or content", body: with(func(r *webhook.HotlineTicketRequest) { r.Title, r.Content = "", "" }), status: 400, code: "missing_field"},
		{name: "deadline not RFC 3339", body: with(func(r *webhook.HotlineTicketRequest) { r.Deadline = "2025-05-31 07:00" }), status: 400, code: "invalid_field"},
		{name: "occurred_at not a time", body: with(func(r *webhook.HotlineTicketRequest) { r.OccurredAt = "昨天" }), status: 400, code: "invalid_field"},
		{name: "negative overdue", body: with(func(r *webhook.HotlineTicketRequest) { r.OverdueMinutes = -5 }), status: 400, code: "invalid_field"},
		{name: "unknown unit", body: with(func(r *webhook.HotlineTicketRequest) { r.Unit = "市卫健委" }), status: 404, code: "unknown_unit"},
		{name: "routed to an unregistered group", body: with(func(r *webhook.HotlineTicketRequest) { r.Unit = "市住建委" }), status: 404, code: "unknown_group"},
		{name: "routed to a group not allowed", body: with(func(r *webhook.HotlineTicketRequest) { r.Unit, r.District = "市水务局", "静安区" }), status: 403, code: "group_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			source, secret := orDefault(tt.source, "hotline-12345"), orDefault(tt.secret, hotline12345Secret)
			r := e.signedTo(ticketsPath, source, secret, []byte(tt.body))
			if tt.tsOffset != 0 {
				e.clock.Advance(-tt.tsOffset)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			before := e.tableRows()
			w := e.do(r)
			if got, want := w.Code, tt.status; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, w.Body.String())
			}
			var eb errorBody
			decode(t, w, &eb)
			if eb.Error.Code != tt.code || eb.Error.Message == "" {
				t.Errorf("error = %+v, want code %s with a message", eb.Error, tt.code)
			}
			e.assertNothingWritten(t, before)
			err := e.store.View(context.Background(), func(tx qunzhu.Tx) error {
				if _, err := tx.TicketByNumber("hotline-12345", "2025060100123"); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
					t.Errorf("a refused request stored the ticket (err %v)", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			secrets := append([]string{strings.TrimPrefix(r.Header.Get(webhook.HeaderSignature), "sha256=")}, intakeSecrets...)
			assertNoSecrets(t, "response", w.Body.String(), secrets)
			assertNoSecrets(t, "logs", e.logs.String(), secrets)
			if strings.Contains(e.logs.String(), "13800138000") {
				t.Errorf("logs hold the citizen's number")
			}
		})
	}
}

// A refused event for a ticket we already keep changes nothing either: the
// event row, the ticket and the task it would open are rolled back with the
// refusal, and the same request refused again is still refused, not taken
// for a duplicate.
func TestHotlineRefusedEventOfKnownTicketWritesNothing(t *testing.T) {
	e := newIntakeEnv(t)
	if status, resp := e.postTicket(t, webhook.HotlineTicketRequest{Event: "updated", TicketID: "K-1", Content: "已受理，转市卫健委"}); status != http.StatusAccepted || resp.Status != "recorded" {
		t.Fatalf("updated = %d %+v", status, resp)
	}
	for _, tt := range []struct {
		unit   string
		status int
		code   string
	}{
		{"市卫健委", http.StatusNotFound, "unknown_unit"},       // no route
		{"市住建委", http.StatusNotFound, "unknown_group"},      // routed to a group nobody registered
		{"市水务局", http.StatusForbidden, "group_not_allowed"}, // outside 黄浦区: a group the source may not post to
	} {
		body := jsonBody(t, ticket("K-1", func(r *webhook.HotlineTicketRequest) { r.Unit, r.District = tt.unit, "静安区" }))
		before := e.tableRows()
		for range 2 {
			w := e.do(e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, body))
			var eb errorBody
			decode(t, w, &eb)
			if w.Code != tt.status || eb.Error.Code != tt.code {
				t.Errorf("%s: %d %+v, want %d %s", tt.unit, w.Code, eb.Error, tt.status, tt.code)
			}
		}
		e.assertNothingWritten(t, before)
	}
}

// An overdue ticket opens a 督办 task and is announced in its unit's group,
// naming the unit and mentioning its people, with the citizen's numbers
// masked; the ticket itself is kept whole. The same event again, or the same
// request replayed, is a duplicate that posts nothing.
func TestHotlineOverdue(t *testing.T) {
	e := newIntakeEnv(t)
	req := ticket("2025060100123")
	status, resp := e.postTicket(t, req)
	if status != http.StatusAccepted || resp.Status != "queued" || resp.TaskID == 0 {
		t.Fatalf("overdue = %d %+v, want 202 queued with a task", status, resp)
	}
	posted := e.posted(cityGroup)
	if len(posted) != 1 {
		t.Fatalf("posted %d, want 1", len(posted))
	}
	m := posted[0]
	want := fmt.Sprintf(`【12345热线·超期工单】
责任单位：市城管委
工单编号：2025060100123（督办#%d）
诉求标题：黄浦区某路段夜间施工噪音扰民
诉求内容：市民王女士（身份证110***********1234）来电反映：某工地连续一周夜间施工至凌晨，请尽快处理。回电138****8000。
区域：黄浦区　类别：市容环境
市民电话：138****8000
办理时限：5月31日 07:00，已超期 1 天 2 小时
工单详情：https://12345.example.gov.cn/ticket/2025060100123
@周局长`+"\u2005"+`@吴科长`+"\u2005"+`请尽快办理，并在群里反馈进展。`, resp.TaskID)
	if m.Text != want {
		t.Errorf("notice\n got:\n%s\nwant:\n%s", m.Text, want)
	}
	if !m.NotBefore.Equal(e.clock.Now().Add(30*time.Second).Truncate(time.Millisecond)) || !m.Urgent || m.Kind != qunzhu.KindAlert {
		t.Errorf("notice not_before %v urgent %v kind %s; want the end of the digest window, urgent, alert", m.NotBefore, m.Urgent, m.Kind)
	}

	task, events := e.task(t, resp.TaskID)
	if task.Source != qunzhu.TaskSourceHotline || task.ExternalID != "2025060100123" || task.Unit != "市城管委" ||
		task.GroupID != e.groups[cityGroup].ID || !task.Deadline.Equal(time.Date(2025, 5, 30, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("task = %+v", task)
	}
	if strings.Contains(task.Title, "13800138000") || !strings.Contains(task.Title, "2025060100123") {
		t.Errorf("task title %q", task.Title)
	}
	if len(events) != 1 || events[0].ActorName != "12345热线" {
		t.Errorf("task events = %+v", events)
	}
	err := e.store.View(context.Background(), func(tx qunzhu.Tx) error {
		tk, err := tx.TicketByNumber("hotline-12345", "2025060100123")
		if err != nil {
			return err
		}
		if tk.CitizenPhone != "13800138000" || !strings.Contains(tk.Content, "110101199003071234") || tk.TaskID != resp.TaskID {
			t.Errorf("stored ticket = %+v, want it whole", tk)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The hotline sends it again a minute later (new signature): duplicate.
	e.clock.Advance(time.Minute)
	status, again := e.postTicket(t, ticket("2025060100123", func(r *webhook.HotlineTicketRequest) { r.OverdueMinutes = 1561 }))
	if status != http.StatusOK || again.Status != "duplicate" || again.TaskID != resp.TaskID {
		t.Errorf("again = %d %+v, want 200 duplicate of task %d", status, again, resp.TaskID)
	}
	if got := e.outboxRows(); got != 1 {
		t.Errorf("outbox rows = %d, want 1", got)
	}
}

// A captured signed request replayed inside the window posts nothing.
func TestHotlineReplay(t *testing.T) {
	e := newIntakeEnv(t)
	body := jsonBody(t, ticket("2025060100200"))
	r1 := e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, body)
	r2 := e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, body) // same second: same signature
	if r1.Header.Get(webhook.HeaderSignature) != r2.Header.Get(webhook.HeaderSignature) {
		t.Fatal("test setup: signatures differ")
	}
	if w := e.do(r1); w.Code != http.StatusAccepted {
		t.Fatalf("first: %d %s", w.Code, w.Body.String())
	}
	e.clock.Advance(4 * time.Minute)
	w := e.do(r2)
	var resp webhook.HotlineResponse
	decode(t, w, &resp)
	if w.Code != http.StatusOK || resp.Status != "duplicate" {
		t.Errorf("replay = %d %+v, want 200 duplicate", w.Code, resp)
	}
	if got := e.outboxRows(); got != 1 {
		t.Errorf("outbox rows = %d, want 1", got)
	}
}

// Several overdue tickets of one unit inside the digest window are one
// message; the list names each with its task, and long lists are cut.
func TestHotlineDigest(t *testing.T) {
	e := newIntakeEnv(t)
	var tasks []int64
	for i := range 12 {
		status, resp := e.postTicket(t, ticket(fmt.Sprintf("20250601%05d", i+1), func(r *webhook.HotlineTicketRequest) {
			r.Title = fmt.Sprintf("第%d号路灯不亮", i+1)
		}))
		if status != http.StatusAccepted || resp.Status != "queued" {
			t.Fatalf("ticket %d: %d %+v", i, status, resp)
		}
		tasks = append(tasks, resp.TaskID)
		e.clock.Advance(2 * time.Second)
	}
	// Another unit's ticket is its own message.
	if status, _ := e.postTicket(t, ticket("2025060199999", func(r *webhook.HotlineTicketRequest) { r.Unit, r.District = "市卫健委", "浦东新区" })); status != http.StatusAccepted {
		t.Fatalf("other unit: %d", status)
	}

	posted := e.posted(cityGroup)
	if len(posted) != 1 {
		t.Fatalf("city group got %d messages, want 1 digest", len(posted))
	}
	text := posted[0].Text
	for _, want := range []string{
		"【12345热线·超期工单汇总】市城管委 共 12 件",
		fmt.Sprintf("1. 2025060100001 第1号路灯不亮（黄浦区，超期 1 天 2 小时，督办#%d）", tasks[0]),
		fmt.Sprintf("10. 2025060100010 第10号路灯不亮（黄浦区，超期 1 天 2 小时，督办#%d）", tasks[9]),
		"……另有 2 件未列出",
		"@周局长\u2005@吴科长\u2005请尽快办理",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "13800138000") {
		t.Errorf("digest shows a citizen's number:\n%s", text)
	}
	// The digest is due 30 s after its first ticket, not after its last.
	if due := posted[0].NotBefore; !due.Equal(testStart.Add(30 * time.Second).UTC()) {
		t.Errorf("digest due %v, want %v", due, testStart.Add(30*time.Second))
	}
	if got := len(e.posted(cadreGroup)); got != 1 {
		t.Errorf("cadre group got %d messages, want 1 (the 浦东新区 ticket)", got)
	}

	// After the window a new ticket starts a new message.
	e.clock.Advance(time.Minute)
	e.postTicket(t, ticket("2025060100013"))
	if got := len(e.posted(cityGroup)); got != 2 {
		t.Errorf("after the window: %d messages, want 2", got)
	}
}

// updated appends progress to the task and posts nothing; closed closes the
// task and posts a short closing line once.
func TestHotlineUpdatedAndClosed(t *testing.T) {
	e := newIntakeEnv(t)
	_, opened := e.postTicket(t, ticket("2025060100300"))
	e.clock.Advance(time.Minute) // the notice has gone out

	upd := webhook.HotlineTicketRequest{Event: "updated", TicketID: "2025060100300", Content: "已联系施工单位，夜间停工，回访市民13800138000。", OccurredAt: "2025-06-01T10:00:00+08:00"}
	status, resp := e.postTicket(t, upd)
	if status != http.StatusAccepted || resp.Status != "recorded" || resp.TaskID != opened.TaskID {
		t.Fatalf("updated = %d %+v", status, resp)
	}
	if status, resp := e.postTicket(t, upd); status != http.StatusOK || resp.Status != "duplicate" {
		t.Errorf("same update again = %d %+v, want duplicate", status, resp)
	}
	upd2 := upd
	upd2.Content, upd2.OccurredAt = "施工单位已整改，现场复查无噪音。", "2025-06-01T15:00:00+08:00"
	if status, resp := e.postTicket(t, upd2); status != http.StatusAccepted || resp.Status != "recorded" {
		t.Errorf("second update = %d %+v", status, resp)
	}
	task, events := e.task(t, opened.TaskID)
	var progress []string
	for _, ev := range events {
		if ev.Kind == qunzhu.TaskProgress {
			progress = append(progress, ev.Text)
		}
	}
	wantProgress := []string{"已联系施工单位，夜间停工，回访市民138****8000。", "施工单位已整改，现场复查无噪音。"}
	if strings.Join(progress, "|") != strings.Join(wantProgress, "|") {
		t.Errorf("progress = %q, want %q", progress, wantProgress)
	}
	if task.Status != qunzhu.TaskOpen {
		t.Errorf("status after updates = %s, want open", task.Status)
	}
	if got := e.outboxRows(); got != 1 {
		t.Errorf("updates posted: outbox rows = %d, want 1", got)
	}

	closed := webhook.HotlineTicketRequest{Event: "closed", TicketID: "2025060100300", OccurredAt: "2025-06-01T16:00:00+08:00"}
	status, resp = e.postTicket(t, closed)
	if status != http.StatusAccepted || resp.Status != "queued" {
		t.Fatalf("closed = %d %+v", status, resp)
	}
	if task, _ := e.task(t, opened.TaskID); task.Status != qunzhu.TaskClosed {
		t.Errorf("task status = %s, want closed", task.Status)
	}
	posted := e.posted(cityGroup)
	if len(posted) != 2 {
		t.Fatalf("city group has %d messages, want notice + closing line", len(posted))
	}
	if got, want := posted[1].Text, fmt.Sprintf("【12345热线】工单 2025060100300（市城管委）已办结，督办#%d 已销号。", opened.TaskID); got != want {
		t.Errorf("closing line = %q, want %q", got, want)
	}
	if status, resp := e.postTicket(t, closed); status != http.StatusOK || resp.Status != "duplicate" {
		t.Errorf("closed again = %d %+v, want duplicate", status, resp)
	}
	if got := e.outboxRows(); got != 2 {
		t.Errorf("outbox rows = %d, want 2", got)
	}
	// An update after closing is kept but does not reopen the task.
	upd3 := upd
	upd3.Content = "市民再次来电致谢。"
	if status, resp := e.postTicket(t, upd3); status != http.StatusAccepted || resp.Status != "recorded" {
		t.Errorf("update after close = %d %+v", status, resp)
	}
}

// A ticket closed while it still waits in a digest was never announced: it
// leaves the digest (withdrawn when it was alone), and no closing line is
// posted for it.
func TestHotlineClosedBeforeAnnounced(t *testing.T) {
	e := newIntakeEnv(t)
	_, a := e.postTicket(t, ticket("A-1"))
	_, b := e.postTicket(t, ticket("A-2", func(r *webhook.HotlineTicketRequest) { r.Title = "井盖缺失" }))
	if got := e.posted(cityGroup); len(got) != 1 || !strings.Contains(got[0].Text, "共 2 件") {
		t.Fatalf("digest = %v", got)
	}
	status, resp := e.postTicket(t, webhook.HotlineTicketRequest{Event: "closed", TicketID: "A-1"})
	if status != http.StatusAccepted || resp.Status != "recorded" {
		t.Errorf("closed = %d %+v, want recorded (nothing to post)", status, resp)
	}
	posted := e.posted(cityGroup)
	if len(posted) != 1 || !strings.Contains(posted[0].Text, "【12345热线·超期工单】") || !strings.Contains(posted[0].Text, "井盖缺失") || strings.Contains(posted[0].Text, "A-1") {
		t.Fatalf("digest after closing A-1 = %+v, want the single notice of A-2", posted)
	}
	e.postTicket(t, webhook.HotlineTicketRequest{Event: "closed", TicketID: "A-2"})
	if got := e.posted(cityGroup); len(got) != 0 {
		t.Errorf("after closing both: %d messages pending, want the digest withdrawn", len(got))
	}
	for _, id := range []int64{a.TaskID, b.TaskID} {
		if task, _ := e.task(t, id); task.Status != qunzhu.TaskClosed {
			t.Errorf("task %d status %s, want closed", id, task.Status)
		}
	}
}

// A ticket that is closed, or updated, without ever being overdue is kept and
// answered, and posts nothing.
func TestHotlineEventsWithoutOverdue(t *testing.T) {
	e := newIntakeEnv(t)
	for _, r := range []webhook.HotlineTicketRequest{
		{Event: "updated", TicketID: "B-1", Content: "已受理"},
		{Event: "closed", TicketID: "B-1"},
		{Event: "closed", TicketID: "B-2", Unit: "市卫健委"}, // a unit with no route: nothing to post anyway
	} {
		status, resp := e.postTicket(t, r)
		if status != http.StatusAccepted || resp.Status != "recorded" || resp.TaskID != 0 {
			t.Errorf("%s %s = %d %+v, want 202 recorded", r.Event, r.TicketID, status, resp)
		}
	}
	// Overdue after closed: the ticket is done, nothing is opened.
	status, resp := e.postTicket(t, ticket("B-1"))
	if status != http.StatusAccepted || resp.Status != "recorded" || resp.TaskID != 0 {
		t.Errorf("overdue after closed = %d %+v, want recorded", status, resp)
	}
	if e.outboxRows() != 0 {
		t.Errorf("posted %d messages, want none", e.outboxRows())
	}
	err := e.store.View(context.Background(), func(tx qunzhu.Tx) error {
		tk, err := tx.TicketByNumber("hotline-12345", "B-1")
		if err == nil && tk.Status != qunzhu.TicketClosed {
			t.Errorf("ticket status after a late overdue = %s, want closed", tk.Status)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A unit and district routed to two groups is announced in both; its task
// belongs to the first.
func TestHotlineRoutedToTwoGroups(t *testing.T) {
	e := newIntakeEnv(t)
	_, resp := e.postTicket(t, ticket("C-1", func(r *webhook.HotlineTicketRequest) { r.Unit = "市水务局" }))
	for _, g := range []string{cadreGroup, cityGroup} {
		posted := e.posted(g)
		if len(posted) != 1 || !strings.Contains(posted[0].Text, "责任单位：市水务局") {
			t.Errorf("%s: %d messages", g, len(posted))
		}
	}
	if task, _ := e.task(t, resp.TaskID); task.GroupID != e.groups[cadreGroup].ID {
		t.Errorf("task group = %d, want the cadre group %d", task.GroupID, e.groups[cadreGroup].ID)
	}
	// Closed after the notices went out: a closing line in both.
	e.clock.Advance(time.Minute)
	e.postTicket(t, webhook.HotlineTicketRequest{Event: "closed", TicketID: "C-1"})
	for _, g := range []string{cadreGroup, cityGroup} {
		if posted := e.posted(g); len(posted) != 2 || !strings.Contains(posted[1].Text, "已办结") {
			t.Errorf("%s: %d messages, want notice and closing line", g, len(posted))
		}
	}
}

// A source without a digest window posts each notice at once.
func TestHotlineNoDigestWindow(t *testing.T) {
	e := newIntakeEnv(t, func(d *webhook.Deps) {
		for i := range d.Sources {
			if d.Sources[i].Kind == webhook.KindHotline {
				d.Sources[i].DigestWindow = 0
			}
		}
	})
	e.postTicket(t, ticket("D-1"))
	e.postTicket(t, ticket("D-2"))
	posted := e.posted(cityGroup)
	if len(posted) != 2 {
		t.Fatalf("%d messages, want 2", len(posted))
	}
	for _, m := range posted {
		if m.NotBefore.After(e.clock.Now()) {
			t.Errorf("notice waits until %v, want now", m.NotBefore)
		}
	}
}

// BenchmarkHotlineOverdue is one new overdue ticket through the whole
// handler: signature, replay check, ticket, task, digest rewrite, commit.
// Run: go test -run '^$' -bench HotlineOverdue ./webhook/
func BenchmarkHotlineOverdue(b *testing.B) {
	e := newIntakeEnv(b)
	i := 0
	for b.Loop() {
		i++
		r := ticket(fmt.Sprintf("BENCH-%d", i), func(r *webhook.HotlineTicketRequest) {
			r.Unit = []string{"市城管委", "市水务局"}[i%2]
		})
		body, _ := json.Marshal(r)
		w := e.do(e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, body))
		if w.Code != http.StatusAccepted {
			b.Fatalf("status %d %s", w.Code, w.Body.String())
		}
	}
}

// The generic endpoint masks citizens' numbers too: every endpoint does.
func TestPostMessageMasksCitizensData(t *testing.T) {
	e := newIntakeEnv(t)
	text := "市民张先生（13800138000，身份证51010419900307123X，zhang@163.com）反映：工单 2025060100123 超期未办。"
	w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, text))))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d %s", w.Code, w.Body.String())
	}
	posted := e.posted(cadreGroup)
	want := "市民张先生（138****8000，身份证510***********123X，z***@163.com）反映：工单 2025060100123 超期未办。"
	if len(posted) != 1 || posted[0].Text != want {
		t.Fatalf("posted %+v, want %q", posted, want)
	}
}

// Titles that put a citizen's number where the digest clips them: the
// digest once showed "请回电139123456……" and "身份证11010119900307123……"
// because it clipped before masking. Now no prefix of a number is shown.
func TestHotlineDigestNeverShowsPartOfANumber(t *testing.T) {
	e := newIntakeEnv(t)
	// Each number straddles the 40th character, where the digest cuts.
	titles := []string{
		strings.Repeat("路", 34) + "请回电13912345678谢谢",
		strings.Repeat("噪", 30) + "身份证110101199003071234",
		strings.Repeat("堆", 33) + "回电 139 1234 5678 并尽快处理",
	}
	for i, title := range titles {
		if status, _ := e.postTicket(t, ticket(fmt.Sprintf("20250602%05d", i+1), func(r *webhook.HotlineTicketRequest) {
			r.Title = title
		})); status != http.StatusAccepted {
			t.Fatalf("ticket %d: %d", i, status)
		}
	}
	posted := e.posted(cityGroup)
	if len(posted) != 1 {
		t.Fatalf("city group got %d messages, want 1 digest", len(posted))
	}
	text := posted[0].Text
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '\n' {
			return r
		}
		return -1
	}, text)
	for _, leak := range []string{"139123", "1391234", "11010119", "0307"} {
		for _, line := range strings.Split(digits, "\n") {
			if strings.HasPrefix(strings.TrimPrefix(line, "1"), "20250602") {
				line = line[14:] // the ticket number is no citizen's
			}
			if strings.Contains(line, leak) {
				t.Errorf("digest shows %q of a citizen's number:\n%s", leak, text)
			}
		}
	}
}
