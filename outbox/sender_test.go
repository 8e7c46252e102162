package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/ratelimit"
	"github.com/qunzhu/qunzhu/sqlite"
)

// recorder is a Messenger that records what the sender delivered. The real
// WeChat path (bot + emulator) is covered end to end in cmd/qunzhu; here the
// sender's own decisions are checked one by one.
type recorder struct {
	mu    sync.Mutex
	state qunzhu.SessionState
	sent  []string
	at    []time.Time
	fail  func(m *qunzhu.OutMessage) error
	hold  chan struct{} // when set, Send waits on it
	calls chan struct{} // signalled at each Send call
}

func newRecorder() *recorder {
	return &recorder{state: qunzhu.StateOnline, calls: make(chan struct{}, 1000)}
}

func (r *recorder) State() qunzhu.SessionState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *recorder) setState(s qunzhu.SessionState) {
	r.mu.Lock()
	r.state = s
	r.mu.Unlock()
}

func (r *recorder) Send(ctx context.Context, m *qunzhu.OutMessage) error {
	r.calls <- struct{}{}
	r.mu.Lock()
	hold, fail := r.hold, r.fail
	r.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if fail != nil {
		if err := fail(m); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m.Text)
	r.at = append(r.at, time.Now())
	return nil
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

type env struct {
	store *sqlite.Store
	group int64
	other int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &env{store: s}
	if err := s.Update(ctx, func(tx qunzhu.Tx) error {
		g, err := tx.CreateGroup("区委干部工作群")
		if err != nil {
			return err
		}
		o, err := tx.CreateGroup("城管工作群")
		if err != nil {
			return err
		}
		e.group, e.other = g.ID, o.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) enqueue(t *testing.T, group int64, kind qunzhu.MessageKind, text string) {
	t.Helper()
	if err := e.store.Update(context.Background(), func(tx qunzhu.Tx) error {
		_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: group, Kind: kind, Text: text})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// fast are limits loose enough not to slow a test.
func fast() outbox.Limits {
	return outbox.Limits{
		Account: qunzhu.Limit{Rate: 1000, Period: time.Second, Burst: 1000},
		Group:   qunzhu.Limit{Rate: 1000, Period: time.Second, Burst: 1000},
	}
}

// start runs a sender until the test ends and returns a stop func that waits.
func start(t *testing.T, e *env, m qunzhu.Messenger, cfg outbox.Config) (stop func()) {
	t.Helper()
	if cfg.Poll == 0 {
		cfg.Poll = 10 * time.Millisecond
	}
	s := outbox.NewSender(e.store, m, ratelimit.NewLocal(nil), nil, nil, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// waitSent waits until the store has recorded n messages as sent.
func (e *env) waitSent(t *testing.T, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d sent", n), func() bool {
		st, err := e.store.OutboxStats(context.Background())
		return err == nil && st.Sent == n
	})
}

func TestSenderPriorityOrderAfterLogin(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	r.setState(qunzhu.StateOffline)
	start(t, e, r, outbox.Config{Limits: fast()})
	e.enqueue(t, e.group, qunzhu.KindBroadcast, "群发")
	e.enqueue(t, e.group, qunzhu.KindReminder, "提醒")
	e.enqueue(t, e.group, qunzhu.KindWebhook, "告警")
	e.enqueue(t, e.group, qunzhu.KindReply, "回复")

	time.Sleep(50 * time.Millisecond) // offline: nothing may go out meanwhile
	if got := r.texts(); len(got) != 0 {
		t.Fatalf("sent while offline: %v", got)
	}
	r.setState(qunzhu.StateOnline)
	e.waitSent(t, 4)
	if got, want := r.texts(), []string{"回复", "告警", "提醒", "群发"}; !equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	st, err := e.store.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 4 || st.Pending != 0 {
		t.Fatalf("stats = %+v, want 4 sent", st)
	}
}

func TestSenderOfflineErrorIsNotAnAttempt(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	var mu sync.Mutex
	offline := 3
	r.fail = func(*qunzhu.OutMessage) error {
		mu.Lock()
		defer mu.Unlock()
		if offline > 0 {
			offline--
			return qunzhu.ErrOffline
		}
		return nil
	}
	e.enqueue(t, e.group, qunzhu.KindReply, "等登录")
	start(t, e, r, outbox.Config{Limits: fast()})
	e.waitSent(t, 1)
	m, err := e.store.OutMessage(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Attempts != 0 || m.Status != qunzhu.OutSent {
		t.Fatalf("attempts=%d status=%s, want 0 attempts and sent", m.Attempts, m.Status)
	}
}

func TestSenderBacksOffOn1205AndDeliversAll(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	var mu sync.Mutex
	throttled := 3
	var fails []time.Time
	r.fail = func(*qunzhu.OutMessage) error {
		mu.Lock()
		defer mu.Unlock()
		if throttled > 0 {
			throttled--
			fails = append(fails, time.Now())
			return fmt.Errorf("wechat: %w", qunzhu.ErrThrottled)
		}
		return nil
	}
	for i := range 5 {
		e.enqueue(t, e.group, qunzhu.KindAlert, fmt.Sprintf("告警%d", i))
	}
	base := 40 * time.Millisecond
	start(t, e, r, outbox.Config{Limits: fast(), ThrottleBackoff: base, ThrottleBackoffMax: time.Second})
	waitFor(t, "5 deliveries", func() bool { return len(r.texts()) == 5 })
	if got, want := r.texts(), []string{"告警0", "告警1", "告警2", "告警3", "告警4"}; !equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	// Each 1205 doubles the pause: ≥40 ms, then ≥80 ms before the next try.
	for i, want := range []time.Duration{base, 2 * base} {
		if gap := fails[i+1].Sub(fails[i]); gap < want {
			t.Errorf("pause after 1205 #%d = %v, want ≥ %v", i+1, gap, want)
		}
	}
	r.mu.Lock()
	first := r.at[0]
	r.mu.Unlock()
	if gap := first.Sub(fails[2]); gap < 4*base {
		t.Errorf("pause after 1205 #3 = %v, want ≥ %v", gap, 4*base)
	}
}

func TestSenderPacesTheAccount(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	for i := range 4 {
		e.enqueue(t, e.group, qunzhu.KindReply, fmt.Sprint(i))
	}
	interval := 60 * time.Millisecond
	lim := fast()
	lim.Account = qunzhu.Limit{Rate: 1, Period: interval, Burst: 1}
	start(t, e, r, outbox.Config{Limits: lim})
	waitFor(t, "4 sends", func() bool { return len(r.texts()) == 4 })
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 1; i < len(r.at); i++ {
		// GCRA with burst 1 lets events through one interval apart; allow a
		// little slack for timer granularity, never a burst.
		if gap := r.at[i].Sub(r.at[i-1]); gap < interval*8/10 {
			t.Errorf("gap %d = %v, want ≥ %v", i, gap, interval)
		}
	}
}

func TestSenderGroupLimitDoesNotBlockOtherGroups(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	e.enqueue(t, e.group, qunzhu.KindReply, "甲1")
	e.enqueue(t, e.group, qunzhu.KindReply, "甲2")
	e.enqueue(t, e.other, qunzhu.KindReply, "乙1")
	lim := fast()
	lim.Group = qunzhu.Limit{Rate: 1, Period: time.Hour, Burst: 1}
	start(t, e, r, outbox.Config{Limits: lim})
	waitFor(t, "2 sends", func() bool { return len(r.texts()) == 2 })
	time.Sleep(50 * time.Millisecond)
	if got, want := r.texts(), []string{"甲1", "乙1"}; !equal(got, want) {
		t.Fatalf("sent = %v, want %v (甲2 waits for its group's limit)", got, want)
	}
}

func TestSenderRecoversMessagesLeftInSending(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.enqueue(t, e.group, qunzhu.KindAlert, "崩溃前")
	if err := e.store.MarkSending(ctx, 1); err != nil { // as if killed mid-send
		t.Fatal(err)
	}
	r := newRecorder()
	start(t, e, r, outbox.Config{Limits: fast()})
	waitFor(t, "redelivery", func() bool { return len(r.texts()) == 1 })
}

func TestSenderShutdownFinishesTheSendInFlight(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	r.hold = make(chan struct{})
	e.enqueue(t, e.group, qunzhu.KindReply, "在途")
	stop := start(t, e, r, outbox.Config{Limits: fast()})
	<-r.calls // the send is in flight
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Run returned before the send in flight finished")
	case <-time.After(30 * time.Millisecond):
	}
	close(r.hold)
	<-stopped
	m, err := e.store.OutMessage(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != qunzhu.OutSent {
		t.Fatalf("status = %s, want sent", m.Status)
	}
}

func TestSenderRetriesTransientErrorsAndFailsPermanentOnes(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	var mu sync.Mutex
	flaky := 2
	r.fail = func(m *qunzhu.OutMessage) error {
		mu.Lock()
		defer mu.Unlock()
		switch m.Text {
		case "不稳定":
			if flaky > 0 {
				flaky--
				return errors.New("connection reset")
			}
		case "已注销":
			return qunzhu.Errorf(qunzhu.ENOTFOUND, "群已注销。")
		}
		return nil
	}
	e.enqueue(t, e.group, qunzhu.KindAlert, "不稳定")
	e.enqueue(t, e.group, qunzhu.KindAlert, "已注销")
	start(t, e, r, outbox.Config{Limits: fast(), RetryBase: 5 * time.Millisecond})
	ctx := context.Background()
	waitFor(t, "outcomes", func() bool {
		st, err := e.store.OutboxStats(ctx)
		return err == nil && st.Sent == 1 && st.Failed == 1
	})
	m, err := e.store.OutMessage(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 counted failures before success", m.Attempts)
	}
	f, err := e.store.OutMessage(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != qunzhu.OutFailed || f.LastError == "" {
		t.Errorf("permanent error: status=%s last_error=%q, want failed with the reason", f.Status, f.LastError)
	}
}
