package commands_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

// dingTalkSay delivers text in a DingTalk group as the adapter does: the
// sender's user id as session key, the real mentions' ids beside the text.
func (e *env) dingTalkSay(g *qunzhu.Group, msgID, userID, text string, mentionIDs ...string) {
	e.t.Helper()
	in := &qunzhu.Inbound{ID: msgID, Platform: qunzhu.PlatformDingTalk, GroupID: g.ID, GroupName: g.Name,
		Sender: qunzhu.Identity{SessionKey: userID, UserID: userID}, Text: text, MentionIDs: mentionIDs, At: e.clock.Now()}
	if err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) error {
		m, err := tx.MemberBySession(g.ID, userID)
		if err == nil {
			in.Member = m
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.router.Handle(e.t.Context(), in); err != nil {
		e.t.Fatalf("Handle(%q): %v", text, err)
	}
}

func TestMemberAdd_ByMentionOnDingTalk(t *testing.T) {
	e := newEnv(t)
	var g *qunzhu.Group
	if err := e.store.Update(t.Context(), func(tx qunzhu.Tx) (err error) {
		if g, err = tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cidA==", "钉钉群"); err != nil {
			return err
		}
		return tx.CreateMember(&qunzhu.Member{GroupID: g.ID, Name: "周局长", Unit: "市城管委", Role: qunzhu.RoleOwner,
			Bound: true, Identity: qunzhu.Identity{SessionKey: "zhouju", UserID: "zhouju"}})
	}); err != nil {
		t.Fatal(err)
	}
	lastReply := func() (string, []qunzhu.At) {
		t.Helper()
		msgs := e.sent()
		if len(msgs) != 1 {
			t.Fatalf("outbox rows = %d: %v", len(msgs), texts(msgs))
		}
		return msgs[0].Text, msgs[0].At
	}
	tests := []struct {
		text     string
		mentions []string
		want     string
	}{
		{"/成员 添加 @吴科长 单位=执法大队", []string{"wukz"}, "已登记 吴科长（执法大队，成员），钉钉账号 wukz 已确认，无需认证码。"},
		{"/成员 添加 吴科长二 单位=执法大队", nil, "或 @ 要登记的那一个人"},
		{"/成员 添加 @甲 单位=执法大队", []string{"a", "b"}, "或 @ 要登记的那一个人"},
		{"/成员 添加 @小吴 单位=执法大队", []string{"wukz"}, "这个账号已经登记为「吴科长」"},
		{"/成员 添加 @吴科长 单位=执法大队", []string{"other"}, "「吴科长」已经登记过了"},
	}
	for i, tt := range tests {
		e.dingTalkSay(g, "dt-"+string(rune('a'+i)), "zhouju", tt.text, tt.mentions...)
		got, at := lastReply()
		if !strings.Contains(got, tt.want) {
			t.Errorf("%q: reply %q, want %q", tt.text, got, tt.want)
		}
		if len(at) != 1 || at[0].UserID != "zhouju" {
			t.Errorf("%q: reply mentions %v, want the sender by user id", tt.text, at)
		}
	}
	m := e.member(g, "吴科长")
	if m == nil || !m.Bound || m.Identity.UserID != "wukz" || m.Identity.SessionKey != "wukz" {
		t.Fatalf("stored %+v, want bound with user id wukz", m)
	}
	// The new member is recognised by the platform id at once: no /认证.
	e.dingTalkSay(g, "dt-z", "wukz", "/成员 列表")
	if got, _ := lastReply(); !strings.Contains(got, "吴科长（成员，已认证）") {
		t.Errorf("list: %q", got)
	}
}
