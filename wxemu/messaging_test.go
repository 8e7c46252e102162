package wxemu_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"slices"
	"testing"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu/wxemu"
)

// loggedIn returns an emulator and a bot logged in to it.
func loggedIn(t *testing.T) (*wxemu.Server, *testBot) {
	t.Helper()
	emu, ts := newEmu(t, sampleConfig())
	b := newBot(t, ts.URL)
	loginQR(t, emu, b, b.Login)
	return emu, b
}

func TestContactsAndMembers(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	wxemu.SetContactPageSize(emu, 1) // two pages for two groups
	b := newBot(t, ts.URL)
	loginQR(t, emu, b, b.Login)

	groups, err := b.self(t).Groups()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.NickName)
	}
	slices.Sort(names)
	if want := []string{hotline, cadres}; !slices.Equal(names, want) {
		t.Errorf("groups = %q, want %q", names, want)
	}

	members, err := b.group(t, cadres).Members()
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]int64{}
	for _, g := range emu.Groups() {
		for _, m := range g.Members {
			attrs[m.Name] = m.AttrStatus
		}
	}
	var got []string
	for _, m := range members {
		got = append(got, m.DisplayName)
		if m.DisplayName == botName && m.UserName != b.self(t).UserName {
			t.Errorf("the bot's member entry has UserName %q, want its own %q", m.UserName, b.self(t).UserName)
		}
		if want, ok := attrs[m.DisplayName]; ok && m.AttrStatus != want {
			t.Errorf("%s: AttrStatus = %d, want %d", m.DisplayName, m.AttrStatus, want)
		}
	}
	if want := []string{botName, zhang, li, wang}; !slices.Equal(got, want) {
		t.Errorf("members = %q, want %q", got, want)
	}
	if attrs[li] != 33656933 {
		t.Errorf("configured AttrStatus lost: %d", attrs[li])
	}
}

func TestRenamedAndNewMembers(t *testing.T) {
	emu, b := loggedIn(t)
	g := b.group(t, cadres)
	before, err := g.Members()
	if err != nil {
		t.Fatal(err)
	}
	zhangBefore := before.Search(1, func(u *openwechat.User) bool { return u.DisplayName == zhang }).First()

	if err := emu.RenameMember(cadres, zhang, "张三(住建局)"); err != nil {
		t.Fatal(err)
	}
	if err := emu.AddMember(cadres, wxemu.Person{Name: "新同志"}); err != nil {
		t.Fatal(err)
	}
	after, err := g.Members()
	if err != nil {
		t.Fatal(err)
	}
	renamed := after.SearchByUserName(1, zhangBefore.UserName).First()
	if renamed == nil || renamed.DisplayName != "张三(住建局)" || renamed.NickName != zhang || renamed.AttrStatus != zhangBefore.AttrStatus {
		t.Errorf("renamed member = %+v, want new DisplayName, same NickName and AttrStatus", renamed)
	}

	// WeChat's notice of the rename comes first, from the group, with no sender.
	notice := recv(t, b.messages, "the rename notice")
	if want := "\"" + zhang + "\"修改群昵称为“张三(住建局)”"; !notice.IsSystem() || !notice.IsSendByGroup() || notice.Content != want {
		t.Errorf("notice: system %v, content %q; want %q", notice.IsSystem(), notice.Content, want)
	}
	if err := emu.Post(cadres, "新同志", "大家好"); err != nil {
		t.Fatal(err)
	}
	m := recv(t, b.messages, "the newcomer's message")
	if sender, err := m.SenderInGroup(); err != nil || sender.DisplayName != "新同志" {
		t.Errorf("sender = %v, %v; want 新同志", sender, err)
	}
}

func TestReceiveGroupText(t *testing.T) {
	emu, b := loggedIn(t)
	text := "@" + botName + "\u2005请核实 <A&B> \"进度\"\n第二行"
	if err := emu.Post(cadres, zhang, text); err != nil {
		t.Fatal(err)
	}
	m := recv(t, b.messages, "the group text")
	if !m.IsText() || !m.IsSendByGroup() || m.Content != text {
		t.Fatalf("message: text %v, from group %v, content %q; want content %q", m.IsText(), m.IsSendByGroup(), m.Content, text)
	}
	if !m.IsAt() {
		t.Errorf("IsAt = false for a message mentioning the bot")
	}
	sender, err := m.SenderInGroup()
	if err != nil || sender.DisplayName != zhang {
		t.Fatalf("SenderInGroup = %v, %v; want %s", sender, err, zhang)
	}
	if !bytes.HasPrefix([]byte(m.RawContent), []byte(sender.UserName+":<br/>")) {
		t.Errorf("RawContent %q does not start with the sender's UserName", m.RawContent)
	}
	grp, err := m.Sender()
	if err != nil || grp.NickName != cadres {
		t.Errorf("Sender = %v, %v; want the group", grp, err)
	}

	if err := emu.Post(cadres, li, "@王五\u2005看一下"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b.messages, "the second text"); m.IsAt() {
		t.Errorf("IsAt = true for a message mentioning someone else")
	}
}

// TestColonNewlineIsMangledByOpenwechat documents an openwechat quirk the bot has to
// live with: it splits the content at every ":<br/>", so an ASCII colon at the end
// of a line is lost together with the line break. A full-width colon is safe.
func TestColonNewlineIsMangledByOpenwechat(t *testing.T) {
	emu, b := loggedIn(t)
	for _, tc := range []struct{ posted, received string }{
		{"进度:\n已完成", "进度已完成"},
		{"进度：\n已完成", "进度：\n已完成"},
	} {
		if err := emu.Post(hotline, li, tc.posted); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, b.messages, "the text"); m.Content != tc.received {
			t.Errorf("posted %q, received %q, want %q", tc.posted, m.Content, tc.received)
		}
	}
}

func TestReceiveImage(t *testing.T) {
	emu, b := loggedIn(t)
	img := testPNG(t, 3)
	if err := emu.PostImage(hotline, li, img); err != nil {
		t.Fatal(err)
	}
	m := recv(t, b.messages, "the image")
	if !m.IsPicture() {
		t.Fatalf("MsgType = %d, want a picture", m.MsgType)
	}
	if sender, err := m.SenderInGroup(); err != nil || sender.DisplayName != li {
		t.Errorf("SenderInGroup = %v, %v; want %s", sender, err, li)
	}
	resp, err := m.GetPicture()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(got, img) {
		t.Errorf("GetPicture returned %d bytes (err %v), want the %d posted", len(got), err, len(img))
	}
}

func TestSendTextAndImage(t *testing.T) {
	emu, b := loggedIn(t)
	g := b.group(t, hotline)
	if _, err := g.SendText("收到，马上办 <今天>"); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	img := testPNG(t, 9)
	if _, err := g.SendImage(bytes.NewReader(img)); err != nil {
		t.Fatalf("SendImage: %v", err)
	}
	msgs, err := emu.Messages(hotline, 0)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(img)
	if len(msgs) != 2 {
		t.Fatalf("history has %d messages, want 2: %+v", len(msgs), msgs)
	}
	if m := msgs[0]; !m.Bot || m.From != botName || m.Type != wxemu.TypeText || m.Text != "收到，马上办 <今天>" {
		t.Errorf("text = %+v", m)
	}
	if m := msgs[1]; !m.Bot || m.Type != wxemu.TypeImage || m.ImageMD5 != hex.EncodeToString(sum[:]) || !bytes.Equal(m.Image, img) {
		t.Errorf("image = %+v", m)
	}
	if other, _ := emu.Messages(cadres, 0); len(other) != 0 {
		t.Errorf("the other group got %d messages", len(other))
	}
	if got := emu.Session().Sends; got != 2 {
		t.Errorf("sends = %d, want 2", got)
	}
}

// TestLargeImageIsChunked sends an image over openwechat's 512 KB chunk size.
func TestLargeImageIsChunked(t *testing.T) {
	emu, b := loggedIn(t)
	img := append(testPNG(t, 5), bytes.Repeat([]byte{0}, 1100<<10)...) // trailing bytes after IEND
	if _, err := b.group(t, cadres).SendImage(bytes.NewReader(img)); err != nil {
		t.Fatalf("SendImage: %v", err)
	}
	msgs, err := emu.Messages(cadres, 0)
	if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Image, img) {
		t.Fatalf("history = %d messages (err %v), want the %d-byte image", len(msgs), err, len(img))
	}
}

func TestThrottle(t *testing.T) {
	emu, b := loggedIn(t)
	g := b.group(t, cadres)
	emu.Throttle(1)
	_, err := g.SendText("第一条")
	wantRet(t, err, 1205)
	if _, err := g.SendText("第二条"); err != nil {
		t.Fatalf("send after the throttle: %v", err)
	}
	msgs, _ := emu.Messages(cadres, 0)
	if len(msgs) != 1 || msgs[0].Text != "第二条" {
		t.Errorf("history = %+v, want only the second send", msgs)
	}
}

func TestMessagesWhileLoggedOutAreNotDelivered(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	if err := emu.Post(cadres, wang, "没人在线"); err != nil {
		t.Fatal(err)
	}
	b := newBot(t, ts.URL)
	loginQR(t, emu, b, b.Login)
	if err := emu.Post(cadres, wang, "现在有人了"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b.messages, "a message"); m.Content != "现在有人了" {
		t.Errorf("first delivered message = %q, want the one posted after login", m.Content)
	}
	if msgs, _ := emu.Messages(cadres, 0); len(msgs) != 2 {
		t.Errorf("history has %d messages, want both", len(msgs))
	}
}

// TestReplyFromHandler is the bot's normal loop: reply inside MessageHandler, and a
// test waits for the reply with WaitMessages instead of sleeping.
func TestReplyFromHandler(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	b := newBot(t, ts.URL)
	b.MessageHandler = func(m *openwechat.Message) {
		if m.IsAt() {
			_, _ = m.ReplyText("收到")
		}
	}
	loginQR(t, emu, b, b.Login)
	if err := emu.Post(cadres, zhang, "@"+botName+"\u2005在吗"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	var after int64
	for {
		msgs, err := emu.WaitMessages(ctx, cadres, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			after = m.Seq
			if m.Bot {
				if m.Text != "收到" {
					t.Errorf("reply = %q, want 收到", m.Text)
				}
				return
			}
		}
	}
}
