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

// Identity is what the platform tells us about a person in a group.
//
// On WeChat only SessionKey (the session's UserName) tells two people apart,
// and it changes at every login; the names can be edited by their owner;
// AttrStatus is the most stable number the web protocol offers but may be zero.
//
// On DingTalk and WeCom, UserID is the platform's stable id of the person
// (staffId / userid) and SessionKey is the same string, so every lookup by
// session key works unchanged and never needs re-mapping.
type Identity struct {
	SessionKey  string // WeChat: UserName in the current session, e.g. "@3f2a…"; else UserID
	UserID      string // DingTalk staffId or WeCom userid; "" on WeChat
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
// their WeChat identity. It works once, before ExpiresAt, and is destroyed
// after BindCodeMaxFailures wrong attempts in its group. Nobody but the owner
// who registered the member (IssuedBy, by private chat) and the member sees it
// before it is used.
type BindCode struct {
	Code      string
	MemberID  int64
	ExpiresAt time.Time
	// IssuedBy is the member who registered the code's member (0 for the
	// configuration): the person it is delivered to privately.
	IssuedBy int64
	// Failures counts wrong attempts made while the code was live.
	Failures int
	// OnPage is set when no private chat with IssuedBy was possible, so the
	// token-protected login page shows the code instead.
	OnPage bool
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
	// key must name a bound member of groupID, else nothing changes. WeChat only:
	// on platforms with stable ids a bound member keeps their key.
	SetSessionKeys(groupID int64, keys map[int64]Identity) error
	// MemberByUserID finds the member registered with this platform user id
	// (DingTalk staffId, WeCom userid), bound or not; "" never matches.
	MemberByUserID(groupID int64, userID string) (*Member, error)

	// CreateBindCode stores a code, replacing the member's previous one.
	CreateBindCode(c *BindCode) error
	// TakeBindCode returns and deletes a code; ENOTFOUND if unknown or expired.
	TakeBindCode(code string) (*BindCode, error)
	// FindBindCode returns a live code without using it up; ENOTFOUND if
	// unknown or expired.
	FindBindCode(code string) (*BindCode, error)
	// FailBindCodes counts one wrong attempt against every live code of the
	// members of groupID (0: of every group) and destroys the codes that
	// reach max failures, returning how many it destroyed.
	FailBindCodes(groupID int64, max int) (destroyed int, err error)
	// ShowBindCodeOnPage marks the live code of memberID for the login page,
	// when it could not be delivered privately.
	ShowBindCodeOnPage(memberID int64) error
	// BindCodesOnPage lists the live codes marked for the login page.
	BindCodesOnPage() ([]*BindCode, error)
	// UnbindMember forgets a member's identity (and any live code), so the
	// person behind it has no more rights than a guest.
	UnbindMember(memberID int64) error

	// Bootstrapped reports whether a group's configured owners and admins
	// were already bound by display name, which happens once per group;
	// MarkBootstrapped records that it happened.
	Bootstrapped(groupID int64) (bool, error)
	MarkBootstrapped(groupID int64) error
}

// At is a person an outgoing message mentions: the name written in the text as
// Mention(Name), and, on platforms with real mentions, the user id the
// adapter turns it into (DingTalk atUserIds, WeCom mentioned_list). UserID is
// empty on WeChat, where the visible text is all there is.
type At struct {
	Name   string `json:"name"`
	UserID string `json:"user_id,omitempty"`
}

// AtMember is the At for a member: their registered name and platform id.
func AtMember(m *Member) At { return At{Name: m.Name, UserID: m.Identity.UserID} }

// Mention writes "@name" the way WeChat clients do, followed by U+2005. The web
// protocol cannot send a real mention, so this is visible text that may not
// notify; it is still the convention people read as "this is for you".
func Mention(name string) string {
	if name == "" {
		return ""
	}
	return "@" + name + "\u2005"
}
