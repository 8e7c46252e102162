package commands_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// addMember registers name through the router, as the owner, and returns the code.
func (e *env) addMember(g *qunzhu.Group, owner qunzhu.Identity, name, unit string) string {
	e.t.Helper()
	e.seq++
	e.sendIn(g, fmt.Sprintf("msg-%d", e.seq), owner, "/成员 添加 "+name+" 单位="+unit)
	msgs := e.sent()
	if len(msgs) != 1 || strings.Contains(msgs[0].Text, "认证码：") {
		e.t.Fatalf("adding %s: replies %q, want one without the code", name, texts(msgs))
	}
	return e.code()
}

func TestBind_RightPerson(t *testing.T) {
	e := newEnv(t)
	c := e.addMember(e.group, e.owner, "张三", "市城管委")
	zhang := person("张三")

	// Before binding 张三 is a guest: he may read the list, not change it.
	e.send(zhang, "/成员 认证码 张三")
	if got := e.reply(zhang); !strings.HasPrefix(got, "你还没有认证身份") {
		t.Errorf("unbound /成员 认证码: reply %q", got)
	}

	e.send(zhang, "@群主助手\u2005/认证 "+c+"。")
	if got, want := e.reply(zhang), bound张三; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
	m := e.member(e.group, "张三")
	if !m.Bound || m.Identity.SessionKey != zhang.SessionKey || !m.BoundAt.Equal(start) {
		t.Errorf("stored %+v, want bound to %s at %v", m, zhang.SessionKey, start)
	}

	// Now 张三 is a member, and the code is used up.
	e.send(zhang, "/成员")
	if got := e.reply(zhang); !strings.Contains(got, "张三（成员，已认证）") {
		t.Errorf("bound /成员: reply %q", got)
	}
	li := person("李四")
	e.send(li, "/认证 "+c)
	if got := e.reply(li); got != badCode {
		t.Errorf("used code: reply %q", got)
	}
}

// The answers a sender gets: the group's announcement of a bind, and the one
// neutral refusal for every kind of wrong code.
const (
	bound张三 = "【认证】张三 已认证，角色 成员（市城管委）。如果不是本人，请群主发送 /成员 解绑 张三。"
	badCode = "认证码无效或已过期。请核对后重发；过期了请找登记你的群主或管理员重新生成。"
)

// TestBind_ThreeWrongCodesDestroyTheLiveCode: every wrong code sent in the
// group counts against the group's live codes, by anyone; at the third the
// code is gone, so nobody gets more than three guesses at it.
func TestBind_ThreeWrongCodesDestroyTheLiveCode(t *testing.T) {
	e := newEnv(t)
	c := e.addMember(e.group, e.owner, "张三", "市城管委")
	wrong := "000000"
	if c == wrong {
		wrong = "000001"
	}
	for _, name := range []string{"李四", "赵六", "孙七"} {
		guesser := person(name)
		e.send(guesser, "/认证 "+wrong)
		if got := e.reply(guesser); got != badCode {
			t.Errorf("wrong code from %s: reply %q, want %q", name, got, badCode)
		}
	}
	zhang := person("张三")
	e.send(zhang, "/认证 "+fullWidth(c))
	if got := e.reply(zhang); got != badCode {
		t.Errorf("the right code after three wrong ones: reply %q, want the refusal", got)
	}
	if m := e.member(e.group, "张三"); m.Bound {
		t.Errorf("张三 bound with a destroyed code: %+v", m)
	}
}

// TestBind_TwoWrongCodesKeepIt: below the limit the code still works, typed
// with full-width digits from a Chinese IME too.
func TestBind_TwoWrongCodesKeepIt(t *testing.T) {
	e := newEnv(t)
	c := e.addMember(e.group, e.owner, "张三", "市城管委")
	zhang := person("张三")
	for _, wrong := range []string{"999999", "999998"} {
		if wrong == c {
			continue
		}
		e.send(zhang, "/认证 "+wrong)
		if got := e.reply(zhang); got != badCode {
			t.Errorf("wrong code: reply %q", got)
		}
	}
	e.send(zhang, "/认证 "+fullWidth(c))
	if got := e.reply(zhang); got != bound张三 {
		t.Errorf("right code after two wrong ones: reply %q, want %q", got, bound张三)
	}
}

func TestBind_ExpiredCode(t *testing.T) {
	e := newEnv(t)
	c := e.addMember(e.group, e.owner, "张三", "市城管委")
	e.clock.Advance(2*time.Hour + time.Second)
	zhang := person("张三")
	e.send(zhang, "/认证 "+c)
	if got := e.reply(zhang); got != badCode {
		t.Errorf("reply = %q", got)
	}
	if m := e.member(e.group, "张三"); m.Bound {
		t.Errorf("bound with an expired code: %+v", m)
	}
}

func TestBind_CodeFromAnotherGroup(t *testing.T) {
	e := newEnv(t)
	other := e.createGroup("市住建局工作群")
	otherOwner := e.boundMember(other, "刘局长", "市住建局", qunzhu.RoleOwner)
	c := e.addMember(other, otherOwner, "张三", "市住建局")

	zhang := person("张三")
	e.send(zhang, "/认证 "+c) // in the env's group, where 张三 is not registered
	if got := e.reply(zhang); got != badCode {
		t.Errorf("reply = %q", got)
	}

	// The refusal did not use the code up in its own group.
	e.sendIn(other, "wx-other-1", zhang, "/认证 "+c)
	msgs := e.sent()
	if len(msgs) != 1 || msgs[0].GroupID != other.ID || !strings.Contains(msgs[0].Text, "【认证】张三 已认证，角色 成员（市住建局）。") {
		t.Errorf("in its own group: replies %q", texts(msgs))
	}
}

func TestBind_AlreadyBoundToAnother(t *testing.T) {
	e := newEnv(t)
	c := e.addMember(e.group, e.owner, "张三", "市城管委")
	// 李四 is bound, then renames themselves to 张三 in the group.
	li := e.boundMember(e.group, "李四", "市住建局", qunzhu.RoleMember)
	li.DisplayName = "张三"
	e.send(li, "/认证 "+c)
	if got, want := e.reply(li), badCode; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
	if m := e.member(e.group, "张三"); m.Bound {
		t.Errorf("张三 bound to 李四's identity: %+v", m)
	}
}

func TestBind_BadInput(t *testing.T) {
	e := newEnv(t)
	guest := person("张三")
	tests := []struct{ text, want string }{
		{"/认证", "请在 /认证 后面写上认证码。例：/认证 482913"},
		{"/认证 12ab56", "认证码是6位数字。例：/认证 482913"},
		{"/认证 1234567", "认证码是6位数字。例：/认证 482913"},
		{"/认证 000000", badCode},
	}
	for _, tt := range tests {
		e.send(guest, tt.text)
		if got := e.reply(guest); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

// fullWidth writes ASCII digits as a Chinese IME does in full-width mode.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}

func TestBind_ConfiguredTTL(t *testing.T) {
	e := newEnv(t)
	e.router = commands.NewRouter(e.store, commands.Config{BotNames: []string{botName}, BindCodeTTL: 30 * time.Minute})
	e.send(e.owner, "/成员 添加 张三 单位=市城管委")
	reply := e.reply(e.owner)
	if !strings.HasSuffix(reply, "（30分钟内有效）。") || strings.Contains(reply, "认证码：") {
		t.Errorf("reply = %q, want the 30 minute TTL", reply)
	}
	e.clock.Advance(29 * time.Minute)
	zhang := person("张三")
	e.send(zhang, "/认证 "+e.code())
	if got, want := e.reply(zhang), bound张三; got != want {
		t.Errorf("within the TTL: reply %q, want %q", got, want)
	}
}
