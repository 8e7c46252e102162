package sqlite

// Tests of the sender's side of the outbox: Due, NextDue, the status life cycle,
// concurrency and query plans.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestDue_OrderAndNotBefore(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部群")
	ctx := t.Context()

	ids := map[string]int64{}
	for _, m := range []struct {
		name  string
		kind  qunzhu.MessageKind
		delay time.Duration
	}{
		{"greeting", qunzhu.KindBroadcast, 0},
		{"reminder", qunzhu.KindReminder, 0},
		{"reply1", qunzhu.KindReply, 0},
		{"alert", qunzhu.KindAlert, 0},
		{"later-reply", qunzhu.KindReply, time.Minute},
		{"reply2", qunzhu.KindReply, 0},
	} {
		out := &qunzhu.OutMessage{GroupID: g.ID, Kind: m.kind, Text: m.name}
		if m.delay > 0 {
			out.NotBefore = t0.Add(m.delay)
		}
		enqueue(t, s, out)
		ids[m.name] = out.ID
	}
	names := func(ms []*qunzhu.OutMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Text)
		}
		return out
	}

	tests := []struct {
		name string
		now  time.Time
		n    int
		want []string
	}{
		{"priority then id", t0, 10, []string{"reply1", "reply2", "alert", "reminder", "greeting"}},
		{"limit", t0, 2, []string{"reply1", "reply2"}},
		{"zero asks for nothing", t0, 0, nil},
		{"a millisecond before not_before", t0.Add(time.Minute - time.Millisecond), 10,
			[]string{"reply1", "reply2", "alert", "reminder", "greeting"}},
		{"at not_before", t0.Add(time.Minute), 10,
			[]string{"reply1", "later-reply", "reply2", "alert", "reminder", "greeting"}},
		{"before everything", t0.Add(-time.Second), 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := s.Due(ctx, tt.now, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ms); !slices.Equal(got, tt.want) {
				t.Errorf("Due(%v, %d) = %v, want %v", tt.now, tt.n, got, tt.want)
			}
		})
	}

	// Only pending rows are due: taking one hides it.
	if err := s.MarkSending(ctx, ids["reply1"]); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Due(ctx, t0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(ms), []string{"reply2"}; !slices.Equal(got, want) {
		t.Errorf("Due after MarkSending = %v, want %v", got, want)
	}
}

func TestNextDue(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部群")
	ctx := t.Context()

	if _, ok, err := s.NextDue(ctx); err != nil || ok {
		t.Fatalf("NextDue on an empty outbox: ok %v, err %v; want false, nil", ok, err)
	}
	soon := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReminder, Text: "5分钟后", NotBefore: t0.Add(5 * time.Minute)}
	later := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "1小时后", NotBefore: t0.Add(time.Hour)}
	enqueue(t, s, later)
	enqueue(t, s, soon)

	for _, step := range []struct {
		name string
		do   func() error
		want time.Time // zero: none pending
	}{
		{"earliest pending", func() error { return nil }, t0.Add(5 * time.Minute)},
		{"sending rows do not count", func() error { return s.MarkSending(ctx, soon.ID) }, t0.Add(time.Hour)},
		{"retried row counts again", func() error {
			return s.MarkRetry(ctx, soon.ID, t0.Add(10*time.Minute), "1205", false)
		}, t0.Add(10 * time.Minute)},
		{"failed rows do not count", func() error { return s.MarkFailed(ctx, soon.ID, "群已解散") }, t0.Add(time.Hour)},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, ok, err := s.NextDue(ctx)
		if err != nil || !ok || !got.Equal(step.want) {
			t.Errorf("%s: NextDue = %v, %v, %v; want %v, true, nil", step.name, got, ok, err, step.want)
		}
	}
}

func TestOutbox_LifeCycle(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部群")
	ctx := t.Context()
	m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Text: "【黄牌】市城管委督办事项已超期"}
	enqueue(t, s, m)

	type want struct {
		status    qunzhu.OutStatus
		attempts  int
		lastError string
		notBefore time.Time
		sentAt    time.Time
	}
	steps := []struct {
		name string
		do   func() error
		code string // expected error code, "" for success
		want want
	}{
		{"sent before sending", func() error { return s.MarkSent(ctx, m.ID) }, qunzhu.ECONFLICT,
			want{status: qunzhu.OutPending, notBefore: t0}},
		{"take", func() error { return s.MarkSending(ctx, m.ID) }, "",
			want{status: qunzhu.OutSending, notBefore: t0}},
		{"take twice", func() error { return s.MarkSending(ctx, m.ID) }, qunzhu.ECONFLICT,
			want{status: qunzhu.OutSending, notBefore: t0}},
		{"throttled: not counted", func() error {
			return s.MarkRetry(ctx, m.ID, t0.Add(2*time.Minute), "操作频繁 1205", false)
		}, "", want{status: qunzhu.OutPending, lastError: "操作频繁 1205", notBefore: t0.Add(2 * time.Minute)}},
		{"take again", func() error { return s.MarkSending(ctx, m.ID) }, "",
			want{status: qunzhu.OutSending, lastError: "操作频繁 1205", notBefore: t0.Add(2 * time.Minute)}},
		{"network error: counted", func() error {
			return s.MarkRetry(ctx, m.ID, t0.Add(5*time.Minute), "timeout", true)
		}, "", want{status: qunzhu.OutPending, attempts: 1, lastError: "timeout", notBefore: t0.Add(5 * time.Minute)}},
		{"take, then crash", func() error { return s.MarkSending(ctx, m.ID) }, "",
			want{status: qunzhu.OutSending, attempts: 1, lastError: "timeout", notBefore: t0.Add(5 * time.Minute)}},
		{"recover after restart", func() error {
			n, err := s.RecoverSending(ctx)
			if err == nil && n != 1 {
				return fmt.Errorf("RecoverSending = %d, want 1", n)
			}
			return err
		}, "", want{status: qunzhu.OutPending, attempts: 1, lastError: "timeout", notBefore: t0.Add(5 * time.Minute)}},
		{"take after restart", func() error { return s.MarkSending(ctx, m.ID) }, "",
			want{status: qunzhu.OutSending, attempts: 1, lastError: "timeout", notBefore: t0.Add(5 * time.Minute)}},
		{"sent", func() error { return s.MarkSent(ctx, m.ID) }, "",
			want{status: qunzhu.OutSent, attempts: 1, lastError: "timeout", notBefore: t0.Add(5 * time.Minute), sentAt: t0.Add(9 * time.Minute)}},
		{"retry after sent", func() error { return s.MarkRetry(ctx, m.ID, time.Time{}, "x", true) }, qunzhu.ECONFLICT,
			want{status: qunzhu.OutSent, attempts: 1, lastError: "timeout", notBefore: t0.Add(5 * time.Minute), sentAt: t0.Add(9 * time.Minute)}},
		{"failed after sent", func() error { return s.MarkFailed(ctx, m.ID, "x") }, qunzhu.ECONFLICT,
			want{status: qunzhu.OutSent, attempts: 1, lastError: "timeout", notBefore: t0.Add(5 * time.Minute), sentAt: t0.Add(9 * time.Minute)}},
	}
	for i, step := range steps {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		err := step.do()
		if step.code == "" && err != nil {
			t.Fatalf("%s: %v", step.name, err)
		} else if step.code != "" {
			checkError(t, err, step.code, "")
		}
		got := getOut(t, s, m.ID)
		w := step.want
		if got.Status != w.status || got.Attempts != w.attempts || got.LastError != w.lastError ||
			!got.NotBefore.Equal(w.notBefore) || !got.SentAt.Equal(w.sentAt) {
			t.Fatalf("%s: status %s, attempts %d, last error %q, not before %v, sent at %v; want %+v",
				step.name, got.Status, got.Attempts, got.LastError, got.NotBefore, got.SentAt, w)
		}
		if step.code == "" && !got.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("%s: UpdatedAt = %v, want %v", step.name, got.UpdatedAt, clock.Now())
		}
	}

	checkError(t, s.MarkSent(ctx, m.ID), qunzhu.ECONFLICT,
		fmt.Sprintf("消息 %d 当前已发送，不能标记为已发送。", m.ID))

	for name, do := range map[string]func() error{
		"MarkSending": func() error { return s.MarkSending(ctx, 999) },
		"MarkSent":    func() error { return s.MarkSent(ctx, 999) },
		"MarkRetry":   func() error { return s.MarkRetry(ctx, 999, t0, "", true) },
		"MarkFailed":  func() error { return s.MarkFailed(ctx, 999, "") },
		"OutMessage":  func() error { _, err := s.OutMessage(ctx, 999); return err },
	} {
		t.Run(name+" unknown", func(t *testing.T) {
			checkError(t, do(), qunzhu.ENOTFOUND, "找不到编号为 999 的消息。")
		})
	}
}

func TestOutboxStats(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部群")
	ctx := t.Context()
	var ids []int64
	for i := range 5 {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: fmt.Sprint(i)}
		enqueue(t, s, m)
		ids = append(ids, m.ID)
	}
	for _, err := range []error{
		s.MarkSending(ctx, ids[0]), s.MarkSent(ctx, ids[0]), // sent
		s.MarkSending(ctx, ids[1]),        // sending
		s.MarkFailed(ctx, ids[2], "群已解散"), // failed
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := qunzhu.OutboxStats{Pending: 2, Sending: 1, Sent: 1, Failed: 1, OldestPending: t0.Add(3 * time.Minute).UTC()}
	if got := stats(t, s); got != want {
		t.Errorf("OutboxStats = %+v, want %+v", got, want)
	}
}

func TestUpdate_ConcurrentWritersAllLand(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	const writers, each = 8, 50

	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- s.Update(context.Background(), func(tx qunzhu.Tx) error {
					_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReminder,
						Text: "请交作业", DedupKey: fmt.Sprintf("w%d-%d", w, i)})
					return err
				})
			}
		})
	}
	// Readers and the sender's writes run alongside.
	wg.Go(func() {
		for range 100 {
			if _, err := s.Due(context.Background(), time.Now(), 10); err != nil {
				errs <- err
			}
			if _, err := s.OutboxStats(context.Background()); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Update: %v", err)
		}
	}
	if got, want := stats(t, s).Pending, writers*each; got != want {
		t.Errorf("pending = %d, want %d", got, want)
	}
}

// queryPlan returns the EXPLAIN QUERY PLAN details of query, one line each.
func queryPlan(tb testing.TB, s *Store, query string, args ...any) string {
	tb.Helper()
	rows, err := s.read.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		tb.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func TestQueryPlans_UseIndexes(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		args      []any
		wantIndex string // "" when any index will do
	}{
		{"DueOn", dueOnQuery, []any{"wechat", 0, 10}, "outbox_due (platform=?)"},
		{"DueAlertsOn", dueAlertsOnQry, []any{"dingtalk", 0, 10}, "outbox_due (platform=?)"},
		{"NextDueOn", nextDueOnQuery, []any{"wecom"}, "outbox_next (platform=?"},
		{"RecoverSending", recoverQuery, []any{0}, "outbox_unsent"},
		{"stats by status", statsQuery, nil, "outbox_unsent"},
		{"oldest pending", oldestPendingQuery, nil, ""},
		{"MemberBySession", `SELECT ` + memberColumns + ` FROM members
			WHERE group_id = ? AND session_key = ? AND session_key <> '' AND bound = 1`, []any{1, "@x"}, "members_session"},
	}
	check := func(t *testing.T, s *Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				plan := queryPlan(t, s, tt.query, tt.args...)
				t.Logf("plan:\n%s", plan)
				if !strings.Contains(plan, tt.wantIndex) {
					t.Errorf("plan does not use %s:\n%s", tt.wantIndex, plan)
				}
				for _, line := range strings.Split(plan, "\n") {
					if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING") {
						t.Errorf("plan scans a whole table:\n%s", plan)
					}
					if strings.Contains(line, "TEMP B-TREE") {
						t.Errorf("plan sorts instead of reading in index order:\n%s", plan)
					}
				}
			})
		}
	}

	s := openTest(t, nil)
	t.Run("empty", func(t *testing.T) { check(t, s) })

	// Planner statistics (PRAGMA optimize runs ANALYZE on Close) must not change
	// the plans once the outbox holds a long history and a short queue.
	g := mustGroup(t, s, "区委干部群")
	fillOutbox(t, s, g.ID, 5000, 50)
	if _, err := s.writeExec(context.Background(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed history", func(t *testing.T) { check(t, s) })

	// A backlog of one platform's group: the other lanes' queries must not
	// walk it, nor its own lane's sort it.
	fillOutbox(t, s, g.ID, 0, 20000)
	if _, err := s.writeExec(context.Background(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed backlog", func(t *testing.T) { check(t, s) })
}
