package wxemu

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"
)

// DefaultLongPoll is how long the real server holds login polls and synccheck
// requests; openwechat's client gives up after 30 s, so stay below that.
const DefaultLongPoll = 25 * time.Second

// DefaultSelfName is the bot account's nickname when Config.Self.Name is empty, so
// that a quick test needs no configuration beyond its groups.
const DefaultSelfName = "群助手"

// Config describes the world the emulator pretends to be: the bot account and the
// groups it has saved to its contacts. It carries yaml and json tags so that a
// command can load it from a file.
type Config struct {
	// Self is the bot account; its Name is its WeChat nickname.
	Self Person `yaml:"self" json:"self"`
	// Groups are the groups the bot sits in, in the order webwxgetcontact lists them.
	Groups []GroupConfig `yaml:"groups" json:"groups"`
	// Friends names the people (by nickname, usually members of the groups)
	// who are in the bot's contacts: only they can chat with it privately.
	Friends []string `yaml:"friends" json:"friends"`
	// LongPoll is how long login polls and synccheck are held open when nothing
	// happens; zero means DefaultLongPoll. Tests use a few seconds.
	LongPoll time.Duration `yaml:"-" json:"-"`
	// AutoConfirm plays a cooperative phone: every new login (QR or push) is scanned
	// and confirmed automatically after a short delay, so demos need no clicks.
	AutoConfirm bool `yaml:"auto_confirm" json:"auto_confirm"`
	// Logger receives protocol and control events; nil discards them.
	Logger *slog.Logger `yaml:"-" json:"-"`
}

// Person is a WeChat account as the emulator knows it: a name, and the AttrStatus
// the real server reports, which is the only per-person value that survives logins.
type Person struct {
	Name string `yaml:"name" json:"name"`
	// AttrStatus is stable for a person across logins; zero means one derived from
	// a hash of Name, so the same config always yields the same values.
	AttrStatus int64 `yaml:"attr_status" json:"attr_status,omitempty"`
}

// GroupConfig is one group (群) and its members other than the bot, which is
// always a member of every group.
type GroupConfig struct {
	Name    string   `yaml:"name" json:"name"`
	Members []Person `yaml:"members" json:"members"`
}

// Validate reports every problem that would make the emulated world ambiguous:
// empty or duplicate names, the bot listed as a member, or one person given two
// AttrStatus values. New panics on an invalid Config, so check files with Validate.
func (c Config) Validate() error {
	var errs []error
	if c.LongPoll < 0 {
		errs = append(errs, fmt.Errorf("long poll %v is negative", c.LongPoll))
	}
	self := c.selfName()
	attrs := map[string]int64{self: c.Self.AttrStatus}
	groups := map[string]bool{}
	for i, g := range c.Groups {
		if g.Name == "" {
			errs = append(errs, fmt.Errorf("groups[%d]: name is empty", i))
		} else if groups[g.Name] {
			errs = append(errs, fmt.Errorf("groups[%d]: duplicate group %q", i, g.Name))
		}
		groups[g.Name] = true
		members := map[string]bool{}
		for j, m := range g.Members {
			switch {
			case m.Name == "":
				errs = append(errs, fmt.Errorf("group %q: members[%d]: name is empty", g.Name, j))
				continue
			case m.Name == self:
				errs = append(errs, fmt.Errorf("group %q: member %q is the bot itself; it joins every group on its own", g.Name, m.Name))
				continue
			case members[m.Name]:
				errs = append(errs, fmt.Errorf("group %q: duplicate member %q", g.Name, m.Name))
			}
			members[m.Name] = true
			if prev, ok := attrs[m.Name]; ok && prev != 0 && m.AttrStatus != 0 && prev != m.AttrStatus {
				errs = append(errs, fmt.Errorf("group %q: member %q has attr_status %d here and %d elsewhere", g.Name, m.Name, m.AttrStatus, prev))
			}
			if m.AttrStatus != 0 || attrs[m.Name] == 0 {
				attrs[m.Name] = m.AttrStatus
			}
		}
	}
	friends := map[string]bool{}
	for i, f := range c.Friends {
		switch {
		case f == "":
			errs = append(errs, fmt.Errorf("friends[%d]: name is empty", i))
		case f == self:
			errs = append(errs, fmt.Errorf("friends[%d]: %q is the bot itself", i, f))
		case friends[f]:
			errs = append(errs, fmt.Errorf("friends[%d]: duplicate friend %q", i, f))
		}
		friends[f] = true
	}
	return errors.Join(errs...)
}

func (c Config) selfName() string {
	if c.Self.Name == "" {
		return DefaultSelfName
	}
	return c.Self.Name
}

func (c Config) longPoll() time.Duration {
	if c.LongPoll == 0 {
		return DefaultLongPoll
	}
	return c.LongPoll
}

// attrStatusFor derives a stable, positive AttrStatus from a name, in the range the
// real server uses.
func attrStatusFor(name string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return int64(h.Sum32()>>1) + 1
}
