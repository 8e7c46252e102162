package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// send takes message id through sending to sent, as the sender does.
func send(tb testing.TB, s *Store, id int64) {
	tb.Helper()
	ctx := context.Background()
	if err := s.MarkSending(ctx, id); err != nil {
		tb.Fatal(err)
	}
	if err := s.MarkSent(ctx, id); err != nil {
		tb.Fatal(err)
	}
}

func TestSentSince_CountsSentRowsFromTheGivenTime(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 18, 23, 30, 0, 0, time.FixedZone("CST", 8*3600)))
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部工作群")
	ctx := context.Background()
	midnight := time.Date(2026, 6, 19, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

	var ids []int64
	for _, text := range []string{"昨晚一", "昨晚二", "今早一", "今早二", "今早三（待发）", "今早四（失败）"} {
		m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Text: text}
		enqueue(t, s, m)
		ids = append(ids, m.ID)
	}
	send(t, s, ids[0])
	send(t, s, ids[1])
	clock.Set(midnight.Add(8 * time.Hour))
	send(t, s, ids[2])
	send(t, s, ids[3])
	if err := s.MarkFailed(ctx, ids[5], "群已注销"); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name  string
		since time.Time
		want  int
	}{
		{"since local midnight", midnight, 2},
		{"since the evening before", midnight.Add(-time.Hour), 4},
		{"since now", clock.Now().Add(time.Millisecond), 0},
	} {
		got, err := s.SentSince(ctx, tt.since)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s: SentSince = %d, want %d (pending and failed rows never count)", tt.name, got, tt.want)
		}
	}
}

func TestUnforwarded_UrgentPendingDueAndNotYetCopied(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部工作群")
	ctx := context.Background()

	urgent := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Urgent: true, Text: "【红牌】市城管委工单超期7天未办结"}
	normal := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Text: "【黄牌】市水务局工单超期"}
	later := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Urgent: true, Text: "明早再催", NotBefore: t0.Add(time.Hour)}
	sent := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Urgent: true, Text: "已送达的红牌"}
	for _, m := range []*qunzhu.OutMessage{urgent, normal, later, sent} {
		enqueue(t, s, m)
	}
	send(t, s, sent.ID)

	if got := getOut(t, s, urgent.ID); !got.Urgent {
		t.Fatalf("Urgent did not round-trip: %+v", got)
	}
	if got := getOut(t, s, normal.ID); got.Urgent {
		t.Fatalf("a message enqueued without Urgent reads back urgent")
	}

	texts := func(now time.Time) []string {
		t.Helper()
		list, err := s.Unforwarded(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range list {
			out = append(out, m.Text)
		}
		return out
	}
	if got, want := strings.Join(texts(t0), "|"), urgent.Text; got != want {
		t.Fatalf("Unforwarded now = %q, want %q", got, want)
	}
	if got, want := strings.Join(texts(t0.Add(2*time.Hour)), "|"), urgent.Text+"|"+later.Text; got != want {
		t.Fatalf("Unforwarded in 2h = %q, want %q", got, want)
	}

	if err := s.MarkForwarded(ctx, urgent.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkForwarded(ctx, urgent.ID); err != nil {
		t.Fatalf("second MarkForwarded: %v (must be idempotent)", err)
	}
	if got := texts(t0); len(got) != 0 {
		t.Fatalf("Unforwarded after MarkForwarded = %q, want none", got)
	}
	if got := getOut(t, s, urgent.ID); got.Status != qunzhu.OutPending {
		t.Fatalf("status after forwarding = %s, want pending (WeChat still gets it)", got.Status)
	}
	err := s.MarkForwarded(ctx, 9999)
	checkError(t, err, qunzhu.ENOTFOUND, "找不到编号为 9999 的消息。")
}

func TestDeliveryQueryPlans_UseIndexes(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	fillOutbox(t, s, g.ID, 5000, 50)
	if _, err := s.writeExec(context.Background(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, query, index string
		args               []any
	}{
		{"SentSince", sentSinceQuery, "outbox_sent_at", []any{0}},
		{"Unforwarded", unforwardedQuery, "outbox_unforwarded", []any{0, 10}},
	} {
		plan := queryPlan(t, s, tt.query, tt.args...)
		if !strings.Contains(plan, tt.index) {
			t.Errorf("%s: plan does not use %s:\n%s", tt.name, tt.index, plan)
		}
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan sorts:\n%s", tt.name, plan)
		}
	}
}
