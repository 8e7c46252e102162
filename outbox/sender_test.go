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
	// changed is closed at each setState, as bot.Bot's Changed is.
	changed chan struct{}
}

func newRecorder() *recorder {
	return &recorder{state: qunzhu.StateOnline, calls: make(chan struct{}, 1000), changed: make(chan struct{})}
}

func (r *recorder) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

func (r *recorder) State() qunzhu.SessionState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *recorder) setState(s qunzhu.SessionState) {
	r.mu.Lock()
	r.state = s
	close(r.changed)
	r.changed = make(chan struct{})
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

func newEnv(t *testing.T) *env { return newEnvAt(t, nil) }

// newEnvAt is newEnv with the store on clock, so sent_at and the sender's
// calendar day agree.
func newEnvAt(t *testing.T, clock qunzhu.Clock) *env {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"), clock)
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
	return startAt(t, e, m, nil, cfg)
}

// startAt is start with the sender on clock (nil: the system clock).
func startAt(t *testing.T, e *env, m qunzhu.Messenger, clock qunzhu.Clock, cfg outbox.Config) (stop func()) {
	t.Helper()
	if cfg.Poll == 0 {
		cfg.Poll = 10 * time.Millisecond
	}
	s := outbox.NewSender(e.store, m, ratelimit.NewLocal(nil), clock, nil, cfg)
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

// refusals is the real in-process limiter that also tells when it refused
// the account a send, so a test knows the sender is waiting for its pace.
type refusals struct {
	qunzhu.Limiter
	account chan struct{}
}

func (l refusals) Allow(ctx context.Context, key string, limit qunzhu.Limit) (qunzhu.LimitResult, error) {
	res, err := l.Limiter.Allow(ctx, key, limit)
	if key == "account" && err == nil && !res.Allowed {
		select {
		case l.account <- struct{}{}:
		default:
		}
	}
	return res, err
}

// TestSenderReplyDuringThePaceWaitGoesBeforeTheBroadcast: a reply enqueued
// while the sender waits for the account's pace, with a broadcast first in
// line, goes out before that broadcast: broadcasts never delay replies.
func TestSenderReplyDuringThePaceWaitGoesBeforeTheBroadcast(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	e.enqueue(t, e.group, qunzhu.KindBroadcast, "群发一")
	e.enqueue(t, e.other, qunzhu.KindBroadcast, "群发二")
	lim := fast()
	lim.Account = qunzhu.Limit{Rate: 1, Period: 300 * time.Millisecond, Burst: 1}
	limiter := refusals{Limiter: ratelimit.NewLocal(nil), account: make(chan struct{}, 1)}
	s := outbox.NewSender(e.store, r, limiter, nil, nil, outbox.Config{Limits: lim, Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "the first broadcast", func() bool { return len(r.texts()) == 1 })
	select {
	case <-limiter.account: // the sender waits for the account's next slot
	case <-time.After(10 * time.Second):
		t.Fatal("the sender never waited for the account's pace")
	}
	e.enqueue(t, e.group, qunzhu.KindReply, "回复")
	e.waitSent(t, 3)
	if got, want := r.texts(), []string{"群发一", "回复", "群发二"}; !equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
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
	interval := 100 * time.Millisecond
	lim := fast()
	lim.Account = qunzhu.Limit{Rate: 1, Period: interval, Burst: 1}
	start(t, e, r, outbox.Config{Limits: lim})
	waitFor(t, "4 sends", func() bool { return len(r.texts()) == 4 })
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 1; i < len(r.at); i++ {
		// GCRA with burst 1 lets events through one interval apart. Between
		// the limiter's grant and the send, MarkSending waits for its commit
		// to reach the disk, and that fsync takes longer on a busy disk, so
		// one gap may come out shorter than the interval by that much; a
		// burst would be a gap near zero.
		if gap := r.at[i].Sub(r.at[i-1]); gap < interval/4 {
			t.Errorf("gap %d = %v, want about %v, never a burst", i, gap, interval)
		}
	}
	// Over the run the pace holds: the fsync delays do not add up.
	if span := r.at[len(r.at)-1].Sub(r.at[0]); span < interval*5/2 {
		t.Errorf("4 sends took %v, want ≥ %v at one per %v", span, interval*5/2, interval)
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

// china is the zone the daily cap counts days in.
var china = time.FixedZone("CST", 8*3600)

// capHook records the DailyCapReached calls.
type capHook struct {
	mu    sync.Mutex
	calls []string
}

func (h *capHook) reached(_ context.Context, sent int, resume time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, fmt.Sprintf("%d until %s", sent, resume.In(china).Format("01-02 15:04")))
}

func (h *capHook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

func TestSenderDailyCapHoldsUntilLocalMidnight(t *testing.T) {
	// 23:58 in Beijing: two sends fill the cap; a rolling 24 h window would
	// hold the rest until 23:58 tomorrow, the calendar day only until 00:00.
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 18, 23, 58, 0, 0, china))
	e := newEnvAt(t, clock)
	r := newRecorder()
	for _, text := range []string{"一", "二", "三"} {
		e.enqueue(t, e.group, qunzhu.KindAlert, text)
	}
	lim := fast()
	lim.Daily = 2
	hook := &capHook{}
	startAt(t, e, r, clock, outbox.Config{Limits: lim, Location: china, DailyCapReached: hook.reached})

	e.waitSent(t, 2)
	waitFor(t, "the cap notice", func() bool { return len(hook.got()) == 1 })
	time.Sleep(50 * time.Millisecond) // held: nothing more may go out today
	if got, want := r.texts(), []string{"一", "二"}; !equal(got, want) {
		t.Fatalf("sent before midnight = %v, want %v", got, want)
	}
	if got, want := hook.got(), []string{"2 until 06-19 00:00"}; !equal(got, want) {
		t.Fatalf("cap notices = %v, want %v (once a day)", got, want)
	}

	clock.Set(time.Date(2026, 6, 19, 0, 0, 1, 0, china))
	e.waitSent(t, 3)
	if got, want := r.texts(), []string{"一", "二", "三"}; !equal(got, want) {
		t.Fatalf("sent after midnight = %v, want %v", got, want)
	}
	if got := hook.got(); len(got) != 1 {
		t.Fatalf("cap notices = %v, want still one", got)
	}
}

func TestSenderDailyCapCountSurvivesRestart(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 19, 9, 0, 0, 0, china))
	e := newEnvAt(t, clock)
	for _, text := range []string{"一", "二", "三", "四"} {
		e.enqueue(t, e.group, qunzhu.KindAlert, text)
	}
	lim := fast()
	lim.Daily = 3

	r := newRecorder()
	lim1 := lim
	lim1.Daily = 2 // the first run stops early, as a crash would
	stop := startAt(t, e, r, clock, outbox.Config{Limits: lim1, Location: china})
	e.waitSent(t, 2)
	stop()

	// The in-process limiter of a new process has forgotten the day; the
	// store has not: one more fits under the cap of 3, then it holds.
	r2 := newRecorder()
	hook := &capHook{}
	startAt(t, e, r2, clock, outbox.Config{Limits: lim, Location: china, DailyCapReached: hook.reached})
	e.waitSent(t, 3)
	waitFor(t, "the cap notice", func() bool { return len(hook.got()) == 1 })
	time.Sleep(50 * time.Millisecond)
	if got, want := r2.texts(), []string{"三"}; !equal(got, want) {
		t.Fatalf("sent after restart = %v, want %v", got, want)
	}
	if got, want := hook.got(), []string{"3 until 06-20 00:00"}; !equal(got, want) {
		t.Fatalf("cap notices = %v, want %v", got, want)
	}
}

func TestSenderHoldsEverythingWhileBannedAndDrainsInOrderAfter(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	r.setState(qunzhu.StateBanned)
	start(t, e, r, outbox.Config{Limits: fast()})
	e.enqueue(t, e.other, qunzhu.KindBroadcast, "端午节送粽子来喽")
	e.enqueue(t, e.group, qunzhu.KindReminder, "请于周五18:00前交作业")
	e.enqueue(t, e.group, qunzhu.KindAlert, "【红牌】市城管委工单超期")
	e.enqueue(t, e.other, qunzhu.KindReply, "@周局长\u2005已登记")
	for _, st := range []qunzhu.SessionState{qunzhu.StateBanned, qunzhu.StateLoggingIn, qunzhu.StateWaitingScan} {
		r.setState(st)
		time.Sleep(30 * time.Millisecond)
		if got := r.texts(); len(got) != 0 {
			t.Fatalf("sent while %s: %v", st, got)
		}
	}
	st, err := e.store.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 4 {
		t.Fatalf("pending while down = %d, want 4 (everything stays queued)", st.Pending)
	}
	r.setState(qunzhu.StateOnline)
	e.waitSent(t, 4)
	want := []string{"@周局长\u2005已登记", "【红牌】市城管委工单超期", "请于周五18:00前交作业", "端午节送粽子来喽"}
	if got := r.texts(); !equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

func TestSenderDrainsTheMomentTheSessionComesBack(t *testing.T) {
	// With an hour's poll only the session's change signal can wake the sender.
	e := newEnv(t)
	r := newRecorder()
	r.setState(qunzhu.StateWaitingScan)
	start(t, e, r, outbox.Config{Limits: fast(), Poll: time.Hour})
	e.enqueue(t, e.group, qunzhu.KindAlert, "扫码后立即发送")
	time.Sleep(20 * time.Millisecond)
	r.setState(qunzhu.StateOnline)
	e.waitSent(t, 1)
}

func TestSenderDailyCapSaysNothingWhileNothingWaits(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 19, 9, 0, 0, 0, china))
	e := newEnvAt(t, clock)
	e.enqueue(t, e.group, qunzhu.KindAlert, "一")
	e.enqueue(t, e.group, qunzhu.KindAlert, "二")
	lim := fast()
	lim.Daily = 2
	hook := &capHook{}
	startAt(t, e, newRecorder(), clock, outbox.Config{Limits: lim, Location: china, DailyCapReached: hook.reached})
	e.waitSent(t, 2)
	time.Sleep(50 * time.Millisecond)
	if got := hook.got(); len(got) != 0 {
		t.Fatalf("cap notices with an empty queue = %v, want none", got)
	}
	e.enqueue(t, e.group, qunzhu.KindAlert, "三")
	waitFor(t, "the cap notice", func() bool { return len(hook.got()) == 1 })
}
