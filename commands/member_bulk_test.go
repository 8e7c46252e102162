package commands_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

var bulkCode = regexp.MustCompile(`【认证码】(\S+?)（.*的认证码：(\d{6})\n`)

// privateCodes takes the codes the bot sent privately, by member name.
func (e *env) privateCodes() map[string]string {
	codes := map[string]string{}
	for _, m := range e.privates {
		if c := bulkCode.FindStringSubmatch(m.Text); c != nil {
			codes[c[1]] = c[2]
		}
	}
	e.privates = nil
	return codes
}

// TestMemberAddSeveral: one message registers a unit's people; each code
// goes privately to the owner who asked, none into the group, and each
// person binds with theirs under the "单位 名字" nickname real-name groups use.
func TestMemberAddSeveral(t *testing.T) {
	e := newEnv(t)
	e.send(e.owner, "/成员 添加 单位=区房管局 马骏 赵磊、钱芳")
	got := e.reply(e.owner)
	if !strings.HasPrefix(got, "已登记区房管局3人（成员）：马骏、赵磊、钱芳。每人的认证码已分别私信发给") {
		t.Fatalf("reply %q", got)
	}
	if regexp.MustCompile(`\d{6}`).MatchString(got) {
		t.Fatalf("a code in the group: %q", got)
	}
	codes := e.privateCodes()
	if len(codes) != 3 {
		t.Fatalf("private codes %v", codes)
	}
	for name, nick := range map[string]string{"马骏": "区房管局 马骏", "赵磊": "区房管局-赵磊", "钱芳": "钱芳"} {
		p := person(nick)
		e.send(p, "/认证 "+codes[name])
		if got := e.reply(p); !strings.HasPrefix(got, "【认证】"+name+" 已认证，角色 成员（区房管局）") {
			t.Errorf("%s as %q: %q", name, nick, got)
		}
	}

	// Again: nobody is registered twice; new names still are.
	e.send(e.owner, "/成员 添加 马骏 孙丽 单位=区房管局")
	got = e.reply(e.owner)
	if !strings.Contains(got, "已登记区房管局1人（成员）：孙丽") ||
		!strings.Contains(got, "已经登记过，没有改动：马骏（区房管局）") {
		t.Errorf("second batch: %q", got)
	}
	if codes := e.privateCodes(); len(codes) != 1 || codes["孙丽"] == "" {
		t.Errorf("second batch's private codes: %v", codes)
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
