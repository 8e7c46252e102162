// Package dingtalk is qunzhu on DingTalk: an enterprise internal robot
// (企业内部机器人) in Stream mode. It is the only importer of
// github.com/open-dingtalk/dingtalk-stream-sdk-go. Group @-messages arrive
// through the SDK's chatbot topic and go to the same handler as WeChat's;
// replies go to the message's sessionWebhook while it is valid (with real
// @-mentions), everything else through the robot group-send OpenAPI with an
// access token from the app's AppKey and AppSecret.
package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/client"

	"github.com/qunzhu/qunzhu"
)

// DefaultOpenAPIHost is DingTalk's OpenAPI; tests and the demo point the
// adapter (and the SDK's connection-open call) at the emulator instead.
const DefaultOpenAPIHost = "https://api.dingtalk.com"

// DefaultOAPIHost is DingTalk's older API, where pictures are uploaded.
const DefaultOAPIHost = "https://oapi.dingtalk.com"

// Config is the robot's credentials and what the adapter feeds.
type Config struct {
	// ClientID and ClientSecret are the app's AppKey and AppSecret (Client
	// ID / Client Secret on the developer console). Never logged.
	ClientID     string
	ClientSecret string
	// RobotCode is the robot's code for the group-send OpenAPI; DingTalk
	// gives an internal app's robot its AppKey, the default.
	RobotCode string
	// OpenAPIHost is where the OpenAPI and the stream's connection-open call
	// go ("https://api.dingtalk.com").
	OpenAPIHost string
	// OAPIHost is where the older API that uploads pictures lives
	// ("https://oapi.dingtalk.com").
	OAPIHost string
	Store    qunzhu.Store
	// Handler gets every group message, as bot.Config.Handler does.
	Handler func(ctx context.Context, in *qunzhu.Inbound)
	Logger  *slog.Logger
	Clock   qunzhu.Clock
	// HTTPClient makes the OpenAPI and sessionWebhook calls (10 s timeout).
	HTTPClient *http.Client
	// ClaimStale is how long a message being handled keeps a redelivery
	// away before it is taken as abandoned by a crash (2 min).
	ClaimStale time.Duration
	// KeepAlive is how long the stream may be silent before the SDK pings
	// (120 s; at least 3 s); a ping unanswered for 5 s reconnects.
	KeepAlive time.Duration
}

// String keeps the secret out of any %v of the configuration.
func (c Config) String() string {
	return fmt.Sprintf("dingtalk{client_id:%q secret:%s host:%q}", c.ClientID, setOrNot(c.ClientSecret), c.OpenAPIHost)
}

// LogValue keeps it out of structured logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func setOrNot(s string) string {
	if s == "" {
		return "unset"
	}
	return "set"
}

// Adapter is the DingTalk robot as a qunzhu.Messenger: Run receives, Send
// sends, State says whether it can.
type Adapter struct {
	cfg  Config
	log  *slog.Logger
	http *http.Client

	tokens tokenCache

	mu       sync.Mutex
	state    qunzhu.SessionState
	since    time.Time
	changed  chan struct{}
	sessions map[int64]sessionHook // by our group id
	chats    map[int64]string      // our group id → openConversationId
}

// sessionHook is the latest sessionWebhook seen in a group.
type sessionHook struct {
	url     string
	expires time.Time
}

// New checks the configuration and builds the adapter; Run starts it.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.ClientID == "" || cfg.ClientSecret == "":
		return nil, errors.New("dingtalk: client_id and client_secret are required")
	case cfg.Store == nil || cfg.Handler == nil:
		return nil, errors.New("dingtalk: Store and Handler are required")
	}
	if cfg.RobotCode == "" {
		cfg.RobotCode = cfg.ClientID
	}
	if cfg.OpenAPIHost == "" {
		cfg.OpenAPIHost = DefaultOpenAPIHost
	}
	cfg.OpenAPIHost = strings.TrimRight(cfg.OpenAPIHost, "/")
	if cfg.OAPIHost == "" {
		cfg.OAPIHost = DefaultOAPIHost
	}
	cfg.OAPIHost = strings.TrimRight(cfg.OAPIHost, "/")
	if cfg.Clock == nil {
		cfg.Clock = qunzhu.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.ClaimStale <= 0 {
		cfg.ClaimStale = 2 * time.Minute
	}
	a := &Adapter{cfg: cfg, log: cfg.Logger, http: cfg.HTTPClient,
		state: qunzhu.StateStarting, since: time.Now(), changed: make(chan struct{}),
		sessions: map[int64]sessionHook{}, chats: map[int64]string{}}
	a.tokens = tokenCache{a: a}
	return a, nil
}

// State is the robot's session: online once the stream is open.
func (a *Adapter) State() qunzhu.SessionState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

// StateSince is when the state last changed, for the fallback's notices.
func (a *Adapter) StateSince() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.since
}

// Changed is closed at the next state change, so the sender starts the
// moment the stream opens.
func (a *Adapter) Changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

func (a *Adapter) setState(s qunzhu.SessionState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state == s {
		return
	}
	a.log.Info("dingtalk: robot state", "from", a.state, "to", s)
	a.state, a.since = s, time.Now()
	close(a.changed)
	a.changed = make(chan struct{})
}

// Run opens the stream and keeps it until ctx ends. A failed open (bad
// credentials, network) is retried with back-off while the state says
// offline; once open, the SDK reconnects by itself after a drop.
func (a *Adapter) Run(ctx context.Context) error {
	installSDKLogger(a.log)
	opts := []client.ClientOption{
		client.WithAppCredential(client.NewAppCredentialConfig(a.cfg.ClientID, a.cfg.ClientSecret)),
		client.WithOpenApiHost(a.cfg.OpenAPIHost),
		client.WithAutoReconnect(true),
	}
	if a.cfg.KeepAlive > 0 {
		opts = append(opts, client.WithKeepAlive(a.cfg.KeepAlive))
	}
	cli := client.NewStreamClient(opts...)
	cli.RegisterChatBotCallbackRouter(a.onMessage)
	a.setState(qunzhu.StateLoggingIn)
	wait := time.Second
	for {
		err := cli.Start(ctx)
		if err == nil {
			break
		}
		a.setState(qunzhu.StateOffline)
		a.log.Warn("dingtalk: cannot open the stream, retrying", "in", wait, "err", redact(err, a.cfg.ClientSecret))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			a.setState(qunzhu.StateStopped)
			return nil
		case <-t.C:
		}
		wait = min(wait*2, time.Minute)
	}
	a.setState(qunzhu.StateOnline)
	<-ctx.Done()
	cli.Close()
	a.setState(qunzhu.StateStopped)
	return nil
}

// redact removes a secret from an error's text, for errors that quote what
// the other side echoed.
func redact(err error, secret string) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "***")
	}
	return s
}
