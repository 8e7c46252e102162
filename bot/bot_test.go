package bot_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/wxemu"
)

// ownerGroup registers cadres with 张三 as owner and 李四 as a member, and
// returns what the tests need: the group id, the ids and a Bootstrap naming 张三.
func ownerGroup(t *testing.T, st qunzhu.Store) (groupID int64, ids map[string]int64, bootstrap map[string][]string) {
	t.Helper()
	groupID, ids = register(t, st, cadres, map[string]qunzhu.Role{zhang: qunzhu.RoleOwner, li: qunzhu.RoleMember})
	return groupID, ids, map[string][]string{cadres: {zhang}}
}

// TestQRLogin: with nobody confirming automatically, the bot shows the emulator's
// QR code, goes online after a scan and a confirmation, and keeps the session in
// DataDir with mode 0600, written atomically (no temporary file left behind).
func TestQRLogin(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups()})
	st := newStore(t)
	groupID, _, _ := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{})

	r.waitState(qunzhu.StateWaitingScan)
	got, ok := r.QRCode()
	if want := "https://login.weixin.qq.com/l/" + w.emu.Session().UUID; !ok || got != want {
		t.Errorf("QRCode() = %q, %v; want %q, true", got, ok, want)
	}
	if err := r.Send(context.Background(), &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "x"}); !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("Send while waiting for the scan: err = %v, want ErrOffline", err)
	}
	if err := w.emu.Scan(); err != nil {
		t.Fatal(err)
	}
	r.waitState(qunzhu.StateLoggingIn)
	if err := w.emu.Confirm(); err != nil {
		t.Fatal(err)
	}
	r.waitState(qunzhu.StateOnline)

	if _, ok := r.QRCode(); ok {
		t.Errorf("QRCode() ok = true while online")
	}
	if uuid := w.emu.Session().UUID; strings.Contains(r.logs.String(), uuid) {
		t.Errorf("the log holds the login QR code (uuid %s): whoever reads the log could log the account in", uuid)
	}
	if got, want := r.seen(), []qunzhu.SessionState{qunzhu.StateStarting, qunzhu.StateLoggingIn, qunzhu.StateWaitingScan, qunzhu.StateLoggingIn, qunzhu.StateOnline}; !slices.Equal(got, want) {
		t.Errorf("states = %v, want %v", got, want)
	}
	if got := w.emu.Session(); got.State != wxemu.StateLoggedIn || got.Logins != 1 {
		t.Errorf("emulator session = %+v, want logged_in after 1 login", got)
	}
	fi, err := os.Stat(filepath.Join(r.dataDir, "wechat-session.json"))
	if err != nil {
		t.Fatalf("session file: %v", err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want || fi.Size() == 0 {
		t.Errorf("session file mode %v size %d, want %v and not empty", got, fi.Size(), want)
	}
	entries, err := os.ReadDir(r.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"wechat-session.json"}; !slices.Equal(names, want) {
		t.Errorf("data dir holds %v, want only %v", names, want)
	}
}

// TestBootstrap: at the first login a configured owner who is registered and
// unbound is bound to the WeChat identity showing their name; a configured name
// nobody registered creates nothing; a registered member not in Bootstrap stays
// unbound.
func TestBootstrap(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	groupID, ids := register(t, st, cadres, map[string]qunzhu.Role{zhang: qunzhu.RoleOwner, li: qunzhu.RoleAdmin})
	r := startBot(t, w, st, botOptions{bootstrap: map[string][]string{cadres: {zhang, wang, "钱七"}}})
	r.waitState(qunzhu.StateOnline)

	owner := member(t, st, ids[zhang])
	wantID := qunzhu.Identity{SessionKey: owner.Identity.SessionKey, NickName: zhang, DisplayName: zhang, AttrStatus: attrOf(t, w, cadres, zhang)}
	if !owner.Bound || owner.Identity != wantID || owner.BoundAt.IsZero() {
		t.Errorf("owner = bound %v identity %+v bound at %v; want bound with %+v", owner.Bound, owner.Identity, owner.BoundAt, wantID)
	}
	if k := owner.Identity.SessionKey; !strings.HasPrefix(k, "@") || strings.HasPrefix(k, "@@") {
		t.Errorf("owner session key = %q, want a person's UserName", k)
	}
	if m := member(t, st, ids[li]); m.Bound || m.Identity.SessionKey != "" {
		t.Errorf("李四 (registered, not in Bootstrap) = bound %v key %q, want unbound", m.Bound, m.Identity.SessionKey)
	}
	var members []*qunzhu.Member
	if err := st.View(context.Background(), func(tx qunzhu.Tx) (err error) {
		members, err = tx.Members(groupID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 {
		t.Errorf("group has %d members after login, want the 2 registered ones (王五 is configured but not registered)", len(members))
	}
}

// TestInbound: group messages reach the handler as qunzhu.Inbound with our ids,
// the bound sender's member, mentions and pictures; unbound senders have no
// member; messages from unregistered groups are dropped; order is kept.
func TestInbound(t *testing.T) {
	t.Parallel()
	groups := defaultGroups()
	w := newWorld(t, wxemu.Config{Groups: groups, AutoConfirm: true})
	// 李四's group nickname differs from his WeChat nickname.
	if err := w.emu.RenameMember(cadres, li, "李四(市城管委)"); err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)
	ownerKey := member(t, st, ids[zhang]).Identity.SessionKey

	text := "@" + botName + "\u2005请@李四(市城管委)\u2005 今天下班前报送进度 <b>&</b>\n第二行"
	post(t, w, cadres, zhang, text)
	in := r.next()
	if in.GroupID != groupID || in.GroupName != cadres || in.Text != text || in.IsImage || in.Image != nil || in.ID == "" || in.At.IsZero() {
		t.Errorf("inbound = %+v, want group %d %q, text %q", in, groupID, cadres, text)
	}
	if !in.AtBot {
		t.Errorf("AtBot = false for a text mentioning @%s", botName)
	}
	if want := []string{botName, "李四(市城管委)"}; !slices.Equal(in.Mentions, want) {
		t.Errorf("Mentions = %q, want %q", in.Mentions, want)
	}
	wantSender := qunzhu.Identity{SessionKey: ownerKey, NickName: zhang, DisplayName: zhang, AttrStatus: attrOf(t, w, cadres, zhang)}
	if in.Sender != wantSender {
		t.Errorf("Sender = %+v, want %+v", in.Sender, wantSender)
	}
	if in.Member == nil || in.Member.ID != ids[zhang] || !in.Member.Bound || in.Member.Role != qunzhu.RoleOwner {
		t.Errorf("Member = %+v, want the bound owner %d", in.Member, ids[zhang])
	}

	// An unbound (registered) member and an unregistered person: no member.
	post(t, w, cadres, "李四(市城管委)", "收到")
	in = r.next()
	if in.Member != nil || in.AtBot || len(in.Mentions) != 0 || in.Text != "收到" {
		t.Errorf("inbound from unbound 李四 = %+v, want text 收到, no member, no mention", in)
	}
	if in.Sender.NickName != li || in.Sender.DisplayName != "李四(市城管委)" || in.Sender.Name() != "李四(市城管委)" || in.Sender.SessionKey == "" || in.Sender.SessionKey == ownerKey {
		t.Errorf("sender of 李四 = %+v, want nickname 李四, group nickname 李四(市城管委), his own key", in.Sender)
	}
	post(t, w, cadres, wang, "我是王五")
	if in = r.next(); in.Member != nil || in.Sender.Name() != wang {
		t.Errorf("inbound from unregistered 王五 = member %+v sender %+v, want no member", in.Member, in.Sender)
	}

	// A picture.
	img := testPNG(t, 7)
	if err := w.emu.PostImage(cadres, zhang, img); err != nil {
		t.Fatal(err)
	}
	in = r.next()
	if !in.IsImage || in.Text != "" || in.Image == nil || in.Member == nil || in.Member.ID != ids[zhang] {
		t.Fatalf("image inbound = %+v, want an image from the owner", in)
	}
	got, err := in.Image(context.Background())
	if err != nil {
		t.Fatalf("Image(): %v", err)
	}
	if !bytes.Equal(got, img) {
		t.Errorf("Image() = %d bytes, want the %d posted", len(got), len(img))
	}

	// A message from a group that is not registered is dropped: the next one
	// the handler sees is the one posted after it.
	post(t, w, hotline, li, "热线群的消息")
	post(t, w, cadres, zhang, "after the unregistered group")
	if in = r.next(); in.Text != "after the unregistered group" {
		t.Errorf("after a message in an unregistered group, handler got %q from group %d", in.Text, in.GroupID)
	}

	// Twenty quick messages arrive in order.
	for i := range 20 {
		post(t, w, cadres, zhang, fmt.Sprintf("消息 %02d", i))
	}
	for i := range 20 {
		if in = r.next(); in.Text != fmt.Sprintf("消息 %02d", i) {
			t.Fatalf("message %d = %q, want %q", i, in.Text, fmt.Sprintf("消息 %02d", i))
		}
	}
}

// TestSend: texts and pictures reach the group; an unknown group, a throttled
// account and an offline session give the errors the outbox sender acts on.
func TestSend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	groupID, _, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	out := func(text string, img []byte) *qunzhu.OutMessage {
		return &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: text, Image: img}
	}
	if err := r.Send(ctx, out("too early", nil)); !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("Send before login: err = %v, want ErrOffline", err)
	}
	r.waitState(qunzhu.StateOnline)

	img := testPNG(t, 42)
	if err := r.Send(ctx, out("请各单位今天报送", nil)); err != nil {
		t.Fatalf("Send text: %v", err)
	}
	if err := r.Send(ctx, out("附件如下", img)); err != nil {
		t.Fatalf("Send text and image: %v", err)
	}
	if err := r.Send(ctx, out("", img)); err != nil {
		t.Fatalf("Send image: %v", err)
	}
	sum := md5.Sum(img)
	imgMD5 := hex.EncodeToString(sum[:])
	sent := botMessages(t, w, cadres, 0)
	type msg struct{ typ, text, md5 string }
	var got []msg
	for _, m := range sent {
		got = append(got, msg{m.Type, m.Text, m.ImageMD5})
	}
	want := []msg{
		{wxemu.TypeText, "请各单位今天报送", ""},
		{wxemu.TypeText, "附件如下", ""},
		{wxemu.TypeImage, "", imgMD5},
		{wxemu.TypeImage, "", imgMD5},
	}
	if !slices.Equal(got, want) {
		t.Errorf("bot messages in the group = %v, want %v", got, want)
	}
	if len(sent) == 4 && !bytes.Equal(sent[3].Image, img) {
		t.Errorf("image received by the group differs from the one sent")
	}

	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID + 100, Kind: qunzhu.KindReply, Text: "x"}); !errors.Is(err, qunzhu.ErrGroupUnavailable) {
		t.Errorf("Send to an unknown group: err = %v, want ErrGroupUnavailable", err)
	}

	seq := lastSeq(t, w, cadres)
	w.emu.Throttle(1)
	if err := r.Send(ctx, out("throttled", nil)); !errors.Is(err, qunzhu.ErrThrottled) {
		t.Errorf("Send while throttled: err = %v, want ErrThrottled", err)
	}
	if err := r.Send(ctx, out("after the throttle", nil)); err != nil {
		t.Errorf("Send after the throttle: %v", err)
	}
	var texts []string
	for _, m := range botMessages(t, w, cadres, seq) {
		texts = append(texts, m.Text)
	}
	if want := []string{"after the throttle"}; !slices.Equal(texts, want) {
		t.Errorf("after the throttle the group got %q, want %q", texts, want)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.Send(cctx, out("cancelled", nil)); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: err = %v, want context.Canceled", err)
	}

	r.stop()
	if err := r.Send(ctx, out("too late", nil)); !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("Send after stop: err = %v, want ErrOffline", err)
	}
	if n := w.emu.Session().Sends; n != 5 {
		t.Errorf("emulator recorded %d sends, want 5", n)
	}
}

// TestReloginAfterExpiry: when the server drops the session (1101) the bot goes
// offline, fails the hot login, logs in by push (confirmed by the phone) without
// showing a QR code, and re-maps: the owner has a new session key, is still
// bound and is recognised; sending, pictures included, works in the new session.
func TestReloginAfterExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)
	before := member(t, st, ids[zhang])
	if !before.Bound {
		t.Fatalf("owner not bound at first login")
	}
	nStates := len(r.seen())

	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	// Whether or not the bot noticed yet, a send now waits for the next login.
	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "x"}); !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("Send after the session expired: err = %v, want ErrOffline", err)
	}
	if got := r.waitLeave(qunzhu.StateOnline); got != qunzhu.StateOffline {
		t.Errorf("after expiry the state is %q, want %q", got, qunzhu.StateOffline)
	}
	r.waitState(qunzhu.StateOnline)
	if slices.Contains(r.seen()[nStates:], qunzhu.StateWaitingScan) {
		t.Errorf("re-login showed a QR code; states %v", r.seen())
	}
	select {
	case <-w.front.pushes:
	default:
		t.Errorf("no push login was asked for")
	}
	if got := w.emu.Session(); got.Logins != 2 || got.State != wxemu.StateLoggedIn {
		t.Errorf("emulator session = %+v, want logged_in after 2 logins", got)
	}

	after := member(t, st, ids[zhang])
	if !after.Bound || after.Identity.SessionKey == "" || after.Identity.SessionKey == before.Identity.SessionKey {
		t.Errorf("owner after re-login: bound %v key %q (before %q), want bound with a new key", after.Bound, after.Identity.SessionKey, before.Identity.SessionKey)
	}
	if !after.BoundAt.Equal(before.BoundAt) {
		t.Errorf("owner re-bound at re-login (BoundAt %v → %v), want only re-mapped", before.BoundAt, after.BoundAt)
	}
	if m, err := bySession(t, st, groupID, before.Identity.SessionKey); !isNotFound(err) {
		t.Errorf("old session key still maps to %+v (err %v)", m, err)
	}
	post(t, w, cadres, zhang, "重新登录后")
	in := r.next()
	if in.Text != "重新登录后" || in.Member == nil || in.Member.ID != ids[zhang] || in.Sender.SessionKey != after.Identity.SessionKey {
		t.Errorf("inbound after re-login = %+v (member %+v), want from the owner with key %q", in, in.Member, after.Identity.SessionKey)
	}

	img := testPNG(t, 9)
	seq := lastSeq(t, w, cadres)
	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "新会话", Image: img}); err != nil {
		t.Fatalf("Send after push login: %v", err)
	}
	if got := botMessages(t, w, cadres, seq); len(got) != 2 || got[0].Text != "新会话" || !bytes.Equal(got[1].Image, img) {
		t.Errorf("after push login the group got %+v, want the text and the picture", got)
	}
}

// TestHotLogin: a new bot with the data directory of a stopped one logs in from
// the saved session without any scan or confirmation, and re-maps the new
// UserNames.
func TestHotLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups()})
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	dataDir := t.TempDir()
	first := startBot(t, w, st, botOptions{dataDir: dataDir, bootstrap: bootstrap})
	first.loginByQR(w)
	uuid := w.emu.Session().UUID
	key1 := member(t, st, ids[zhang]).Identity.SessionKey
	first.stop()

	second := startBot(t, w, st, botOptions{dataDir: dataDir, bootstrap: bootstrap})
	second.waitState(qunzhu.StateOnline)
	if slices.Contains(second.seen(), qunzhu.StateWaitingScan) {
		t.Errorf("hot login showed a QR code; states %v", second.seen())
	}
	select {
	case <-w.front.pushes:
		t.Errorf("a push login was asked for; want a hot login")
	default:
	}
	if got := w.emu.Session(); got.Logins != 2 || got.UUID != uuid || got.State != wxemu.StateLoggedIn {
		t.Errorf("emulator session = %+v, want the same login (uuid %q) initialised twice", got, uuid)
	}
	owner := member(t, st, ids[zhang])
	if !owner.Bound || owner.Identity.SessionKey == "" || owner.Identity.SessionKey == key1 {
		t.Errorf("owner after hot login: bound %v key %q (before %q), want a new key", owner.Bound, owner.Identity.SessionKey, key1)
	}
	post(t, w, cadres, zhang, "热登录后")
	if in := second.next(); in.Member == nil || in.Member.ID != ids[zhang] {
		t.Errorf("inbound after hot login = %+v, want from the bound owner", in)
	}
	// Pictures need the session cookies on the file host, which a hot-loaded
	// cookie jar loses unless the server sends them again.
	img := testPNG(t, 3)
	if err := second.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Image: img}); err != nil {
		t.Errorf("Send a picture after hot login: %v", err)
	}
}

// TestBan: a ban or a logout from the phone (1102) shows as StateBanned, then
// the bot logs in again (by QR code: the saved session is useless) and re-maps.
func TestBan(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)
	key1 := member(t, st, ids[zhang]).Identity.SessionKey

	if err := w.emu.Ban(); err != nil {
		t.Fatal(err)
	}
	if got := r.waitLeave(qunzhu.StateOnline); got != qunzhu.StateBanned {
		t.Errorf("after the ban the state is %q, want %q", got, qunzhu.StateBanned)
	}
	if err := r.Send(context.Background(), &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "x"}); !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("Send while banned: err = %v, want ErrOffline", err)
	}
	r.waitState(qunzhu.StateOnline)
	states := r.seen()
	if i := slices.Index(states, qunzhu.StateBanned); i < 0 || !slices.Contains(states[i:], qunzhu.StateWaitingScan) {
		t.Errorf("states = %v, want banned then a QR login", states)
	}
	if got := w.emu.Session().Logins; got != 2 {
		t.Errorf("emulator logins = %d, want 2", got)
	}
	owner := member(t, st, ids[zhang])
	if !owner.Bound || owner.Identity.SessionKey == "" || owner.Identity.SessionKey == key1 {
		t.Errorf("owner after the new login: bound %v key %q (before %q), want re-mapped", owner.Bound, owner.Identity.SessionKey, key1)
	}
	fi, err := os.Stat(filepath.Join(r.dataDir, "wechat-session.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("session file after the new login: %v, %v; want mode 0600", fi, err)
	}
}

// TestImpostor: a newcomer who shows the owner's group nickname, so that two
// people in the group show "张三", is never taken for the owner: not in the
// session where they appear, and not after a re-login, where the re-mapping
// tells the two apart by AttrStatus.
func TestImpostor(t *testing.T) {
	t.Parallel()
	const impostor = "冒充者"
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	// The emulator refuses a second member named 张三: the bot sees the
	// newcomer's group nickname as 张三 instead.
	w.front.rewrite = []string{`"DisplayName":"` + impostor + `"`, `"DisplayName":"` + zhang + `"`}
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)
	if !member(t, st, ids[zhang]).Bound {
		t.Fatalf("owner not bound at first login")
	}
	if err := w.emu.AddMember(cadres, wxemu.Person{Name: impostor}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		post(t, w, cadres, impostor, "我是群主，把我设为管理员")
		fake := r.next()
		if fake.Member != nil || fake.Sender.DisplayName != zhang || fake.Sender.NickName != impostor {
			t.Errorf("%s: impostor's message: member %+v sender %+v, want shown as 张三 and no member", when, fake.Member, fake.Sender)
		}
		if m, err := bySession(t, st, groupID, fake.Sender.SessionKey); !isNotFound(err) {
			t.Errorf("%s: the impostor's session key maps to %+v (err %v)", when, m, err)
		}
		post(t, w, cadres, zhang, "真群主")
		genuine := r.next()
		if genuine.Member == nil || genuine.Member.ID != ids[zhang] || genuine.Sender.DisplayName != zhang {
			t.Errorf("%s: owner's message: member %+v sender %+v, want the owner", when, genuine.Member, genuine.Sender)
		}
		if m, err := bySession(t, st, groupID, genuine.Sender.SessionKey); err != nil || m.ID != ids[zhang] {
			t.Errorf("%s: the owner's session key maps to %+v (err %v), want the owner", when, m, err)
		}
		if genuine.Sender.AttrStatus == fake.Sender.AttrStatus {
			t.Errorf("%s: owner and impostor share AttrStatus %d", when, genuine.Sender.AttrStatus)
		}
	}
	check("same session")
	key1 := member(t, st, ids[zhang]).Identity.SessionKey

	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	r.waitLeave(qunzhu.StateOnline)
	r.waitState(qunzhu.StateOnline)
	if owner := member(t, st, ids[zhang]); !owner.Bound || owner.Identity.SessionKey == key1 || owner.Identity.NickName != zhang {
		t.Errorf("owner after re-login = bound %v %+v, want re-mapped to the real 张三", owner.Bound, owner.Identity)
	}
	check("after re-login")
}

// TestBootstrapAmbiguous: when two people show a configured owner's name at
// the first login, the owner is not bound to either.
func TestBootstrapAmbiguous(t *testing.T) {
	t.Parallel()
	groups := defaultGroups()
	groups[0].Members = append(groups[0].Members, wxemu.Person{Name: "冒充者"})
	w := newWorld(t, wxemu.Config{Groups: groups, AutoConfirm: true})
	w.front.rewrite = []string{`"DisplayName":"冒充者"`, `"DisplayName":"` + zhang + `"`}
	st := newStore(t)
	_, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)
	if owner := member(t, st, ids[zhang]); owner.Bound {
		t.Errorf("owner bound to %+v though two people show the name", owner.Identity)
	}
	post(t, w, cadres, zhang, "群主")
	if in := r.next(); in.Member != nil {
		t.Errorf("message from 张三: member %+v, want none", in.Member)
	}
}

// TestImpostorAfterOwnerRename: someone who takes the group nickname the owner
// gave up is not the owner, in the same session and after a re-login (confirmed
// by hand on the phone), where the re-mapping follows the owner by nickname
// and AttrStatus to the new group nickname.
func TestImpostorAfterOwnerRename(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups()})
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.loginByQR(w)
	if !member(t, st, ids[zhang]).Bound {
		t.Fatalf("owner not bound at first login")
	}

	const renamed, impostor = "张三(休假)", "冒充者"
	if err := w.emu.AddMember(cadres, wxemu.Person{Name: impostor}); err != nil {
		t.Fatal(err)
	}
	if err := w.emu.RenameMember(cadres, zhang, renamed); err != nil {
		t.Fatal(err)
	}
	if err := w.emu.RenameMember(cadres, impostor, zhang); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		post(t, w, cadres, zhang, "我是群主，把我设为管理员")
		fake := r.next()
		if fake.Member != nil || fake.Sender.Name() != zhang || fake.Sender.NickName != impostor {
			t.Errorf("%s: impostor's message: member %+v sender %+v, want no member", when, fake.Member, fake.Sender)
		}
		if m, err := bySession(t, st, groupID, fake.Sender.SessionKey); !isNotFound(err) {
			t.Errorf("%s: the impostor's session key maps to %+v (err %v)", when, m, err)
		}
		post(t, w, cadres, renamed, "真群主")
		genuine := r.next()
		if genuine.Member == nil || genuine.Member.ID != ids[zhang] || genuine.Sender.NickName != zhang {
			t.Errorf("%s: owner's message: member %+v sender %+v, want the owner", when, genuine.Member, genuine.Sender)
		}
		if genuine.Sender.AttrStatus == fake.Sender.AttrStatus {
			t.Errorf("%s: owner and impostor share AttrStatus %d", when, genuine.Sender.AttrStatus)
		}
	}
	check("same session")

	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	r.waitLeave(qunzhu.StateOnline)
	select {
	case <-w.front.pushes:
	case <-timeAfter():
		t.Fatalf("no push login offered after the expiry; states %v", r.seen())
	}
	if err := w.emu.Confirm(); err != nil {
		t.Fatal(err)
	}
	r.waitState(qunzhu.StateOnline)
	owner := member(t, st, ids[zhang])
	if !owner.Bound || owner.Identity.DisplayName != renamed || owner.Identity.NickName != zhang || owner.Identity.SessionKey == "" {
		t.Errorf("owner after re-login = bound %v %+v, want mapped with the new group nickname %q", owner.Bound, owner.Identity, renamed)
	}
	check("after re-login")
}

// TestAmbiguousGroup: when two groups in the session carry the registered name,
// neither is mapped (sends fail with ErrGroupUnavailable, its messages are
// dropped, nobody is bound there) and the bot still goes online for the others.
func TestAmbiguousGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const twin = cadres + "(二)"
	groups := append(defaultGroups(), wxemu.GroupConfig{Name: twin, Members: []wxemu.Person{{Name: zhang}}})
	w := newWorld(t, wxemu.Config{Groups: groups, AutoConfirm: true})
	// The emulator refuses two groups with one name; the bot sees twin as cadres.
	w.front.rewrite = []string{`"NickName":"` + twin + `"`, `"NickName":"` + cadres + `"`}
	st := newStore(t)
	groupID, ids, _ := ownerGroup(t, st)
	hotlineID, _ := register(t, st, hotline, nil)
	goneID, _ := register(t, st, "已解散的群", nil)
	r := startBot(t, w, st, botOptions{bootstrap: map[string][]string{cadres: {zhang}}})
	r.waitState(qunzhu.StateOnline)

	for _, id := range []int64{groupID, goneID} {
		if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: id, Kind: qunzhu.KindReply, Text: "x"}); !errors.Is(err, qunzhu.ErrGroupUnavailable) {
			t.Errorf("Send to group %d: err = %v, want ErrGroupUnavailable", id, err)
		}
	}
	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: hotlineID, Kind: qunzhu.KindReply, Text: "热线群照常"}); err != nil {
		t.Errorf("Send to the unambiguous group: %v", err)
	}
	if got := botMessages(t, w, hotline, 0); len(got) != 1 || got[0].Text != "热线群照常" {
		t.Errorf("hotline group got %+v, want the one text", got)
	}
	if owner := member(t, st, ids[zhang]); owner.Bound {
		t.Errorf("owner bound in an ambiguous group: %+v", owner.Identity)
	}
	post(t, w, cadres, zhang, "甲")
	post(t, w, twin, zhang, "乙")
	post(t, w, hotline, li, "丙")
	if in := r.next(); in.GroupID != hotlineID || in.Text != "丙" {
		t.Errorf("first inbound = %q in group %d, want 丙 in %d (the ambiguous groups' messages dropped)", in.Text, in.GroupID, hotlineID)
	}
}

// TestMessageDuringRemap: openwechat starts its sync loop as soon as the login
// completes, before the bot has re-mapped the session. A message delivered in
// that window must wait for the mapping, not be dropped (the server has
// already counted it as delivered and never sends it again).
func TestMessageDuringRemap(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	_, ids, bootstrap := ownerGroup(t, st)
	release := w.front.holdNextBatch()
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	select {
	case <-w.front.held:
	case <-timeAfter():
		t.Fatalf("the re-mapping never asked for the group's members; states %v", r.seen())
	}
	if got := r.State(); got == qunzhu.StateOnline {
		t.Fatalf("online before the re-mapping finished")
	}
	drain(w.front.syncs)
	drain(w.front.checks)
	post(t, w, cadres, zhang, "登录时发的消息")
	for _, ch := range []chan struct{}{w.front.syncs, w.front.checks} {
		// openwechat fetched the message, then polls again once its
		// MessageHandler has handed the message to the bot.
		select {
		case <-ch:
		case <-timeAfter():
			t.Fatalf("the message was not synced during the re-mapping")
		}
	}
	close(release)
	r.waitState(qunzhu.StateOnline)
	in := r.next()
	if in.Text != "登录时发的消息" || in.Member == nil || in.Member.ID != ids[zhang] {
		t.Errorf("inbound = %q member %+v, want the message posted during the re-mapping, from the owner", in.Text, in.Member)
	}
}

// TestBootstrapSkipsBoundPeople: a configured owner who is not in the group yet
// stays unbound; if a bound member then takes the owner's name as group
// nickname, the next login must neither bind the owner to that member's WeChat
// identity nor lose the group: the member stays mapped as themself and the
// group stays available.
func TestBootstrapSkipsBoundPeople(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	groups := []wxemu.GroupConfig{{Name: cadres, Members: []wxemu.Person{{Name: li}, {Name: wang}}}}
	w := newWorld(t, wxemu.Config{Groups: groups, AutoConfirm: true})
	st := newStore(t)
	groupID, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)
	if member(t, st, ids[zhang]).Bound {
		t.Fatalf("owner bound though absent from the group")
	}

	// 李四 binds his identity (what /认证 does with a valid code).
	post(t, w, cadres, li, "/认证 123456")
	in := r.next()
	if err := st.Update(ctx, func(tx qunzhu.Tx) error { return tx.BindMember(ids[li], in.Sender) }); err != nil {
		t.Fatal(err)
	}
	if err := w.emu.RenameMember(cadres, li, zhang); err != nil {
		t.Fatal(err)
	}
	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	r.waitLeave(qunzhu.StateOnline)
	r.waitState(qunzhu.StateOnline)

	if owner := member(t, st, ids[zhang]); owner.Bound {
		t.Errorf("owner bound to %+v, the identity of bound member 李四", owner.Identity)
	}
	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "群仍可用"}); err != nil {
		t.Errorf("Send after the re-login: %v", err)
	}
	post(t, w, cadres, zhang, "我现在叫张三")
	if in := r.next(); in.Member == nil || in.Member.ID != ids[li] {
		t.Errorf("message from 李四 (now shown as 张三): member %+v, want 李四 (%d)", in.Member, ids[li])
	}
}

// TestTwoMembersOnePerson: if two bound members carry the same WeChat identity
// (the person was unmapped at some login, as when absent from the group, and
// then bound a second registered name), the next login cannot tell which one
// the person is: both stay unmapped, and the rest of the group is mapped as
// usual instead of the whole group being lost.
func TestTwoMembersOnePerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	groupID, ids := register(t, st, cadres, map[string]qunzhu.Role{zhang: qunzhu.RoleOwner, li: qunzhu.RoleMember, "李四(二)": qunzhu.RoleMember})
	r := startBot(t, w, st, botOptions{bootstrap: map[string][]string{cadres: {zhang}}})
	r.waitState(qunzhu.StateOnline)

	post(t, w, cadres, li, "/认证 111111")
	who := r.next().Sender
	err := st.Update(ctx, func(tx qunzhu.Tx) error {
		if err := tx.BindMember(ids[li], who); err != nil {
			return err
		}
		// A login where 李四 was absent leaves him unmapped ...
		if err := tx.SetSessionKeys(groupID, map[int64]qunzhu.Identity{ids[zhang]: member(t, st, ids[zhang]).Identity}); err != nil {
			return err
		}
		// ... and then he binds the second registered name.
		return tx.BindMember(ids["李四(二)"], who)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	r.waitLeave(qunzhu.StateOnline)
	r.waitState(qunzhu.StateOnline)

	if err := r.Send(ctx, &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "群仍可用"}); err != nil {
		t.Errorf("Send after the re-login: %v", err)
	}
	post(t, w, cadres, li, "我是谁")
	if in := r.next(); in.Member != nil {
		t.Errorf("message from a person bound to two members: member %+v, want none (ambiguous)", in.Member)
	}
	post(t, w, cadres, zhang, "群主")
	if in := r.next(); in.Member == nil || in.Member.ID != ids[zhang] {
		t.Errorf("owner's message: member %+v, want the owner", in.Member)
	}
}

// TestQRCodeRenewed: a QR code that expires before anyone scans it is replaced
// by a new one, and Changed tells a waiting dashboard so it can show the new
// code; the new code logs in.
func TestQRCodeRenewed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups()})
	st := newStore(t)
	ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{})
	r.waitState(qunzhu.StateWaitingScan)
	first, _ := r.QRCode()
	changed := r.Changed()
	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	deadline := timeAfter()
	for {
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("Changed not signalled for a new QR code; state %q", r.State())
		}
		changed = r.Changed()
		if got, ok := r.QRCode(); ok && got != first {
			if want := "https://login.weixin.qq.com/l/" + w.emu.Session().UUID; got != want {
				t.Errorf("new QR code = %q, want %q", got, want)
			}
			break
		}
	}
	r.loginByQR(w)
}

// TestPushTimeout: when nobody confirms the push login on the phone within
// PushTimeout, the bot gives up on the saved session and shows a QR code.
func TestPushTimeout(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups()})
	st := newStore(t)
	_, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap, pushTimeout: 300 * time.Millisecond})
	r.loginByQR(w)
	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	r.waitLeave(qunzhu.StateOnline)
	select {
	case <-w.front.pushes:
	case <-timeAfter():
		t.Fatalf("no push login offered after the expiry; states %v", r.seen())
	}
	r.waitState(qunzhu.StateWaitingScan) // nobody confirmed: a QR code instead
	if got, ok := r.QRCode(); !ok || got != "https://login.weixin.qq.com/l/"+w.emu.Session().UUID {
		t.Errorf("QRCode() = %q, %v; want the emulator's new login", got, ok)
	}
	r.loginByQR(w)
	if owner := member(t, st, ids[zhang]); !owner.Bound || owner.Identity.SessionKey == "" {
		t.Errorf("owner after the QR login: %+v, want bound and mapped", owner)
	}
}

// TestStopWhileWaitingForScan: cancelling Run while a QR code waits stops the
// bot at once (the cleanup checks that Run returns), and Send says offline.
func TestStopWhileWaitingForScan(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups()})
	st := newStore(t)
	groupID, _, _ := ownerGroup(t, st)
	start := time.Now()
	r := startBot(t, w, st, botOptions{})
	r.waitState(qunzhu.StateWaitingScan)
	if since := r.StateSince(); since.Before(start) {
		t.Errorf("StateSince() = %v, before the bot started at %v", since, start)
	}
	r.stop()
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("stopping while waiting for a scan took %v", elapsed)
	}
	if err := r.Send(context.Background(), &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "x"}); !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("Send after stop: err = %v, want ErrOffline", err)
	}
}
