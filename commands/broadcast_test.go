package commands_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
)

// bcEnv is an env with the broadcast commands registered and the owner 王书记
// bound as owner in three groups (the env's and two more), as admin in a
// fourth, which a broadcast must not reach.
type bcEnv struct {
	*env
	street, water, other *qunzhu.Group
}

func newBroadcastEnv(t *testing.T) *bcEnv {
	t.Helper()
	e := &bcEnv{env: newEnv(t)}
	bs := commands.NewBroadcasts(commands.BroadcastConfig{
		Account:  qunzhu.Limit{Rate: 1, Period: 3 * time.Second, Burst: 2},
		Jitter:   time.Second,
		Daily:    500,
		Calendar: festival.New(commands.ChinaTime()),
	})
	for _, s := range bs.Specs() {
		e.router.Register(s)
	}
	e.router.RegisterAttach(commands.AttachBroadcast, bs.AttachBroadcastPicture)
	e.router.RegisterAttach(commands.AttachGreeting, bs.AttachGreetingPicture)
	e.street = e.createGroup("锦江区街道工作群")
	e.water = e.createGroup("防汛值班群")
	e.other = e.createGroup("市级部门群")
	e.boundMember(e.street, "王书记", "市委", qunzhu.RoleOwner)
	e.boundMember(e.water, "王书记", "市委", qunzhu.RoleOwner)
	e.boundMember(e.other, "王书记", "市委", qunzhu.RoleAdmin)
	return e
}

var confirmCode = regexp.MustCompile(`/确认 (\d{6})`)

// preview sends a /群发 command and returns the preview and its code.
func (e *bcEnv) preview(text string) (reply, code string) {
	e.t.Helper()
	e.send(e.owner, text)
	reply = e.reply(e.owner)
	m := confirmCode.FindStringSubmatch(reply)
	if m == nil {
		e.t.Fatalf("%s: no confirmation code in %q", text, reply)
	}
	return reply, m[1]
}

// split drains the outbox into the replies and the broadcast rows.
func (e *bcEnv) split() (replies, rows []*qunzhu.OutMessage) {
	e.t.Helper()
	for _, m := range e.sent() {
		if m.Kind == qunzhu.KindBroadcast {
			rows = append(rows, m)
		} else {
			replies = append(replies, m)
		}
	}
	return replies, rows
}

func rowGroups(rows []*qunzhu.OutMessage) []int64 {
	var ids []int64
	for _, m := range rows {
		ids = append(ids, m.GroupID)
	}
	return ids
}

func TestBroadcast_PreviewThenConfirmSends(t *testing.T) {
	e := newBroadcastEnv(t)
	reply, code := e.preview("/群发 端午节送粽子来喽，{群名}的同志们辛苦了！")
	for _, want := range []string{
		"群发预览（编号1）",
		"内容：端午节送粽子来喽，{群名}的同志们辛苦了！",
		"（{群名} 会换成各群的群名）",
		"发往3个群：成都市城市管理工作群、锦江区街道工作群、防汛值班群",
		// Burst 2, then one every 3 s, and half a second of jitter on
		// average after each: 0.5 s + 3 s.
		"预计用时：约4秒（按现在的发送节奏，约3秒一条）",
		"要附图片，请在2分钟内发一张图片。",
		"10分钟内发送 /确认 " + code + " 才会发出，否则作废。",
	} {
		if !strings.Contains(reply, want) {
			t.Errorf("preview lacks %q:\n%s", want, reply)
		}
	}
	if strings.Contains(reply, "市级部门群") {
		t.Errorf("preview targets a group where the sender is only admin:\n%s", reply)
	}

	e.send(e.owner, "/确认 "+code)
	replies, rows := e.split()
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "已确认，开始群发（编号1）：3个群") {
		t.Fatalf("confirmation replies = %v", texts(replies))
	}
	if got, want := rowGroups(rows), []int64{e.group.ID, e.street.ID, e.water.ID}; !slices.Equal(got, want) {
		t.Fatalf("broadcast rows to %v, want %v", got, want)
	}
	for _, m := range rows {
		if m.Priority != qunzhu.PriorityBroadcast || m.Ref != "broadcast:1" ||
			m.DedupKey != fmt.Sprintf("broadcast:1:%d", m.GroupID) || len(m.Image) != 0 {
			t.Errorf("row %+v: want broadcast priority, ref broadcast:1, its dedup key, no image", m)
		}
	}
	if got, want := rows[1].Text, "端午节送粽子来喽，锦江区街道工作群的同志们辛苦了！"; got != want {
		t.Errorf("text in 街道 group = %q, want %q", got, want)
	}

	// A second /确认 sends nothing twice.
	e.send(e.owner, "/确认 "+code)
	if got := e.reply(e.owner); !strings.Contains(got, "已经确认过了，现在发送中") {
		t.Errorf("second confirm = %q", got)
	}
}

func TestBroadcast_PictureRightAfterGoesWithIt(t *testing.T) {
	e := newBroadcastEnv(t)
	_, code := e.preview("/群发 端午节送粽子来喽")
	e.sendPicture(e.owner, "png-bytes-of-zongzi")
	if got := e.reply(e.owner); got != "图片已附到群发（编号1），会跟在文字后面发出。确认发出：/确认 "+code {
		t.Errorf("picture reply = %q", got)
	}
	e.send(e.owner, "/确认 "+code)
	replies, rows := e.split()
	if len(rows) != 3 || !strings.Contains(replies[0].Text, "（带图片）") {
		t.Fatalf("rows %d, replies %v", len(rows), texts(replies))
	}
	for _, m := range rows {
		if string(m.Image) != "png-bytes-of-zongzi" || m.Text != "端午节送粽子来喽" {
			t.Errorf("row to %d: text %q image %q", m.GroupID, m.Text, m.Image)
		}
	}
}

func TestBroadcast_CodeExpiresAfterTenMinutes(t *testing.T) {
	e := newBroadcastEnv(t)
	_, code := e.preview("/群发 明天上午9点开会")
	e.clock.Advance(10 * time.Minute)
	e.send(e.owner, "/确认 "+code)
	got := e.reply(e.owner)
	if want := "确认码 " + code + " 已过期（10分钟内有效），这次群发（编号1）没有发出。请重新发送：/群发 明天上午9点开会"; got != want {
		t.Errorf("late confirm = %q, want %q", got, want)
	}
	if _, rows := e.split(); len(rows) != 0 {
		t.Errorf("an expired broadcast queued %d rows", len(rows))
	}

	// Just inside the window it works.
	_, code = e.preview("/群发 明天上午9点开会")
	e.clock.Advance(10*time.Minute - time.Second)
	e.send(e.owner, "/确认 "+code)
	if _, rows := e.split(); len(rows) != 3 {
		t.Errorf("confirm at 9m59s queued %d rows, want 3", len(rows))
	}
}

func TestBroadcast_ConfirmRefusals(t *testing.T) {
	e := newBroadcastEnv(t)
	deputy := e.boundMember(e.group, "李副书记", "市委", qunzhu.RoleOwner)
	member := e.boundMember(e.group, "赵科长", "市住建局", qunzhu.RoleMember)
	_, code := e.preview("/群发 请各单位报送值班表")
	tests := []struct {
		who  qunzhu.Identity
		text string
		want string
	}{
		{deputy, "/确认 " + code, "只有发起人王书记可以确认这次群发（编号1）。"},
		{member, "/确认 " + code, "只有群主可以使用 /确认。"},
		{person("路人甲"), "/确认 " + code, "你还没有认证身份"},
		{e.owner, "/确认", "请写上群发预览里的确认码。例：/确认 482913"},
		{e.owner, "/确认 12345", "确认码是6位数字。例：/确认 482913"},
		{e.owner, "/确认 " + other(code), "确认码 " + other(code) + " 不存在，请核对群发预览里的确认码。"},
	}
	for _, tt := range tests {
		e.send(tt.who, tt.text)
		if got := e.reply(tt.who); !strings.Contains(got, tt.want) {
			t.Errorf("%s by %s = %q, want %q", tt.text, tt.who.Name(), got, tt.want)
		}
	}
	if _, rows := e.split(); len(rows) != 0 {
		t.Fatalf("refused confirmations queued %d rows", len(rows))
	}
	e.send(e.owner, "／确认　"+fullWidth(code)+"。")
	if _, rows := e.split(); len(rows) != 3 {
		t.Errorf("full-width confirm queued %d rows, want 3", len(rows))
	}
}

// other is a six-digit code different from code.
func other(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestBroadcast_ToTaggedGroups(t *testing.T) {
	e := newBroadcastEnv(t)
	e.send(e.owner, "/群发 到 街道 今晚8点防汛会商")
	if got := e.reply(e.owner); got != "你是群主的群里没有打「街道」标签的。先在要发的群里发送 /群 标签 街道，再群发。" {
		t.Errorf("untagged = %q", got)
	}
	for _, g := range []*qunzhu.Group{e.street, e.water, e.other} {
		e.sendIn(g, "tag-"+g.Name, e.owner, "/群 标签 #街道")
	}
	replies := texts(e.sent())
	if len(replies) != 3 || !strings.Contains(replies[0], "已给本群打上标签：街道。只发给打了「街道」标签的群：/群发 到 街道 <内容>") {
		t.Fatalf("tag replies = %v", replies)
	}
	reply, code := e.preview("/群发 到 街道 今晚8点防汛会商，请准时参加")
	if !strings.Contains(reply, "发往标签「街道」的2个群：锦江区街道工作群、防汛值班群") ||
		!strings.Contains(reply, "内容：今晚8点防汛会商，请准时参加") {
		t.Errorf("tagged preview:\n%s", reply)
	}
	e.send(e.owner, "/确认 "+code)
	if _, rows := e.split(); !slices.Equal(rowGroups(rows), []int64{e.street.ID, e.water.ID}) {
		t.Errorf("tagged rows to %v", rowGroups(rows))
	}

	// Listing and removing.
	e.sendIn(e.water, "tags-1", e.owner, "/群 标签 应急 值班")
	e.sent()
	e.sendIn(e.water, "tags-2", e.owner, "/群 标签")
	if got := texts(e.sent()); len(got) != 1 || !strings.Contains(got[0], "本群的标签：值班、应急、街道") ||
		!strings.Contains(got[0], "你是群主的群里用到的标签：值班（1个群）、应急（1个群）、街道（2个群）") {
		t.Errorf("tag list = %v", got)
	}
	e.sendIn(e.water, "tags-3", e.owner, "/群 标签 删除 街道")
	if got := texts(e.sent()); len(got) != 1 || !strings.Contains(got[0], "已去掉本群的标签：街道。") {
		t.Errorf("untag = %v", got)
	}
	e.sendIn(e.water, "tags-4", e.owner, "/群 标签 删除 街道")
	if got := texts(e.sent()); len(got) != 1 || !strings.Contains(got[0], "本群没有标签「街道」") {
		t.Errorf("untag twice = %v", got)
	}
	e.send(e.owner, "/群 标签 这个标签实在是太长了超过十个字")
	if got := e.reply(e.owner); !strings.Contains(got, "太长了") {
		t.Errorf("long tag = %q", got)
	}
}

func TestBroadcast_Timed(t *testing.T) {
	e := newBroadcastEnv(t)
	// start is Monday 2025-06-02 09:00.
	reply, code := e.preview("/群发 定时 明天9点 端午节放假通知：5月31日至6月2日放假！")
	for _, want := range []string{"定时：6月3日（周二）09:00", "内容：端午节放假通知：5月31日至6月2日放假！"} {
		if !strings.Contains(reply, want) {
			t.Errorf("timed preview lacks %q:\n%s", want, reply)
		}
	}
	e.send(e.owner, "/确认 "+code)
	replies, rows := e.split()
	if len(rows) != 0 || len(replies) != 1 ||
		!strings.Contains(replies[0].Text, "已确认定时群发（编号1）：6月3日（周二）09:00发往3个群。取消：/群发 取消 1") {
		t.Errorf("timed confirm: rows %d, replies %v", len(rows), texts(replies))
	}

	e.sendIn(e.water, "tag-1", e.owner, "/群 标签 街道")
	e.sent()
	reply, _ = e.preview("/群发 定时 周五下午3点 到 街道 请各街道报送防汛值班表。")
	for _, want := range []string{"定时：6月6日（周五）15:00", "发往标签「街道」的1个群：防汛值班群", "内容：请各街道报送防汛值班表。"} {
		if !strings.Contains(reply, want) {
			t.Errorf("timed tagged preview lacks %q:\n%s", want, reply)
		}
	}
	reply, _ = e.preview("/群发 到 街道 定时 周五下午3点 请各街道报送防汛值班表")
	if !strings.Contains(reply, "定时：6月6日（周五）15:00") || !strings.Contains(reply, "发往标签「街道」的1个群") {
		t.Errorf("tag then time:\n%s", reply)
	}
	tests := []struct{ text, want string }{
		{"/群发 定时 端午节放假通知", "请写上发送时间"},
		{"/群发 定时 今天8点 端午节放假通知", "发送时间「今天8点」是6月2日（周一）08:00，已经过了，请写一个将来的时间。例：/群发 定时 6月19日9:00 端午节送粽子来喽"},
		{"/群发 到 街道 定时 2月30日9点 端午节放假通知", "看不懂发送时间「2月30日9点」：没有这一天。例：/群发 定时 6月19日9:00"},
		{"/群发 定时 明天9点", "请写上群发的内容"},
	}
	for _, tt := range tests {
		e.send(e.owner, tt.text)
		if got := e.reply(e.owner); !strings.Contains(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestBroadcast_ListAndCancel(t *testing.T) {
	e := newBroadcastEnv(t)
	_, c1 := e.preview("/群发 定时 明天9点 第一条")
	e.send(e.owner, "/确认 "+c1)
	e.sent()
	_, c2 := e.preview("/群发 第二条")
	e.send(e.owner, "/确认 "+c2)
	e.sent() // delivered: the test drain marks every row sent
	e.preview("/群发 第三条，还没确认")

	e.send(e.owner, "/群发 列表")
	got := e.reply(e.owner)
	for _, want := range []string{
		"#3 待确认（09:10前确认有效），3个群：第三条，还没确认",
		"#2 发送中 已发送3/3，3个群：第二条",
		"#1 已定时 6月3日（周二）09:00，3个群：第一条",
		"\n取消：/群发 取消 3", // the newest that can still be cancelled
	} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks %q:\n%s", want, got)
		}
	}

	deputy := e.boundMember(e.group, "李副书记", "市委", qunzhu.RoleOwner)
	tests := []struct {
		who        qunzhu.Identity
		text, want string
	}{
		{deputy, "/群发 取消 1", "只有发起人王书记可以取消这次群发（编号1）。"},
		{e.owner, "/群发 取消", "请写上群发编号。例：/群发 取消 3"},
		{e.owner, "/群发 取消 九", "群发编号是一个数字。例：/群发 取消 3"},
		{e.owner, "/群发 取消 99", "本群没有编号为99的群发。"},
		{e.owner, "/群发 取消 #1", "已取消群发（编号1），没有发出。"},
		{e.owner, "/群发 取消 1", "群发（编号1）已取消，不用取消。"},
		{e.owner, "/群发 取消 3", "已取消群发（编号3），没有发出。"},
	}
	for _, tt := range tests {
		e.send(tt.who, tt.text)
		if got := e.reply(tt.who); !strings.Contains(got, tt.want) {
			t.Errorf("%s by %s = %q, want %q", tt.text, tt.who.Name(), got, tt.want)
		}
	}
	e.send(e.owner, "/群发 列表")
	if got := e.reply(e.owner); !strings.HasSuffix(got, "\n取消：/群发 取消 2") {
		t.Errorf("list after cancelling #1 and #3 = %q, want the hint to name #2, still going out", got)
	}

	// Cancelling in another group is refused: the broadcast is this group's.
	e.sendIn(e.street, "x-1", e.owner, "/群发 取消 2")
	if got := texts(e.sent()); len(got) != 1 || !strings.Contains(got[0], "本群没有编号为2的群发") {
		t.Errorf("cancel elsewhere = %v", got)
	}
}

func TestBroadcast_CancelWhileSendingWithdrawsTheRest(t *testing.T) {
	e := newBroadcastEnv(t)
	_, code := e.preview("/群发 第四季度工作安排")
	e.send(e.owner, "/确认 "+code)
	ctx := e.t.Context()
	rows, err := e.store.Due(ctx, e.clock.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	// The reply and the first group's row went out; two rows wait.
	for _, m := range rows[:2] {
		if err := e.store.MarkSending(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.store.MarkSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.send(e.owner, "/群发 取消 1")
	if got := e.reply(e.owner); got != "已取消群发（编号1）：已经发出的1个群收不回，其余2个群不再发送。" {
		t.Errorf("cancel while sending = %q", got)
	}
	e.clock.Advance(2 * time.Hour)
	if _, rows := e.split(); len(rows) != 0 {
		t.Errorf("%d withdrawn rows still went out", len(rows))
	}
	e.send(e.owner, "/群发 列表")
	if got := e.reply(e.owner); !strings.Contains(got, "#1 已取消 已发送1/3，未发出2") || strings.Contains(got, "取消：") {
		t.Errorf("list after the cancel = %q, want #1 cancelled and no cancel hint", got)
	}
}

func TestBroadcast_Refusals(t *testing.T) {
	e := newBroadcastEnv(t)
	member := e.boundMember(e.group, "赵科长", "市住建局", qunzhu.RoleMember)
	tests := []struct {
		who        qunzhu.Identity
		text, want string
	}{
		{e.owner, "/群发", "请写上群发的内容（图片在发完命令后紧接着发）。例：/群发 端午节送粽子来喽"},
		{e.owner, "/群发 " + strings.Repeat("长", 2001), "群发内容太长了（最多2000个字）"},
		{e.owner, "/群发 到", "请写上标签和内容。"},
		{member, "/群发 大家好", "只有群主可以使用 /群发。"},
		{person("路人甲"), "/群发 大家好", "你还没有认证身份"},
	}
	for _, tt := range tests {
		e.send(tt.who, tt.text)
		if got := e.reply(tt.who); !strings.Contains(got, tt.want) {
			t.Errorf("%s by %s = %q, want %q", snippet(tt.text), tt.who.Name(), got, tt.want)
		}
	}
}

func snippet(s string) string {
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}

// TestBroadcast_Forms: the spellings people type reach the right command.
func TestBroadcast_Forms(t *testing.T) {
	e := newBroadcastEnv(t)
	e.sendIn(e.street, "t-1", e.owner, "／群标签　街道")
	if got := texts(e.sent()); len(got) != 1 || !strings.Contains(got[0], "已给本群打上标签：街道") {
		t.Fatalf("glued /群标签 = %v", got)
	}
	tests := []struct{ text, want string }{
		{"/群发端午节送粽子来喽", "内容：端午节送粽子来喽"},
		{"@群主助手\u2005/群发　端午节送粽子来喽！", "内容：端午节送粽子来喽！"},
		{"/群发到 街道 防汛会商", "发往标签「街道」的1个群"},
		{"/群发 到底谁值班？请回复", "内容：到底谁值班？请回复"},
		{"/群发定时 明天9点 端午节放假通知", "定时：6月3日（周二）09:00"},
	}
	for _, tt := range tests {
		reply, _ := e.preview(tt.text)
		if !strings.Contains(reply, tt.want) {
			t.Errorf("%s: preview lacks %q:\n%s", tt.text, tt.want, reply)
		}
	}
	e.send(e.owner, "/群发列表")
	if got := e.reply(e.owner); !strings.HasPrefix(got, "本群最近的群发：") {
		t.Errorf("/群发列表 = %q", got)
	}
	e.send(e.owner, "/帮助 群发")
	got := e.reply(e.owner)
	for _, want := range []string{"/群发 到", "/群发 定时", "/群发 列表", "/群发 取消"} {
		if !strings.Contains(got, want) {
			t.Errorf("/帮助 群发 lacks %q:\n%s", want, got)
		}
	}
}
