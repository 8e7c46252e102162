// Package bot is the only importer of openwechat. It logs the account in (hot
// login from the saved session, then push login to the phone, then a QR code),
// re-maps WeChat's per-login UserNames to our group and member ids, turns group
// messages into platform-neutral qunzhu.Inbound values, and implements
// qunzhu.Messenger for the outbox sender.
package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu"
)

// Handler receives every group message from a registered group, in order.
type Handler func(ctx context.Context, in *qunzhu.Inbound)

// Config wires a Bot. Only DataDir and Handler are required.
type Config struct {
	// DataDir holds the saved session for hot login (wechat-session.json, 0600).
	DataDir string
	// Transport replaces the HTTP transport, e.g. wxemu.Transport for the
	// emulator; nil talks to the real WeChat servers.
	Transport http.RoundTripper
	// Handler gets inbound group messages; it runs on one worker goroutine.
	Handler Handler
	// QRWriter, when set, gets the login QR code drawn in text for a terminal.
	QRWriter io.Writer
	// Bootstrap names, per group name, the registered members (owners and admins
	// from the config file) who are bound by display name at login while they are
	// still unbound — the one place a display name is trusted, once, at setup.
	Bootstrap map[string][]string
	// PushTimeout bounds waiting for the phone to confirm a push login (2 min).
	PushTimeout time.Duration
	// RetryMax caps the pause between failed login rounds (1 min).
	RetryMax time.Duration
	Logger   *slog.Logger
	Clock    qunzhu.Clock
}

// Bot is one WeChat account. Create it with New and run it with Run.
type Bot struct {
	store qunzhu.Store
	cfg   Config
	log   *slog.Logger
	file  *sessionFile
	inbox chan *openwechat.Message

	mu      sync.Mutex
	state   qunzhu.SessionState
	since   time.Time
	qrURL   string
	sess    *session
	changed chan struct{} // closed and replaced at every state change and new QR code
}

// New returns a Bot that keeps its state in store.
func New(store qunzhu.Store, cfg Config) *Bot {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = qunzhu.SystemClock{}
	}
	if cfg.PushTimeout <= 0 {
		cfg.PushTimeout = 2 * time.Minute
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = time.Minute
	}
	return &Bot{
		store:   store,
		cfg:     cfg,
		log:     cfg.Logger.With("component", "bot"),
		file:    newSessionFile(filepath.Join(cfg.DataDir, "wechat-session.json")),
		inbox:   make(chan *openwechat.Message, 256),
		state:   qunzhu.StateStarting,
		since:   cfg.Clock.Now(),
		changed: make(chan struct{}),
	}
}

// State is the session state; the sender sends only while it is StateOnline.
func (b *Bot) State() qunzhu.SessionState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// StateSince is when the current state began, for alerts about long outages.
func (b *Bot) StateSince() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.since
}

// Changed returns a channel closed at the next state change or new login QR
// code, so callers can wait for a login (or show the current code) without
// polling.
func (b *Bot) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}

// QRCode is the content of the login QR code while one waits to be scanned
// (for the dashboard); ok is false otherwise.
func (b *Bot) QRCode() (content string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.qrURL, b.state == qunzhu.StateWaitingScan && b.qrURL != ""
}

func (b *Bot) setState(st qunzhu.SessionState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == st {
		return
	}
	b.log.Info("wechat session state", "from", b.state, "to", st)
	b.state = st
	b.since = b.cfg.Clock.Now()
	close(b.changed)
	b.changed = make(chan struct{})
}

// Run logs in, serves the session, and logs in again whenever the session ends,
// until ctx ends. A logout or ban is a state, never a crash.
func (b *Bot) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.work(ctx)
	}()
	defer wg.Wait()
	defer b.setState(qunzhu.StateStopped)

	wait := time.Second
	for ctx.Err() == nil {
		wb, err := b.login(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.log.Warn("wechat login failed, will retry", "err", err, "in", wait)
			b.setState(qunzhu.StateOffline)
			if !sleepCtx(ctx, wait) {
				return nil
			}
			wait = min(wait*2, b.cfg.RetryMax)
			continue
		}
		wait = time.Second
		reason := b.serve(ctx, wb)
		if ctx.Err() != nil {
			return nil
		}
		var ret openwechat.Ret
		if errors.As(reason, &ret) && int(ret) == 1102 {
			b.log.Error("wechat session ended: logged out from the phone or banned (1102)")
			b.setState(qunzhu.StateBanned)
		} else {
			b.log.Warn("wechat session ended, logging in again", "reason", reason)
			b.setState(qunzhu.StateOffline)
		}
		if !sleepCtx(ctx, time.Second) {
			return nil
		}
	}
	return nil
}

// serve maps the new session, goes online and blocks until the session ends.
func (b *Bot) serve(ctx context.Context, wb *openwechat.Bot) error {
	sess, err := b.remap(ctx, wb)
	if err != nil {
		wb.Exit()
		return err
	}
	b.mu.Lock()
	b.sess = sess
	b.qrURL = ""
	b.mu.Unlock()
	b.setState(qunzhu.StateOnline)

	stop := context.AfterFunc(ctx, wb.Exit)
	defer stop()
	reason := wb.Block()
	// Block hides the reason when the session died before it was called (during
	// the re-mapping); CrashReason keeps it.
	if cr := wb.CrashReason(); cr != nil {
		reason = cr
	}

	b.mu.Lock()
	b.sess = nil
	b.mu.Unlock()
	return reason
}

// work converts and hands on inbound messages one at a time, off the sync loop.
func (b *Bot) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-b.inbox:
			in, ok := b.convert(ctx, msg)
			if ok && b.cfg.Handler != nil {
				b.cfg.Handler(ctx, in)
			}
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
