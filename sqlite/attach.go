package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu"
)

// OpenAttachSlot opens a window for the sender's next picture, replacing the
// sender's previous window in the group: only the latest command gets it.
func (t *tx) OpenAttachSlot(s *qunzhu.AttachSlot) error {
	switch {
	case s.GroupID == 0 || s.Sender == "" || s.Kind == "":
		return qunzhu.Errorf(qunzhu.EINVALID, "附件窗口缺少群、发送人或类型。")
	case !s.ExpiresAt.After(t.now):
		return qunzhu.Errorf(qunzhu.EINVALID, "附件窗口已经过期。")
	}
	res, err := t.exec(`INSERT INTO attach_slots (group_id, sender, kind, ref_id, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id, sender) DO UPDATE SET kind = excluded.kind, ref_id = excluded.ref_id,
			expires_at = excluded.expires_at, created_at = excluded.created_at`,
		s.GroupID, s.Sender, s.Kind, s.RefID, ms(s.ExpiresAt), ms(t.now))
	if err != nil {
		return fmt.Errorf("open attach slot: %w", err)
	}
	if id, err := res.LastInsertId(); err == nil {
		s.ID = id
	}
	return nil
}

// PeekAttachSlot returns the sender's open window, if it has not expired.
func (t *tx) PeekAttachSlot(groupID int64, sender string) (*qunzhu.AttachSlot, error) {
	s := &qunzhu.AttachSlot{GroupID: groupID, Sender: sender}
	var exp int64
	err := t.queryRow(`SELECT id, kind, ref_id, expires_at FROM attach_slots
		WHERE group_id = ? AND sender = ? AND expires_at > ?`, groupID, sender, ms(t.now)).
		Scan(&s.ID, &s.Kind, &s.RefID, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有等待图片的命令。")
	} else if err != nil {
		return nil, fmt.Errorf("select attach slot: %w", err)
	}
	s.ExpiresAt = fromMs(exp)
	return s, nil
}

// TakeAttachSlot returns the open window and closes it, so one picture fills it.
func (t *tx) TakeAttachSlot(groupID int64, sender string) (*qunzhu.AttachSlot, error) {
	s, err := t.PeekAttachSlot(groupID, sender)
	if err != nil {
		return nil, err
	}
	if _, err := t.exec(`DELETE FROM attach_slots WHERE id = ?`, s.ID); err != nil {
		return nil, fmt.Errorf("delete attach slot: %w", err)
	}
	return s, nil
}

// SaveImage stores a picture once per content and returns its id.
func (t *tx) SaveImage(data []byte) (int64, error) {
	if len(data) == 0 {
		return 0, qunzhu.Errorf(qunzhu.EINVALID, "图片是空的。")
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	var id int64
	err := t.queryRow(`INSERT INTO images (sha256, data, created_at) VALUES (?, ?, ?)
		ON CONFLICT (sha256) DO UPDATE SET sha256 = excluded.sha256 RETURNING id`, h, data, ms(t.now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save image: %w", err)
	}
	return id, nil
}

// ImageByID loads a stored picture.
func (t *tx) ImageByID(id int64) (*qunzhu.Image, error) {
	img := &qunzhu.Image{ID: id}
	var created int64
	err := t.queryRow(`SELECT data, sha256, created_at FROM images WHERE id = ?`, id).
		Scan(&img.Data, &img.SHA256, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到图片 %d。", id)
	} else if err != nil {
		return nil, fmt.Errorf("select image: %w", err)
	}
	img.CreatedAt = fromMs(created)
	return img, nil
}
