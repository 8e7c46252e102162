package commands_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

func TestMemberAdd_ByOwner(t *testing.T) {
	e := newEnv(t)
	e.send(e.owner, "/成员 添加 张三 单位=市城管委")
	got := e.reply(e.owner)
	want := regexp.MustCompile(`^已登记 张三（市城管委，成员）。认证码已私信发给王书记（收不到私信时请到登录页查看），请转交张三本人，在本群或私聊机器人发送 /认证 <认证码>（2小时内有效）。$`)
	if !want.MatchString(got) {
		t.Errorf("reply = %q, want match %s", got, want)
	}
	m := e.member(e.group, "张三")
	if m == nil {
		t.Fatal("张三 was not stored")
	}
	if m.Unit != "市城管委" || m.Role != qunzhu.RoleMember || m.Bound {
		t.Errorf("stored %+v, want unit 市城管委, role member, not bound", m)
	}
}

func TestMemberAdd_Forms(t *testing.T) {
	tests := []struct {
		text, name, unit string
		role             qunzhu.Role
	}{
		{"/成员 添加 李四，单位＝市住建局，角色＝管理员", "李四", "市住建局", qunzhu.RoleAdmin},
		{"@群主助手\u2005／成员 添加 @王五\u2005单位：成都市 角色：群主", "王五", "成都市", qunzhu.RoleOwner},
		{"/成员添加 赵六 单位= 市水务局", "赵六", "市水务局", qunzhu.RoleMember},
		{"/成员添加钱七 部门=市交通局 role=member", "钱七", "市交通局", qunzhu.RoleMember},
		{"/成员 新增 “孙八” 单位=市生态环境局。", "孙八", "市生态环境局", qunzhu.RoleMember},
	}
	e := newEnv(t)
	for _, tt := range tests {
		e.send(e.owner, tt.text)
		reply := e.reply(e.owner)
		m := e.member(e.group, tt.name)
		if m == nil {
			t.Errorf("%q: %s not stored; reply %q", tt.text, tt.name, reply)
			continue
		}
		if m.Unit != tt.unit || m.Role != tt.role {
			t.Errorf("%q: stored unit %q role %q, want %q %q", tt.text, m.Unit, m.Role, tt.unit, tt.role)
		}
	}
}

func TestMemberAdd_Refused(t *testing.T) {
	e := newEnv(t)
	admin := e.boundMember(e.group, "李主任", "市城管委", qunzhu.RoleAdmin)
	member := e.boundMember(e.group, "赵科长", "市住建局", qunzhu.RoleMember)
	guest := person("路人甲")
	before := len(e.members())

	tests := []struct {
		sender qunzhu.Identity
		text   string
		want   string
	}{
		{guest, "/成员 添加 路人甲 单位=市城管委",
			"你还没有认证身份：请群主或管理员用 /成员 添加 登记你，再发送 /认证 <认证码>。"},
		{member, "/成员 添加 钱七 单位=市水务局", "只有群主或管理员可以使用 /成员 添加。"},
		{admin, "/成员 添加 钱七 单位=市水务局 角色=管理员", "只有群主可以登记管理员。"},
		{admin, "/成员 添加 钱七 单位=市水务局 角色=群主", "只有群主可以登记群主。"},
		{e.owner, "/成员 添加", "请写上要登记的名字和单位。例：/成员 添加 张三 单位=市城管委"},
		{e.owner, "/成员 添加 张三", "请写上张三的单位。例：/成员 添加 张三 单位=市城管委"},
		{e.owner, "/成员 添加 单位=市城管委", "请写上要登记的名字和单位。例：/成员 添加 张三 单位=市城管委"},
		{e.owner, "/成员 添加 张三 市城管委",
			"看不懂「市城管委」：单位和角色请写成 单位=… 角色=…。例：/成员 添加 张三 单位=市城管委 角色=管理员"},
		{e.owner, "/成员 添加 张三 单位=市城管委 角色=处长",
			"不认识角色「处长」：可以写 成员、管理员 或 群主。例：/成员 添加 张三 单位=市城管委 角色=管理员"},
		{e.owner, "/成员 添加 张三 单位=市城管委 职务=处长",
			"不认识「职务=」：可以写 单位= 和 角色=。例：/成员 添加 张三 单位=市城管委 角色=管理员"},
		{e.owner, "/成员 添加 赵科长 单位=市住建局",
			"「赵科长」已经登记过了（市住建局，成员）。需要新的认证码请发送：/成员 认证码 赵科长"},
		{e.owner, "/成员 删除 赵科长", "不认识「/成员 删除」。可以用：/成员 列表、/成员 添加 张三 单位=市城管委、/成员 认证码 张三"},
	}
	for _, tt := range tests {
		e.send(tt.sender, tt.text)
		if got := e.reply(tt.sender); got != tt.want {
			t.Errorf("%s %q:\n got %q\nwant %q", tt.sender.Name(), tt.text, got, tt.want)
		}
	}
	if got := len(e.members()); got != before {
		t.Errorf("members = %d, want %d: a refused command changed something", got, before)
	}

	// An admin may register plain members.
	e.send(admin, "/成员 添加 钱七 单位=市水务局")
	if got := e.reply(admin); !strings.HasPrefix(got, "已登记 钱七（市水务局，成员）") {
		t.Errorf("admin adding a member: reply %q", got)
	}
}

func TestMemberList(t *testing.T) {
	e := newEnv(t)
	e.boundMember(e.group, "李主任", "市城管委", qunzhu.RoleAdmin)
	e.send(e.owner, "/成员 添加 张三 单位=市城管委")
	e.send(e.owner, "/成员 添加 赵六 单位=市委")
	e.sent()

	for _, text := range []string{"/成员", "/成员 列表"} {
		e.send(e.owner, text)
		got := e.reply(e.owner)
		want := "本群登记成员4人，已认证2人：\n" +
			"【市委】\n王书记（群主，已认证）\n赵六（成员，未认证）\n" +
			"【市城管委】\n李主任（管理员，已认证）\n张三（成员，未认证）"
		if got != want {
			t.Errorf("%q:\n got %q\nwant %q", text, got, want)
		}
	}
}

func TestMemberCode_Reissue(t *testing.T) {
	e := newEnv(t)
	admin := e.boundMember(e.group, "李主任", "市城管委", qunzhu.RoleAdmin)
	e.send(e.owner, "/成员 添加 张三 单位=市城管委")
	e.reply(e.owner)
	old := e.code()

	e.send(admin, "/成员 认证码 张三")
	e.reply(admin)
	fresh := e.code()

	zhang := person("张三")
	e.send(zhang, "/认证 "+old)
	if got := e.reply(zhang); !strings.HasPrefix(got, "认证码无效或已过期。") {
		t.Errorf("old code after reissue: reply %q", got)
	}
	e.send(zhang, "/认证 "+fresh)
	if got, want := e.reply(zhang), bound张三; got != want {
		t.Errorf("fresh code: reply %q, want %q", got, want)
	}

	tests := []struct {
		sender qunzhu.Identity
		text   string
		want   string
	}{
		{admin, "/成员 认证码 李主任", "只有群主可以给管理员生成认证码。"},
		{admin, "/成员 认证码", "请写上成员的名字。例：/成员 认证码 张三"},
		{admin, "/成员 认证码 查无此人", "本群没有登记「查无此人」。请先登记：/成员 添加 查无此人 单位=市城管委"},
	}
	for _, tt := range tests {
		e.send(tt.sender, tt.text)
		if got := e.reply(tt.sender); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}

	e.send(e.owner, "/成员 重发 张三")
	if got := e.reply(e.owner); !strings.HasPrefix(got, "张三已经认证过；用新认证码认证后，原来的微信身份将不再有效。认证码已私信发给王书记") {
		t.Errorf("reissue for a bound member: reply %q", got)
	}
}

// members returns the env group's members.
func (e *env) members() []*qunzhu.Member {
	e.t.Helper()
	var ms []*qunzhu.Member
	err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		ms, err = tx.Members(e.group.ID)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}
