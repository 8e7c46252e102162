package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Replayed reports whether a signed request's key is remembered and not yet
// expired. An expired key that the prune job has not reached yet counts as
// unseen: its request's timestamp is refused by then anyway.
func (t *tx) Replayed(key string) (int64, bool, error) {
	var id int64
	err := t.queryRow(`SELECT result_id FROM webhook_replays WHERE key = ? AND expires_at > ?`,
		key, ms(t.now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("select replay key: %w", err)
	}
	return id, true, nil
}

// RememberRequest records a signed request's key until expiresAt, with the id
// of what it made so a replay can be answered like the original. An expired
// entry under the same key is replaced.
func (t *tx) RememberRequest(key string, resultID int64, expiresAt time.Time) error {
	if key == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "重放保护的键不能为空。")
	}
	_, err := t.exec(`INSERT INTO webhook_replays (key, result_id, expires_at, created_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET result_id = excluded.result_id,
			expires_at = excluded.expires_at, created_at = excluded.created_at
		WHERE webhook_replays.expires_at <= excluded.created_at`,
		key, resultID, ms(expiresAt), ms(t.now))
	if err != nil {
		return fmt.Errorf("insert replay key: %w", err)
	}
	return nil
}

// PruneReplays deletes up to limit keys that expired before before, oldest
// first, through the expiry index, so the table stays as small as the traffic
// of one acceptance window.
func (t *tx) PruneReplays(before time.Time, limit int) (int, error) {
	res, err := t.exec(pruneReplaysQuery, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune replay keys: %w", err)
	}
	n, err := rowsAffected(res)
	return int(n), err
}

// pruneReplaysQuery is shared with the test that checks its plan.
const pruneReplaysQuery = `DELETE FROM webhook_replays WHERE key IN (
	SELECT key FROM webhook_replays WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`
