package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

const outColumns = `id, dedup_key, group_id, kind, priority, text, image, not_before,
	attempts, status, last_error, created_at, updated_at, sent_at, ref, urgent, mentions,
	to_member, to_user, platform`

// Enqueue writes m to the outbox in the caller's transaction, so the message
// exists exactly when the change that caused it does. It fills the defaults
// (status pending, priority from the kind, NotBefore now) and sets m.ID. A
// message whose DedupKey is already in the outbox, in any status, is a
// duplicate: nothing is written, m.ID is the existing row's and dup is true.
func (t *tx) Enqueue(m *qunzhu.OutMessage) (bool, error) {
	switch {
	case m.GroupID == 0:
		return false, qunzhu.Errorf(qunzhu.EINVALID, "消息没有指定群。")
	case m.Kind == "":
		return false, qunzhu.Errorf(qunzhu.EINVALID, "消息没有指定类型。")
	case m.Text == "" && len(m.Image) == 0:
		return false, qunzhu.Errorf(qunzhu.EINVALID, "消息内容为空：文字和图片至少要有一样。")
	}
	if m.ToMember != 0 {
		// A private message goes to a member of the group it belongs to.
		to, err := t.MemberByID(m.ToMember)
		if err != nil {
			return false, err
		}
		if to.GroupID != m.GroupID {
			return false, qunzhu.Errorf(qunzhu.EINVALID, "私信的收件人不在这个群里。")
		}
	}

	// One statement in the usual case: the foreign key finds a missing group
	// and the UNIQUE dedup_key a duplicate, with no lookups before the write
	// (Enqueue runs on the single writer, once per webhook).
	priority, notBefore := m.Priority, m.NotBefore
	if priority == 0 {
		priority = m.Kind.DefaultPriority()
	}
	if notBefore.IsZero() {
		notBefore = t.now
	}
	mentions, err := encodeAts(m.At)
	if err != nil {
		return false, err
	}
	// A Reserved id (Journal.Accept) is used as is; NULL takes the next one.
	// The platform is the group's (a missing group leaves '' and fails the
	// foreign key below).
	res, err := t.exec(`INSERT INTO outbox (id, status, priority, not_before, group_id, kind, dedup_key,
		attempts, created_at, updated_at, last_error, text, image, ref, urgent, mentions, to_member, to_user, platform)
		VALUES (NULLIF(?, 0), 'pending', ?, ?, ?, ?, ?, 0, ?, ?, '', ?, ?, ?, ?, ?, ?, ?,
			coalesce((SELECT platform FROM "groups" WHERE id = ?), ''))
		ON CONFLICT DO NOTHING`,
		m.Reserved, int(priority), ms(notBefore), m.GroupID, string(m.Kind),
		nullString(m.DedupKey), ms(t.now), ms(t.now), m.Text, nullBytes(m.Image), m.Ref, m.Urgent, mentions,
		m.ToMember, m.ToUser, m.GroupID)
	if isForeignKey(err) {
		_, err := t.GroupByID(m.GroupID) // the user's sentence for a missing group
		if err == nil {
			err = fmt.Errorf("insert outbox: group %d: foreign key failed", m.GroupID)
		}
		return false, err
	} else if err != nil {
		return false, fmt.Errorf("insert outbox: %w", err)
	}
	if n, err := rowsAffected(res); err != nil {
		return false, fmt.Errorf("insert outbox: %w", err)
	} else if n == 0 { // the key is taken: a duplicate, in any status
		if m.DedupKey == "" {
			return false, fmt.Errorf("insert outbox: reserved id %d is taken", m.Reserved)
		}
		if err := t.queryRow(`SELECT id FROM outbox WHERE dedup_key = ?`, m.DedupKey).Scan(&m.ID); err != nil {
			return false, fmt.Errorf("select outbox dedup key: %w", err)
		}
		return true, nil
	}
	// A new message starts its life here, whatever the producer left in the
	// life-cycle fields.
	m.Status, m.Attempts, m.LastError, m.SentAt = qunzhu.OutPending, 0, "", time.Time{}
	m.Priority, m.NotBefore, m.CreatedAt, m.UpdatedAt = priority, notBefore, t.now, t.now
	if m.ID, err = res.LastInsertId(); err != nil {
		return false, fmt.Errorf("insert outbox: last id: %w", err)
	}
	t.enqueued = true
	return false, nil
}

// Due returns up to n pending messages whose NotBefore has come, most urgent
// first and, within a priority, oldest first: the first n of every
// platform's DueOn, merged. Each reads its platform's part of the outbox_due
// partial index, so neither sent history nor a long queue slows it down.
func (s *Store) Due(ctx context.Context, now time.Time, n int) ([]*qunzhu.OutMessage, error) {
	return s.mergeDue(ctx, n, func(p qunzhu.Platform) ([]*qunzhu.OutMessage, error) { return s.DueOn(ctx, p, now, n) })
}

// DueAlerts is Due restricted to alerts, webhooks, notices and urgent
// messages, the ones the governor keeps a reserve for.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, n int) ([]*qunzhu.OutMessage, error) {
	return s.mergeDue(ctx, n, func(p qunzhu.Platform) ([]*qunzhu.OutMessage, error) { return s.DueAlertsOn(ctx, p, now, n) })
}

// mergeDue is the first n, in the outbox's order (priority, then id), of
// what on returns for every platform.
func (s *Store) mergeDue(ctx context.Context, n int, on func(qunzhu.Platform) ([]*qunzhu.OutMessage, error)) ([]*qunzhu.OutMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	var all []*qunzhu.OutMessage
	for _, p := range qunzhu.Platforms {
		due, err := on(p)
		if err != nil {
			return nil, err
		}
		all = append(all, due...)
	}
	slices.SortFunc(all, func(a, b *qunzhu.OutMessage) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.ID, b.ID))
	})
	return all[:min(n, len(all))], nil
}

// NextDue is when the earliest pending message becomes due, so the sender can
// sleep exactly until then.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.faulted(); err != nil {
		return time.Time{}, false, err
	}
	var next time.Time
	var found bool
	for _, p := range qunzhu.Platforms {
		t, ok, err := s.NextDueOn(ctx, p)
		if err != nil {
			return time.Time{}, false, err
		}
		if ok && (!found || t.Before(next)) {
			next, found = t, true
		}
	}
	return next, found, nil
}

// MarkSending records that the sender is about to hand the message to the
// platform. Only a pending message can be taken, so two senders never send the
// same row.
func (s *Store) MarkSending(ctx context.Context, id int64) error {
	return s.transition(ctx, id, "标记为发送中", []qunzhu.OutStatus{qunzhu.OutPending},
		`status = 'sending', updated_at = ?`, ms(s.now()))
}

// MarkSent records that the platform accepted the message. Only a message being
// sent can become sent.
func (s *Store) MarkSent(ctx context.Context, id int64) error {
	now := ms(s.now())
	return s.transition(ctx, id, "标记为已发送", []qunzhu.OutStatus{qunzhu.OutSending},
		`status = 'sent', sent_at = ?, updated_at = ?`, now, now)
}

// MarkRetry puts a message back to pending, not before notBefore (now when
// zero), counting the attempt only when counted: waiting for the rate limit or
// a login is not the message's fault. It accepts a pending message too, for a
// sender that defers a message before taking it.
func (s *Store) MarkRetry(ctx context.Context, id int64, notBefore time.Time, lastErr string, counted bool) error {
	now := s.now()
	if notBefore.IsZero() {
		notBefore = now
	}
	inc := 0
	if counted {
		inc = 1
	}
	return s.transition(ctx, id, "重新排队", []qunzhu.OutStatus{qunzhu.OutPending, qunzhu.OutSending},
		`status = 'pending', not_before = ?, last_error = ?, attempts = attempts + ?, updated_at = ?`,
		ms(notBefore), lastErr, inc, ms(now))
}

// MarkFailed gives up on a message for good (e.g. its group was unregistered);
// the row stays for the record and the dashboard.
func (s *Store) MarkFailed(ctx context.Context, id int64, lastErr string) error {
	return s.transition(ctx, id, "标记为失败", []qunzhu.OutStatus{qunzhu.OutPending, qunzhu.OutSending},
		`status = 'failed', last_error = ?, updated_at = ?`, lastErr, ms(s.now()))
}

// RecoverSending returns messages left in sending by a crash to pending, at
// start-up before the sender runs. A message may then be sent twice, never lost.
func (s *Store) RecoverSending(ctx context.Context) (int, error) {
	var res sql.Result
	err := s.w.do(ctx, func(t *tx) (err error) {
		res, err = t.exec(recoverQuery, ms(t.now))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("recover sending messages: %w", err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return 0, fmt.Errorf("recover sending messages: %w", err)
	}
	return int(n), nil
}

// transition moves message id from one of the from statuses by running set, one
// statement on the write connection. A message in another status is ECONFLICT,
// a missing one ENOTFOUND; the sender logs these as its own bugs.
func (s *Store) transition(ctx context.Context, id int64, verb string, from []qunzhu.OutStatus, set string, args ...any) error {
	query := `UPDATE outbox SET ` + set + ` WHERE id = ? AND status IN (?` + strings.Repeat(", ?", len(from)-1) + `)`
	args = append(args, id)
	for _, st := range from {
		args = append(args, string(st))
	}
	var res sql.Result
	err := s.w.do(ctx, func(t *tx) (err error) {
		res, err = t.exec(query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("update outbox %d: %w", id, err)
	}
	if n, err := rowsAffected(res); err != nil {
		return fmt.Errorf("outbox %d: %w", id, err)
	} else if n == 1 {
		return nil
	}

	var status string
	err = s.read.QueryRowContext(ctx, `SELECT status FROM outbox WHERE id = ?`, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的消息。", id)
	} else if err != nil {
		return fmt.Errorf("outbox %d: select status: %w", id, err)
	}
	return qunzhu.Errorf(qunzhu.ECONFLICT, "消息 %d 当前%s，不能%s。", id, statusChinese(status), verb)
}

// statusChinese names a status for the dashboard and logs.
func statusChinese(status string) string {
	switch qunzhu.OutStatus(status) {
	case qunzhu.OutPending:
		return "待发送"
	case qunzhu.OutSending:
		return "正在发送"
	case qunzhu.OutSent:
		return "已发送"
	case qunzhu.OutFailed:
		return "已失败"
	}
	return "状态为 " + status
}

// OutMessage returns one outbox row, for the dashboard and tests.
func (s *Store) OutMessage(ctx context.Context, id int64) (*qunzhu.OutMessage, error) {
	m, err := scanOutMessage(s.read.QueryRowContext(ctx,
		`SELECT `+outColumns+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的消息。", id)
	} else if err != nil {
		return nil, fmt.Errorf("select outbox %d: %w", id, err)
	}
	return m, nil
}

// OutboxStats counts rows by status and finds the oldest pending one, from one
// snapshot, so /readyz can tell a stuck queue from a busy one. Only unsent rows
// are grouped (through outbox_unsent); sent is the rest of the table. The one
// pass over the history is count(*), which SQLite answers from its smallest
// index, never from the rows with their text and pictures.
func (s *Store) OutboxStats(ctx context.Context) (qunzhu.OutboxStats, error) {
	var st qunzhu.OutboxStats
	dbtx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("outbox stats: begin: %w", err)
	}
	defer dbtx.Rollback()

	var total int
	if err := dbtx.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&total); err != nil {
		return st, fmt.Errorf("outbox stats: total: %w", err)
	}
	rows, err := dbtx.QueryContext(ctx, statsQuery)
	if err != nil {
		return st, fmt.Errorf("outbox stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status string
			n      int
		)
		if err := rows.Scan(&status, &n); err != nil {
			return st, fmt.Errorf("outbox stats: scan: %w", err)
		}
		switch qunzhu.OutStatus(status) {
		case qunzhu.OutPending:
			st.Pending = n
		case qunzhu.OutSending:
			st.Sending = n
		case qunzhu.OutFailed:
			st.Failed = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("outbox stats: %w", err)
	}
	st.Sent = total - st.Pending - st.Sending - st.Failed

	var oldest sql.NullInt64
	if err := dbtx.QueryRowContext(ctx, oldestPendingQuery).Scan(&oldest); err != nil {
		return st, fmt.Errorf("outbox stats: oldest pending: %w", err)
	}
	st.OldestPending = fromNullMs(oldest)
	return st, nil
}

// Queries whose plans a test checks. "status <> 'sent'" restates the condition
// of the partial index outbox_unsent so SQLite may use it.
const (
	statsQuery = `SELECT status, count(*) FROM outbox WHERE status <> 'sent' GROUP BY status`

	oldestPendingQuery = `SELECT min(created_at) FROM outbox
		WHERE status <> 'sent' AND status = 'pending'`

	recoverQuery = `UPDATE outbox SET status = 'pending', updated_at = ?
		WHERE status <> 'sent' AND status = 'sending'`
)

func scanOutMessage(row scanner) (*qunzhu.OutMessage, error) {
	var (
		m                             qunzhu.OutMessage
		dedupKey                      sql.NullString
		kind, status                  string
		priority                      int
		notBefore, createdAt, updated int64
		sentAt                        sql.NullInt64
		mentions                      string
		platform                      sql.NullString
	)
	if err := row.Scan(&m.ID, &dedupKey, &m.GroupID, &kind, &priority, &m.Text, &m.Image,
		&notBefore, &m.Attempts, &status, &m.LastError, &createdAt, &updated, &sentAt, &m.Ref, &m.Urgent,
		&mentions, &m.ToMember, &m.ToUser, &platform); err != nil {
		return nil, err
	}
	var err error
	if m.At, err = decodeAts(mentions); err != nil {
		return nil, fmt.Errorf("outbox %d: %w", m.ID, err)
	}
	m.Platform = qunzhu.Platform(platform.String)
	m.DedupKey = dedupKey.String
	m.Kind, m.Status, m.Priority = qunzhu.MessageKind(kind), qunzhu.OutStatus(status), qunzhu.Priority(priority)
	m.NotBefore, m.CreatedAt, m.UpdatedAt = fromMs(notBefore), fromMs(createdAt), fromMs(updated)
	m.SentAt = fromNullMs(sentAt)
	return &m, nil
}

// nullString stores "" as NULL, so the UNIQUE dedup_key allows any number of
// messages without a key.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullBytes stores an absent picture as NULL rather than an empty blob.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// encodeAts stores a message's mentions as JSON; none is the empty string,
// so the column costs nothing for the many messages that mention nobody.
func encodeAts(ats []qunzhu.At) (string, error) {
	if len(ats) == 0 {
		return "", nil
	}
	b, err := json.Marshal(ats)
	if err != nil {
		return "", fmt.Errorf("encode mentions: %w", err)
	}
	return string(b), nil
}

func decodeAts(s string) ([]qunzhu.At, error) {
	if s == "" {
		return nil, nil
	}
	var ats []qunzhu.At
	if err := json.Unmarshal([]byte(s), &ats); err != nil {
		return nil, fmt.Errorf("decode mentions: %w", err)
	}
	return ats, nil
}
