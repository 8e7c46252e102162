package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

// inboundKeep is how long a handled message id is remembered: far longer
// than any platform redelivers (DingTalk: about a minute).
const inboundKeep = 7 * 24 * time.Hour

// ClaimInbound records that a platform message is being handled; see
// qunzhu.PlatformTx. Old claims are pruned on the way, so the table holds
// about a week of messages.
func (t *tx) ClaimInbound(p qunzhu.Platform, msgID string, stale time.Duration) (bool, error) {
	if msgID == "" {
		return true, nil // nothing to deduplicate by
	}
	if _, err := t.exec(`DELETE FROM platform_inbound WHERE claimed_at < ?`, ms(t.now.Add(-inboundKeep))); err != nil {
		return false, fmt.Errorf("prune inbound: %w", err)
	}
	var done bool
	var claimed int64
	err := t.queryRow(`SELECT done, claimed_at FROM platform_inbound WHERE platform = ? AND msg_id = ?`,
		string(p), msgID).Scan(&done, &claimed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := t.exec(`INSERT INTO platform_inbound (platform, msg_id, claimed_at) VALUES (?, ?, ?)`,
			string(p), msgID, ms(t.now)); err != nil {
			return false, fmt.Errorf("claim inbound: %w", err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("select inbound: %w", err)
	case done || t.now.Sub(fromMs(claimed)) < stale:
		return false, nil
	}
	if _, err := t.exec(`UPDATE platform_inbound SET claimed_at = ? WHERE platform = ? AND msg_id = ?`,
		ms(t.now), string(p), msgID); err != nil {
		return false, fmt.Errorf("reclaim inbound: %w", err)
	}
	return true, nil
}

// FinishInbound marks a claimed message handled.
func (t *tx) FinishInbound(p qunzhu.Platform, msgID string) error {
	if _, err := t.exec(`UPDATE platform_inbound SET done = 1 WHERE platform = ? AND msg_id = ?`, string(p), msgID); err != nil {
		return fmt.Errorf("finish inbound: %w", err)
	}
	return nil
}

// SetPerson links a member to a configured person key.
func (t *tx) SetPerson(memberID int64, person string) error {
	res, err := t.exec(`UPDATE members SET person = ? WHERE id = ?`, person, memberID)
	if err != nil {
		return fmt.Errorf("set person: %w", err)
	}
	if n, err := rowsAffected(res); err != nil {
		return err
	} else if n == 0 {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到成员 %d。", memberID)
	}
	return nil
}

// The outbox of one platform: each reads the platform's own part of the
// partial indexes outbox_due (platform, priority, id) and outbox_next
// (platform, not_before), so its cost does not grow with another platform's
// backlog, nor with its own beyond the rows it returns. The unary + keeps
// the planner from taking outbox_next for "not_before <= ?" and sorting a
// whole queue for a LIMIT: nearly every pending message is due.
const (
	dueOnQuery = `SELECT ` + outColumns + ` FROM outbox
		WHERE platform = ? AND status = 'pending' AND +not_before <= ? ORDER BY priority, id LIMIT ?`
	nextDueOnQuery = `SELECT min(not_before) FROM outbox WHERE platform = ? AND status = 'pending'`
	sentSinceOnQry = `SELECT count(*) FROM outbox WHERE status = 'sent' AND sent_at >= ? AND platform = ?`
	dueAlertsOnQry = `SELECT ` + outColumns + ` FROM outbox
		WHERE platform = ? AND status = 'pending' AND +not_before <= ? AND (kind IN ('alert', 'webhook', 'notice') OR urgent)
		ORDER BY priority, id LIMIT ?`
)

// DueAlertsOn is DueAlerts for the groups of platform p.
func (s *Store) DueAlertsOn(ctx context.Context, p qunzhu.Platform, now time.Time, n int) ([]*qunzhu.OutMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := s.faulted(); err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, dueAlertsOnQry, string(p), ms(now), n)
	return collect(rows, err, scanOutMessage, "due alerts of "+string(p))
}

// DueOn is Due for the groups of platform p.
func (s *Store) DueOn(ctx context.Context, p qunzhu.Platform, now time.Time, n int) ([]*qunzhu.OutMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := s.faulted(); err != nil {
		return nil, err // the sender stops with the store
	}
	rows, err := s.read.QueryContext(ctx, dueOnQuery, string(p), ms(now), n)
	return collect(rows, err, scanOutMessage, "due messages of "+string(p))
}

// NextDueOn is NextDue for the groups of platform p.
func (s *Store) NextDueOn(ctx context.Context, p qunzhu.Platform) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.read.QueryRowContext(ctx, nextDueOnQuery, string(p)).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("select next due of %s: %w", p, err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMs(v.Int64), true, nil
}

// SentSinceOn is SentSince for the groups of platform p.
func (s *Store) SentSinceOn(ctx context.Context, p qunzhu.Platform, t time.Time) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, sentSinceOnQry, ms(t), string(p)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s messages sent since %s: %w", p, t.Format(time.RFC3339), err)
	}
	return n, nil
}
