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
	c.Failures, c.OnPage = 0, false
	_, err := t.exec(`INSERT INTO bind_codes (code, member_id, expires_at, created_at, issued_by)
		VALUES (?, ?, ?, ?, ?)`, c.Code, c.MemberID, ms(c.ExpiresAt), ms(t.now), c.IssuedBy)
	if isUnique(err) {
		// Another member holds the same live code; the caller draws a new one.
		return qunzhu.Errorf(qunzhu.ECONFLICT, "认证码重复，请重新生成。")
	} else if err != nil {
		return fmt.Errorf("insert bind code: %w", err)
	}
	return nil
}

// errBindCodeGone is the one answer for a code that is unknown or expired, so
// a guesser learns nothing from it.
func errBindCodeGone() error {
	return qunzhu.Errorf(qunzhu.ENOTFOUND, "认证码无效或已过期，请向群主索取新的认证码。")
}

const bindCodeColumns = `code, member_id, expires_at, issued_by, failures, on_page`

func scanBindCode(row scanner) (*qunzhu.BindCode, error) {
	var (
		c         qunzhu.BindCode
		expiresAt int64
	)
	if err := row.Scan(&c.Code, &c.MemberID, &expiresAt, &c.IssuedBy, &c.Failures, &c.OnPage); err != nil {
		return nil, err
	}
	c.ExpiresAt = fromMs(expiresAt)
	return &c, nil
}

// FindBindCode returns a live code without using it up. A code is expired
// from its ExpiresAt on, measured by Tx.Now, and then reported exactly like an
// unknown one.
func (t *tx) FindBindCode(code string) (*qunzhu.BindCode, error) {
	c, err := scanBindCode(t.queryRow(`SELECT `+bindCodeColumns+` FROM bind_codes WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBindCodeGone()
	} else if err != nil {
		return nil, fmt.Errorf("select bind code: %w", err)
	}
	if !t.now.Before(c.ExpiresAt) {
		return nil, errBindCodeGone()
	}
	return c, nil
}

// TakeBindCode returns and deletes a code so it works once; an expired code is
// deleted too and reported like an unknown one.
func (t *tx) TakeBindCode(code string) (*qunzhu.BindCode, error) {
	c, err := t.FindBindCode(code)
	if _, derr := t.exec(`DELETE FROM bind_codes WHERE code = ?`, code); derr != nil {
		return nil, fmt.Errorf("delete bind code: %w", derr)
	}
	return c, err
}

// FailBindCodes counts a wrong attempt against the live codes of a group's
// members (every group's for 0) and destroys those that reached max.
func (t *tx) FailBindCodes(groupID int64, max int) (int, error) {
	scope, args := ``, []any{ms(t.now)}
	if groupID != 0 {
		scope, args = ` AND member_id IN (SELECT id FROM members WHERE group_id = ?)`, append(args, groupID)
	}
	if _, err := t.exec(`UPDATE bind_codes SET failures = failures + 1 WHERE expires_at > ?`+scope, args...); err != nil {
		return 0, fmt.Errorf("count bind code failures: %w", err)
	}
	res, err := t.exec(`DELETE FROM bind_codes WHERE (failures >= ? OR expires_at <= ?)`+scope,
		append([]any{max}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("destroy guessed bind codes: %w", err)
	}
	n, err := rowsAffected(res)
	return int(n), err
}

// ShowBindCodeOnPage marks a member's live code for the login page.
func (t *tx) ShowBindCodeOnPage(memberID int64) error {
	if _, err := t.exec(`UPDATE bind_codes SET on_page = 1 WHERE member_id = ? AND expires_at > ?`,
		memberID, ms(t.now)); err != nil {
		return fmt.Errorf("show bind code on the login page: %w", err)
	}
	return nil
}

// BindCodesOnPage lists the live codes the login page shows, oldest first.
func (t *tx) BindCodesOnPage() ([]*qunzhu.BindCode, error) {
	rows, err := t.query(`SELECT `+bindCodeColumns+` FROM bind_codes
		WHERE on_page = 1 AND expires_at > ? ORDER BY created_at`, ms(t.now))
	return collect(rows, err, scanBindCode, "bind codes on the login page")
}

// UnbindMember forgets a member's identity and any live code of theirs.
func (t *tx) UnbindMember(memberID int64) error {
	if _, err := t.MemberByID(memberID); err != nil {
		return err
	}
	if _, err := t.exec(`UPDATE members SET bound = 0, session_key = '', nick_name = '', display_name = '',
		attr_status = 0, bound_at = NULL, updated_at = ? WHERE id = ?`, ms(t.now), memberID); err != nil {
		return fmt.Errorf("unbind member %d: %w", memberID, err)
	}
	if _, err := t.exec(`DELETE FROM bind_codes WHERE member_id = ?`, memberID); err != nil {
		return fmt.Errorf("delete bind codes of member %d: %w", memberID, err)
	}
	return nil
}

// Bootstrapped reports whether the group's configured members were bound by
// display name already.
func (t *tx) Bootstrapped(groupID int64) (bool, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM bootstraps WHERE group_id = ?`, groupID).Scan(&n); err != nil {
		return false, fmt.Errorf("select bootstrap: %w", err)
	}
	return n > 0, nil
}

// MarkBootstrapped records that the group's bootstrap happened; once is enough.
func (t *tx) MarkBootstrapped(groupID int64) error {
	if _, err := t.exec(`INSERT INTO bootstraps (group_id, done_at) VALUES (?, ?)
		ON CONFLICT (group_id) DO NOTHING`, groupID, ms(t.now)); err != nil {
		return fmt.Errorf("record bootstrap of group %d: %w", groupID, err)
	}
	return nil
}
