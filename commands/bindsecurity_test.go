package commands_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/ratelimit"
)

// TestBindCode_OnlyTheAskerSeesIt: the code goes privately to the owner or
// admin who registered the member; the group only reads that it was sent.
func TestBindCode_OnlyTheAskerSeesIt(t *testing.T) {
	e := newEnv(t)
	admin := e.boundMember(e.group, "李主任", "市城管委", qunzhu.RoleAdmin)
	e.send(admin, "/成员 添加 张三 单位=市城管委")
	e.reply(admin)
	if len(e.privates) != 1 {
		t.Fatalf("private messages = %d, want 1", len(e.privates))
	}
	p := e.privates[0]
	if got, want := p.ToMember, e.member(e.group, "李主任").ID; got != want || p.GroupID != e.group.ID {
		t.Errorf("code sent to member %d in group %d, want 李主任 (%d) in %d", got, p.GroupID, want, e.group.ID)
	}
	if !strings.Contains(p.Text, "/认证 ") || p.Priority != qunzhu.PriorityReply {
		t.Errorf("private message %q priority %d", p.Text, p.Priority)
	}
	c := e.code()
	history := historyTexts(t, e)
	if strings.Contains(history, c) {
		t.Errorf("the code %s is in the group's messages:\n%s", c, history)
	}
}

// historyTexts is every group message in the outbox, sent or not.
func historyTexts(t *testing.T, e *env) string {
	t.Helper()
	var b strings.Builder
	for id := int64(1); ; id++ {
		m, err := e.store.OutMessage(t.Context(), id)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !m.Private() {
			b.WriteString(m.Text + "\n")
		}
	}
	return b.String()
}

// TestBind_Private: the member may send the code to the bot privately; the
// bind is announced in the group and confirmed privately. A private sender
// who is not in the code's group gets the neutral refusal.
func TestBind_Private(t *testing.T) {
	e := newEnv(t)
	c := e.addMember(e.group, e.owner, "张三", "市城管委")
	zhang := person("张三")

	stranger := person("路人")
	e.sendPrivate(stranger, "/认证 "+c, nil)
	if got := e.privateReply(stranger); got != badCode {
		t.Errorf("code from someone not in the group: %q", got)
	}
	e.sendPrivate(zhang, "/成员", map[int64]qunzhu.Identity{e.group.ID: zhang})
	if got := e.privateReply(zhang); !strings.HasPrefix(got, "私聊只能发送 /认证") {
		t.Errorf("other command privately: %q", got)
	}
	e.sendPrivate(zhang, "/认证 "+c, map[int64]qunzhu.Identity{e.group.ID: zhang})
	msgs := e.sent()
	if got, want := e.privateReply(zhang), "认证成功：张三（市城管委，成员）。"; got != want {
		t.Errorf("private bind: %q, want %q", got, want)
	}
	if len(msgs) != 1 || msgs[0].Text != bound张三 || msgs[0].Kind != qunzhu.KindAlert {
		t.Errorf("group messages after a private bind: %q, want the announcement", texts(msgs))
	}
	if m := e.member(e.group, "张三"); !m.Bound || m.Identity.SessionKey != zhang.SessionKey {
		t.Errorf("stored %+v", m)
	}
}

// sendPrivate delivers a private message as the adapter does: GroupID is a
// group the sender shares with the bot, InGroup finds them in others.
func (e *env) sendPrivate(sender qunzhu.Identity, text string, in map[int64]qunzhu.Identity) {
	e.t.Helper()
	e.seq++
	msg := &qunzhu.Inbound{ID: fmt.Sprintf("p-%d", e.seq), GroupID: e.group.ID, Sender: sender, Text: text,
		At: e.clock.Now(), Private: true,
		InGroup: func(g int64) (qunzhu.Identity, bool) { id, ok := in[g]; return id, ok }}
	if err := e.router.Handle(e.t.Context(), msg); err != nil {
		e.t.Fatal(err)
	}
}

// privateReply is the one private answer to sender.
func (e *env) privateReply(sender qunzhu.Identity) string {
	e.t.Helper()
	if msgs := e.sent(); len(msgs) != 0 && len(e.privates) == 0 {
		e.t.Fatalf("group messages %q, want a private one", texts(msgs))
	}
	if len(e.privates) != 1 {
		e.t.Fatalf("private messages = %d, want 1", len(e.privates))
	}
	m := e.privates[0]
	e.privates = nil
	if m.ToUser != sender.SessionKey || m.Priority != qunzhu.PriorityGuestReply {
		e.t.Errorf("private reply to %q priority %d, want to %q at the guest priority", m.ToUser, m.Priority, sender.SessionKey)
	}
	return m.Text
}

// TestMemberUnbind: only an owner undoes a bind; the person behind it is a
// guest again, and a fresh code binds the right one.
func TestMemberUnbind(t *testing.T) {
	e := newEnv(t)
	admin := e.boundMember(e.group, "李主任", "市城管委", qunzhu.RoleAdmin)
	zhang := e.boundMember(e.group, "张三", "市城管委", qunzhu.RoleMember)
	tests := []struct {
		sender     qunzhu.Identity
		text, want string
	}{
		{admin, "/成员 解绑 张三", "只有群主可以使用 /成员 解绑。"},
		{e.owner, "/成员 解绑", "请写上一位成员的名字。例：/成员 解绑 张三"},
		{e.owner, "/成员 解绑 查无此人", "本群没有登记「查无此人」。发送 /成员 查看登记的成员。"},
		{e.owner, "/成员 解绑 王书记", "不能解绑你自己：请另一位群主操作。"},
		{e.owner, "/成员 解绑 @张三", "已解绑 张三：原来认证的微信身份不再有任何权限。需要重新认证请发送：/成员 认证码 张三"},
		{e.owner, "/成员 解绑 张三", "张三还没有认证，不需要解绑。"},
	}
	for _, tt := range tests {
		e.send(tt.sender, tt.text)
		if got := e.reply(tt.sender); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
	// Reading stays open to everyone; what needs a bound identity is refused.
	e.send(zhang, "/成员 添加 李四 单位=市城管委")
	if got := e.reply(zhang); !strings.HasPrefix(got, "你还没有认证身份") {
		t.Errorf("unbound member's /成员 添加: %q", got)
	}
}

// TestAdmit_GuestFlood: a guest past the limit is dropped with one short
// notice per window; a member's limit is separate and wider; /认证 has its
// own hourly limit, then silence and one notice to the owners.
func TestAdmit_GuestFlood(t *testing.T) {
	e := newEnv(t)
	lim := ratelimit.NewLocal(e.clock)
	e.router = commands.NewRouter(e.store, commands.Config{BotNames: []string{botName}, Limiter: lim, Logger: quiet,
		GuestCommands:  qunzhu.Limit{Rate: 2, Period: 10 * time.Minute, Burst: 2},
		MemberCommands: qunzhu.Limit{Rate: 5, Period: 10 * time.Minute, Burst: 5}})
	guest := qunzhu.Identity{SessionKey: "@guest", NickName: "赵科长", DisplayName: "赵科长", AttrStatus: 42}
	var replies []string
	for range 50 {
		e.send(guest, "/ping")
		for _, m := range e.sent() {
			replies = append(replies, strings.TrimPrefix(m.Text, commands.Mention("赵科长")))
		}
	}
	if want := []string{"pong", "pong", "你发送命令太频繁了，暂不受理，请稍后再试。"}; strings.Join(replies, "|") != strings.Join(want, "|") {
		t.Errorf("50 × /ping from a guest: replies %q, want %q", replies, want)
	}
	// The owner is not affected by a guest's flood.
	for range 5 {
		e.send(e.owner, "/ping")
		if got := e.reply(e.owner); got != "pong" {
			t.Fatalf("owner's /ping: %q", got)
		}
	}
	// A new window: the guest is answered again.
	e.clock.Advance(10 * time.Minute)
	e.send(guest, "/ping")
	if got := e.reply(guest); got != "pong" {
		t.Errorf("after the window: %q", got)
	}
}

// TestAdmit_BindGuessing: five tries an hour per sender, whatever the code,
// then silence and one notice to the group's owners.
func TestAdmit_BindGuessing(t *testing.T) {
	e := newEnv(t)
	e.router = commands.NewRouter(e.store, commands.Config{BotNames: []string{botName}, Limiter: ratelimit.NewLocal(e.clock), Logger: quiet})
	guesser := qunzhu.Identity{SessionKey: "@zhao", NickName: "赵科长", DisplayName: "钱主任", AttrStatus: 77}
	answered := 0
	var notices []string
	for i := range 40 {
		e.send(guesser, fmt.Sprintf("/认证 %06d", 100000+i))
		for _, m := range e.sent() {
			if strings.Contains(m.Text, "【安全提醒】") {
				notices = append(notices, m.Text)
			} else {
				answered++
			}
		}
	}
	if answered != qunzhu.BindTriesPerHour {
		t.Errorf("answered %d of 40 guesses, want %d", answered, qunzhu.BindTriesPerHour)
	}
	want := commands.Mention("王书记") + "【安全提醒】「钱主任」在群里一小时内已试了5次认证码，之后一小时内的认证不再受理。如果不是误操作，请留意有人冒充成员。"
	if len(notices) != 1 || notices[0] != want {
		t.Errorf("notices = %q, want one: %q", notices, want)
	}
	// Renaming or a new session key does not reset the count.
	guesser.SessionKey, guesser.DisplayName = "@zhao2", "孙干事"
	e.send(guesser, "/认证 123456")
	e.noReply()
	// The bound owner is not limited by it.
	e.send(e.owner, "/ping")
	if got := e.reply(e.owner); got != "pong" {
		t.Errorf("owner: %q", got)
	}
}

var quiet = slog.New(slog.DiscardHandler)
