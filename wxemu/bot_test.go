package wxemu_test

// Helpers for the tests that drive the real openwechat library against the
// emulator. openwechat has data races of its own (Bot.Exit against the sync loop),
// so these tests cannot run under -race; the ControlAPI tests cover the emulator.

import (
	"errors"
	"testing"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu/wxemu"
)

// testBot is an openwechat Desktop bot pointed at the emulator, with its callbacks
// turned into channels.
type testBot struct {
	*openwechat.Bot
	uuids    chan string
	scans    chan struct{}
	messages chan *openwechat.Message
	logouts  chan struct{}
}

func newBot(t *testing.T, emuURL string, prepare ...openwechat.BotPreparer) *testBot {
	t.Helper()
	if len(prepare) == 0 {
		prepare = []openwechat.BotPreparer{openwechat.Desktop}
	}
	b := &testBot{
		Bot:      openwechat.DefaultBot(prepare...),
		uuids:    make(chan string, 4),
		scans:    make(chan struct{}, 4),
		messages: make(chan *openwechat.Message, 16),
		logouts:  make(chan struct{}, 4),
	}
	b.Caller.Client.HTTPClient().Transport = wxemu.Transport(emuURL)
	b.UUIDCallback = func(uuid string) { b.uuids <- uuid }
	b.ScanCallBack = func(openwechat.CheckLoginResponse) { b.scans <- struct{}{} }
	b.LoginCallBack = nil
	b.SyncCheckCallback = nil
	b.MessageHandler = func(m *openwechat.Message) { b.messages <- m }
	b.LogoutCallBack = func(*openwechat.Bot) {
		select {
		case b.logouts <- struct{}{}:
		default:
		}
	}
	t.Cleanup(b.Exit) // before the emulator closes: cleanups run last-in first-out
	return b
}

// async runs a blocking bot call (Login, HotLogin, PushLogin) and hands its
// error over.
func async(f func() error) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- f() }()
	return errc
}

// loginQR logs b in by QR code, playing the phone through the Go control API.
func loginQR(t *testing.T, emu *wxemu.Server, b *testBot, login func() error) {
	t.Helper()
	errc := async(login)
	recv(t, b.uuids, "the QR uuid")
	if err := emu.Scan(); err != nil {
		t.Fatal(err)
	}
	recv(t, b.scans, "the scan callback")
	if err := emu.Confirm(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errc, "login"); err != nil {
		t.Fatalf("login: %v", err)
	}
}

// self returns the logged-in account.
func (b *testBot) self(t *testing.T) *openwechat.Self {
	t.Helper()
	self, err := b.GetCurrentUser()
	if err != nil {
		t.Fatal(err)
	}
	return self
}

// group finds a group by name among the bot's contacts.
func (b *testBot) group(t *testing.T, name string) *openwechat.Group {
	t.Helper()
	groups, err := b.self(t).Groups()
	if err != nil {
		t.Fatal(err)
	}
	g := groups.GetByNickName(name)
	if g == nil {
		t.Fatalf("group %q not among the bot's %d groups", name, groups.Count())
	}
	return g
}

// ended waits for the bot to stop and returns why, which is what Block returns.
// The tests do not call Block itself: openwechat's Block answers "`Block` must be
// called after user login" instead of the reason if the bot stopped before Block
// got to run, so a Block in a goroutine would make the tests flaky.
func (b *testBot) ended(t *testing.T) error {
	t.Helper()
	recv(t, b.logouts, "the bot to stop (LogoutCallBack)")
	return b.CrashReason()
}

// wantRet fails unless err is the protocol error code want.
func wantRet(t *testing.T, err error, want int) {
	t.Helper()
	var ret openwechat.Ret
	if !errors.As(err, &ret) || int(ret) != want {
		t.Fatalf("error = %v, want openwechat.Ret %d", err, want)
	}
}
