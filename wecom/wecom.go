// Package wecom is qunzhu on WeCom (企业微信) and 政务微信: a smart robot
// (智能机器人) in API mode receives the @-messages of a group by encrypted HTTP
// callback, and the group's 消息推送 robot (群机器人) webhook carries
// everything qunzhu says on its own. A reply to a command goes to the
// callback's response_url while it is valid, so it quotes the question.
//
// It is the only package that speaks WeCom's protocol, imports the standard
// library and the domain only, and implements qunzhu.Messenger.
package wecom

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// DefaultAPIBase is WeCom's API host; the emulator replaces it in the demo.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// Inbox is the durable record of callbacks: WeCom redelivers a message it
// thinks unanswered, and a command must run once. The row also keeps the
// message's response_url for the reply. sqlite.Store implements it.
type Inbox interface {
	// ReceiveWeCom records a callback before it is handled; handled reports
	// that msgID was handled already (a redelivery).
	ReceiveWeCom(ctx context.Context, msgID, chatID, responseURL string) (handled bool, err error)
	// HandledWeCom marks msgID handled.
	HandledWeCom(ctx context.Context, msgID string) error
	// WeComResponseURL returns msgID's response_url if it was received after
	// since and not used yet.
	WeComResponseURL(ctx context.Context, msgID string, since time.Time) (string, bool, error)
	// UsedWeComResponseURL records that msgID's response_url is spent.
	UsedWeComResponseURL(ctx context.Context, msgID string) error
	// PruneWeCom forgets callbacks received before t.
	PruneWeCom(ctx context.Context, before time.Time) (int, error)
}

// Config is what the adapter needs. Token, EncodingAESKey and the robots'
// keys are secrets: they are never logged nor put into errors.
type Config struct {
	Token          string
	EncodingAESKey string
	// ReceiveID is "" for a company's own smart robot (WeCom's rule).
	ReceiveID string
	// BotID, when set, is the robot's aibotid: callbacks naming another
	// robot are refused.
	BotID string
	// Robots maps a group's chatid to its 消息推送 robot webhook key.
	Robots map[string]string
	// APIBase is where the group robot webhook lives (DefaultAPIBase); a
	// response_url must point to the same host.
	APIBase    string
	HTTPClient *http.Client // default: 15 s timeout
	Store      qunzhu.Store
	Inbox      Inbox
	// Handler receives every @-message of a registered group, once.
	Handler func(ctx context.Context, in *qunzhu.Inbound)
	Logger  *slog.Logger
	Clock   qunzhu.Clock
}

// Limits and lifetimes WeCom documents.
const (
	maxCallbackBody = 1 << 20  // a callback is a few KB; a MiB is plenty
	maxTextBytes    = 2048     // text message content
	maxReplyBytes   = 20480    // response_url markdown content
	maxImageBytes   = 2 << 20  // group robot image
	maxMediaBytes   = 20 << 20 // a picture downloaded from a callback
	// responseURLTTL is how long a response_url works (1 h); we stop using
	// it a little earlier so a reply never races its expiry.
	responseURLTTL = 55 * time.Minute
	// keepInbound is how long callbacks are remembered for deduplication.
	keepInbound = 7 * 24 * time.Hour
)

// Adapter is qunzhu's WeCom platform: the callback handler, the sender of
// replies and group-robot messages, and the housekeeping loop.
type Adapter struct {
	cfg    Config
	crypto *Crypto
	client *http.Client
	log    *slog.Logger
	clock  qunzhu.Clock
	// since is when the adapter was built: WeCom has no session to lose,
	// so its state has not changed since.
	since time.Time
	// never is the Changed channel: never closed, as the state never changes.
	never chan struct{}
}

// New checks the configuration and builds the adapter.
func New(cfg Config) (*Adapter, error) {
	c, err := NewCrypto(cfg.Token, cfg.EncodingAESKey, cfg.ReceiveID)
	if err != nil {
		return nil, err
	}
	if cfg.Store == nil || cfg.Inbox == nil || cfg.Handler == nil {
		return nil, errors.New("wecom: Store, Inbox and Handler are required")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	a := &Adapter{cfg: cfg, crypto: c, client: cfg.HTTPClient, log: cfg.Logger, clock: cfg.Clock}
	if a.client == nil {
		a.client = &http.Client{Timeout: 15 * time.Second}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.clock == nil {
		a.clock = qunzhu.SystemClock{}
	}
	a.since, a.never = a.clock.Now(), make(chan struct{})
	return a, nil
}

// State is always online: WeCom has no session to lose. A bad key or a
// throttled robot is reported per message by Send.
func (a *Adapter) State() qunzhu.SessionState { return qunzhu.StateOnline }

// StateSince is when the adapter started, online ever since (outbox.Session).
func (a *Adapter) StateSince() time.Time { return a.since }

// Changed is never closed: the state never changes (outbox.Session).
func (a *Adapter) Changed() <-chan struct{} { return a.never }

// Run forgets old callbacks once an hour until ctx ends; the rest of the
// adapter works from HTTP requests and Send.
func (a *Adapter) Run(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.cfg.Inbox.PruneWeCom(ctx, a.clock.Now().Add(-keepInbound)); err != nil && ctx.Err() == nil {
			a.log.Warn("wecom: prune old callbacks", "err", err)
		} else if n > 0 {
			a.log.Debug("wecom: pruned old callbacks", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
