package qunzhu

import (
	"strconv"
	"strings"
	"time"
)

// Group (群) is a work group that an owner registered with qunzhu, on one
// platform. The ID is ours, and is what every feature and webhook uses. On
// DingTalk and WeCom, ChatID is the platform's stable id of the group
// (openConversationId / chatid). WeChat's web protocol gives groups no stable
// id, so there ChatID is empty, Name is the last name we saw, and the bot
// re-maps the session's group to it by name after every login.
type Group struct {
	ID        int64
	Platform  Platform
	ChatID    string // the platform's stable group id; "" on WeChat
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Ref is how people and webhooks name the group unambiguously: "钉钉:城管工作群".
func (g *Group) Ref() string { return g.Platform.Chinese() + ":" + g.Name }

// GroupTx is the part of a transaction that manages groups.
type GroupTx interface {
	// CreateGroup registers a WeChat group by name; ECONFLICT if a WeChat
	// group already has the name (WeChat groups are found again by name).
	CreateGroup(name string) (*Group, error)
	// EnsureGroup returns the WeChat group with this name, registering it first.
	EnsureGroup(name string) (g *Group, created bool, err error)
	// CreatePlatformGroup registers a group on any platform. On DingTalk and
	// WeCom chatID is required and unique per platform, and names may repeat;
	// on WeChat chatID must be empty and the name is unique.
	CreatePlatformGroup(p Platform, chatID, name string) (*Group, error)
	// EnsurePlatformGroup returns the group with this platform id (WeChat: this
	// name), registering it first; a group found by chatID whose name changed
	// gets the new name recorded.
	EnsurePlatformGroup(p Platform, chatID, name string) (g *Group, created bool, err error)
	GroupByID(id int64) (*Group, error)
	// GroupByName finds a group by name on any platform: ENOTFOUND if none,
	// ECONFLICT (naming the "平台:群名" forms to use) if several carry it.
	GroupByName(name string) (*Group, error)
	// GroupByPlatformName finds a group by platform and name; ECONFLICT if
	// several groups of that platform carry the name.
	GroupByPlatformName(p Platform, name string) (*Group, error)
	// GroupByChatID finds a group by the platform's stable id.
	GroupByChatID(p Platform, chatID string) (*Group, error)
	Groups() ([]*Group, error)
	RenameGroup(id int64, name string) error
}

// FindGroup resolves how people and webhooks name a group: our id ("12"),
// "平台:群名" ("钉钉:城管工作群", "dingtalk:城管工作群"), or a name that is unique
// across platforms. An ambiguous name is an ECONFLICT that names the forms
// to use, never a guess.
func FindGroup(tx GroupTx, ref string) (*Group, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		if g, err := tx.GroupByID(id); err == nil || ErrorCode(err) != ENOTFOUND {
			return g, err
		}
		// A group may be named with digits only: fall through to the name.
	}
	if p, name, ok := SplitGroupRef(ref); ok {
		g, err := tx.GroupByPlatformName(p, name)
		if ErrorCode(err) != ENOTFOUND {
			return g, err
		}
		// "会议:周五例会" may be a WeChat group whose name holds a colon.
		if g2, err2 := tx.GroupByName(ref); err2 == nil {
			return g2, nil
		}
		return nil, err
	}
	return tx.GroupByName(ref)
}
