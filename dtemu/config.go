package dtemu

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config describes the emulated organisation: the robot's app credentials and
// the groups the robot is in, with their people.
type Config struct {
	// ClientID and ClientSecret are the robot app's AppKey and AppSecret; the
	// connection-open and access-token calls must present them.
	ClientID     string
	ClientSecret string
	// BotName is the robot's name in the groups: a message reaches the robot
	// only when it @-mentions this name ("@群主助手 /ping").
	BotName string
	Groups  []GroupConfig
	// Redeliver is how long a frame may stay unacknowledged before it is sent
	// again (60 s, about what DingTalk documents); 0 uses the default.
	Redeliver time.Duration
	// SessionTTL is how long a message's sessionWebhook stays valid (90 min).
	SessionTTL time.Duration
	// TokenTTL is the access token's lifetime (7200 s).
	TokenTTL time.Duration
	// GroupLimit is how many messages a minute one group takes from the robot
	// before the platform refuses (20); negative for no limit.
	GroupLimit int
	Logger     *slog.Logger
}

// GroupConfig is one group: its name, openConversationId, and members.
type GroupConfig struct {
	Name    string
	ChatID  string // openConversationId, e.g. "cidAbc=="
	Members []Person
}

// Person is a member of the organisation: a display name and userId (staffId).
type Person struct {
	Name   string
	UserID string
}

// Errors of the Go and control APIs.
var (
	ErrInvalid       = errors.New("dtemu: invalid request")
	ErrUnknownGroup  = errors.New("dtemu: unknown group")
	ErrUnknownMember = errors.New("dtemu: not a member of the group")
	ErrClosed        = errors.New("dtemu: emulator closed")
)

func (c *Config) setDefaults() {
	if c.Redeliver <= 0 {
		c.Redeliver = time.Minute
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 90 * time.Minute
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 7200 * time.Second
	}
	if c.GroupLimit == 0 {
		c.GroupLimit = 20
	}
	if c.BotName == "" {
		c.BotName = "群主助手"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate says what is wrong with the world description.
func (c Config) Validate() error {
	var errs []error
	if c.ClientID == "" || c.ClientSecret == "" {
		errs = append(errs, errors.New("client_id and client_secret are required"))
	}
	names, chats := map[string]bool{}, map[string]bool{}
	for i, g := range c.Groups {
		switch {
		case g.Name == "":
			errs = append(errs, fmt.Errorf("groups[%d]: empty name", i))
		case names[g.Name]:
			errs = append(errs, fmt.Errorf("groups[%d]: name %q is listed twice", i, g.Name))
		}
		switch {
		case g.ChatID == "":
			errs = append(errs, fmt.Errorf("groups[%d]: empty chat_id", i))
		case chats[g.ChatID]:
			errs = append(errs, fmt.Errorf("groups[%d]: chat_id %q is listed twice", i, g.ChatID))
		}
		names[g.Name], chats[g.ChatID] = true, true
		for j, p := range g.Members {
			if p.Name == "" || p.UserID == "" {
				errs = append(errs, fmt.Errorf("groups[%d].members[%d]: name and user_id are required", i, j))
			}
		}
	}
	return errors.Join(errs...)
}
