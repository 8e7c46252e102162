package commands_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

// stableEnv is an env with one WeCom group whose owner is bound by userid.
func stableEnv(t *testing.T) (*env, *qunzhu.Group, qunzhu.Identity) {
	e := newEnv(t)
	var g *qunzhu.Group
	owner := qunzhu.Identity{SessionKey: "HeJu", UserID: "HeJu", DisplayName: "何局长"}
	err := e.store.Update(t.Context(), func(tx qunzhu.Tx) (err error) {
		if g, err = tx.CreatePlatformGroup(qunzhu.PlatformWeCom, "wr-test", "企微应急专班"); err != nil {
			return err
		}
		return tx.CreateMember(&qunzhu.Member{GroupID: g.ID, Name: "何局长", Unit: "市应急局", Role: qunzhu.RoleOwner,
			Bound: true, Identity: owner, BoundAt: start})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, g, owner
}

// sendStable delivers a message as a platform with stable ids does: the
// platform set, the member found by userid, and any real mentions' ids.
func (e *env) sendStable(g *qunzhu.Group, sender qunzhu.Identity, text string, mentionIDs ...string) {
	e.t.Helper()
	e.seq++
	in := &qunzhu.Inbound{ID: "wc-" + strings.Repeat("x", e.seq), Platform: g.Platform, GroupID: g.ID, GroupName: g.Name,
		Sender: sender, Text: text, At: e.clock.Now(), MentionIDs: mentionIDs}
	if err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) error {
		m, err := tx.MemberBySession(g.ID, sender.SessionKey)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return nil
		}
		in.Member = m
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	if e.wasBound == nil {
		e.wasBound = map[string]bool{}
	}
	e.wasBound[sender.SessionKey] = in.Member != nil && in.Member.Bound
	if err := e.router.Handle(e.t.Context(), in); err != nil {
		e.t.Fatal(err)
	}
}

// TestMemberAddByUserID: on WeCom (and DingTalk) an owner registers a member
// by account or by a real mention; the member is bound at once, no code, and
// their next message carries their permissions.
func TestMemberAddByUserID(t *testing.T) {
	e, g, owner := stableEnv(t)
	e.sendStable(g, owner, "/成员 添加 @韩科长 单位=市应急局 角色=管理员 账号=HanKZ")
	if got, want := e.reply(owner), "已登记 韩科长（市应急局，管理员），企业微信账号 HanKZ 已确认，无需认证码。"; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
	m := e.member(g, "韩科长")
	if m == nil || !m.Bound || m.Identity.UserID != "HanKZ" || m.Identity.SessionKey != "HanKZ" || m.Role != qunzhu.RoleAdmin {
		t.Fatalf("stored %+v", m)
	}
	han := qunzhu.Identity{SessionKey: "HanKZ", UserID: "HanKZ", NickName: "HanKZ", DisplayName: "韩科长"}
	e.sendStable(g, han, "/成员 添加 曹队长 单位=区消防救援大队", "caodz")
	if got := e.reply(han); !strings.Contains(got, "账号 caodz 已确认，无需认证码") {
		t.Errorf("by mention: %q", got)
	}

	for _, tt := range []struct{ text, want string }{
		{"/成员 添加 许干事 单位=市应急局", "请写上许干事的账号"},
		{"/成员 添加 许干事 单位=市应急局 账号=a@b", "账号「a@b」不对"},
		{"/成员 添加 许干事 单位=市应急局 账号=HanKZ", "这个账号已经登记为「韩科长」"},
		{"/成员 添加 韩科长 单位=市应急局 账号=other", "「韩科长」已经登记过了"},
	} {
		before := e.count(g)
		e.sendStable(g, owner, tt.text)
		if got := e.reply(owner); !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q, want %q", tt.text, got, tt.want)
		}
		if e.count(g) != before {
			t.Errorf("%q changed the members", tt.text)
		}
	}
}

// TestMemberAddAccountRefusedOnWeChat: WeChat has no stable account, so
// 账号= is refused there and nothing is stored.
func TestMemberAddAccountRefusedOnWeChat(t *testing.T) {
	e := newEnv(t)
	e.send(e.owner, "/成员 添加 张三 单位=市城管委 账号=zhangsan")
	if got := e.reply(e.owner); !strings.Contains(got, "微信没有固定账号") {
		t.Errorf("reply = %q", got)
	}
	if e.member(e.group, "张三") != nil {
		t.Error("张三 was stored")
	}
}

// count is how many members g has.
func (e *env) count(g *qunzhu.Group) int {
	e.t.Helper()
	var ms []*qunzhu.Member
	if err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		ms, err = tx.Members(g.ID)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return len(ms)
}
