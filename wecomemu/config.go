// Package wecomemu emulates the WeCom side of qunzhu's WeCom platform, so the
// real protocol runs in tests and in the demo with no company account: it
// plays the smart robot's platform (encrypted, signed callbacks of members'
// @-messages posted to qunzhu's callback URL, response_url), the groups' 消息推送
// robot webhook (/cgi-bin/webhook/send?key=…) with its 20-a-minute limit and
// errcodes, and records what each group shows. Its control API has the shape
// of wxemu's: GET /_emu/groups, POST and GET /_emu/groups/{name}/messages.
//
// It uses the standard library only, and its crypto is written apart from
// package wecom's on purpose: the emulator checks the adapter, it must not
// share its mistakes.
package wecomemu

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Config is the emulated company: the robot's credentials as its admin set
// them, where qunzhu listens, and the groups.
type Config struct {
	Token          string `yaml:"token" json:"token"`
	EncodingAESKey string `yaml:"encoding_aes_key" json:"encoding_aes_key"`
	BotID          string `yaml:"bot_id" json:"bot_id"`
	// RobotName is what members type after "@" to call the robot.
	RobotName string `yaml:"robot_name" json:"robot_name"`
	// CallbackURL is qunzhu's callback URL; SetCallbackURL may set it later.
	CallbackURL string        `yaml:"callback_url" json:"callback_url"`
	Groups      []GroupConfig `yaml:"groups" json:"groups"`
	// RatePerMinute is each group robot's limit (WeCom's: 20); 0 means 20.
	RatePerMinute int `yaml:"rate_per_minute" json:"rate_per_minute"`
	// Logger receives protocol events; nil discards them.
	Logger *slog.Logger `yaml:"-" json:"-"`
	// Client posts callbacks; nil means a client with a 10 s timeout
	// (WeCom gives up after about 5 s).
	Client *http.Client `yaml:"-" json:"-"`
}

// GroupConfig is one WeCom group: its chatid, the key of its 消息推送 robot,
// and its members.
type GroupConfig struct {
	Name       string   `yaml:"name" json:"name"`
	ChatID     string   `yaml:"chat_id" json:"chat_id"`
	WebhookKey string   `yaml:"webhook_key" json:"webhook_key"`
	Members    []Person `yaml:"members" json:"members"`
}

// Person is a member: the name the group shows and the stable userid.
type Person struct {
	Name   string `yaml:"name" json:"name"`
	UserID string `yaml:"userid" json:"userid"`
}

// DefaultRatePerMinute is WeCom's documented group robot limit.
const DefaultRatePerMinute = 20

// Validate names every problem: missing credentials, a key that is not 43
// characters of base64, duplicate or empty names, chatids, keys and userids.
func (c Config) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if c.Token == "" {
		bad("token: empty")
	}
	if k, err := base64.StdEncoding.DecodeString(c.EncodingAESKey + "="); len(c.EncodingAESKey) != 43 || err != nil || len(k) != 32 {
		bad("encoding_aes_key: must be 43 characters of base64 (a 32-byte key)")
	}
	if c.RobotName == "" {
		bad("robot_name: empty")
	}
	if c.RatePerMinute < 0 {
		bad("rate_per_minute: negative")
	}
	names, chats, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, g := range c.Groups {
		for what, v := range map[string]struct {
			s    string
			seen map[string]bool
		}{"name": {g.Name, names}, "chat_id": {g.ChatID, chats}, "webhook_key": {g.WebhookKey, keys}} {
			switch {
			case v.s == "":
				bad("groups[%d].%s: empty", i, what)
			case v.seen[v.s]:
				bad("groups[%d].%s: %q is used twice", i, what, v.s)
			}
			v.seen[v.s] = true
		}
		ids := map[string]bool{}
		for j, m := range g.Members {
			if m.Name == "" || m.UserID == "" {
				bad("groups[%d].members[%d]: name and userid are required", i, j)
			}
			if ids[m.UserID] {
				bad("groups[%d].members[%d].userid: %q is used twice", i, j, m.UserID)
			}
			ids[m.UserID] = true
		}
	}
	return errors.Join(errs...)
}

// Message is one line of a group's history as its members see it.
type Message struct {
	Seq int64 `json:"seq"`
	// From is the member's name, or the robot's name for what qunzhu sent.
	From   string `json:"from"`
	UserID string `json:"userid,omitempty"`
	Bot    bool   `json:"bot"`
	// Type is text, markdown or image.
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	// Mentions are the userids a robot message mentioned for real
	// (mentioned_list, or <@userid> in markdown).
	Mentions []string `json:"mentions,omitempty"`
	// Via says how qunzhu delivered it: response_url or webhook.
	Via string `json:"via,omitempty"`
	// ImageMD5 identifies a picture without carrying it.
	ImageMD5 string    `json:"image_md5,omitempty"`
	At       time.Time `json:"at"`
}
