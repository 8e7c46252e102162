package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/mdp/qrterminal/v3"
	"github.com/qunzhu/qunzhu"
)

// qrContentPrefix is what the official login QR code encodes before the uuid.
const qrContentPrefix = "https://login.weixin.qq.com/l/"

// newClient makes a fresh openwechat bot in Desktop mode: a Bot cannot be reused
// after Exit, so every login attempt gets its own.
func (b *Bot) newClient(ctx context.Context) *openwechat.Bot {
	wb := openwechat.NewBot(ctx)
	openwechat.Desktop.Prepare(wb)
	if b.cfg.Transport != nil {
		wb.Caller.Client.HTTPClient().Transport = b.cfg.Transport
	}
	wb.SyncCheckCallback = nil
	wb.UUIDCallback = b.onUUID
	wb.ScanCallBack = func(openwechat.CheckLoginResponse) {
		b.log.Info("login QR code scanned, waiting for confirmation on the phone")
		b.setState(qunzhu.StateLoggingIn)
	}
	wb.MessageHandler = func(msg *openwechat.Message) {
		select {
		case b.inbox <- msg:
		case <-wb.Context().Done():
		}
	}
	return wb
}

// onUUID publishes a new login QR code. A code that replaces an expired one
// leaves the state at waiting_scan, so Changed is signalled here as well: a
// dashboard waiting on it must not keep showing the dead code.
func (b *Bot) onUUID(uuid string) {
	content := qrContentPrefix + uuid
	b.mu.Lock()
	b.qrURL = content
	if b.state == qunzhu.StateWaitingScan {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	b.mu.Unlock()
	b.setState(qunzhu.StateWaitingScan)
	// The code logs the account in for whoever scans it: it goes to the
	// terminal and the token-protected login page only, never to the log.
	b.log.Info("waiting for the login QR code to be scanned (shown in the terminal and on /login)")
	if w := b.cfg.QRWriter; w != nil {
		fmt.Fprintln(w, "请用机器人微信扫码登录 / scan to log in:", content)
		qrterminal.GenerateWithConfig(content, qrterminal.Config{
			Level: qrterminal.L, Writer: w, HalfBlocks: true,
			BlackChar: qrterminal.BLACK_BLACK, WhiteChar: qrterminal.WHITE_WHITE,
			BlackWhiteChar: qrterminal.BLACK_WHITE, WhiteBlackChar: qrterminal.WHITE_BLACK,
			QuietZone: 1,
		})
	}
}

// login tries, in order, hot login from the saved session, push login to the
// phone, and a QR code, and returns a logged-in client.
func (b *Bot) login(ctx context.Context) (*openwechat.Bot, error) {
	b.setState(qunzhu.StateLoggingIn)
	if b.file.exists() {
		wb := b.newClient(ctx)
		err := wb.HotLogin(b.fileReader())
		if err == nil {
			b.log.Info("wechat hot login succeeded")
			return wb, nil
		}
		wb.Exit()
		b.log.Info("wechat hot login failed, trying push login", "err", err)

		if wb, err := b.pushLogin(ctx); err == nil {
			b.log.Info("wechat push login succeeded")
			return wb, nil
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		} else {
			b.log.Info("wechat push login failed, falling back to QR code", "err", err)
		}
		if err := b.file.remove(); err != nil {
			return nil, fmt.Errorf("remove stale session: %w", err)
		}
	}
	return b.qrLogin(ctx)
}

// fileReader returns storage that reads the saved session afresh.
func (b *Bot) fileReader() *sessionFile { return newSessionFile(b.file.path) }

// pushLogin asks the phone to confirm, waiting at most PushTimeout.
func (b *Bot) pushLogin(ctx context.Context) (*openwechat.Bot, error) {
	pctx, cancel := context.WithCancel(ctx)
	wb := b.newClient(pctx)
	timer := time.AfterFunc(b.cfg.PushTimeout, cancel)
	err := wb.PushLogin(b.fileReader())
	if !timer.Stop() && err == nil {
		err = errors.New("push login confirmed too late")
	}
	if err != nil {
		wb.Exit()
		cancel()
		return nil, err
	}
	// The bot lives on in pctx; cancel with the parent ctx only.
	context.AfterFunc(ctx, cancel)
	return wb, nil
}

// qrLogin shows QR codes until one is scanned and confirmed. A QR code that
// times out (400) is replaced by a new one.
func (b *Bot) qrLogin(ctx context.Context) (*openwechat.Bot, error) {
	for {
		wb := b.newClient(ctx)
		// HotLogin on an absent file fails at once and, through the retry option,
		// falls back to a QR login that saves the new session to our file.
		err := wb.HotLogin(b.file, openwechat.NewRetryLoginOption())
		if err == nil {
			b.log.Info("wechat QR login succeeded")
			return wb, nil
		}
		wb.Exit()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, openwechat.ErrLoginTimeout) {
			return nil, err
		}
		b.log.Info("login QR code expired, showing a new one")
	}
}
