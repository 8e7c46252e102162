package outbox_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/ratelimit"
)

// session is a chat session whose state the test sets, on the test's clock.
type session struct {
	mu      sync.Mutex
	clock   qunzhu.Clock
	state   qunzhu.SessionState
	since   time.Time
	changed chan struct{}
}

func newSession(clock qunzhu.Clock) *session {
	return &session{clock: clock, state: qunzhu.StateOnline, since: clock.Now(), changed: make(chan struct{})}
}

func (s *session) State() qunzhu.SessionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

func (s *session) StateSince() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.since
}

func (s *session) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *session) set(st qunzhu.SessionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state, s.since = st, s.clock.Now()
	close(s.changed)
	s.changed = make(chan struct{})
}

// robot is a Notifier that records what it was given; fail, when set, decides
// the outcome of each call first.
type robot struct {
	mu    sync.Mutex
	texts []string
	fail  func(text string) (retry bool, err error)
}

func (r *robot) Notify(_ context.Context, text string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if retry, err := r.fail(text); err != nil {
			return retry, err
		}
	}
	r.texts = append(r.texts, text)
	return false, nil
}

func (r *robot) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

type fallbackEnv struct {
	*env
	clock   *qunzhu.FakeClock
	session *session
	robot   *robot
	fb      *outbox.Fallback
}

const loginURL = "https://qunzhu.example.gov.cn/login"

func newFallback(t *testing.T, mod func(*outbox.FallbackConfig)) *fallbackEnv {
	t.Helper()
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 19, 14, 0, 0, 0, china))
	e := &fallbackEnv{env: newEnvAt(t, clock), clock: clock, session: newSession(clock), robot: &robot{}}
	cfg := outbox.DefaultFallback()
	cfg.LoginURL, cfg.Location = loginURL, china
	if mod != nil {
		mod(&cfg)
	}
	e.fb = outbox.NewFallback(e.store, e.session, e.robot, ratelimit.NewLocal(clock), clock, nil, cfg)
	return e
}

// at advances the clock by d and runs one check.
func (e *fallbackEnv) at(t *testing.T, d time.Duration) {
	t.Helper()
	e.clock.Advance(d)
	if err := e.fb.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func (e *fallbackEnv) wantPosts(t *testing.T, n int, contains ...string) {
	t.Helper()
	got := e.robot.got()
	if len(got) != n {
		t.Fatalf("robot got %d posts, want %d:\n%s", len(got), n, strings.Join(got, "\n---\n"))
	}
	if n == 0 {
		return
	}
	for _, c := range contains {
		if !strings.Contains(got[n-1], c) {
			t.Errorf("post %d = %q, want it to contain %q", n, got[n-1], c)
		}
	}
}

func TestFallbackAlertsOncePerOutageAfterGraceAndRepeats(t *testing.T) {
	e := newFallback(t, nil)
	e.enqueue(t, e.group, qunzhu.KindAlert, "掉线期间的告警")
	e.at(t, 0)
	e.wantPosts(t, 0)

	e.session.set(qunzhu.StateOffline)
	e.at(t, 30*time.Second)
	e.wantPosts(t, 0) // a hot login usually comes back within the grace minute
	e.session.set(qunzhu.StateLoggingIn)
	e.at(t, 20*time.Second)
	e.session.set(qunzhu.StateWaitingScan)
	e.at(t, 15*time.Second)
	e.wantPosts(t, 1, "qunzhu 的微信已掉线，请扫码登录："+loginURL, "等待扫码", "掉线于 06-19 14:00", "待发送 1 条")

	e.at(t, 30*time.Minute)
	e.wantPosts(t, 1) // one alert per outage, however the state moves
	e.at(t, 31*time.Minute)
	e.wantPosts(t, 2, "qunzhu 的微信已掉线，请扫码登录", "（第 2 次提醒）", "已 1 小时 2 分钟")

	e.session.set(qunzhu.StateOnline)
	e.at(t, time.Minute)
	e.wantPosts(t, 3, "qunzhu 的微信已恢复在线（掉线 1 小时 3 分钟）", "积压的 1 条消息")
	e.at(t, time.Hour)
	e.wantPosts(t, 3)
}

func TestFallbackShortBlipIsQuiet(t *testing.T) {
	e := newFallback(t, nil)
	e.session.set(qunzhu.StateOffline)
	e.at(t, 5*time.Second)
	e.session.set(qunzhu.StateLoggingIn)
	e.at(t, 5*time.Second)
	e.session.set(qunzhu.StateOnline)
	e.at(t, 5*time.Minute)
	e.wantPosts(t, 0)
}

func TestFallbackBanAlertsAtOnce(t *testing.T) {
	e := newFallback(t, nil)
	e.session.set(qunzhu.StateBanned)
	e.at(t, time.Second)
	e.wantPosts(t, 1, "qunzhu 的微信已掉线，请扫码登录", "1102", "手机上")
	// The bot tries to log in again at once; the alert keeps the cause.
	e.session.set(qunzhu.StateWaitingScan)
	e.at(t, time.Hour)
	e.wantPosts(t, 2, "1102", "第 2 次提醒")
}

func TestFallbackFlappingSessionIsRateLimited(t *testing.T) {
	e := newFallback(t, func(c *outbox.FallbackConfig) { c.AlertAfter = 0 })
	e.session.set(qunzhu.StateOffline)
	e.at(t, time.Second)
	e.wantPosts(t, 1, "已掉线")
	e.session.set(qunzhu.StateOnline)
	e.at(t, time.Minute)
	e.wantPosts(t, 2, "已恢复在线")

	// Down again 2 minutes after the first alert: the limit (1 per 10 min)
	// holds the second outage's alert until 10 minutes after the first.
	e.session.set(qunzhu.StateOffline)
	e.at(t, time.Minute)
	e.at(t, 5*time.Minute)
	e.wantPosts(t, 2)
	e.at(t, 3*time.Minute) // 10 min 1 s after the first alert
	e.wantPosts(t, 3, "qunzhu 的微信已掉线，请扫码登录")
}

func TestFallbackRetriesARobotThatFailsAndGivesUpOnARefusal(t *testing.T) {
	e := newFallback(t, func(c *outbox.FallbackConfig) { c.AlertAfter = 0 })
	fails := 2
	e.robot.fail = func(string) (bool, error) {
		if fails > 0 {
			fails--
			return true, errors.New("wecom robot: HTTP 502")
		}
		return false, nil
	}
	e.session.set(qunzhu.StateOffline)
	e.at(t, time.Second)
	e.wantPosts(t, 0)
	e.at(t, 11*time.Second)
	e.wantPosts(t, 0) // second failure; next try after 20 s
	e.at(t, 21*time.Second)
	e.wantPosts(t, 1, "qunzhu 的微信已掉线，请扫码登录")

	// A permanent refusal (wrong key) is given up, not retried forever.
	e.robot.fail = func(string) (bool, error) { return false, errors.New("wecom robot: errcode 93000") }
	e.session.set(qunzhu.StateOnline)
	e.at(t, time.Second)
	e.robot.fail = nil
	e.at(t, time.Hour)
	e.wantPosts(t, 1)
}

func TestFallbackDailyCapNoticeOncePerDay(t *testing.T) {
	e := newFallback(t, nil)
	ctx := context.Background()
	midnight := time.Date(2026, 6, 20, 0, 0, 0, 0, china)
	e.fb.DailyCapReached(ctx, 500, midnight)
	e.fb.DailyCapReached(ctx, 500, midnight) // e.g. after a restart the same day
	e.at(t, time.Second)
	e.wantPosts(t, 1, "今天（2026-06-19）已发出 500 条", "每日上限", "06-20 00:00 后按优先级继续")
	e.clock.Set(midnight.Add(20 * time.Hour))
	e.fb.DailyCapReached(ctx, 500, midnight.Add(24*time.Hour))
	e.at(t, time.Second)
	e.wantPosts(t, 2, "今天（2026-06-20）")
}

func TestFallbackCopiesUrgentMessagesOnceAfterALongOutage(t *testing.T) {
	e := newFallback(t, func(c *outbox.FallbackConfig) { c.UrgentAfter = 30 * time.Minute })
	ctx := context.Background()
	if err := e.store.Update(ctx, func(tx qunzhu.Tx) error {
		for _, m := range []*qunzhu.OutMessage{
			{GroupID: e.group, Kind: qunzhu.KindAlert, Urgent: true, Text: "【红牌】市城管委：黄浦区工单超期7天"},
			{GroupID: e.group, Kind: qunzhu.KindReminder, Text: "请于周五18:00前交作业"},
		} {
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.at(t, time.Hour)
	e.wantPosts(t, 0) // online: WeChat delivers it

	e.session.set(qunzhu.StateOffline)
	e.at(t, 10*time.Minute)
	e.wantPosts(t, 1, "已掉线") // the outage alert only
	e.at(t, 21*time.Minute)
	e.wantPosts(t, 2, "微信已掉线 31 分钟", "区委干部工作群：\n【红牌】市城管委：黄浦区工单超期7天")
	e.at(t, 5*time.Minute)
	e.wantPosts(t, 2) // copied once
	m, err := e.store.OutMessage(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != qunzhu.OutPending {
		t.Fatalf("urgent message status = %s, want still pending for WeChat", m.Status)
	}
}

func TestFallbackRunAlertsOnStateChange(t *testing.T) {
	// Run wakes at a state change; with no grace the alert follows at once.
	e := newFallback(t, func(c *outbox.FallbackConfig) { c.AlertAfter, c.Poll = 0, time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.fb.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(20 * time.Millisecond)
	e.session.set(qunzhu.StateBanned)
	waitFor(t, "the alert", func() bool { return len(e.robot.got()) == 1 })
}

func TestFallbackNamesThePlatformThatIsDown(t *testing.T) {
	e := newFallback(t, func(c *outbox.FallbackConfig) { c.Platform = qunzhu.PlatformDingTalk })
	e.session.set(qunzhu.StateOffline)
	e.at(t, 2*time.Minute)
	e.wantPosts(t, 1, "qunzhu 的钉钉机器人已断开", "其他平台的群不受影响", "已掉线")
	if got := e.robot.got()[0]; strings.Contains(got, "扫码") {
		t.Errorf("a DingTalk outage asks for a WeChat scan: %q", got)
	}
	e.session.set(qunzhu.StateOnline)
	e.at(t, time.Minute)
	e.wantPosts(t, 2, "qunzhu 的钉钉已恢复在线")
}
