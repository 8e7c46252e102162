package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// Field types as real senders write them, and messages that render empty:
// each gets the original's answer with HTTP 200, never a 4xx a sender's
// HTTP client throws on, and never a 5xx a sender retries forever.
func TestRobotCompatLenientAndEmpty(t *testing.T) {
	ding := func(body string) func(e *intakeEnv) (int, int) {
		return func(e *intakeEnv) (int, int) {
			w := e.robotPost("/robot/send", dingQuery(dingToken, dingSecret, e.clock.Now().UnixMilli()), "application/json", body)
			code, _ := robotAnswer(e.t.(*testing.T), w)
			return w.Code, code
		}
	}
	wecom := func(body string) func(e *intakeEnv) (int, int) {
		return func(e *intakeEnv) (int, int) {
			w := e.robotPost("/cgi-bin/webhook/send", url.Values{"key": {wecomKey}}, "application/json", body)
			code, _ := robotAnswer(e.t.(*testing.T), w)
			return w.Code, code
		}
	}
	tests := []struct {
		name    string
		send    func(e *intakeEnv) (int, int)
		errcode int
		group   string
		want    string
	}{
		{"ding btnOrientation number", ding(`{"msgtype":"actionCard","actionCard":{"title":"通知","text":"请查看","btnOrientation":0,"hideAvatar":1,"singleTitle":"阅读","singleURL":"https://x.gov.cn/1"}}`),
			0, cityGroup, "通知\n请查看\n阅读：https://x.gov.cn/1"},
		{"ding isAtAll string, mobile number", ding(`{"msgtype":"text","text":{"content":"请处理"},"at":{"isAtAll":"true","atMobiles":[15012345678]}}`),
			0, cityGroup, "请处理\n" + qunzhu.Mention("所有人") + qunzhu.Mention(zhouju)},
		{"ding isAtAll 0, unknown fields", ding(`{"msgtype":"text","text":{"content":"hi","extra":1},"at":{"isAtAll":0},"robotCode":"x"}`),
			0, cityGroup, "hi"},
		{"ding markdown renders empty", ding(`{"msgtype":"markdown","markdown":{"title":"t","text":"> "}}`), 40035, cityGroup, ""},
		{"ding markdown only a heading mark", ding(`{"msgtype":"markdown","markdown":{"title":"t","text":"#"}}`), 40035, cityGroup, ""},
		{"ding actionCard only a rule", ding(`{"msgtype":"actionCard","actionCard":{"text":"---"}}`), 40035, cityGroup, ""},
		{"ding isAtAll object", ding(`{"msgtype":"text","text":{"content":"hi"},"at":{"isAtAll":{}}}`), 40035, cityGroup, ""},
		{"wecom markdown only a heading mark", wecom(`{"msgtype":"markdown","markdown":{"content":"#"}}`), 44004, cadreGroup, ""},
		{"wecom text only a stranger's mention", wecom(`{"msgtype":"text","text":{"content":"<@nobody>"}}`), 44004, cadreGroup, ""},
		{"wecom mobile list of numbers", wecom(`{"msgtype":"text","text":{"content":"请查收","mentioned_mobile_list":[13800001111]}}`),
			0, cadreGroup, "请查收\n" + qunzhu.Mention(wangqing)},
		{"wecom 40 KB text", wecom(fmt.Sprintf(`{"msgtype":"text","text":{"content":%q}}`, strings.Repeat("a.", 20000))), 40058, cadreGroup, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			before := e.tableRows()
			status, errcode := tt.send(e)
			if status != http.StatusOK || errcode != tt.errcode {
				t.Fatalf("answer: HTTP %d errcode %d, want HTTP 200 errcode %d", status, errcode, tt.errcode)
			}
			posted := e.posted(tt.group)
			if tt.errcode != 0 {
				e.assertNothingWritten(t, before)
				return
			}
			if len(posted) != 1 || posted[0].Text != tt.want {
				t.Fatalf("posted %d messages %v, want one with\n%q", len(posted), texts(posted), tt.want)
			}
		})
	}
}

func texts(ms []*qunzhu.OutMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// holdStore measures how long each Update holds the store's single writer.
type holdStore struct {
	qunzhu.Store
	mu      sync.Mutex
	updates int
	longest time.Duration
}

func (h *holdStore) Update(ctx context.Context, fn func(qunzhu.Tx) error) error {
	start := time.Now()
	err := h.Store.Update(ctx, fn)
	held := time.Since(start)
	h.mu.Lock()
	h.updates++
	h.longest = max(h.longest, held)
	h.mu.Unlock()
	return err
}

// largestWeComText is the longest text the WeCom endpoint accepts, made of
// what costs a masker most: near-miss numbers with every separator.
func largestWeComText() string {
	return strings.Repeat("1 2-3.4_5/6 ", (webhook.MaxTextRunes-20)/12) + "请回电 138 0013 8000"
}

// A 1 MiB WeCom text is refused by its bound before anything renders or
// masks it, and never reaches the writer; the largest accepted text reaches
// it already rendered and masked, so the transaction only looks up the
// group and writes the row (its duration is measured by
// BenchmarkWeComWriterHold).
func TestWeComTextOutsideTheWriter(t *testing.T) {
	var hs *holdStore
	e := newIntakeEnv(t, func(d *webhook.Deps) {
		hs = &holdStore{Store: d.Store}
		d.Store = hs
		d.Sources[3].Limit = qunzhu.Limit{}
	})
	huge := fmt.Sprintf(`{"msgtype":"text","text":{"content":%q}}`, strings.Repeat("a.", (webhook.MaxBodyBytes-100)/2))
	w := e.robotPost("/cgi-bin/webhook/send", url.Values{"key": {wecomKey}}, "application/json", huge)
	if code, _ := robotAnswer(t, w); w.Code != http.StatusOK || code != 40058 {
		t.Fatalf("1 MiB text: HTTP %d errcode %d, want 200 40058", w.Code, code)
	}
	if hs.updates != 0 {
		t.Fatalf("a refused 1 MiB text entered the write transaction %d times", hs.updates)
	}
	body := fmt.Sprintf(`{"msgtype":"text","text":{"content":%q}}`, largestWeComText())
	w = e.robotPost("/cgi-bin/webhook/send", url.Values{"key": {wecomKey}}, "application/json", body)
	if code, msg := robotAnswer(t, w); code != 0 {
		t.Fatalf("largest text: errcode %d %q", code, msg)
	}
	posted := e.posted(cadreGroup)
	if hs.updates != 1 || len(posted) != 1 || !strings.HasSuffix(posted[0].Text, "请回电 138 **** 8000") {
		t.Fatalf("largest text: %d updates, %d posted, want 1 masked message", hs.updates, len(posted))
	}
	t.Logf("the write transaction held the writer %v", hs.longest)
}

// BenchmarkWeComWriterHold posts the largest WeCom text the endpoint accepts
// and reports the longest time one request held the store's writer; it fails
// above 50 ms: go test -run '^$' -bench WeComWriterHold ./webhook/
func BenchmarkWeComWriterHold(b *testing.B) {
	var hs *holdStore
	e := newIntakeEnv(b, func(d *webhook.Deps) {
		hs = &holdStore{Store: d.Store}
		d.Store = hs
		d.Sources[3].Limit = qunzhu.Limit{}
	})
	body := fmt.Sprintf(`{"msgtype":"text","text":{"content":%q}}`, largestWeComText())
	for b.Loop() {
		w := e.robotPost("/cgi-bin/webhook/send", url.Values{"key": {wecomKey}}, "application/json", body)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.ReportMetric(float64(hs.longest.Microseconds())/1000, "ms-held-max")
	if hs.longest > 50*time.Millisecond {
		b.Fatalf("one request held the writer %v, budget 50 ms", hs.longest)
	}
}
