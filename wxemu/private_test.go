package wxemu_test

import (
	"net/url"
	"testing"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu/wxemu"
)

// TestPrivateChat: with the real openwechat library, a friend of the bot is
// in its friend list, their private message arrives as one from a friend
// with the text as typed, and the bot's answer lands in the private chat,
// not in any group. A group member who is not a friend cannot be written to.
func TestPrivateChat(t *testing.T) {
	cfg := sampleConfig()
	cfg.Friends = []string{zhang}
	emu, ts := newEmu(t, cfg)
	b := newBot(t, ts.URL)
	loginQR(t, emu, b, b.Login)

	friends, err := b.self(t).Friends(true)
	if err != nil {
		t.Fatal(err)
	}
	if len(friends) != 1 || friends[0].NickName != zhang {
		t.Fatalf("friends = %v, want only %s", friends, zhang)
	}
	groups, err := b.self(t).Groups()
	if err != nil || len(groups) != 2 {
		t.Fatalf("groups = %v, %v; friends must not hide groups", groups, err)
	}

	base := ts.URL + "/_emu/contacts/" + url.PathEscape(zhang) + "/messages"
	var posted struct{ Seq int64 }
	call(t, "POST", base, map[string]string{"text": "/认证 482913\n谢谢"}, 202, &posted)
	m := recv(t, b.messages, "the private message")
	if !m.IsSendByFriend() || m.IsSendByGroup() || m.Content != "/认证 482913\n谢谢" {
		t.Fatalf("message: from friend %v, from group %v, content %q", m.IsSendByFriend(), m.IsSendByGroup(), m.Content)
	}
	sender, err := m.Sender()
	if err != nil || sender.NickName != zhang || sender.UserName != friends[0].UserName {
		t.Fatalf("Sender = %v, %v; want the friend %s", sender, err, zhang)
	}
	if _, err := friends[0].SendText("认证成功"); err != nil {
		t.Fatal(err)
	}
	var chat []wxemu.Message
	call(t, "GET", base+"?after=0", nil, 200, &chat)
	if len(chat) != 2 || chat[0].Text != "/认证 482913\n谢谢" || chat[0].Bot || chat[1].Text != "认证成功" || !chat[1].Bot {
		t.Fatalf("private chat = %+v", chat)
	}
	if msgs, _ := emu.Messages(cadres, 0); len(msgs) != 0 {
		t.Errorf("the private chat leaked into the group: %+v", msgs)
	}

	// 王五 sits in a group with the bot but is no friend: no private chat.
	members, err := groups.GetByNickName(cadres).Members()
	if err != nil {
		t.Fatal(err)
	}
	wangUser := members.Search(1, func(u *openwechat.User) bool { return u.DisplayName == wang }).First()
	if wangUser == nil {
		t.Fatal("王五 not in the group")
	}
	if _, err := (&openwechat.Friend{User: wangUser}).SendText("你好"); err == nil {
		t.Errorf("sending to a non-friend succeeded")
	}
	call(t, "POST", ts.URL+"/_emu/contacts/"+url.PathEscape(wang)+"/messages", map[string]string{"text": "x"}, 404, nil)
	call(t, "POST", base, map[string]string{"txt": "x"}, 400, nil)
	var names []string
	call(t, "GET", ts.URL+"/_emu/contacts", nil, 200, &names)
	if len(names) != 1 || names[0] != zhang {
		t.Errorf("contacts = %q", names)
	}
}

// TestControlRenameMember: the control API renames a member and WeChat's
// notice appears in the group's history.
func TestControlRenameMember(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	path := ts.URL + "/_emu/groups/" + url.PathEscape(cadres) + "/members/"
	call(t, "POST", path+url.PathEscape(zhang), map[string]string{"display_name": wang}, 409, nil)
	call(t, "POST", path+url.PathEscape("查无此人"), map[string]string{"display_name": "x"}, 404, nil)
	call(t, "POST", path+url.PathEscape(zhang), map[string]string{"display_name": ""}, 400, nil)
	call(t, "POST", path+url.PathEscape(zhang), map[string]string{"display_name": "钱主任"}, 200, nil)
	msgs, err := emu.Messages(cadres, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Type != wxemu.TypeSystem || msgs[0].Text != "\""+zhang+"\"修改群昵称为“钱主任”" {
		t.Fatalf("history = %+v, want the rename notice", msgs)
	}
	if g := emu.Groups()[0]; g.Members[0].Name != "钱主任" {
		t.Errorf("members = %+v", g.Members)
	}
}
