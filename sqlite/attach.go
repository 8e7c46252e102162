package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

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
	res, err := t.exec(`INSERT INTO attach_slots (group_id, sender, kind, ref_id, more_refs, max_pictures, pictures, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)
		ON CONFLICT (group_id, sender) DO UPDATE SET kind = excluded.kind, ref_id = excluded.ref_id,
			more_refs = excluded.more_refs, max_pictures = excluded.max_pictures, pictures = 0,
			expires_at = excluded.expires_at, created_at = excluded.created_at`,
		s.GroupID, s.Sender, s.Kind, s.RefID, joinIDs(s.MoreRefs), max(s.Max, 1), ms(s.ExpiresAt), ms(t.now))
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
	var (
		exp  int64
		more string
	)
	err := t.queryRow(`SELECT id, kind, ref_id, more_refs, max_pictures, pictures, expires_at FROM attach_slots
		WHERE group_id = ? AND sender = ? AND expires_at > ? AND pictures < max_pictures`, groupID, sender, ms(t.now)).
		Scan(&s.ID, &s.Kind, &s.RefID, &more, &s.Max, &s.Count, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有等待图片的命令。")
	} else if err != nil {
		return nil, fmt.Errorf("select attach slot: %w", err)
	}
	s.ExpiresAt = fromMs(exp)
	if s.MoreRefs, err = splitIDs(more); err != nil {
		return nil, fmt.Errorf("attach slot %d: %w", s.ID, err)
	}
	return s, nil
}

// TakeAttachSlot counts one picture into the open window and closes the
// window when it has taken as many as it was opened for.
func (t *tx) TakeAttachSlot(groupID int64, sender string) (*qunzhu.AttachSlot, error) {
	s, err := t.PeekAttachSlot(groupID, sender)
	if err != nil {
		return nil, err
	}
	s.Count++
	if s.Count >= s.Max {
		_, err = t.exec(`DELETE FROM attach_slots WHERE id = ?`, s.ID)
	} else {
		_, err = t.exec(`UPDATE attach_slots SET pictures = ? WHERE id = ?`, s.Count, s.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("take attach slot: %w", err)
	}
	return s, nil
}

// AddRefImage keeps a picture with a feature's row and counts its pictures.
func (t *tx) AddRefImage(kind string, refID, imageID int64) (int, error) {
	if kind == "" || refID == 0 || imageID == 0 {
		return 0, qunzhu.Errorf(qunzhu.EINVALID, "图片缺少所属的记录。")
	}
	if _, err := t.exec(`INSERT INTO ref_images (kind, ref_id, image_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, kind, refID, imageID, ms(t.now)); err != nil {
		return 0, fmt.Errorf("add ref image: %w", err)
	}
	var n int
	if err := t.queryRow(`SELECT count(*) FROM ref_images WHERE kind = ? AND ref_id = ?`, kind, refID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count ref images: %w", err)
	}
	return n, nil
}

// RefImages lists the pictures kept with a row, oldest first.
func (t *tx) RefImages(kind string, refID int64) ([]int64, error) {
	rows, err := t.query(`SELECT image_id FROM ref_images WHERE kind = ? AND ref_id = ? ORDER BY created_at, rowid`, kind, refID)
	return collect(rows, err, func(s scanner) (id int64, err error) { return id, s.Scan(&id) }, "ref images")
}

// joinIDs and splitIDs keep a short list of row ids in one column.
func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var ids []int64
	for _, p := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad id list %q", s)
		}
		ids = append(ids, id)
	}
	return ids, nil
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
