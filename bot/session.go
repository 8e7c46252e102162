package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

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

// remapMembers refreshes the session keys of a group's bound members by their
// stored identity and, once per group (at its first mapping), binds the
// configured owners and admins by display name where exactly one person
// carries it. Clashes are reported to the group's owners, never guessed.
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
		var clashes []string // registered names two or more people now fit
		keys := map[int64]qunzhu.Identity{}
		taken := map[string]int{} // session key → how many bound members match that person
		for _, m := range members {
			if m.Bound {
				id, n := b.match(g, m, people, sameIdentity)
				if n == 1 {
					keys[m.ID] = id
					taken[id.SessionKey]++
				} else if n > 1 {
					clashes = append(clashes, m.Name)
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
		done, err := tx.Bootstrapped(g.ID)
		if err != nil {
			return err
		}
		if !done && len(bootstrap) > 0 {
			bound, err := b.bootstrap(tx, g, members, people, taken, bootstrap, keys, &clashes)
			if err != nil {
				return err
			}
			// Once is enough, as soon as someone can run the group; a group
			// where nobody could be bound has no rights to lose and tries again.
			if bound || hasBoundLeader(members) {
				if err := tx.MarkBootstrapped(g.ID); err != nil {
					return err
				}
				b.log.Info("bootstrap by display name done; later logins use stored identities only", "group", g.Name)
			}
		}
		if err := reportClashes(tx, g, members, clashes); err != nil {
			return err
		}
		return tx.SetSessionKeys(g.ID, keys)
	})
}

// bootstrap binds each unbound configured member whose name exactly one
// person in the group shows, and who is no bound member already; it reports
// whether it bound anyone. Two people showing the name is a clash.
func (b *Bot) bootstrap(tx qunzhu.Tx, g *qunzhu.Group, members []*qunzhu.Member, people []qunzhu.Identity,
	taken map[string]int, names map[string]bool, keys map[int64]qunzhu.Identity, clashes *[]string) (bool, error) {
	bound := false
	for _, m := range members {
		if m.Bound || !names[m.Name] {
			continue
		}
		id, n := b.match(g, m, people, sameName)
		switch {
		case n > 1:
			*clashes = append(*clashes, m.Name)
			continue
		case n == 0:
			continue
		case taken[id.SessionKey] > 0:
			b.log.Error("a bound member shows a configured member's name; not bound", "group", g.Name, "member", m.Name)
			*clashes = append(*clashes, m.Name)
			continue
		}
		if err := tx.BindMember(m.ID, id); err != nil {
			return bound, err
		}
		m.Bound = true
		b.log.Info("bound configured member by display name at the group's first login", "group", g.Name, "member", m.Name, "role", m.Role)
		keys[m.ID] = id
		taken[id.SessionKey]++
		bound = true
	}
	return bound, nil
}

// hasBoundLeader reports whether a bound owner or admin runs the group.
func hasBoundLeader(members []*qunzhu.Member) bool {
	for _, m := range members {
		if m.Bound && m.Role.AtLeast(qunzhu.RoleAdmin) {
			return true
		}
	}
	return false
}

// reportClashes tells the group's bound owners, once a day per name, that
// several people now fit one registered member, so nobody was mapped or
// bound to it: they decide, with a fresh code, who is who.
func reportClashes(tx qunzhu.Tx, g *qunzhu.Group, members []*qunzhu.Member, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var owners []qunzhu.At
	var mentions string
	for _, m := range members {
		if m.Bound && m.Role == qunzhu.RoleOwner {
			owners = append(owners, qunzhu.AtMember(m))
			mentions += qunzhu.Mention(m.Name)
		}
	}
	day := tx.Now().Format(time.DateOnly)
	for _, name := range slices.Compact(slices.Sorted(slices.Values(names))) {
		text := fmt.Sprintf("%s【身份提醒】本群有不止一人看起来是「%s」，机器人没有认定其中任何一人。请群主核对，用 /成员 认证码 %s 给本人发认证码。",
			mentions, name, name)
		if _, err := tx.Enqueue(&qunzhu.OutMessage{
			GroupID: g.ID, Kind: qunzhu.KindAlert, Text: text, At: owners,
			DedupKey: fmt.Sprintf("identity-clash:%d:%s:%s", g.ID, name, day),
		}); err != nil {
			return err
		}
	}
	return nil
}

// match returns the person in the session that fits m and how many fit; only
// exactly one is a match (several is logged: two people now look like one
// member).
func (b *Bot) match(g *qunzhu.Group, m *qunzhu.Member, people []qunzhu.Identity, fits func(*qunzhu.Member, qunzhu.Identity) bool) (qunzhu.Identity, int) {
	var found []qunzhu.Identity
	for _, p := range people {
		if fits(m, p) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0], 1
	case 0:
		b.log.Warn("member not found in this session; unmapped until they bind again", "group", g.Name, "member", m.Name)
	default:
		b.log.Error("member matches several people in this session; not mapped", "group", g.Name, "member", m.Name, "matches", len(found))
	}
	return qunzhu.Identity{}, len(found)
}

// sameIdentity: where the stored identity has the stable attribute, the person
// must have the same one and at least one of the two names unchanged, so one
// rename while the bot was away is tolerated; without it, the account's own
// nickname must agree. A display name alone, which anyone can copy, is never
// enough.
func sameIdentity(m *qunzhu.Member, p qunzhu.Identity) bool {
	s := m.Identity
	if s.AttrStatus != 0 {
		return p.AttrStatus == s.AttrStatus &&
			((s.NickName != "" && s.NickName == p.NickName) || (s.DisplayName != "" && s.DisplayName == p.DisplayName))
	}
	return s.NickName != "" && s.NickName == p.NickName
}

// sameName is the bootstrap rule for configured owners: the name they show,
// alone or as the usual "单位 名字" nickname.
func sameName(m *qunzhu.Member, p qunzhu.Identity) bool { return qunzhu.ShownAs(m, p.Name()) }

func identityOf(u *openwechat.User) qunzhu.Identity {
	return qunzhu.Identity{
		SessionKey:  u.UserName,
		NickName:    u.NickName,
		DisplayName: u.DisplayName,
		AttrStatus:  u.AttrStatus,
	}
}
