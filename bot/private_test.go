package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/wxemu"
)

// TestPrivateChats: a friend's private text arrives as a private Inbound,
// counted in the first registered group the friend sits in, and InGroup
// finds them there with their group nickname; a message to a member goes to
// that member's private chat, and to a member who is no friend fails for
// good (ENOTFOUND), so the code goes to the login page instead.
func TestPrivateChats(t *testing.T) {
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), Friends: []string{zhang, "赵六"}})
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.loginByQR(w)

	seq, err := w.emu.PostPrivate(zhang, "/认证 482913")
	if err != nil {
		t.Fatal(err)
	}
	in := r.next()
	if !in.Private || in.GroupID != groupID || in.Text != "/认证 482913" || in.Sender.NickName != zhang || in.Member != nil {
		t.Fatalf("inbound = %+v, want a private message from %s counted in group %d", in, zhang, groupID)
	}
	id, ok := in.InGroup(groupID)
	if !ok || id.DisplayName != zhang || id.SessionKey != in.Sender.SessionKey {
		t.Errorf("InGroup(%d) = %+v, %v; want %s with the same session key", groupID, id, ok, zhang)
	}
	if _, ok := in.InGroup(groupID + 100); ok {
		t.Errorf("InGroup of an unknown group = true")
	}

	// 赵六 is a friend but in no registered group: nobody qunzhu serves.
	if _, err := w.emu.PostPrivate("赵六", "/认证 123456"); err != nil {
		t.Fatal(err)
	}
	select {
	case in := <-r.in:
		t.Fatalf("a friend in no registered group was handed on: %+v", in)
	case <-timeAfterShort():
	}

	ctx := context.Background()
	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, ToMember: ids[zhang], Kind: qunzhu.KindReply, Text: "【认证码】…"}); err != nil {
		t.Fatalf("send to the owner privately: %v", err)
	}
	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, ToUser: in.Sender.SessionKey, Kind: qunzhu.KindReply, Text: "认证成功"}); err != nil {
		t.Fatalf("answer a private message: %v", err)
	}
	chat, err := w.emu.PrivateMessages(zhang, seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(chat) != 2 || chat[0].Text != "【认证码】…" || !chat[0].Bot || chat[1].Text != "认证成功" {
		t.Errorf("private chat with %s = %+v", zhang, chat)
	}
	if msgs := botMessages(t, w, cadres, 0); len(msgs) != 0 {
		t.Errorf("private messages leaked into the group: %+v", msgs)
	}
	err = r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, ToMember: ids[li], Kind: qunzhu.KindReply, Text: "x"})
	if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		t.Errorf("send to a member who is no friend: err %v, want ENOTFOUND", err)
	}
}

// TestBootstrapOnlyAtTheFirstLogin: 李四, a configured admin, is away under
// another name at the first login, so only 张三 is bound by display name.
// 王五 then takes the name 李四; after a re-login (new UserNames) nobody is
// bound by display name again, while 张三 is found by his stored identity.
func TestBootstrapOnlyAtTheFirstLogin(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	if err := w.emu.RenameMember(cadres, li, "李四(外出)"); err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	_, ids := register(t, st, cadres, map[string]qunzhu.Role{zhang: qunzhu.RoleOwner, li: qunzhu.RoleAdmin})
	r := startBot(t, w, st, botOptions{bootstrap: map[string][]string{cadres: {zhang, li}}})
	r.waitState(qunzhu.StateOnline)
	if !member(t, st, ids[zhang]).Bound || member(t, st, ids[li]).Bound {
		t.Fatalf("first login: 张三 bound %v, 李四 bound %v; want only 张三", member(t, st, ids[zhang]).Bound, member(t, st, ids[li]).Bound)
	}

	if err := w.emu.RenameMember(cadres, wang, li); err != nil {
		t.Fatal(err)
	}
	key := member(t, st, ids[zhang]).Identity.SessionKey
	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	r.waitLeave(qunzhu.StateOnline)
	r.waitState(qunzhu.StateOnline)
	if m := member(t, st, ids[li]); m.Bound {
		t.Errorf("after the re-login 李四 (admin) is bound to %+v: the one who took his name", m.Identity)
	}
	if m := member(t, st, ids[zhang]); !m.Bound || m.Identity.SessionKey == "" || m.Identity.SessionKey == key {
		t.Errorf("张三 after the re-login: %+v, want him found under his new UserName", m.Identity)
	}
}

// TestBootstrapClashIsReported: two people showing a configured owner's name
// at the first login bind nobody, and the group is told why.
func TestBootstrapClashIsReported(t *testing.T) {
	t.Parallel()
	groups := defaultGroups()
	groups[0].Members = append(groups[0].Members, wxemu.Person{Name: "冒充者"})
	w := newWorld(t, wxemu.Config{Groups: groups, AutoConfirm: true})
	w.front.rewrite = []string{`"DisplayName":"冒充者"`, `"DisplayName":"` + zhang + `"`}
	st := newStore(t)
	_, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)
	if owner := member(t, st, ids[zhang]); owner.Bound {
		t.Fatalf("owner bound to %+v though two people show the name", owner.Identity)
	}
	due, err := st.Due(context.Background(), time.Now().Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Kind != qunzhu.KindAlert || !strings.Contains(due[0].Text, "【身份提醒】本群有不止一人看起来是「张三」") {
		t.Errorf("outbox = %+v, want the clash reported", due)
	}
}
