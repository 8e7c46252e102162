package commands_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

func TestHandle_ChatterIsIgnored(t *testing.T) {
	e := newEnv(t)
	for _, text := range []string{
		"收到，马上处理",
		"请大家发送 /认证 482913 完成认证",
		"http://12345.chengdu.gov.cn/ticket/1",
		"/::)",
		"督办一下这件事：路灯坏了", // a sentence, not "督办：…"
		"/ 哈哈",         // a spaced slash before no command
		"/",
		"",
	} {
		e.send(e.owner, text)
	}
	e.noReply()

	// Pictures and groups we do not know are never answered either.
	if err := e.router.Handle(t.Context(), &qunzhu.Inbound{ID: "img", GroupID: e.group.ID,
		Sender: e.owner, IsImage: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.router.Handle(t.Context(), &qunzhu.Inbound{ID: "x", Sender: e.owner, Text: "/ping"}); err != nil {
		t.Fatal(err)
	}
	e.noReply()
}

func TestHandle_UnknownCommand(t *testing.T) {
	e := newEnv(t)
	guest := person("路人甲")
	e.send(guest, "/打卡 今天")
	if got, want := e.reply(guest), "未知命令「/打卡」。发送 /帮助 查看可用命令。"; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
}

func TestHandle_Ping(t *testing.T) {
	e := newEnv(t)
	guest := person("路人甲")
	for _, text := range []string{"/ping", "@群主助手\u2005／ＰＩＮＧ", "/PING。"} {
		e.send(guest, text)
		if got, want := e.reply(guest), "pong"; got != want {
			t.Errorf("%q: reply = %q, want %q", text, got, want)
		}
	}
}

func TestHandle_ReplyRow(t *testing.T) {
	e := newEnv(t)
	e.sendIn(e.group, "wx-1001", e.owner, "/ping")
	msgs := e.sent()
	if got, want := len(msgs), 1; got != want {
		t.Fatalf("rows = %d, want %d", got, want)
	}
	m := msgs[0]
	if got, want := m.Text, "@王书记\u2005pong"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := m.DedupKey, "reply:wx-1001"; got != want {
		t.Errorf("DedupKey = %q, want %q", got, want)
	}
	if got, want := m.GroupID, e.group.ID; got != want {
		t.Errorf("GroupID = %d, want %d", got, want)
	}
}

func TestHandle_SameMessageTwiceIsAnsweredOnce(t *testing.T) {
	e := newEnv(t)
	// A command with a side effect that is not idempotent by itself.
	n := 0
	e.router.Register(commands.Spec{Name: "建群", Summary: "测试", Handle: func(r *commands.Request) (string, error) {
		n++
		_, err := r.Tx.CreateGroup(fmt.Sprintf("测试群%d", n))
		return "已建群", err
	}})
	e.sendIn(e.group, "wx-7", e.owner, "/建群")
	e.sendIn(e.group, "wx-7", e.owner, "/建群")
	e.sendIn(e.group, "wx-8", e.owner, "/ping")
	e.sendIn(e.group, "wx-8", e.owner, "/ping")
	if got, want := texts(e.sent()), []string{"@王书记\u2005已建群", "@王书记\u2005pong"}; !slices.Equal(got, want) {
		t.Errorf("replies = %q, want %q", got, want)
	}
	if got, want := len(e.groups()), 2; got != want {
		t.Errorf("groups = %d, want %d: the second delivery was not rolled back", got, want)
	}

	// An error reply is deduplicated the same way.
	e.sendIn(e.group, "wx-9", e.owner, "/打卡")
	e.sendIn(e.group, "wx-9", e.owner, "/打卡")
	if got, want := len(e.sent()), 1; got != want {
		t.Errorf("error replies = %d, want %d", got, want)
	}
}

func TestHandle_ErrorRollsBack(t *testing.T) {
	e := newEnv(t)
	e.router.Register(commands.Spec{Name: "半途", Summary: "测试", Handle: func(r *commands.Request) (string, error) {
		if _, err := r.Tx.CreateGroup("不该存在的群"); err != nil {
			return "", err
		}
		return "", qunzhu.Errorf(qunzhu.EINVALID, "参数不对。例：/半途 1")
	}})
	e.send(e.owner, "/半途")
	if got, want := e.reply(e.owner), "参数不对。例：/半途 1"; got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
	if got, want := len(e.groups()), 1; got != want {
		t.Errorf("groups = %d, want %d", got, want)
	}
}

func TestHandle_InternalErrorIsLoggedNotShown(t *testing.T) {
	var logs bytes.Buffer
	e := newEnvLogger(t, slog.New(slog.NewTextHandler(&logs, nil)))
	e.router.Register(commands.Spec{Name: "故障", Summary: "测试", Handle: func(*commands.Request) (string, error) {
		return "", errors.New("disk I/O error")
	}})
	e.router.Register(commands.Spec{Name: "崩溃", Summary: "测试", Handle: func(r *commands.Request) (string, error) {
		var m map[string]int
		m["x"]++ // a bug: nil map
		return "", nil
	}})
	for _, text := range []string{"/故障 机密内容 482913", "/崩溃 机密内容"} {
		e.send(e.owner, text)
		if got, want := e.reply(e.owner), "系统内部错误，请稍后再试。"; got != want {
			t.Errorf("%q: reply = %q, want %q", text, got, want)
		}
	}
	log := logs.String()
	for _, want := range []string{"disk I/O error", "command=故障", "panic in /崩溃", fmt.Sprintf("group=%d", e.group.ID)} {
		if !strings.Contains(log, want) {
			t.Errorf("log %q lacks %q", log, want)
		}
	}
	for _, secret := range []string{"机密内容", "482913"} {
		if strings.Contains(log, secret) {
			t.Errorf("log %q contains the message text %q", log, secret)
		}
	}
}

func TestHandle_Permissions(t *testing.T) {
	e := newEnv(t)
	admin := e.boundMember(e.group, "李主任", "市城管委", qunzhu.RoleAdmin)
	member := e.boundMember(e.group, "赵科长", "市住建局", qunzhu.RoleMember)
	e.router.Register(commands.Spec{Name: "群发", MinRole: qunzhu.RoleOwner, Summary: "测试",
		Handle: func(*commands.Request) (string, error) { return "好的", nil }})

	// A guest who renamed themselves to the owner's name is still a guest.
	impostor := qunzhu.Identity{SessionKey: "@impostor", NickName: "王书记", DisplayName: "王书记"}
	tests := []struct {
		sender qunzhu.Identity
		text   string
		want   string
	}{
		{impostor, "/群发 端午节送粽子来喽", "你还没有认证身份：请群主或管理员用 /成员 添加 登记你，再发送 /认证 <认证码>。"},
		{member, "/群发 端午节送粽子来喽", "只有群主可以使用 /群发。"},
		{admin, "/群发 端午节送粽子来喽", "只有群主可以使用 /群发。"},
		{member, "/成员 添加 钱七 单位=市水务局", "只有群主或管理员可以使用 /成员 添加。"},
		{e.owner, "/群发 端午节送粽子来喽", "好的"},
	}
	for _, tt := range tests {
		e.send(tt.sender, tt.text)
		if got := e.reply(tt.sender); got != tt.want {
			t.Errorf("%s %q: reply = %q, want %q", tt.sender.Name(), tt.text, got, tt.want)
		}
	}
}

func TestRegister_Panics(t *testing.T) {
	e := newEnv(t)
	ok := func(*commands.Request) (string, error) { return "", nil }
	tests := []struct {
		name string
		spec commands.Spec
	}{
		{"name taken", commands.Spec{Name: "帮助", Handle: ok}},
		{"alias taken", commands.Spec{Name: "求助", Aliases: []string{"HELP"}, Handle: ok}},
		{"no handler", commands.Spec{Name: "空"}},
		{"no name", commands.Spec{Name: "／", Handle: ok}},
		{"unknown role", commands.Spec{Name: "超管", MinRole: "root", Handle: ok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", tt.spec)
				}
			}()
			e.router.Register(tt.spec)
		})
	}
}

func TestMention(t *testing.T) {
	if got, want := commands.Mention("张三"), "@张三\u2005"; got != want {
		t.Errorf("Mention = %q, want %q", got, want)
	}
	if got, want := commands.Mention(""), ""; got != want {
		t.Errorf("Mention(\"\") = %q, want %q", got, want)
	}
}

// groups returns every registered group.
func (e *env) groups() []*qunzhu.Group {
	e.t.Helper()
	var gs []*qunzhu.Group
	err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		gs, err = tx.Groups()
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return gs
}

// TestHandle_MentionUnderAnotherName: the bot's nickname in a group may not be
// one of the configured bot names; WeChat still tells us it was mentioned, and
// "@小助手 /ping" is then a command. Without that flag it stays chatter.
func TestHandle_MentionUnderAnotherName(t *testing.T) {
	e := newEnv(t)
	guest := person("路人甲")
	text := "@城管小助手\u2005／ping"
	in := &qunzhu.Inbound{ID: "at-1", GroupID: e.group.ID, GroupName: e.group.Name, Sender: guest,
		Text: text, At: e.clock.Now(), AtBot: true, Mentions: []string{"城管小助手"}}
	if err := e.router.Handle(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	if got, want := e.reply(guest), "pong"; got != want {
		t.Errorf("mentioned bot: reply = %q, want %q", got, want)
	}
	// The same words mentioning a colleague, not the bot, are chatter.
	in = &qunzhu.Inbound{ID: "at-2", GroupID: e.group.ID, GroupName: e.group.Name, Sender: guest,
		Text: "@张三\u2005/ping", At: e.clock.Now(), Mentions: []string{"张三"}}
	if err := e.router.Handle(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	e.noReply()
}
