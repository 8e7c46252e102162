package commands_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

var bulkCode = regexp.MustCompile(`(\S+) /认证 (\d{6})`)

// TestMemberAddSeveral: one message registers a unit's people; each binds
// under the "单位 名字" nickname real-name groups use.
func TestMemberAddSeveral(t *testing.T) {
	e := newEnv(t)
	e.send(e.owner, "/成员 添加 单位=区房管局 马骏 赵磊、钱芳")
	got := e.reply(e.owner)
	if !strings.HasPrefix(got, "已登记区房管局3人（成员）。") {
		t.Fatalf("reply %q", got)
	}
	codes := map[string]string{}
	for _, m := range bulkCode.FindAllStringSubmatch(got, -1) {
		codes[m[1]] = m[2]
	}
	if len(codes) != 3 {
		t.Fatalf("codes %v in %q", codes, got)
	}
	for name, nick := range map[string]string{"马骏": "区房管局 马骏", "赵磊": "区房管局-赵磊", "钱芳": "钱芳"} {
		p := person(nick)
		e.send(p, "/认证 "+codes[name])
		if got, want := e.reply(p), "认证成功："+name+"（区房管局，成员）。"; got != want {
			t.Errorf("%s as %q: %q, want %q", name, nick, got, want)
		}
	}
	// Someone of another unit with the same name does not fit the nickname.
	e.send(e.owner, "/成员 认证码 马骏")
	c := code(t, e.reply(e.owner))
	other := qunzhu.Identity{SessionKey: "@other", DisplayName: "区城管局 马骏"}
	e.send(other, "/认证 "+c)
	if got := e.reply(other); !strings.Contains(got, "请先把群昵称改成「马骏」或「区房管局 马骏」") {
		t.Errorf("other unit's 马骏: %q", got)
	}

	// Again: nobody is registered twice; new names still are.
	e.send(e.owner, "/成员 添加 马骏 孙丽 单位=区房管局")
	got = e.reply(e.owner)
	if !strings.Contains(got, "已登记区房管局1人") || !strings.Contains(got, "孙丽 /认证 ") ||
		!strings.Contains(got, "已经登记过，没有改动：马骏（区房管局）") {
		t.Errorf("second batch: %q", got)
	}
}

func TestMemberAddSeveralRefused(t *testing.T) {
	e := newEnv(t)
	admin := e.boundMember(e.group, "钱主任", "市委办", qunzhu.RoleAdmin)
	tests := []struct {
		who  qunzhu.Identity
		text string
		want string
	}{
		{admin, "/成员 添加 单位=区房管局 角色=管理员 马骏 赵磊", "只有群主可以登记管理员。"},
		{e.owner, "/成员 添加 单位=区房管局 马骏 职务=科长 赵磊", "不认识「职务=」"},
		{e.owner, "/成员 添加 单位=区房管局 " + strings.Repeat("张三 ", 21), "一次最多登记20人"},
		{e.owner, "/成员 添加 单位=区房管局 马骏 " + strings.Repeat("长", 40), "名字太长了"},
		{person("路人甲"), "/成员 添加 单位=区房管局 马骏 赵磊", "你还没有认证身份"},
	}
	for _, tt := range tests {
		e.send(tt.who, tt.text)
		if got := e.reply(tt.who); !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q, want it to contain %q", tt.text, got, tt.want)
		}
	}
	if m := e.member(e.group, "马骏"); m != nil {
		t.Errorf("马骏 registered by a refused message: %+v", m)
	}
}
