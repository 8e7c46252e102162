package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

const snapshotColumns = `id, group_id, member_id, member_name, unit, text, place, task_id, created_at`

func scanSnapshot(row scanner) (*qunzhu.Snapshot, error) {
	s := &qunzhu.Snapshot{}
	var created int64
	if err := row.Scan(&s.ID, &s.GroupID, &s.MemberID, &s.MemberName, &s.Unit, &s.Text, &s.Place,
		&s.TaskID, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = fromMs(created)
	return s, nil
}

// CreateSnapshot stores a 随手拍 at the transaction's time.
func (t *tx) CreateSnapshot(s *qunzhu.Snapshot) error {
	if s.GroupID == 0 || s.Text == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "随手拍缺少群或内容。")
	}
	s.CreatedAt = t.now
	res, err := t.exec(`INSERT INTO snapshots (group_id, member_id, member_name, unit, text, place, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.GroupID, s.MemberID, s.MemberName, s.Unit, s.Text, s.Place, ms(t.now))
	if err != nil {
		return fmt.Errorf("insert snapshot: %w", err)
	}
	s.ID, err = res.LastInsertId()
	return err
}

// SnapshotByID loads one 随手拍.
func (t *tx) SnapshotByID(id int64) (*qunzhu.Snapshot, error) {
	s, err := scanSnapshot(t.queryRow(`SELECT `+snapshotColumns+` FROM snapshots WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有随手拍%d。", id)
	} else if err != nil {
		return nil, fmt.Errorf("select snapshot: %w", err)
	}
	return s, nil
}

// Snapshots lists a group's 随手拍, newest first.
func (t *tx) Snapshots(groupID int64, open bool, limit int) ([]*qunzhu.Snapshot, error) {
	q := `SELECT ` + snapshotColumns + ` FROM snapshots WHERE group_id = ?`
	if open {
		q += ` AND task_id = 0`
	}
	rows, err := t.query(q+` ORDER BY id DESC LIMIT ?`, groupID, limit)
	return collect(rows, err, scanSnapshot, "snapshots")
}

// SetSnapshotTask records the task a 随手拍 became; one task per snapshot.
func (t *tx) SetSnapshotTask(id, taskID int64) error {
	res, err := t.exec(`UPDATE snapshots SET task_id = ? WHERE id = ? AND task_id = 0`, taskID, id)
	if err != nil {
		return fmt.Errorf("update snapshot: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "随手拍%d已经转为督办了。", id)
	}
	return nil
}

// SaveSharedLink keeps the group's latest shared link.
func (t *tx) SaveSharedLink(l *qunzhu.SharedLink) error {
	if l.GroupID == 0 || l.Title == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "分享的链接缺少群或标题。")
	}
	if l.At.IsZero() {
		l.At = t.now
	}
	_, err := t.exec(`INSERT INTO shared_links (group_id, sender_name, message_id, title, url, description, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id) DO UPDATE SET sender_name = excluded.sender_name, message_id = excluded.message_id,
			title = excluded.title, url = excluded.url, description = excluded.description, at = excluded.at`,
		l.GroupID, l.SenderName, l.MessageID, l.Title, l.URL, l.Description, ms(l.At))
	if err != nil {
		return fmt.Errorf("save shared link: %w", err)
	}
	return nil
}

// LatestSharedLink is the group's latest link if it was shared since.
func (t *tx) LatestSharedLink(groupID int64, since time.Time) (*qunzhu.SharedLink, error) {
	return t.sharedLink(`group_id = ? AND at >= ?`, groupID, ms(since))
}

// SharedLinkByMessage is the group's latest link if that message shared it.
func (t *tx) SharedLinkByMessage(groupID int64, messageID string) (*qunzhu.SharedLink, error) {
	if messageID == "" {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "引用的不是分享的文章。")
	}
	return t.sharedLink(`group_id = ? AND message_id = ?`, groupID, messageID)
}

func (t *tx) sharedLink(where string, args ...any) (*qunzhu.SharedLink, error) {
	l := &qunzhu.SharedLink{}
	var at int64
	err := t.queryRow(`SELECT group_id, sender_name, message_id, title, url, description, at FROM shared_links
		WHERE `+where, args...).Scan(&l.GroupID, &l.SenderName, &l.MessageID, &l.Title, &l.URL, &l.Description, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "最近没有分享文章。")
	} else if err != nil {
		return nil, fmt.Errorf("select shared link: %w", err)
	}
	l.At = fromMs(at)
	return l, nil
}

// ForgetSharedLink drops the group's latest link, so one article makes one task.
func (t *tx) ForgetSharedLink(groupID int64) error {
	if _, err := t.exec(`DELETE FROM shared_links WHERE group_id = ?`, groupID); err != nil {
		return fmt.Errorf("delete shared link: %w", err)
	}
	return nil
}

// SetTaskOrigin records what a task was made from.
func (t *tx) SetTaskOrigin(o *qunzhu.TaskOrigin) error {
	if o.TaskID == 0 || o.Kind == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "督办来源缺少编号或类型。")
	}
	_, err := t.exec(`INSERT INTO task_origins (task_id, kind, ref_id, title, url, text) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (task_id) DO UPDATE SET kind = excluded.kind, ref_id = excluded.ref_id,
			title = excluded.title, url = excluded.url, text = excluded.text`,
		o.TaskID, o.Kind, o.RefID, o.Title, o.URL, o.Text)
	if err != nil {
		return fmt.Errorf("save task origin: %w", err)
	}
	return nil
}

// TaskOrigin loads what a task was made from.
func (t *tx) TaskOrigin(taskID int64) (*qunzhu.TaskOrigin, error) {
	o := &qunzhu.TaskOrigin{TaskID: taskID}
	err := t.queryRow(`SELECT kind, ref_id, title, url, text FROM task_origins WHERE task_id = ?`, taskID).
		Scan(&o.Kind, &o.RefID, &o.Title, &o.URL, &o.Text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "督办#%d没有记录来源。", taskID)
	} else if err != nil {
		return nil, fmt.Errorf("select task origin: %w", err)
	}
	return o, nil
}
