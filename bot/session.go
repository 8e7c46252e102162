package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu"
)

// session is one login's view of WeChat: the session-scoped UserNames of our
// registered groups. It is rebuilt after every login because WeChat changes
// every UserName at each login.
type session struct {
	bot    *openwechat.Bot
	self   *openwechat.Self
	groups map[int64]*openwechat.Group // our group id → this session's group
	byUser map[string]int64            // session UserName (@@…) → our group id
}

// remap finds our registered groups in the new session by name, and each bound
// member of those groups by their stored identity. An ambiguous match is
// reported and left unmapped, never guessed.
func (b *Bot) remap(ctx context.Context, wb *openwechat.Bot) (*session, error) {
	self, err := wb.GetCurrentUser()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	all, err := self.Groups(true)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	var registered []*qunzhu.Group
	if err := b.store.View(ctx, func(tx qunzhu.Tx) (err error) {
		registered, err = tx.Groups()
		return err
	}); err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	sess := &session{bot: wb, self: self, groups: map[int64]*openwechat.Group{}, byUser: map[string]int64{}}
	for _, g := range registered {
		if g.Platform != qunzhu.PlatformWeChat {
			continue // DingTalk and WeCom groups are their adapters'
		}
		var found []*openwechat.Group
		for _, sg := range all {
			if sg.NickName == g.Name {
				found = append(found, sg)
			}
		}
		switch len(found) {
		case 0:
			b.log.Warn("registered group not found in this WeChat session (is it saved to contacts?)", "group", g.Name, "group_id", g.ID)
			continue
		case 1:
		default:
			b.log.Error("registered group name is ambiguous in this session; not mapped", "group", g.Name, "matches", len(found))
			continue
		}
		if err := b.remapMembers(ctx, g, found[0]); err != nil {
			b.log.Error("re-map group members", "group", g.Name, "err", err)
			continue
		}
		sess.groups[g.ID] = found[0]
		sess.byUser[found[0].UserName] = g.ID
	}
	b.log.Info("wechat session mapped", "groups_registered", len(registered), "groups_mapped", len(sess.groups))
	return sess, nil
}

// remapMembers refreshes the session keys of a group's bound members and binds
// the configured owners and admins that are still unbound.
func (b *Bot) remapMembers(ctx context.Context, g *qunzhu.Group, sg *openwechat.Group) error {
	list, err := sg.Members()
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	people := make([]qunzhu.Identity, 0, len(list))
	for _, u := range list {
		people = append(people, identityOf(u))
	}
	bootstrap := map[string]bool{}
	for _, name := range b.cfg.Bootstrap[g.Name] {
		bootstrap[name] = true
	}
	return b.store.Update(ctx, func(tx qunzhu.Tx) error {
		members, err := tx.Members(g.ID)
		if err != nil {
			return err
		}
		keys := map[int64]qunzhu.Identity{}
		taken := map[string]int{} // session key → how many bound members match that person
		for _, m := range members {
			if m.Bound {
				if id, ok := b.match(g, m, people, sameIdentity); ok {
					keys[m.ID] = id
					taken[id.SessionKey]++
				}
			}
		}
		// One person who fits several bound members is none of them for sure:
		// leave them unmapped rather than fail the whole group on the conflict.
		for memberID, id := range keys {
			if taken[id.SessionKey] > 1 {
				b.log.Error("several bound members match one person in this session; not mapped", "group", g.Name, "member_id", memberID, "matches", taken[id.SessionKey])
				delete(keys, memberID)
			}
		}
		// Bootstrap only among the people no bound member is: someone bound who
		// takes a configured owner's name must neither become the owner nor, by
		// the conflict, stop the whole group from being mapped.
		free := slices.DeleteFunc(slices.Clone(people), func(p qunzhu.Identity) bool { return taken[p.SessionKey] > 0 })
		for _, m := range members {
			if !m.Bound && bootstrap[m.Name] {
				if id, ok := b.match(g, m, free, sameName); ok {
					if err := tx.BindMember(m.ID, id); err != nil {
						return err
					}
					b.log.Info("bound configured member by display name", "group", g.Name, "member", m.Name, "role", m.Role)
					keys[m.ID] = id
				}
			}
		}
		return tx.SetSessionKeys(g.ID, keys)
	})
}

// match returns the one person in the session that fits m; none or several is
// no match (several is logged: two people now look like one member).
func (b *Bot) match(g *qunzhu.Group, m *qunzhu.Member, people []qunzhu.Identity, fits func(*qunzhu.Member, qunzhu.Identity) bool) (qunzhu.Identity, bool) {
	var found []qunzhu.Identity
	for _, p := range people {
		if fits(m, p) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0], true
	case 0:
		b.log.Warn("member not found in this session; unmapped until they bind again", "group", g.Name, "member", m.Name)
	default:
		b.log.Error("member matches several people in this session; not mapped", "group", g.Name, "member", m.Name, "matches", len(found))
	}
	return qunzhu.Identity{}, false
}

// sameIdentity: the stable attribute must agree when both sides have it, and at
// least one of the two names must be unchanged, so one rename while the bot was
// away is tolerated but a stranger who copies a display name is not enough.
func sameIdentity(m *qunzhu.Member, p qunzhu.Identity) bool {
	s := m.Identity
	if s.AttrStatus != 0 && p.AttrStatus != 0 && s.AttrStatus != p.AttrStatus {
		return false
	}
	return (s.NickName != "" && s.NickName == p.NickName) ||
		(s.DisplayName != "" && s.DisplayName == p.DisplayName)
}

// sameName is the bootstrap rule for configured owners: the name they show.
func sameName(m *qunzhu.Member, p qunzhu.Identity) bool { return p.Name() == m.Name }

func identityOf(u *openwechat.User) qunzhu.Identity {
	return qunzhu.Identity{
		SessionKey:  u.UserName,
		NickName:    u.NickName,
		DisplayName: u.DisplayName,
		AttrStatus:  u.AttrStatus,
	}
}
