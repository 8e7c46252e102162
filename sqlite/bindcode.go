package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu"
)

// CreateBindCode stores a one-time code for a member, replacing any code the
// member already had so only the latest one handed out works. Expired codes of
// every member are purged on the way, so an old code never blocks a new one.
func (t *tx) CreateBindCode(c *qunzhu.BindCode) error {
	switch {
	case c.Code == "":
		return qunzhu.Errorf(qunzhu.EINVALID, "认证码不能为空。")
	case c.ExpiresAt.IsZero():
		return qunzhu.Errorf(qunzhu.EINVALID, "认证码必须有有效期。")
	}
	if _, err := t.MemberByID(c.MemberID); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM bind_codes WHERE member_id = ? OR expires_at <= ?`,
		c.MemberID, ms(t.now)); err != nil {
		return fmt.Errorf("delete old bind codes: %w", err)
	}
	_, err := t.exec(`INSERT INTO bind_codes (code, member_id, expires_at, created_at) VALUES (?, ?, ?, ?)`,
		c.Code, c.MemberID, ms(c.ExpiresAt), ms(t.now))
	if isUnique(err) {
		// Another member holds the same live code; the caller draws a new one.
		return qunzhu.Errorf(qunzhu.ECONFLICT, "认证码重复，请重新生成。")
	} else if err != nil {
		return fmt.Errorf("insert bind code: %w", err)
	}
	return nil
}

// TakeBindCode returns and deletes a code so it works once. A code is expired
// from its ExpiresAt on, measured by Tx.Now; an expired code is reported exactly
// like an unknown one so a guesser learns nothing.
func (t *tx) TakeBindCode(code string) (*qunzhu.BindCode, error) {
	notFound := qunzhu.Errorf(qunzhu.ENOTFOUND, "认证码无效或已过期，请向群主索取新的认证码。")
	var (
		c         = qunzhu.BindCode{Code: code}
		expiresAt int64
	)
	err := t.queryRow(`SELECT member_id, expires_at FROM bind_codes WHERE code = ?`, code).
		Scan(&c.MemberID, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, fmt.Errorf("select bind code: %w", err)
	}
	if _, err := t.exec(`DELETE FROM bind_codes WHERE code = ?`, code); err != nil {
		return nil, fmt.Errorf("delete bind code: %w", err)
	}
	c.ExpiresAt = fromMs(expiresAt)
	if !t.now.Before(c.ExpiresAt) {
		return nil, notFound
	}
	return &c, nil
}
