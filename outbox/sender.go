package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Config tunes the sender. Zero values get the defaults noted on each field.
type Config struct {
	Limits Limits
	// ThrottleBackoff is the first pause after the platform says 1205 (5 min);
	// it doubles on each further 1205 up to ThrottleBackoffMax (1 h).
	ThrottleBackoff    time.Duration
	ThrottleBackoffMax time.Duration
	// RetryBase and RetryMax bound the exponential backoff after other send
	// errors (2 s … 5 min). A message is never dropped for a transient error.
	RetryBase time.Duration
	RetryMax  time.Duration
	// MaxAttempts marks a message failed after this many counted attempts (0:
	// never; only permanent errors fail a message).
	MaxAttempts int
	// Poll is how often the sender looks at the store and the session when
	// nothing woke it (1 s).
	Poll time.Duration
	// SendTimeout bounds one platform call, also during shutdown (30 s).
	SendTimeout time.Duration
	// Batch is how many due messages are read at once (32).
	Batch int
	// Delivered, when set, runs after a message is recorded as sent, so a
	// feature can follow its messages (a broadcast's progress). It must be quick.
	Delivered func(ctx context.Context, m *qunzhu.OutMessage)
	// Failed, when set, runs after a message is given up as failed.
	Failed func(ctx context.Context, m *qunzhu.OutMessage, err error)
	// Location is where a day begins for Limits.Daily (Asia/Shanghai).
	Location *time.Location
	// DailyCapReached, when set, runs once a day when the daily cap holds the
	// queue: sent is the day's count, resume the next local midnight. It must
	// be quick (Fallback.DailyCapReached only queues a notice).
	DailyCapReached func(ctx context.Context, sent int, resume time.Time)
}

func (c *Config) setDefaults() {
	if c.ThrottleBackoff <= 0 {
		c.ThrottleBackoff = 5 * time.Minute
	}
	if c.ThrottleBackoffMax <= 0 {
		c.ThrottleBackoffMax = time.Hour
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 2 * time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 5 * time.Minute
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 32
	}
	if c.Location == nil {
		c.Location = chinaTime()
	}
}

// Sender is the only caller of Messenger.Send. It drains the outbox in priority
// order, asks the governor before each send, and turns every failure into a
// later retry, so an accepted message is delivered at least once.
type Sender struct {
	store     qunzhu.Outbox
	messenger qunzhu.Messenger
	gov       governor
	daily     dailyCap // only the Run goroutine touches it
	// lastWasReply: the last slot went to a reply (Run goroutine only).
	lastWasReply bool
	clock        qunzhu.Clock
	log          *slog.Logger
	cfg          Config

	mu             sync.Mutex
	throttledUntil time.Time
	throttleWait   time.Duration
	sent           int64
	usage          DailyUsage
}

// NewSender wires a sender. clock may be nil (system clock), logger nil (discard).
func NewSender(store qunzhu.Outbox, m qunzhu.Messenger, limiter qunzhu.Limiter, clock qunzhu.Clock, logger *slog.Logger, cfg Config) *Sender {
	cfg.setDefaults()
	if cfg.Limits.ReserveDaily == 0 {
		cfg.Limits.ReserveDaily = defaultReserveDaily(cfg.Limits.Daily)
	}
	cfg.Limits.ReserveDaily = max(cfg.Limits.ReserveDaily, 0)
	if clock == nil {
		clock = qunzhu.SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{
		store: store, messenger: m, clock: clock, log: logger, cfg: cfg,
		gov:   governor{limiter: limiter, limits: cfg.Limits},
		daily: dailyCap{max: cfg.Limits.Daily, reserve: min(cfg.Limits.ReserveDaily, cfg.Limits.Daily), loc: cfg.Location},
		usage: DailyUsage{Cap: cfg.Limits.Daily, Reserved: min(cfg.Limits.ReserveDaily, cfg.Limits.Daily)},
	}
}

// ThrottledUntil is when the sender resumes after a 1205, zero if not throttled.
func (s *Sender) ThrottledUntil() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttledUntil
}

// Sent is how many messages this sender delivered since start.
func (s *Sender) Sent() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// Run drains the outbox until ctx ends. A send in flight when ctx ends is
// finished and recorded before Run returns.
func (s *Sender) Run(ctx context.Context) error {
	n, err := s.store.RecoverSending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("outbox: retrying messages left in sending by an earlier stop", "count", n)
	}
	storeDown := false
	for {
		changed := s.sessionChanged() // before step reads the state, so no change is missed
		wait, err := s.step(ctx)
		switch {
		case err != nil && ctx.Err() == nil && qunzhu.ErrorCode(err) == qunzhu.EUNAVAILABLE:
			// The store refuses reads and writes until it is restarted: nothing
			// is sent (it could not be recorded), and once is enough to say so.
			if !storeDown {
				s.log.Error("outbox: store unavailable, sending stopped", "err", err)
			}
			storeDown, wait = true, s.cfg.Poll
		case err != nil && ctx.Err() == nil:
			s.log.Error("outbox: step failed", "err", err)
			wait = s.cfg.Poll
		}
		if ctx.Err() != nil {
			return nil
		}
		if wait > 0 {
			s.sleep(ctx, wait, changed)
		}
	}
}

// stateWatcher is a Messenger that tells when its session state changes
// (bot.Bot), so the queue starts draining the moment a login completes.
type stateWatcher interface {
	Changed() <-chan struct{}
}

// sessionChanged is closed at the messenger's next state change; nil (never)
// for a messenger that cannot tell.
func (s *Sender) sessionChanged() <-chan struct{} {
	if w, ok := s.messenger.(stateWatcher); ok {
		return w.Changed()
	}
	return nil
}

// sleep waits for d, an enqueue, a session change or the end of ctx,
// whichever comes first.
func (s *Sender) sleep(ctx context.Context, d time.Duration, changed <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-s.store.Enqueued():
	case <-changed:
	}
}

// step sends at most one message and says how long to wait before the next step.
func (s *Sender) step(ctx context.Context) (time.Duration, error) {
	if st := s.messenger.State(); st != qunzhu.StateOnline {
		return s.cfg.Poll, nil
	}
	now := s.clock.Now()
	if until := s.ThrottledUntil(); now.Before(until) {
		return min(until.Sub(now), s.cfg.Poll*10), nil
	}
	open, resume, err := s.daily.check(ctx, s.store, now)
	if err != nil {
		return 0, err
	}
	s.publishUsage()
	// Past the ordinary share of the cap only alerts go; the rest waits for
	// the next day.
	reserveOnly := open && !s.daily.ordinaryOpen()
	if !open {
		if err := s.holdForTheDay(ctx, resume); err != nil {
			return 0, err
		}
	}
	due, err := s.store.Due(ctx, now, s.cfg.Batch)
	if err != nil {
		return 0, err
	}
	if !open {
		// Only the owners' notice about the cap itself goes out today.
		due = onlyNotices(due)
		if len(due) == 0 {
			// Poll rather than sleep till midnight: cheap (in memory), and a
			// jump of the demo clock or a raised cap takes effect at once.
			return max(min(resume.Sub(now), s.cfg.Poll), time.Millisecond), nil
		}
	}
	if reserveOnly {
		if due = onlyReserved(due); len(due) == 0 {
			return s.cfg.Poll, nil
		}
	}
	if len(due) == 0 {
		return s.idleWait(ctx, now)
	}
	// Wait for the account's pace before choosing: a reply enqueued during
	// the wait must go before the broadcast that was first in line.
	waited, err := s.waitAccount(ctx)
	if err != nil {
		return 0, nil // ctx ended while waiting; nothing was marked
	}
	if waited {
		if due, err = s.store.Due(ctx, s.clock.Now(), s.cfg.Batch); err != nil {
			return 0, err
		}
		if !open {
			due = onlyNotices(due)
		}
		if reserveOnly {
			due = onlyReserved(due)
		}
	}
	wait := s.cfg.Poll
	due, contended, err := s.alertWaits(ctx, due)
	if err != nil {
		return 0, err
	}
	for _, m := range due {
		if contended && s.lastWasReply && isReply(m) {
			// An alert waits and a reply had the last slot: this one is the
			// alert's, so no stream of replies delays it past the next slot.
			continue
		}
		ok, gwait, err := s.gov.allowGroup(ctx, m.GroupID)
		if err != nil {
			return 0, err
		}
		if !ok {
			wait = min(wait, gwait)
			continue // this group is at its limit; a message for another may go
		}
		s.deliver(ctx, m)
		s.lastWasReply = isReply(m)
		return s.jitter(), nil
	}
	// Every due group is at its limit: the account's slot goes unused, which
	// only ever makes the pace slower.
	return wait, nil
}

// idleWait is how long to sleep when nothing is due: until the next not-before,
// capped by the poll interval; an enqueue wakes the sender earlier.
func (s *Sender) idleWait(ctx context.Context, now time.Time) (time.Duration, error) {
	next, ok, err := s.store.NextDue(ctx)
	if err != nil {
		return 0, err
	}
	if !ok {
		return s.cfg.Poll, nil
	}
	return max(min(next.Sub(now), s.cfg.Poll), time.Millisecond), nil
}

// waitAccount blocks until the account's pace allows one more message and
// says whether it had to wait.
func (s *Sender) waitAccount(ctx context.Context) (waited bool, err error) {
	for {
		ok, wait, err := s.gov.allowAccount(ctx)
		if err != nil {
			s.log.Warn("outbox: limiter unavailable, waiting", "err", err)
		}
		if ok {
			return waited, nil
		}
		waited = true
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return waited, ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Sender) jitter() time.Duration {
	if s.cfg.Limits.Jitter <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(s.cfg.Limits.Jitter)))
}

// deliver sends one message and records the outcome. It uses a context that
// survives ctx's cancellation so that shutdown finishes the send in flight.
func (s *Sender) deliver(ctx context.Context, m *qunzhu.OutMessage) {
	bg := context.WithoutCancel(ctx)
	if err := s.store.MarkSending(bg, m.ID); err != nil {
		s.log.Error("outbox: mark sending", "id", m.ID, "err", err)
		return
	}
	sendCtx, cancel := context.WithTimeout(bg, s.cfg.SendTimeout)
	err := s.messenger.Send(sendCtx, m)
	cancel()
	if err == nil {
		if err := s.store.MarkSent(bg, m.ID); err != nil {
			s.log.Error("outbox: mark sent", "id", m.ID, "err", err)
		}
		s.daily.record(s.clock.Now())
		s.mu.Lock()
		s.sent++
		s.throttleWait = 0
		s.mu.Unlock()
		if s.cfg.Delivered != nil {
			s.cfg.Delivered(bg, m)
		}
		return
	}
	s.recordFailure(bg, m, err)
}

// recordFailure decides, from the kind of error, when m is tried again.
func (s *Sender) recordFailure(ctx context.Context, m *qunzhu.OutMessage, err error) {
	now := s.clock.Now()
	var retryErr error
	switch {
	case errors.Is(err, qunzhu.ErrOffline):
		// Not an attempt: the message waits for the next login.
		s.log.Info("outbox: session offline, message waits", "id", m.ID, "group_id", m.GroupID)
		retryErr = s.store.MarkRetry(ctx, m.ID, now, err.Error(), false)
	case errors.Is(err, qunzhu.ErrThrottled):
		until := s.throttle(now)
		s.log.Warn("outbox: platform throttled the account, backing off", "id", m.ID, "until", until)
		retryErr = s.store.MarkRetry(ctx, m.ID, until, err.Error(), false)
	case qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND:
		s.log.Error("outbox: message cannot be delivered", "id", m.ID, "group_id", m.GroupID, "err", err)
		retryErr = s.store.MarkFailed(ctx, m.ID, err.Error())
		s.failed(ctx, m, err, retryErr)
	default:
		attempts := m.Attempts + 1
		if s.cfg.MaxAttempts > 0 && attempts >= s.cfg.MaxAttempts {
			s.log.Error("outbox: giving up after attempts", "id", m.ID, "attempts", attempts, "err", err)
			retryErr = s.store.MarkFailed(ctx, m.ID, err.Error())
			s.failed(ctx, m, err, retryErr)
			break
		}
		next := now.Add(backoff(s.cfg.RetryBase, s.cfg.RetryMax, attempts))
		s.log.Warn("outbox: send failed, will retry", "id", m.ID, "group_id", m.GroupID, "attempt", attempts, "next", next, "err", err)
		retryErr = s.store.MarkRetry(ctx, m.ID, next, err.Error(), true)
	}
	if retryErr != nil {
		s.log.Error("outbox: record failure", "id", m.ID, "err", retryErr)
	}
}

// failed tells the Failed hook, once the failure is recorded.
func (s *Sender) failed(ctx context.Context, m *qunzhu.OutMessage, err, recordErr error) {
	if recordErr == nil && s.cfg.Failed != nil {
		s.cfg.Failed(ctx, m, err)
	}
}

// throttle starts or doubles the 1205 back-off and returns when sending resumes.
func (s *Sender) throttle(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttleWait == 0 {
		s.throttleWait = s.cfg.ThrottleBackoff
	} else {
		s.throttleWait = min(s.throttleWait*2, s.cfg.ThrottleBackoffMax)
	}
	s.throttledUntil = now.Add(s.throttleWait)
	return s.throttledUntil
}

// backoff is base·2^(attempt-1), capped at max.
func backoff(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// onlyNotices keeps the KindNotice messages of due, in order.
func onlyNotices(due []*qunzhu.OutMessage) []*qunzhu.OutMessage {
	var out []*qunzhu.OutMessage
	for _, m := range due {
		if m.Kind == qunzhu.KindNotice {
			out = append(out, m)
		}
	}
	return out
}

// holdForTheDay reports, once a day and only if a message waits, that the
// daily cap holds the queue until resume: to the log and the DailyCapReached
// hook, which tells the fallback robot and queues one KindNotice to the owners
// of each group whose messages wait (see CapNotices) — the only messages the
// cap lets through, a handful over it at most.
func (s *Sender) holdForTheDay(ctx context.Context, resume time.Time) error {
	if s.daily.told.Equal(s.daily.day) {
		return nil
	}
	if _, waiting, err := s.store.NextDue(ctx); err != nil || !waiting {
		return err
	}
	s.daily.told = s.daily.day
	s.log.Warn("outbox: daily cap reached, holding every message until the next day",
		"sent_today", s.daily.sent, "cap", s.daily.max, "resume", resume)
	if s.cfg.DailyCapReached != nil {
		s.cfg.DailyCapReached(ctx, s.daily.sent, resume)
	}
	return nil
}
