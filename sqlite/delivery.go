package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Queries of the delivery side whose plans a test checks. "status = 'sent'" and
// the urgent conditions restate the partial indexes' WHERE so SQLite uses them.
const (
	sentSinceQuery = `SELECT count(*) FROM outbox WHERE status = 'sent' AND sent_at >= ?`

	unforwardedQuery = `SELECT ` + outColumns + ` FROM outbox
		WHERE urgent = 1 AND status = 'pending' AND forwarded_at IS NULL AND not_before <= ?
		ORDER BY id LIMIT ?`
)

// SentSince counts the messages sent at or after t. The sender's daily cap
// asks it once a day (and at start), so a restart does not reset the day's
// count the way an in-process limiter would. It reads the outbox_sent_at index:
// one day's sends, not the history.
func (s *Store) SentSince(ctx context.Context, t time.Time) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, sentSinceQuery, ms(t)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages sent since %s: %w", t.Format(time.RFC3339), err)
	}
	return n, nil
}

// Unforwarded returns up to n pending urgent messages, due at now, that the
// fallback robot has not had a copy of, oldest first.
func (s *Store) Unforwarded(ctx context.Context, now time.Time, n int) ([]*qunzhu.OutMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, unforwardedQuery, ms(now), n)
	return collect(rows, err, scanOutMessage, "unforwarded urgent messages")
}

// MarkForwarded records that the fallback robot got a copy of message id. It
// is idempotent (a second call keeps the first time) and leaves the status
// alone: the message still goes to WeChat after the next login.
func (s *Store) MarkForwarded(ctx context.Context, id int64) error {
	var res sql.Result
	err := s.w.do(ctx, func(t *tx) (err error) {
		res, err = t.exec(`UPDATE outbox SET forwarded_at = coalesce(forwarded_at, ?) WHERE id = ?`, ms(t.now), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark outbox %d forwarded: %w", id, err)
	}
	if n, err := rowsAffected(res); err != nil {
		return fmt.Errorf("mark outbox %d forwarded: %w", id, err)
	} else if n == 0 {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的消息。", id)
	}
	return nil
}
