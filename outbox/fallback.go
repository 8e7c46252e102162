package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Notifier posts a plain-text notice to the fallback channel, a group robot
// outside WeChat (package notify: WeCom, DingTalk, Feishu). retry says whether
// the same notice may succeed later (network, rate limit, 5xx); an error with
// retry false is permanent (wrong key, bad signature). Errors never hold the
// robot's URL or secret.
type Notifier interface {
	Notify(ctx context.Context, text string) (retry bool, err error)
}

// Session is the chat session as the fallback watches it; *bot.Bot is one.
type Session interface {
	State() qunzhu.SessionState
	StateSince() time.Time
	// Changed is closed at the next state change, so an outage is seen at once.
	Changed() <-chan struct{}
}

// FallbackConfig tunes the fallback. Start from DefaultFallback: a zero
// AlertAfter, RepeatEvery or UrgentAfter means "at once" or "never", not "default".
type FallbackConfig struct {
	// LoginURL is the login page (GET /login with the QR code) the outage
	// alert links to, e.g. https://qunzhu.example.gov.cn/login.
	LoginURL string
	// AlertAfter is how long the session may be down before the first alert,
	// so a hot login that succeeds in seconds stays quiet. A 1102 (logged out
	// on the phone, or banned) needs a person and alerts at once.
	AlertAfter time.Duration
	// AlertEvery allows at most one outage alert per this period, through the
	// Limiter (shared by replicas through Redis), so a flapping session does
	// not flood the robot's group. 0 means no limit.
	AlertEvery time.Duration
	// RepeatEvery sends the alert again while the session stays down; 0 never.
	RepeatEvery time.Duration
	// UrgentAfter copies Urgent messages to the robot once the session has been
	// down this long; 0 never.
	UrgentAfter time.Duration
	// RobotLimit paces every post to the robot: WeCom and DingTalk allow 20 a
	// minute per robot, Feishu 100. Zero gets 20 a minute.
	RobotLimit qunzhu.Limit
	// Poll is how often the fallback looks when nothing changed (5 s).
	Poll time.Duration
	// Location is where times in the notices are read (Asia/Shanghai).
	Location *time.Location
	// Platform is the platform whose session the fallback watches, named in
	// every notice ("qunzhu 的钉钉已断开"); "" is WeChat. Only WeChat has a
	// login page and a daily cap.
	Platform qunzhu.Platform
}

// DefaultFallback is the fallback for a production account: quiet through
// short blips, one alert per outage repeated hourly, no urgent copies.
func DefaultFallback() FallbackConfig {
	return FallbackConfig{
		AlertAfter:  time.Minute,
		AlertEvery:  10 * time.Minute,
		RepeatEvery: time.Hour,
	}
}

// Limiter keys of the fallback, beside the governor's.
const (
	keyOutageAlert = "fallback:outage"
	keyRobot       = "fallback:robot"
	keyDailyNotice = "fallback:daily:" // + local date
)

// Fallback tells people outside WeChat what they must act on while WeChat
// delivery cannot: the session is down (with the login page URL), the daily
// cap holds the queue, and — optionally — urgent messages that are stuck. It
// never sends into WeChat and never takes a message out of the queue: every
// message still goes to its group after the next login. It prefers a repeated
// notice over a missed one.
type Fallback struct {
	store    qunzhu.Store
	session  Session
	notifier Notifier
	limiter  qunzhu.Limiter
	clock    qunzhu.Clock
	log      *slog.Logger
	cfg      FallbackConfig
	kick     chan struct{}

	mu    sync.Mutex
	queue []*notice // notices waiting for the robot; in memory, see Run

	// The current outage; only Check touches these.
	downSince   time.Time // zero while online
	banned      bool      // a 1102 was seen during this outage
	alerts      int       // outage alerts granted for this outage
	alertedAt   time.Time // when the last one was granted
	alertNext   time.Time // the limiter said: not before
	urgentAfter time.Time // the robot failed a copy: not before
}

// notice is one post for the robot, retried while the robot says it may help.
type notice struct {
	what  string // for logs: "outage", "recovered", "daily cap"
	text  string
	tries int
	next  time.Time
}

// maxNoticeTries bounds the retries of one notice (about an hour of back-off).
const maxNoticeTries = 15

// NewFallback wires a fallback; clock and logger may be nil.
func NewFallback(store qunzhu.Store, session Session, n Notifier, limiter qunzhu.Limiter, clock qunzhu.Clock, logger *slog.Logger, cfg FallbackConfig) *Fallback {
	if clock == nil {
		clock = qunzhu.SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RobotLimit.IsZero() {
		cfg.RobotLimit = qunzhu.Limit{Rate: 20, Period: time.Minute, Burst: 5}
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.Location == nil {
		cfg.Location = chinaTime()
	}
	if cfg.Platform == "" {
		cfg.Platform = qunzhu.PlatformWeChat
	}
	return &Fallback{store: store, session: session, notifier: n, limiter: limiter,
		clock: clock, log: logger, cfg: cfg, kick: make(chan struct{}, 1)}
}

// Run checks at every session change, at every Kick and every Poll, until ctx
// ends. Notices wait in memory: one lost to a restart is found again, because
// an outage that outlives the restart is seen and alerted anew.
func (f *Fallback) Run(ctx context.Context) error {
	for {
		changed := f.session.Changed()
		if err := f.Check(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("fallback: check failed", "err", err)
		}
		t := time.NewTimer(f.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-changed:
		case <-f.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// Kick makes Run check now.
func (f *Fallback) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Check does one round at the clock's now: follow the outage and alert,
// copy urgent messages, post what waits for the robot. Tests call it directly.
func (f *Fallback) Check(ctx context.Context) error {
	now := f.clock.Now()
	err := errors.Join(f.watchOutage(ctx, now), f.forwardUrgent(ctx, now))
	f.flush(ctx, now)
	return err
}

// DailyCapReached is the sender's hook: it queues one notice per local day
// (through the Limiter, so a restart or another replica does not repeat it)
// and returns at once.
func (f *Fallback) DailyCapReached(ctx context.Context, sent int, resume time.Time) {
	day := resume.Add(-time.Nanosecond).In(f.cfg.Location).Format("2006-01-02")
	if !f.allow(ctx, keyDailyNotice+day, qunzhu.Limit{Rate: 1, Period: 24 * time.Hour, Burst: 1}) {
		return
	}
	f.enqueue("daily cap", fmt.Sprintf(
		"qunzhu 今天（%s）已发出 %d 条微信消息，达到每日上限，其余消息暂停发送，%s 后按优先级继续，不会丢失。\n"+
			"上限用来防止微信账号因发送过多被限制；确需多发可调高 limits.daily。",
		day, sent, resume.In(f.cfg.Location).Format("01-02 15:04")), f.clock.Now())
	f.Kick()
}

// watchOutage follows the session from online to down and back, and grants
// the outage alert when it is due and the Limiter allows.
func (f *Fallback) watchOutage(ctx context.Context, now time.Time) error {
	st := f.session.State()
	if st == qunzhu.StateOnline || st == qunzhu.StateStopped {
		if st == qunzhu.StateOnline && f.alerts > 0 {
			f.enqueue("recovered", f.recoveredText(ctx, now), now)
		}
		f.downSince, f.banned, f.alerts = time.Time{}, false, 0
		f.alertedAt, f.alertNext, f.urgentAfter = time.Time{}, time.Time{}, time.Time{}
		return nil
	}
	if f.downSince.IsZero() {
		// The state's own start; the outage may have passed through several
		// states (offline → logging_in → waiting_scan) since.
		f.downSince = f.session.StateSince()
		if f.downSince.IsZero() || f.downSince.After(now) {
			f.downSince = now
		}
	}
	if st == qunzhu.StateBanned {
		f.banned = true
	}
	due := f.downSince.Add(f.cfg.AlertAfter)
	switch {
	case f.alerts > 0 && f.cfg.RepeatEvery <= 0:
		return nil
	case f.alerts > 0:
		due = f.alertedAt.Add(f.cfg.RepeatEvery)
	case f.banned:
		due = f.downSince
	}
	if now.Before(due) || now.Before(f.alertNext) {
		return nil
	}
	if f.cfg.AlertEvery > 0 && f.limiter != nil {
		res, err := f.limiter.Allow(ctx, f.outageKey(), qunzhu.Limit{Rate: 1, Period: f.cfg.AlertEvery, Burst: 1})
		switch {
		case err != nil:
			f.log.Warn("fallback: limiter unavailable, alerting anyway", "err", err)
		case !res.Allowed:
			f.alertNext = now.Add(res.RetryAfter)
			f.log.Info("fallback: outage alert held by the alert limit", "until", f.alertNext)
			return nil
		}
	}
	f.alerts++
	f.alertedAt = now
	f.enqueue("outage", f.outageText(ctx, st, now), now)
	f.log.Warn("fallback: chat session down, alerting the fallback robot",
		"platform", f.cfg.Platform, "state", st, "down_since", f.downSince, "alert", f.alerts)
	return nil
}

// forwardUrgent copies urgent messages to the robot once the outage is long
// enough. The copy is recorded in the store, so it goes out once across
// restarts; the message stays queued for WeChat.
func (f *Fallback) forwardUrgent(ctx context.Context, now time.Time) error {
	if f.cfg.UrgentAfter <= 0 || f.downSince.IsZero() || now.Sub(f.downSince) < f.cfg.UrgentAfter || now.Before(f.urgentAfter) {
		return nil
	}
	list, err := f.store.Unforwarded(ctx, now, 10)
	if err != nil {
		return err
	}
	for _, m := range list {
		if !f.allow(ctx, keyRobot, f.cfg.RobotLimit) {
			return nil
		}
		group := fmt.Sprintf("群 %d", m.GroupID)
		if err := f.store.View(ctx, func(tx qunzhu.Tx) error {
			g, err := tx.GroupByID(m.GroupID)
			if err == nil {
				group = g.Name
			}
			return nil
		}); err != nil {
			return err
		}
		text := fmt.Sprintf("【%s已掉线 %s，紧急消息转发】%s：\n%s", f.cfg.Platform.Chinese(), chineseDuration(now.Sub(f.downSince)), group, m.Text)
		retry, err := f.notifier.Notify(ctx, text)
		switch {
		case err != nil && retry:
			f.urgentAfter = now.Add(30 * time.Second)
			f.log.Warn("fallback: copying an urgent message failed, will retry", "id", m.ID, "err", err)
			return nil
		case err != nil:
			f.log.Error("fallback: the robot refused an urgent message; not retried", "id", m.ID, "err", err)
		default:
			f.log.Info("fallback: urgent message copied to the fallback robot", "id", m.ID, "group_id", m.GroupID)
		}
		if err := f.store.MarkForwarded(ctx, m.ID); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fallback) enqueue(what, text string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, &notice{what: what, text: text, next: now})
}

// take removes and returns the first notice due at now, nil if none.
func (f *Fallback) take(now time.Time) *notice {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, n := range f.queue {
		if !n.next.After(now) {
			f.queue = append(f.queue[:i:i], f.queue[i+1:]...)
			return n
		}
	}
	return nil
}

func (f *Fallback) putBack(n *notice) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append([]*notice{n}, f.queue...)
}

// flush posts the due notices, at the robot's pace, retrying with back-off
// those the robot may take later.
func (f *Fallback) flush(ctx context.Context, now time.Time) {
	for {
		n := f.take(now)
		if n == nil {
			return
		}
		if !f.allow(ctx, keyRobot, f.cfg.RobotLimit) {
			f.putBack(n)
			return
		}
		retry, err := f.notifier.Notify(ctx, n.text)
		switch {
		case err == nil:
			f.log.Info("fallback: robot notified", "notice", n.what)
		case retry && n.tries+1 < maxNoticeTries:
			n.tries++
			n.next = now.Add(backoff(10*time.Second, 5*time.Minute, n.tries))
			f.log.Warn("fallback: robot notice failed, will retry", "notice", n.what, "try", n.tries, "next", n.next, "err", err)
			f.putBack(n)
		default:
			f.log.Error("fallback: robot notice given up", "notice", n.what, "tries", n.tries+1, "err", err)
		}
	}
}

// allow asks the Limiter; without one, or when it fails, the notice goes:
// a repeated notice is better than a missed one.
func (f *Fallback) allow(ctx context.Context, key string, l qunzhu.Limit) bool {
	if f.limiter == nil || l.IsZero() {
		return true
	}
	res, err := f.limiter.Allow(ctx, key, l)
	if err != nil {
		f.log.Warn("fallback: limiter unavailable, posting anyway", "key", key, "err", err)
		return true
	}
	return res.Allowed
}

// outageText is the alert: which platform is down and what to do first,
// then what is known.
func (f *Fallback) outageText(ctx context.Context, st qunzhu.SessionState, now time.Time) string {
	var text string
	switch {
	case f.cfg.Platform != qunzhu.PlatformWeChat:
		text = fmt.Sprintf("qunzhu 的%s机器人已断开，请检查应用凭证和网络（其他平台的群不受影响）。", f.cfg.Platform.Chinese())
	case f.cfg.LoginURL == "":
		text = "qunzhu 的微信已掉线，请扫码登录（未配置 public_url，登录页地址未知）"
	default:
		text = "qunzhu 的微信已掉线，请扫码登录：" + f.cfg.LoginURL
	}
	text += fmt.Sprintf("\n状态：%s，掉线于 %s（已 %s）。", st.Chinese(),
		f.downSince.In(f.cfg.Location).Format("01-02 15:04"), chineseDuration(now.Sub(f.downSince)))
	if f.banned && f.cfg.Platform == qunzhu.PlatformWeChat {
		text += "\n原因：微信在手机上退出了网页登录，或账号受到限制（1102）；请先在手机上确认账号状态。"
	}
	if n, ok := f.pending(ctx); ok {
		text += fmt.Sprintf("\n待发送 %d 条消息，恢复后按优先级补发，不会丢失。", n)
	}
	if f.alerts > 1 {
		text += fmt.Sprintf("\n（第 %d 次提醒）", f.alerts)
	}
	return text
}

func (f *Fallback) recoveredText(ctx context.Context, now time.Time) string {
	text := fmt.Sprintf("qunzhu 的%s已恢复在线（掉线 %s）。", f.cfg.Platform.Chinese(), chineseDuration(now.Sub(f.downSince)))
	if n, ok := f.pending(ctx); ok && n > 0 {
		text += fmt.Sprintf("积压的 %d 条消息正在按优先级补发。", n)
	}
	return text
}

// outageKey is the outage alert's limiter key: WeChat keeps its old key,
// each other platform has its own, so one platform's alert never silences
// another's.
func (f *Fallback) outageKey() string {
	if f.cfg.Platform == qunzhu.PlatformWeChat {
		return keyOutageAlert
	}
	return keyOutageAlert + ":" + string(f.cfg.Platform)
}

// pending is the queue's length, for the notices; ok is false if the store fails.
func (f *Fallback) pending(ctx context.Context) (int, bool) {
	st, err := f.store.OutboxStats(ctx)
	if err != nil {
		f.log.Warn("fallback: outbox stats", "err", err)
		return 0, false
	}
	return st.Pending + st.Sending, true
}

// chineseDuration writes d the way the notices say it: "12 分钟", "2 小时 5 分钟".
func chineseDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d 秒", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int(d.Minutes()))
	case d%time.Hour < time.Minute:
		return fmt.Sprintf("%d 小时", int(d.Hours()))
	}
	return fmt.Sprintf("%d 小时 %d 分钟", int(d.Hours()), int((d % time.Hour).Minutes()))
}
