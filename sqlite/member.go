package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/qunzhu/qunzhu"
)

const memberColumns = `id, group_id, name, unit, role, bound, session_key, nick_name,
	display_name, attr_status, bound_at, created_at, updated_at, user_id`

// CreateMember registers a person in a group (name, unit, role) and sets m.ID.
// An empty role means a plain member. Binding fields are stored as given, so a
// seed or an import may create members that are already bound.
func (t *tx) CreateMember(m *qunzhu.Member) error {
	if m.Role == "" {
		m.Role = qunzhu.RoleMember
	}
	if err := validateMember(m); err != nil {
		return err
	}
	if _, err := t.GroupByID(m.GroupID); err != nil {
		return err
	}
	m.CreatedAt, m.UpdatedAt = t.now, t.now
	res, err := t.exec(`INSERT INTO members (group_id, name, unit, role, bound, session_key,
		nick_name, display_name, attr_status, bound_at, created_at, updated_at, user_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.GroupID, m.Name, m.Unit, string(m.Role), m.Bound, m.Identity.SessionKey,
		m.Identity.NickName, m.Identity.DisplayName, m.Identity.AttrStatus, nullMs(m.BoundAt),
		ms(m.CreatedAt), ms(m.UpdatedAt), m.Identity.UserID)
	if isUnique(err) {
		if m.Identity.UserID != "" {
			if other, err := t.MemberByUserID(m.GroupID, m.Identity.UserID); err == nil {
				return qunzhu.Errorf(qunzhu.ECONFLICT, "这个账号已经登记为成员「%s」。", other.Name)
			}
		}
		return t.memberConflict(m.GroupID, m.Name, m.Identity.SessionKey)
	} else if err != nil {
		return fmt.Errorf("insert member: %w", err)
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert member: last id: %w", err)
	}
	return nil
}

// UpdateMember saves what an owner may change about a member: name, unit and role.
// Binding is changed only by BindMember and SetSessionKeys.
func (t *tx) UpdateMember(m *qunzhu.Member) error {
	if err := validateMember(m); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE members SET name = ?, unit = ?, role = ?, updated_at = ? WHERE id = ?`,
		m.Name, m.Unit, string(m.Role), ms(t.now), m.ID)
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "本群已登记成员「%s」。", m.Name)
	} else if err != nil {
		return fmt.Errorf("update member %d: %w", m.ID, err)
	}
	if n, err := rowsAffected(res); err != nil {
		return fmt.Errorf("update member %d: %w", m.ID, err)
	} else if n == 0 {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的成员。", m.ID)
	}
	m.UpdatedAt = t.now
	return nil
}

func validateMember(m *qunzhu.Member) error {
	if m.Name == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "成员姓名不能为空。")
	}
	if !m.Role.Valid() {
		return qunzhu.Errorf(qunzhu.EINVALID, "不认识的角色「%s」，可用：群主、管理员、成员。", m.Role)
	}
	return nil
}

// memberConflict explains a unique violation on members: either the name is
// already registered in the group or the WeChat identity is bound to someone else.
func (t *tx) memberConflict(groupID int64, name, sessionKey string) error {
	if name != "" {
		if _, err := t.MemberByName(groupID, name); err == nil {
			return qunzhu.Errorf(qunzhu.ECONFLICT, "本群已登记成员「%s」。", name)
		}
	}
	if other, err := t.MemberBySession(groupID, sessionKey); err == nil {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "这个微信身份已经绑定了成员「%s」。", other.Name)
	}
	return qunzhu.Errorf(qunzhu.ECONFLICT, "成员信息与已有记录冲突。")
}

// MemberByID returns a member by our id.
func (t *tx) MemberByID(id int64) (*qunzhu.Member, error) {
	m, err := scanMember(t.queryRow(`SELECT `+memberColumns+` FROM members WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的成员。", id)
	} else if err != nil {
		return nil, fmt.Errorf("select member %d: %w", id, err)
	}
	return m, nil
}

// MemberByName returns a member by the name the owner registered in the group.
func (t *tx) MemberByName(groupID int64, name string) (*qunzhu.Member, error) {
	m, err := scanMember(t.queryRow(`SELECT `+memberColumns+` FROM members
		WHERE group_id = ? AND name = ?`, groupID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到成员「%s」。", name)
	} else if err != nil {
		return nil, fmt.Errorf("select member by name: %w", err)
	}
	return m, nil
}

// MemberBySession returns the bound member whose identity in the current session
// is sessionKey. The empty key never matches: it means "not mapped now", and
// matching it would hand an unbound stranger a member's permissions.
func (t *tx) MemberBySession(groupID int64, sessionKey string) (*qunzhu.Member, error) {
	notFound := qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到成员：这个微信身份还没有在本群认证。")
	if sessionKey == "" {
		return nil, notFound
	}
	// "session_key <> ''" repeats the partial index's condition so SQLite uses it.
	m, err := scanMember(t.queryRow(`SELECT `+memberColumns+` FROM members
		WHERE group_id = ? AND session_key = ? AND session_key <> '' AND bound = 1`,
		groupID, sessionKey))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, fmt.Errorf("select member by session: %w", err)
	}
	return m, nil
}

// MemberByUserID returns the member registered with a platform user id
// (DingTalk staffId, WeCom userid), bound or not. The empty id never matches.
func (t *tx) MemberByUserID(groupID int64, userID string) (*qunzhu.Member, error) {
	notFound := qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到成员：这个账号还没有在本群登记。")
	if userID == "" {
		return nil, notFound
	}
	m, err := scanMember(t.queryRow(`SELECT `+memberColumns+` FROM members
		WHERE group_id = ? AND user_id = ? AND user_id <> ''`, groupID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, fmt.Errorf("select member by user id: %w", err)
	}
	return m, nil
}

// Members returns a group's members in the order they were registered; an
// unknown group has none.
func (t *tx) Members(groupID int64) ([]*qunzhu.Member, error) {
	rows, err := t.query(`SELECT `+memberColumns+` FROM members WHERE group_id = ? ORDER BY id`, groupID)
	return collect(rows, err, scanMember, "members")
}

// BindMember records, after a valid /认证 code, that id is this member's WeChat
// identity from now on. ECONFLICT if the identity is already bound to another
// member of the group.
func (t *tx) BindMember(memberID int64, id qunzhu.Identity) error {
	if id.SessionKey == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "没有识别到你的微信身份，认证失败，请重试。")
	}
	m, err := t.MemberByID(memberID)
	if err != nil {
		return err
	}
	_, err = t.exec(`UPDATE members SET bound = 1, session_key = ?, nick_name = ?, display_name = ?,
		attr_status = ?, bound_at = ?, updated_at = ?, user_id = ? WHERE id = ?`,
		id.SessionKey, id.NickName, id.DisplayName, id.AttrStatus, ms(t.now), ms(t.now), id.UserID, memberID)
	if isUnique(err) {
		return t.memberConflict(m.GroupID, "", id.SessionKey)
	} else if err != nil {
		return fmt.Errorf("bind member %d: %w", memberID, err)
	}
	return nil
}

// SetSessionKeys replaces a group's session mapping after a login: every member
// is unmapped, then each bound member in keys gets its session key and current
// names (how a rename is recorded). A key for a member who is not bound in this
// group is a bug in the caller and fails the whole transaction.
func (t *tx) SetSessionKeys(groupID int64, keys map[int64]qunzhu.Identity) error {
	if _, err := t.GroupByID(groupID); err != nil {
		return err
	}
	if _, err := t.exec(`UPDATE members SET session_key = '', updated_at = ?
		WHERE group_id = ? AND session_key <> ''`, ms(t.now), groupID); err != nil {
		return fmt.Errorf("clear session keys of group %d: %w", groupID, err)
	}
	// Sorted so that a failure names the same member every time.
	for _, memberID := range slices.Sorted(maps.Keys(keys)) {
		id := keys[memberID]
		res, err := t.exec(`UPDATE members SET session_key = ?, nick_name = ?, display_name = ?,
			attr_status = ?, updated_at = ? WHERE id = ? AND group_id = ? AND bound = 1`,
			id.SessionKey, id.NickName, id.DisplayName, id.AttrStatus, ms(t.now), memberID, groupID)
		if isUnique(err) {
			return qunzhu.Errorf(qunzhu.ECONFLICT, "同一个微信身份对应了本群多位成员，请群主核对后重新认证。")
		} else if err != nil {
			return fmt.Errorf("set session key of member %d: %w", memberID, err)
		}
		if n, err := rowsAffected(res); err != nil {
			return fmt.Errorf("set session key of member %d: %w", memberID, err)
		} else if n == 0 {
			return fmt.Errorf("set session key: member %d is not a bound member of group %d", memberID, groupID)
		}
	}
	return nil
}

func scanMember(row scanner) (*qunzhu.Member, error) {
	var (
		m                    qunzhu.Member
		role                 string
		boundAt              sql.NullInt64
		createdAt, updatedAt int64
	)
	if err := row.Scan(&m.ID, &m.GroupID, &m.Name, &m.Unit, &role, &m.Bound,
		&m.Identity.SessionKey, &m.Identity.NickName, &m.Identity.DisplayName, &m.Identity.AttrStatus,
		&boundAt, &createdAt, &updatedAt, &m.Identity.UserID); err != nil {
		return nil, err
	}
	m.Role = qunzhu.Role(role)
	m.BoundAt = fromNullMs(boundAt)
	m.CreatedAt, m.UpdatedAt = fromMs(createdAt), fromMs(updatedAt)
	return &m, nil
}
