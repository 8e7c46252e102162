package qunzhu

import (
	"strings"
	"time"
)

// Role is what a member may do in a group. Commands declare the least role they
// need; permission checks always use the bound member, never a display name alone.
type Role string

// Roles, from the most to the least powerful.
const (
	RoleOwner  Role = "owner"  // 群主
	RoleAdmin  Role = "admin"  // 管理员
	RoleMember Role = "member" // 成员
)

// rank orders roles; anything unknown ranks below a member.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r grants everything min grants.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

// Chinese is the role's name as chat users read it.
func (r Role) Chinese() string {
	switch r {
	case RoleOwner:
		return "群主"
	case RoleAdmin:
		return "管理员"
	case RoleMember:
		return "成员"
	}
	return "未登记"
}

// ParseRole reads a role written in Chinese or English ("管理员", "admin").
func ParseRole(s string) (Role, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "群主", "owner":
		return RoleOwner, true
	case "管理员", "admin":
		return RoleAdmin, true
	case "成员", "member", "":
		return RoleMember, true
	}
	return "", false
}

// Identity is what the WeChat session tells us about a person in a group. Only
// SessionKey (the session's UserName) tells two people apart, and it changes at
// every login; the names can be edited by their owner; AttrStatus is the most
// stable number the web protocol offers but may be zero.
type Identity struct {
	SessionKey  string // UserName in the current session, e.g. "@3f2a…"
	NickName    string // the person's WeChat nickname
	DisplayName string // the name they set in this group, may be empty
	AttrStatus  int64
}

// Name is the name the group shows for this person.
func (id Identity) Name() string {
	if id.DisplayName != "" {
		return id.DisplayName
	}
	return id.NickName
}

// Member (成员) is a person an owner registered in a group, with a unit (单位) and a
// role. A member is bound once they prove, by sending a one-time code, which WeChat
// identity is theirs; until then they have no permissions beyond a guest's.
type Member struct {
	ID      int64
	GroupID int64
	Name    string // the name the owner registered, used in mentions
	Unit    string // 单位, e.g. 成都市 or 市城管委
	Role    Role

	// Binding: set by /认证 and refreshed by the re-mapping after each login.
	Bound    bool
	Identity Identity // last identity seen for this member; SessionKey "" if not mapped now
	BoundAt  time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
}

// BindCode is a one-time code an owner hands out so a registered member can bind
// their WeChat identity. It works once, before ExpiresAt, and only for a sender
// whose current display name is the registered Name.
type BindCode struct {
	Code      string
	MemberID  int64
	ExpiresAt time.Time
}

// MemberTx is the part of a transaction that manages members and their binding.
type MemberTx interface {
	CreateMember(m *Member) error // sets ID; ECONFLICT if the name exists in the group
	UpdateMember(m *Member) error // role, unit, name
	MemberByID(id int64) (*Member, error)
	MemberByName(groupID int64, name string) (*Member, error)
	// MemberBySession finds the bound member behind a session key; only bound
	// members match and "" never matches.
	MemberBySession(groupID int64, sessionKey string) (*Member, error)
	Members(groupID int64) ([]*Member, error)
	// BindMember records that id is this member's WeChat identity from now on;
	// ECONFLICT if the identity is bound to another member of the group.
	BindMember(memberID int64, id Identity) error
	// SetSessionKeys replaces the session keys of a group's bound members after a
	// login: members absent from keys are left unmapped until seen again. Every
	// key must name a bound member of groupID, else nothing changes.
	SetSessionKeys(groupID int64, keys map[int64]Identity) error

	// CreateBindCode stores a code, replacing the member's previous one.
	CreateBindCode(c *BindCode) error
	// TakeBindCode returns and deletes a code; ENOTFOUND if unknown or expired.
	TakeBindCode(code string) (*BindCode, error)
}

// Mention writes "@name" the way WeChat clients do, followed by U+2005. The web
// protocol cannot send a real mention, so this is visible text that may not
// notify; it is still the convention people read as "this is for you".
func Mention(name string) string {
	if name == "" {
		return ""
	}
	return "@" + name + "\u2005"
}
