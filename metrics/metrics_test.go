package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/qunzhu/qunzhu/metrics"
	"github.com/qunzhu/qunzhu/sqlite"
)

// fixedLimiter allows the keys in allow and denies the rest, so the wrapper's
// counting can be checked against known decisions.
type fixedLimiter map[string]bool

func (f fixedLimiter) Allow(_ context.Context, key string, _ qunzhu.Limit) (qunzhu.LimitResult, error) {
	if key == "broken" {
		return qunzhu.LimitResult{}, errors.New("redis down")
	}
	return qunzhu.LimitResult{Allowed: f[key]}, nil
}

// scrape fills a real store, scrapes /metrics and returns the text.
func scrape(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	clock := qunzhu.NewFakeClock(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC))
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var ids []int64
	err = store.Update(ctx, func(tx qunzhu.Tx) error {
		g, _, err := tx.EnsureGroup("区委干部工作群")
		if err != nil {
			return err
		}
		for _, k := range []qunzhu.MessageKind{qunzhu.KindReply, qunzhu.KindReply, qunzhu.KindAlert, qunzhu.KindBroadcast} {
			m := &qunzhu.OutMessage{GroupID: g.ID, Kind: k, Priority: k.DefaultPriority(), Text: "x"}
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		task := &qunzhu.Task{GroupID: g.ID, Title: "修路灯", Unit: "市城管委", Deadline: clock.Now().Add(-time.Hour)}
		if err := tx.CreateTask(task, qunzhu.SystemActor("")); err != nil {
			return err
		}
		return tx.RecordTaskSteps(task.ID, []*qunzhu.TaskEvent{{Kind: qunzhu.TaskStepped, Step: "due", Text: "到期"}}, "due", time.Time{})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []func() error{
		func() error { return store.MarkSending(ctx, ids[0]) },
		func() error { return store.MarkSent(ctx, ids[0]) },
		func() error { return store.MarkFailed(ctx, ids[3], "已取消") },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(90 * time.Second)

	m := metrics.New(metrics.Config{
		Store: store, Clock: clock,
		Sessions: func() map[string]qunzhu.SessionState {
			return map[string]qunzhu.SessionState{"wechat": qunzhu.StateOnline}
		},
	})
	m.WebhookRequest("hotline", 202)
	m.WebhookRequest("", 401)
	m.Command("督办")
	m.Command("督办")
	lim := m.Limiter(fixedLimiter{"account": true})
	lim.Allow(ctx, "account", qunzhu.Limit{})
	lim.Allow(ctx, "group:3", qunzhu.Limit{})
	lim.Allow(ctx, "broken", qunzhu.Limit{})

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics_ReportWhatHappened(t *testing.T) {
	text := scrape(t)
	for _, want := range []string{
		`qunzhu_messages_enqueued_total{kind="reply",platform="wechat",priority="reply"} 2`,
		`qunzhu_messages_sent_total{kind="reply",platform="wechat",priority="reply"} 1`,
		`qunzhu_messages_failed_total{kind="reply",platform="wechat",priority="reply"} 0`,
		`qunzhu_messages_failed_total{kind="broadcast",platform="wechat",priority="broadcast"} 1`,
		`qunzhu_messages_enqueued_total{kind="alert",platform="wechat",priority="alert"} 1`,
		`qunzhu_outbox_backlog_messages{status="pending"} 2`,
		`qunzhu_outbox_oldest_pending_age_seconds 90`,
		`qunzhu_ladder_steps_total{step="due"} 1`,
		`qunzhu_session_state{platform="wechat",state="online"} 1`,
		`qunzhu_session_state{platform="wechat",state="banned"} 0`,
		`qunzhu_webhook_requests_total{code="202",source="hotline"} 1`,
		`qunzhu_webhook_requests_total{code="401",source=""} 1`,
		`qunzhu_commands_total{command="督办"} 2`,
		`qunzhu_limiter_decisions_total{decision="allowed",limit="account"} 1`,
		`qunzhu_limiter_decisions_total{decision="denied",limit="group"} 1`,
		`qunzhu_limiter_decisions_total{decision="error",limit="broken"} 1`,
		`qunzhu_store_up 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Logf("scraped:\n%s", text)
	}
}

// TestMetrics_PromtoolClean runs the scrape through `promtool check metrics`,
// the linter Prometheus' own maintainers use for exporters.
func TestMetrics_PromtoolClean(t *testing.T) {
	promtool := testenv.Program(t, "prometheus", "promtool")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape(t))
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
