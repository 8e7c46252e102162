package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu"
)

const digestColumns = `d.id, d.source, d.group_id, d.unit, d.due_at, d.outbox_id, d.tickets`

// digestRef tags a digest's outbox row, so its delivery can be followed.
func digestRef(id int64) string { return "hotline-digest:" + strconv.FormatInt(id, 10) }

// OpenDigest returns the digest still collecting a unit's tickets for a group:
// due after now and with its message still pending. The (group, unit, due_at)
// index makes this a short range read whatever the history.
func (t *tx) OpenDigest(groupID int64, unit string, now time.Time) (*qunzhu.Digest, error) {
	d, err := scanDigest(t.queryRow(openDigestQuery, groupID, unit, ms(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有正在汇总的工单。")
	} else if err != nil {
		return nil, fmt.Errorf("select open digest: %w", err)
	}
	return d, nil
}

// openDigestQuery is shared with the test that checks its plan.
const openDigestQuery = `SELECT ` + digestColumns + ` FROM hotline_digests d
	JOIN outbox o ON o.id = d.outbox_id
	WHERE d.group_id = ? AND d.unit = ? AND d.due_at > ? AND o.status = 'pending'
	ORDER BY d.due_at DESC LIMIT 1`

// DigestsOfTicket returns the open digests that hold a ticket (one per group
// the ticket was routed to).
func (t *tx) DigestsOfTicket(ticketRow int64, now time.Time) ([]*qunzhu.Digest, error) {
	rows, err := t.query(`SELECT `+digestColumns+` FROM hotline_digest_tickets dt
		JOIN hotline_digests d ON d.id = dt.digest_id
		JOIN outbox o ON o.id = d.outbox_id
		WHERE dt.ticket_row = ? AND d.due_at > ? AND o.status = 'pending'
		ORDER BY d.id`, ticketRow, ms(now))
	return collect(rows, err, scanDigest, "digests of ticket")
}

// CreateDigest stores a new digest and enqueues its first message m, which
// must not be sent before d.DueAt. Both are in the caller's transaction, so a
// crash leaves either nothing or a digest whose message will be sent.
func (t *tx) CreateDigest(d *qunzhu.Digest, m *qunzhu.OutMessage) error {
	if d.GroupID == 0 || d.Unit == "" || d.DueAt.IsZero() {
		return qunzhu.Errorf(qunzhu.EINVALID, "汇总缺少群、单位或发送时间。")
	}
	res, err := t.exec(`INSERT INTO hotline_digests (source, group_id, unit, due_at, created_at)
		VALUES (?, ?, ?, ?, ?)`, d.Source, d.GroupID, d.Unit, ms(d.DueAt), ms(t.now))
	if err != nil {
		return fmt.Errorf("insert digest: %w", err)
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert digest: last id: %w", err)
	}
	d.Tickets = 0
	return t.setDigestMessage(d, m)
}

// setDigestMessage enqueues m as d's message, due at d.DueAt.
func (t *tx) setDigestMessage(d *qunzhu.Digest, m *qunzhu.OutMessage) error {
	m.GroupID, m.Ref, m.NotBefore, m.DedupKey = d.GroupID, digestRef(d.ID), d.DueAt, ""
	if _, err := t.Enqueue(m); err != nil {
		return err
	}
	d.OutboxID = m.ID
	if _, err := t.exec(`UPDATE hotline_digests SET outbox_id = ? WHERE id = ?`, m.ID, d.ID); err != nil {
		return fmt.Errorf("update digest message: %w", err)
	}
	return nil
}

// AddDigestTicket puts a ticket in d; adding it twice counts once.
func (t *tx) AddDigestTicket(d *qunzhu.Digest, ticketRow int64) error {
	res, err := t.exec(`INSERT INTO hotline_digest_tickets (digest_id, ticket_row) VALUES (?, ?)
		ON CONFLICT DO NOTHING`, d.ID, ticketRow)
	if err != nil {
		return fmt.Errorf("insert digest ticket: %w", err)
	}
	return t.countDigest(d, res, 1)
}

// RemoveDigestTicket takes a ticket out of d (it was closed before the digest
// was posted).
func (t *tx) RemoveDigestTicket(d *qunzhu.Digest, ticketRow int64) error {
	res, err := t.exec(`DELETE FROM hotline_digest_tickets WHERE digest_id = ? AND ticket_row = ?`, d.ID, ticketRow)
	if err != nil {
		return fmt.Errorf("delete digest ticket: %w", err)
	}
	return t.countDigest(d, res, -1)
}

// countDigest adds delta to d's ticket count when res changed a row.
func (t *tx) countDigest(d *qunzhu.Digest, res sql.Result, delta int) error {
	if n, err := rowsAffected(res); err != nil || n == 0 {
		return err
	}
	err := t.queryRow(`UPDATE hotline_digests SET tickets = tickets + ? WHERE id = ? RETURNING tickets`,
		delta, d.ID).Scan(&d.Tickets)
	if err != nil {
		return fmt.Errorf("count digest tickets: %w", err)
	}
	return nil
}

// DigestTickets returns the first limit tickets of a digest in arrival order.
// A digest of a thousand tickets renders its first few and a count, so
// rewriting it stays cheap.
func (t *tx) DigestTickets(digestID int64, limit int) ([]*qunzhu.Ticket, error) {
	rows, err := t.query(`SELECT `+prefixed("k.", ticketColumns)+` FROM hotline_digest_tickets dt
		JOIN hotline_tickets k ON k.id = dt.ticket_row
		WHERE dt.digest_id = ? ORDER BY dt.ticket_row LIMIT ?`, digestID, limit)
	return collect(rows, err, scanTicket, "digest tickets")
}

// ReviseDigest replaces d's pending message with m, or withdraws it when m is
// nil (every ticket in it was closed). The old row is deleted rather than
// edited: the sender may have read it already, and its MarkSending on a
// deleted row fails, so a stale text is never sent; a row the sender has
// taken is left alone and false is returned.
func (t *tx) ReviseDigest(d *qunzhu.Digest, m *qunzhu.OutMessage) (bool, error) {
	res, err := t.exec(`DELETE FROM outbox WHERE id = ? AND status = 'pending'`, d.OutboxID)
	if err != nil {
		return false, fmt.Errorf("withdraw digest message: %w", err)
	}
	if n, err := rowsAffected(res); err != nil {
		return false, err
	} else if n == 0 {
		return false, nil
	}
	if m == nil {
		d.OutboxID = 0
		_, err := t.exec(`UPDATE hotline_digests SET outbox_id = 0 WHERE id = ?`, d.ID)
		if err != nil {
			return false, fmt.Errorf("close digest: %w", err)
		}
		return true, nil
	}
	return true, t.setDigestMessage(d, m)
}

func scanDigest(row scanner) (*qunzhu.Digest, error) {
	var d qunzhu.Digest
	var due int64
	if err := row.Scan(&d.ID, &d.Source, &d.GroupID, &d.Unit, &due, &d.OutboxID, &d.Tickets); err != nil {
		return nil, err
	}
	d.DueAt = fromMs(due)
	return &d, nil
}
