package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/eatmoreapple/openwechat"
	"github.com/qunzhu/qunzhu"
)

// Send delivers one outbox message to its group in the current session. Only the
// outbox sender calls it. Errors say what the sender should do: wait for a login
// (ErrOffline), back off (ErrThrottled), or retry later.
func (b *Bot) Send(ctx context.Context, m *qunzhu.OutMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	sess, state := b.sess, b.state
	b.mu.Unlock()
	if sess == nil || state != qunzhu.StateOnline {
		return qunzhu.ErrOffline
	}
	if m.Private() {
		return b.sendPrivate(ctx, sess, m)
	}
	g := sess.groups[m.GroupID]
	if g == nil {
		return fmt.Errorf("group %d: %w", m.GroupID, qunzhu.ErrGroupUnavailable)
	}
	if m.Text != "" {
		if _, err := g.SendText(m.Text); err != nil {
			return sendError(sess, err)
		}
	}
	if len(m.Image) > 0 {
		if _, err := g.SendImage(bytes.NewReader(m.Image)); err != nil {
			return sendError(sess, err)
		}
	}
	return nil
}

// sendError classifies a failed send. A send cut off because the session ended
// under it (openwechat cancels the requests of a client that stops) waits for
// the next login like any send while offline, instead of counting as a failure.
func sendError(sess *session, err error) error {
	if sess.bot.Context().Err() != nil {
		return fmt.Errorf("%w: session ended during the send: %v", qunzhu.ErrOffline, err)
	}
	return classify(err)
}

// classify maps WeChat's return codes onto the sender's error kinds.
func classify(err error) error {
	var ret openwechat.Ret
	if errors.As(err, &ret) {
		switch int(ret) {
		case 1205:
			return fmt.Errorf("%w: %v", qunzhu.ErrThrottled, err)
		case 1100, 1101, 1102:
			return fmt.Errorf("%w: %v", qunzhu.ErrOffline, err)
		}
	}
	return fmt.Errorf("wechat send: %w", err)
}
