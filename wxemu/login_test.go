package wxemu_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu/wxemu"
)

func TestQRLogin(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	b := newBot(t, ts.URL)

	errc := async(b.Login)
	uuid := recv(t, b.uuids, "the QR uuid")
	if got := emu.Session(); got.State != wxemu.StateWaitingScan || got.UUID != uuid {
		t.Errorf("before scan: session = %+v, want waiting_scan for uuid %q", got, uuid)
	}
	if err := emu.Confirm(); !errors.Is(err, wxemu.ErrConflict) {
		t.Errorf("confirm before scan: err = %v, want ErrConflict", err)
	}
	if err := emu.Scan(); err != nil {
		t.Fatal(err)
	}
	recv(t, b.scans, "the scan callback")
	if got := emu.Session().State; got != wxemu.StateScanned {
		t.Errorf("after scan: state = %q, want scanned", got)
	}
	if err := emu.Confirm(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errc, "login"); err != nil {
		t.Fatalf("login: %v", err)
	}

	self := b.self(t)
	if self.NickName != botName || !strings.HasPrefix(self.UserName, "@") || strings.HasPrefix(self.UserName, "@@") {
		t.Errorf("self = %q %q, want nickname %q and a person UserName", self.NickName, self.UserName, botName)
	}
	if got := emu.Session(); got.State != wxemu.StateLoggedIn || got.Logins != 1 || got.UUID != uuid {
		t.Errorf("after login: session = %+v, want logged_in, 1 login, uuid %q", got, uuid)
	}
}

func TestAutoConfirm(t *testing.T) {
	cfg := sampleConfig()
	cfg.AutoConfirm = true
	emu, ts := newEmu(t, cfg)
	b := newBot(t, ts.URL)
	if err := b.Login(); err != nil {
		t.Fatalf("login: %v", err)
	}
	recv(t, b.scans, "the scan callback")
	if got := emu.Session().State; got != wxemu.StateLoggedIn {
		t.Errorf("state = %q, want logged_in", got)
	}
}

func TestNormalModeIsRefused(t *testing.T) {
	cfg := sampleConfig()
	cfg.AutoConfirm = true
	_, ts := newEmu(t, cfg)
	b := newBot(t, ts.URL, openwechat.Normal)
	err := b.Login()
	if err == nil || !strings.Contains(err.Error(), "为了你的帐号安全") {
		t.Errorf("login in Normal mode: err = %v, want the real server's 1203 refusal", err)
	}
}

func TestQRCodeExpires(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	b := newBot(t, ts.URL)
	errc := async(b.Login)
	recv(t, b.uuids, "the QR uuid")
	if err := emu.Expire(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errc, "login"); !errors.Is(err, openwechat.ErrLoginTimeout) {
		t.Errorf("login: err = %v, want ErrLoginTimeout", err)
	}
	if got := emu.Session().State; got != wxemu.StateExpired {
		t.Errorf("state = %q, want expired", got)
	}
}

func TestSessionEnds(t *testing.T) {
	tests := []struct {
		name      string
		end       func(*wxemu.Server) error
		wantRet   int
		wantState wxemu.State
	}{
		{"expire", (*wxemu.Server).Expire, 1101, wxemu.StateExpired},
		{"ban", (*wxemu.Server).Ban, 1102, wxemu.StateBanned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emu, ts := newEmu(t, sampleConfig())
			b := newBot(t, ts.URL)
			loginQR(t, emu, b, b.Login)
			if err := tc.end(emu); err != nil {
				t.Fatal(err)
			}
			wantRet(t, b.ended(t), tc.wantRet)
			if got := emu.Session().State; got != tc.wantState {
				t.Errorf("state = %q, want %q", got, tc.wantState)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	b := newBot(t, ts.URL)
	loginQR(t, emu, b, b.Login)
	if err := b.Logout(); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if err := b.ended(t); !errors.Is(err, openwechat.ErrUserLogout) {
		t.Errorf("crash reason = %v, want ErrUserLogout", err)
	}
	if got := emu.Session().State; got != wxemu.StateLoggedOut {
		t.Errorf("state = %q, want logged_out", got)
	}
}

// TestHotLoginYieldsNewUserNames is the identity problem in one test: a hot login
// works, but every UserName the bot knew is gone, and sends to them fail.
func TestHotLoginYieldsNewUserNames(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	path := filepath.Join(t.TempDir(), "hot.json")

	first := newBot(t, ts.URL)
	storage := openwechat.NewFileHotReloadStorage(path)
	t.Cleanup(func() { _ = storage.Close() })
	loginQR(t, emu, first, func() error { return first.HotLogin(storage, openwechat.NewRetryLoginOption()) })
	oldSelf := first.self(t).UserName
	oldGroup := first.group(t, cadres).UserName
	first.Exit()

	second := newBot(t, ts.URL)
	storage2 := openwechat.NewFileHotReloadStorage(path)
	t.Cleanup(func() { _ = storage2.Close() })
	if err := second.HotLogin(storage2); err != nil {
		t.Fatalf("hot login: %v", err)
	}
	if got := emu.Session().Logins; got != 2 {
		t.Errorf("logins = %d, want 2", got)
	}
	self := second.self(t)
	g := second.group(t, cadres)
	if self.UserName == oldSelf || g.UserName == oldGroup {
		t.Errorf("UserNames survived the hot login (self %v, group %v); they must change", self.UserName == oldSelf, g.UserName == oldGroup)
	}

	// The session cookies come back with their domain, so uploads work again.
	if _, err := g.SendImage(bytes.NewReader(testPNG(t, 7))); err != nil {
		t.Errorf("image after hot login: %v", err)
	}
	stale := &openwechat.Group{User: &openwechat.User{UserName: oldGroup}}
	if _, err := self.SendTextToGroup(stale, "发到旧的群名"); err == nil {
		t.Errorf("send to the previous login's group UserName succeeded, want an error")
	} else {
		wantRet(t, err, -1)
	}
	if err := emu.Post(cadres, li, "热登录后还能收到吗"); err != nil {
		t.Fatal(err)
	}
	m := recv(t, second.messages, "a message after hot login")
	if sender, err := m.SenderInGroup(); err != nil || sender.DisplayName != li {
		t.Errorf("sender = %v, %v; want %s", sender, err, li)
	}
}

func TestHotLoginAfterExpireFails(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	path := filepath.Join(t.TempDir(), "hot.json")
	first := newBot(t, ts.URL)
	storage := openwechat.NewFileHotReloadStorage(path)
	t.Cleanup(func() { _ = storage.Close() })
	loginQR(t, emu, first, func() error { return first.HotLogin(storage, openwechat.NewRetryLoginOption()) })
	if err := emu.Expire(); err != nil {
		t.Fatal(err)
	}
	wantRet(t, first.ended(t), 1101)

	second := newBot(t, ts.URL)
	storage2 := openwechat.NewFileHotReloadStorage(path)
	t.Cleanup(func() { _ = storage2.Close() })
	wantRet(t, second.HotLogin(storage2), 1101)
}

func TestPushLogin(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	path := filepath.Join(t.TempDir(), "hot.json")
	first := newBot(t, ts.URL)
	storage := openwechat.NewFileHotReloadStorage(path)
	t.Cleanup(func() { _ = storage.Close() })
	loginQR(t, emu, first, func() error { return first.HotLogin(storage, openwechat.NewRetryLoginOption()) })
	firstUUID := emu.Session().UUID
	oldGroup := first.group(t, hotline).UserName
	first.Exit()

	second := newBot(t, ts.URL)
	storage2 := openwechat.NewFileHotReloadStorage(path)
	t.Cleanup(func() { _ = storage2.Close() })
	errc := async(func() error { return second.PushLogin(storage2) })
	waitFor(t, "the push login to wait for confirmation", func() bool {
		s := emu.Session()
		return s.State == wxemu.StateScanned && s.UUID != firstUUID
	})
	if err := emu.Confirm(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errc, "push login"); err != nil {
		t.Fatalf("push login: %v", err)
	}
	select {
	case <-second.uuids:
		t.Errorf("push login showed a QR code")
	default:
	}
	if got := second.group(t, hotline).UserName; got == oldGroup {
		t.Errorf("group UserName survived the push login")
	}
	if err := emu.Post(hotline, zhao, "推送登录后的消息"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, second.messages, "a message after push login"); m.Content != "推送登录后的消息" {
		t.Errorf("content = %q", m.Content)
	}
}
