package sqlite

import (
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// AddMemberContact records how a member is named by another system: a mobile
// number (normalised to its 11 digits) or a WeCom / DingTalk user id. Adding
// the same contact again changes nothing.
func (t *tx) AddMemberContact(memberID int64, kind, value string) error {
	switch kind {
	case qunzhu.ContactMobile, qunzhu.ContactWeCom, qunzhu.ContactDingTalk:
	default:
		return qunzhu.Errorf(qunzhu.EINVALID, "不认识的联系方式类型「%s」，可用：mobile、wecom、dingtalk。", kind)
	}
	v := qunzhu.NormalizeContact(kind, value)
	if v == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "「%s」不是有效的手机号，例如 13800138000。", value)
	}
	if _, err := t.MemberByID(memberID); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO member_contacts (member_id, kind, value, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, memberID, kind, v, ms(t.now))
	if err != nil {
		return fmt.Errorf("insert member contact: %w", err)
	}
	return nil
}

// MembersByContact returns the bound members of a group that another system
// names by value (a mobile in a WeCom mentioned_mobile_list, a DingTalk
// userId…). Only bound members are returned: a mention should reach the
// person whose identity was verified, not whoever registered a name.
func (t *tx) MembersByContact(groupID int64, kind, value string) ([]*qunzhu.Member, error) {
	v := qunzhu.NormalizeContact(kind, value)
	if v == "" {
		return nil, nil
	}
	rows, err := t.query(`SELECT `+prefixed("m.", memberColumns)+` FROM member_contacts c
		JOIN members m ON m.id = c.member_id
		WHERE c.kind = ? AND c.value = ? AND m.group_id = ? AND m.bound = 1
		ORDER BY m.id`, kind, v, groupID)
	return collect(rows, err, scanMember, "members by contact")
}

// prefixed qualifies a column list ("id, name") with a table alias ("m.").
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
