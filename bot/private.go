package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu"
)

// Private chats. WeChat lets the account write only to its friends, and only
// friends can write to it, so a one-time code reaches the owner who asked for
// it where the owner is a friend of the bot account; elsewhere the send fails
// for good (ENOTFOUND) and the code is shown on the login page instead.

// convertPrivate turns a friend's private text into an Inbound. It is handed
// on only when the friend sits in a registered group (GroupID is the first
// such group: replies and limits are counted there); a friend who shares no
// registered group with the bot is nobody qunzhu serves.
func (b *Bot) convertPrivate(ctx context.Context, msg *openwechat.Message) (*qunzhu.Inbound, bool) {
	if msg.IsSendBySelf() || !msg.IsText() {
		return nil, false
	}
	sess := b.sessionOf(ctx, msg.Bot())
	if sess == nil {
		return nil, false
	}
	sender, err := msg.Sender()
	if err != nil {
		b.log.Warn("cannot resolve the sender of a private message", "err", err)
		return nil, false
	}
	ids := slices.Sorted(func(yield func(int64) bool) {
		for id := range sess.groups {
			if !yield(id) {
				return
			}
		}
	})
	in := &qunzhu.Inbound{
		ID:      msg.MsgId,
		Private: true,
		Sender:  identityOf(sender),
		Text:    msg.Content,
		At:      time.Unix(msg.CreateTime, 0),
	}
	for _, id := range ids {
		if _, ok := sess.memberIn(id, sender.UserName); ok {
			in.GroupID = id
			break
		}
	}
	if in.GroupID == 0 {
		b.log.Info("private message from a friend in no registered group; ignored")
		return nil, false
	}
	in.InGroup = func(groupID int64) (qunzhu.Identity, bool) {
		u, ok := sess.memberIn(groupID, sender.UserName)
		if !ok {
			return qunzhu.Identity{}, false
		}
		return identityOf(u), true
	}
	return in, true
}

// memberIn finds a person by this session's UserName among the members of
// one of our groups, from the list read at the mapping.
func (s *session) memberIn(groupID int64, userName string) (*openwechat.User, bool) {
	g := s.groups[groupID]
	if g == nil || userName == "" {
		return nil, false
	}
	u := g.MemberList.SearchByUserName(1, userName).First()
	return u, u != nil
}

// sendPrivate delivers m to one person: a registered member found by their
// stored identity among the account's friends, or a friend by this session's
// UserName.
func (b *Bot) sendPrivate(ctx context.Context, sess *session, m *qunzhu.OutMessage) error {
	var want func(*openwechat.User) bool
	if m.ToMember != 0 {
		var member *qunzhu.Member
		if err := b.store.View(ctx, func(tx qunzhu.Tx) (err error) {
			member, err = tx.MemberByID(m.ToMember)
			return err
		}); err != nil {
			return err
		}
		id := member.Identity
		want = func(u *openwechat.User) bool {
			if id.SessionKey != "" && u.UserName == id.SessionKey {
				return true
			}
			return id.AttrStatus != 0 && u.AttrStatus == id.AttrStatus && id.NickName != "" && u.NickName == id.NickName
		}
	} else {
		want = func(u *openwechat.User) bool { return u.UserName == m.ToUser }
	}
	friend, err := sess.friend(want)
	if err != nil {
		return sendError(sess, err)
	}
	if friend == nil {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "no private chat with the recipient: not a friend of the bot account")
	}
	if _, err := friend.SendText(m.Text); err != nil {
		return sendError(sess, err)
	}
	return nil
}

// friend finds the one friend want accepts, reading the friend list again
// when the cached one has none (a friend added since the login).
func (s *session) friend(want func(*openwechat.User) bool) (*openwechat.Friend, error) {
	for _, update := range []bool{false, true} {
		friends, err := s.self.Friends(update)
		if err != nil {
			return nil, fmt.Errorf("friends: %w", err)
		}
		var found []*openwechat.Friend
		for _, f := range friends {
			if want(f.User) {
				found = append(found, f)
			}
		}
		if len(found) == 1 {
			return found[0], nil
		}
		if len(found) > 1 {
			return nil, nil // two friends look alike: never guess who gets a code
		}
	}
	return nil, nil
}
