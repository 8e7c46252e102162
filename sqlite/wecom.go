package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The WeCom adapter's inbox (wecom.Inbox): one row per smart-robot callback,
// so a redelivered message runs its command once and its reply finds the
// message's response_url. Kept out of qunzhu.Tx because only the WeCom
// adapter, not any feature, needs it.

// ReceiveWeCom records a callback before it is handled and reports whether it
// was handled already. A second delivery of an unhandled message (the first
// was cut off) is handled again; the command router's reply dedup keeps that
// to one answer and one change.
func (s *Store) ReceiveWeCom(ctx context.Context, msgID, chatID, responseURL string) (handled bool, err error) {
	if msgID == "" {
		return false, errors.New("wecom inbound: empty msgid")
	}
	err = s.w.do(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO wecom_inbound (msg_id, chat_id, response_url, received_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (msg_id) DO NOTHING`, msgID, chatID, responseURL, ms(t.now)); err != nil {
			return err
		}
		return t.queryRow(`SELECT handled FROM wecom_inbound WHERE msg_id = ?`, msgID).Scan(&handled)
	})
	if err != nil {
		return false, fmt.Errorf("wecom inbound %s: %w", msgID, err)
	}
	return handled, nil
}

// HandledWeCom marks a callback handled.
func (s *Store) HandledWeCom(ctx context.Context, msgID string) error {
	if _, err := s.writeExec(ctx, `UPDATE wecom_inbound SET handled = 1 WHERE msg_id = ?`, msgID); err != nil {
		return fmt.Errorf("wecom inbound %s: %w", msgID, err)
	}
	return nil
}

// WeComResponseURL returns the message's response_url if it was received
// after since and is not used yet.
func (s *Store) WeComResponseURL(ctx context.Context, msgID string, since time.Time) (string, bool, error) {
	var u string
	err := s.read.QueryRowContext(ctx, `SELECT response_url FROM wecom_inbound
		WHERE msg_id = ? AND url_used = 0 AND response_url <> '' AND received_at >= ?`, msgID, ms(since)).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("wecom inbound %s: %w", msgID, err)
	}
	return u, true, nil
}

// UsedWeComResponseURL records that the message's response_url is spent.
func (s *Store) UsedWeComResponseURL(ctx context.Context, msgID string) error {
	if _, err := s.writeExec(ctx, `UPDATE wecom_inbound SET url_used = 1 WHERE msg_id = ?`, msgID); err != nil {
		return fmt.Errorf("wecom inbound %s: %w", msgID, err)
	}
	return nil
}

// PruneWeCom forgets callbacks received before t: WeCom stops redelivering
// long before, and a response_url lives an hour.
func (s *Store) PruneWeCom(ctx context.Context, before time.Time) (int, error) {
	res, err := s.writeExec(ctx, `DELETE FROM wecom_inbound WHERE received_at < ?`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("prune wecom inbound: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
