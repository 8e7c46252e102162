package sqlite

import (
	"fmt"
	"time"
)

// PruneOutbox deletes up to limit sent or failed messages whose last change
// (sent_at or the failure) is older than before, oldest first, through the
// partial index outbox_done: pending and sending rows are never touched.
func (t *tx) PruneOutbox(before time.Time, limit int) (int, error) {
	res, err := t.exec(pruneOutboxQuery, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	n, err := rowsAffected(res)
	return int(n), err
}

// pruneOutboxQuery repeats the index's condition so SQLite uses it.
const pruneOutboxQuery = `DELETE FROM outbox WHERE id IN (
	SELECT id FROM outbox WHERE status IN ('sent', 'failed') AND updated_at < ?
	ORDER BY updated_at LIMIT ?)`

// PruneDigests deletes up to limit hotline digests due before before, and the
// lists of tickets they gathered.
func (t *tx) PruneDigests(before time.Time, limit int) (int, error) {
	rows, err := t.query(`SELECT id FROM hotline_digests WHERE due_at < ? ORDER BY due_at LIMIT ?`, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("select old digests: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan old digest: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("select old digests: %w", err)
	}
	for _, id := range ids {
		if _, err := t.exec(`DELETE FROM hotline_digest_tickets WHERE digest_id = ?`, id); err != nil {
			return 0, fmt.Errorf("prune digest tickets: %w", err)
		}
		if _, err := t.exec(`DELETE FROM hotline_digests WHERE id = ?`, id); err != nil {
			return 0, fmt.Errorf("prune digest: %w", err)
		}
	}
	return len(ids), nil
}
