package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

const broadcastColumns = `id, status, code, expires_at, author_id, author_name, origin_group_id,
	tag, text, image_id, send_at, greeting_id, year, festival, reported_done, reported_at,
	created_at, updated_at, queued_at, finished_at`

// OwnedGroups lists the groups in which the person behind sessionKey is a
// bound owner. WeChat gives one person one session key in every group of a
// login, and DingTalk and WeCom one user id everywhere, so this is "the
// groups this person owns", proven by /认证, a platform id or the config in
// each of them, never by a display name. Across platforms the person is
// known by the configured person key: owners sharing the key of a bound
// member behind sessionKey own their groups together.
func (t *tx) OwnedGroups(sessionKey string) ([]*qunzhu.Group, error) {
	if sessionKey == "" {
		return nil, nil
	}
	rows, err := t.query(ownedGroupsQuery, sessionKey, sessionKey)
	return collect(rows, err, scanGroup, "owned groups")
}

// ownedGroupsQuery repeats "session_key <> ”" so members_session_key is used.
const ownedGroupsQuery = `SELECT g.id, g.platform, g.chat_id, g.name, g.created_at, g.updated_at
	FROM "groups" g WHERE g.id IN (
		SELECT group_id FROM members
			WHERE session_key = ? AND session_key <> '' AND bound = 1 AND role = 'owner'
		UNION
		SELECT group_id FROM members
			WHERE person <> '' AND bound = 1 AND role = 'owner' AND person IN (SELECT person FROM members
				WHERE session_key = ? AND session_key <> '' AND bound = 1 AND person <> ''))
	ORDER BY g.id`

// CreateBroadcast stores a broadcast and its targets in order.
func (t *tx) CreateBroadcast(b *qunzhu.Broadcast) error {
	switch {
	case b.AuthorID == 0 || b.OriginGroupID == 0:
		return qunzhu.Errorf(qunzhu.EINVALID, "群发缺少发起人或发起的群。")
	case b.Text == "" && b.ImageID == 0:
		return qunzhu.Errorf(qunzhu.EINVALID, "群发内容为空：文字和图片至少要有一样。")
	case len(b.Targets) == 0:
		return qunzhu.Errorf(qunzhu.EINVALID, "群发没有目标群。")
	}
	if b.Status == "" {
		b.Status = qunzhu.BroadcastDraft
	}
	b.CreatedAt, b.UpdatedAt = t.now, t.now
	res, err := t.exec(`INSERT INTO broadcasts (status, code, expires_at, author_id, author_name,
		origin_group_id, tag, text, image_id, send_at, greeting_id, year, festival, reported_done,
		reported_at, created_at, updated_at, queued_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(b.Status), b.Code, ms(b.ExpiresAt), b.AuthorID, b.AuthorName, b.OriginGroupID,
		b.Tag, b.Text, nullID(b.ImageID), nullMs(b.SendAt), nullID(b.GreetingID), nullInt(b.Year),
		b.Festival, b.ReportedDone, nullMs(b.ReportedAt), ms(b.CreatedAt), ms(b.UpdatedAt),
		nullMs(b.QueuedAt), nullMs(b.FinishedAt))
	if isUnique(err) {
		if b.GreetingID != 0 {
			return qunzhu.Errorf(qunzhu.ECONFLICT, "%d 年的这条节日祝福已经发过了。", b.Year)
		}
		return qunzhu.Errorf(qunzhu.ECONFLICT, "确认码 %s 正在使用。", b.Code)
	} else if err != nil {
		return fmt.Errorf("insert broadcast: %w", err)
	}
	if b.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert broadcast: last id: %w", err)
	}
	for i, g := range b.Targets {
		if _, err := t.exec(`INSERT INTO broadcast_targets (broadcast_id, position, group_id) VALUES (?, ?, ?)`,
			b.ID, i, g); err != nil {
			return fmt.Errorf("insert broadcast target: %w", err)
		}
	}
	return nil
}

// UpdateBroadcast saves what changes in a broadcast's life; the targets stay
// what the author confirmed.
func (t *tx) UpdateBroadcast(b *qunzhu.Broadcast) error {
	b.UpdatedAt = t.now
	res, err := t.exec(`UPDATE broadcasts SET status = ?, code = ?, expires_at = ?, image_id = ?,
		send_at = ?, reported_done = ?, reported_at = ?, updated_at = ?, queued_at = ?, finished_at = ?
		WHERE id = ?`,
		string(b.Status), b.Code, ms(b.ExpiresAt), nullID(b.ImageID), nullMs(b.SendAt), b.ReportedDone,
		nullMs(b.ReportedAt), ms(b.UpdatedAt), nullMs(b.QueuedAt), nullMs(b.FinishedAt), b.ID)
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "确认码 %s 正在使用。", b.Code)
	} else if err != nil {
		return fmt.Errorf("update broadcast %d: %w", b.ID, err)
	}
	if n, err := rowsAffected(res); err != nil {
		return err
	} else if n == 0 {
		return errNoBroadcast(b.ID)
	}
	return nil
}

func errNoBroadcast(id int64) error {
	return qunzhu.Errorf(qunzhu.ENOTFOUND, "没有编号为 %d 的群发。", id)
}

// BroadcastByID returns a broadcast with its targets.
func (t *tx) BroadcastByID(id int64) (*qunzhu.Broadcast, error) {
	b, err := scanBroadcast(t.queryRow(`SELECT `+broadcastColumns+` FROM broadcasts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoBroadcast(id)
	} else if err != nil {
		return nil, fmt.Errorf("select broadcast %d: %w", id, err)
	}
	return b, t.loadTargets(b)
}

// BroadcastByCode returns the latest broadcast given code, in any status.
func (t *tx) BroadcastByCode(code string) (*qunzhu.Broadcast, error) {
	if code == "" {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "确认码不存在。")
	}
	b, err := scanBroadcast(t.queryRow(broadcastByCodeQuery, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "确认码 %s 不存在。", code)
	} else if err != nil {
		return nil, fmt.Errorf("select broadcast by code: %w", err)
	}
	return b, t.loadTargets(b)
}

const broadcastByCodeQuery = `SELECT ` + broadcastColumns + ` FROM broadcasts
	WHERE code = ? AND code <> '' ORDER BY id DESC LIMIT 1`

// BroadcastsFrom lists the latest broadcasts typed in a group, newest first.
func (t *tx) BroadcastsFrom(groupID int64, limit int) ([]*qunzhu.Broadcast, error) {
	return t.broadcasts(`SELECT `+broadcastColumns+` FROM broadcasts
		WHERE origin_group_id = ? ORDER BY id DESC LIMIT ?`, groupID, limit)
}

// DueBroadcasts returns scheduled broadcasts whose time has come.
func (t *tx) DueBroadcasts(now time.Time, limit int) ([]*qunzhu.Broadcast, error) {
	return t.broadcasts(dueBroadcastsQuery, ms(now), limit)
}

const dueBroadcastsQuery = `SELECT ` + broadcastColumns + ` FROM broadcasts
	WHERE status = 'scheduled' AND send_at <= ? ORDER BY send_at, id LIMIT ?`

// SendingBroadcasts returns the broadcasts still going out.
func (t *tx) SendingBroadcasts(limit int) ([]*qunzhu.Broadcast, error) {
	return t.broadcasts(sendingBroadcastsQuery, limit)
}

const sendingBroadcastsQuery = `SELECT ` + broadcastColumns + ` FROM broadcasts
	WHERE status = 'sending' ORDER BY id LIMIT ?`

func (t *tx) broadcasts(query string, args ...any) ([]*qunzhu.Broadcast, error) {
	rows, err := t.query(query, args...)
	// collect closes the rows before the targets are read with more queries.
	list, err := collect(rows, err, scanBroadcast, "broadcasts")
	if err != nil {
		return nil, err
	}
	for _, b := range list {
		if err := t.loadTargets(b); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (t *tx) loadTargets(b *qunzhu.Broadcast) error {
	ids, err := t.ids(`SELECT group_id FROM broadcast_targets WHERE broadcast_id = ? ORDER BY position`, b.ID)
	if err != nil {
		return fmt.Errorf("select broadcast %d targets: %w", b.ID, err)
	}
	b.Targets = ids
	return nil
}

// ids runs a query of one integer column.
func (t *tx) ids(query string, args ...any) ([]int64, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// BroadcastProgress counts the broadcast's outbox rows by status, and lists
// the groups it has not reached with the sender's last error. Both queries
// read the outbox through outbox_ref.
func (t *tx) BroadcastProgress(id int64) (qunzhu.BroadcastProgress, error) {
	var p qunzhu.BroadcastProgress
	ref := qunzhu.BroadcastRef(id)
	rows, err := t.query(progressCountQuery, ref)
	if err != nil {
		return p, fmt.Errorf("count broadcast %d rows: %w", id, err)
	}
	for rows.Next() {
		var (
			status string
			n      int
		)
		if err := rows.Scan(&status, &n); err != nil {
			rows.Close()
			return p, fmt.Errorf("count broadcast %d rows: %w", id, err)
		}
		p.Total += n
		switch qunzhu.OutStatus(status) {
		case qunzhu.OutSent:
			p.Sent = n
		case qunzhu.OutFailed:
			p.Failed = n
		default:
			p.Pending += n
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return p, fmt.Errorf("count broadcast %d rows: %w", id, err)
	}

	rows, err = t.query(progressProblemsQuery, ref)
	if err != nil {
		return p, fmt.Errorf("select broadcast %d problems: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pr     qunzhu.BroadcastProblem
			status string
		)
		if err := rows.Scan(&pr.GroupID, &pr.GroupName, &status, &pr.LastError); err != nil {
			return p, fmt.Errorf("scan broadcast %d problem: %w", id, err)
		}
		pr.Status = qunzhu.OutStatus(status)
		p.Problems = append(p.Problems, pr)
	}
	return p, rows.Err()
}

// Queries whose plans a test checks. "ref <> ”" restates outbox_ref's
// condition so SQLite may use it.
const (
	progressCountQuery = `SELECT status, count(*) FROM outbox
		WHERE ref = ? AND ref <> '' GROUP BY status`
	progressProblemsQuery = `SELECT o.group_id, g.name, o.status, o.last_error
		FROM outbox o JOIN "groups" g ON g.id = o.group_id
		WHERE o.ref = ? AND o.ref <> '' AND o.status IN ('failed', 'pending', 'sending') AND o.last_error <> ''
		ORDER BY o.id`
)

// StopBroadcast withdraws the rows of a broadcast that are still waiting. A row
// the sender has taken (sending) goes out; a row it read but not yet taken is
// refused to it by MarkSending, which only takes pending rows.
func (t *tx) StopBroadcast(id int64) (int, error) {
	res, err := t.exec(stopBroadcastQuery, qunzhu.BroadcastStopped, ms(t.now), qunzhu.BroadcastRef(id))
	if err != nil {
		return 0, fmt.Errorf("stop broadcast %d: %w", id, err)
	}
	n, err := rowsAffected(res)
	return int(n), err
}

const stopBroadcastQuery = `UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ?
	WHERE ref = ? AND ref <> '' AND status = 'pending'`

func scanBroadcast(row scanner) (*qunzhu.Broadcast, error) {
	var (
		b                                        qunzhu.Broadcast
		status                                   string
		expiresAt, createdAt, updatedAt          int64
		imageID, greetingID, year                sql.NullInt64
		sendAt, reportedAt, queuedAt, finishedAt sql.NullInt64
	)
	if err := row.Scan(&b.ID, &status, &b.Code, &expiresAt, &b.AuthorID, &b.AuthorName, &b.OriginGroupID,
		&b.Tag, &b.Text, &imageID, &sendAt, &greetingID, &year, &b.Festival, &b.ReportedDone, &reportedAt,
		&createdAt, &updatedAt, &queuedAt, &finishedAt); err != nil {
		return nil, err
	}
	b.Status = qunzhu.BroadcastStatus(status)
	b.ImageID, b.GreetingID, b.Year = imageID.Int64, greetingID.Int64, int(year.Int64)
	b.ExpiresAt, b.CreatedAt, b.UpdatedAt = fromMs(expiresAt), fromMs(createdAt), fromMs(updatedAt)
	b.SendAt, b.ReportedAt = fromNullMs(sendAt), fromNullMs(reportedAt)
	b.QueuedAt, b.FinishedAt = fromNullMs(queuedAt), fromNullMs(finishedAt)
	return &b, nil
}

// nullID stores a missing reference (0) as NULL, as foreign keys want.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}
