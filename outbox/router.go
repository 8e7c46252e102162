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

// Lane is one platform's way out: its Messenger (bot.Bot for WeChat, the
// DingTalk or WeCom adapter) and the sender settings for that platform, its
// limits above all. Each lane has its own session state, pace, daily cap and
// back-off, so a WeChat logout or 1205 holds WeChat groups only.
type Lane struct {
	Platform  qunzhu.Platform
	Messenger qunzhu.Messenger
	Config    Config
}

// RouterStore is the store as the router needs it: the outbox, narrowed per
// platform for each lane.
type RouterStore interface {
	qunzhu.Outbox
	qunzhu.PlatformOutbox
}

// Router drains the outbox through one Sender per platform: the router by the
// group's platform (OutMessage.Platform, filled by the store). Messages for a
// platform that is not configured wait in the outbox, counted in /readyz.
type Router struct {
	store   RouterStore
	log     *slog.Logger
	order   []qunzhu.Platform
	lanes   map[qunzhu.Platform]*Sender
	msgrs   map[qunzhu.Platform]qunzhu.Messenger
	wake    map[qunzhu.Platform]chan struct{}
	started sync.Once
}

// NewRouter builds one Sender per lane; a platform may appear once.
func NewRouter(store RouterStore, limiter qunzhu.Limiter, clock qunzhu.Clock, logger *slog.Logger, lanes ...Lane) (*Router, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Router{store: store, log: logger, lanes: map[qunzhu.Platform]*Sender{},
		msgrs: map[qunzhu.Platform]qunzhu.Messenger{}, wake: map[qunzhu.Platform]chan struct{}{}}
	for _, l := range lanes {
		switch {
		case !l.Platform.Valid():
			return nil, fmt.Errorf("outbox: unknown platform %q", l.Platform)
		case l.Messenger == nil:
			return nil, fmt.Errorf("outbox: platform %s has no messenger", l.Platform)
		case r.lanes[l.Platform] != nil:
			return nil, fmt.Errorf("outbox: platform %s listed twice", l.Platform)
		}
		wake := make(chan struct{}, 1)
		view := &platformOutbox{Outbox: store, on: store, p: l.Platform, wake: wake}
		s := NewSender(view, l.Messenger, limiter, clock, logger.With("platform", string(l.Platform)), l.Config)
		s.gov.platform = l.Platform
		r.order = append(r.order, l.Platform)
		r.lanes[l.Platform], r.msgrs[l.Platform], r.wake[l.Platform] = s, l.Messenger, wake
	}
	return r, nil
}

// Sender is the lane of platform p, nil if p is not configured.
func (r *Router) Sender(p qunzhu.Platform) *Sender { return r.lanes[p] }

// Platforms lists the configured platforms in the order given.
func (r *Router) Platforms() []qunzhu.Platform { return r.order }

// States reports each configured platform's session state, for /readyz.
func (r *Router) States() map[qunzhu.Platform]qunzhu.SessionState {
	out := make(map[qunzhu.Platform]qunzhu.SessionState, len(r.order))
	for _, p := range r.order {
		out[p] = r.msgrs[p].State()
	}
	return out
}

// Send hands m to the Messenger of its group's platform. Only the lanes call
// Messengers in production; Send is the same routing for callers that hold
// a message already (tests, tools).
func (r *Router) Send(ctx context.Context, m *qunzhu.OutMessage) error {
	msgr := r.msgrs[m.Platform]
	if msgr == nil {
		return fmt.Errorf("%w: platform %q is not configured", qunzhu.ErrOffline, m.Platform)
	}
	return msgr.Send(ctx, m)
}

// Run recovers the messages a crash left in sending, once for every
// platform, then runs every lane until ctx ends; it returns after every lane
// recorded its send in flight.
func (r *Router) Run(ctx context.Context) error {
	n, err := r.store.RecoverSending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		r.log.Warn("outbox: retrying messages left in sending by an earlier stop", "count", n)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(r.order))
	for i, p := range r.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.lanes[p].Run(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.fanOut(ctx)
	}()
	wg.Wait()
	return errors.Join(errs...)
}

// fanOut passes the store's one enqueue signal to every lane, so a reply
// enqueued for DingTalk wakes the DingTalk lane even if WeChat's was asleep.
func (r *Router) fanOut(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.store.Enqueued():
		}
		for _, w := range r.wake {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	}
}

// platformOutbox is the outbox as one lane sees it: the platform's messages
// and daily count, its own wake-up, and no recovery (the router did it once,
// before any lane took a message).
type platformOutbox struct {
	qunzhu.Outbox
	on   qunzhu.PlatformOutbox
	p    qunzhu.Platform
	wake chan struct{}
}

func (o *platformOutbox) Due(ctx context.Context, now time.Time, n int) ([]*qunzhu.OutMessage, error) {
	return o.on.DueOn(ctx, o.p, now, n)
}

func (o *platformOutbox) DueAlerts(ctx context.Context, now time.Time, n int) ([]*qunzhu.OutMessage, error) {
	return o.on.DueAlertsOn(ctx, o.p, now, n)
}

func (o *platformOutbox) NextDue(ctx context.Context) (time.Time, bool, error) {
	return o.on.NextDueOn(ctx, o.p)
}

func (o *platformOutbox) SentSince(ctx context.Context, t time.Time) (int, error) {
	return o.on.SentSinceOn(ctx, o.p, t)
}

func (o *platformOutbox) RecoverSending(context.Context) (int, error) { return 0, nil }

func (o *platformOutbox) Enqueued() <-chan struct{} { return o.wake }

// OfficialLimits are the defaults of a DingTalk or WeCom robot: the group
// robot's 20 messages a minute per group, a pace well under the OpenAPI's
// 20 calls a second per app, no daily cap and no jitter (these platforms do
// not ban a robot for a machine-made rhythm).
func OfficialLimits() Limits {
	return Limits{
		Account: qunzhu.Limit{Rate: 10, Period: time.Second, Burst: 10},
		Group:   qunzhu.Limit{Rate: 20, Period: time.Minute, Burst: 1},
	}
}

// LimitsFor is the default limits of platform p.
func LimitsFor(p qunzhu.Platform) Limits {
	if p.StableIDs() {
		return OfficialLimits()
	}
	return DefaultLimits()
}
