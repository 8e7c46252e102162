package sqlite

import (
	"fmt"

	"github.com/qunzhu/qunzhu"
)

// TagGroup gives a group a 标签 that "/群发 到 <标签>" picks it by.
func (t *tx) TagGroup(groupID int64, tag string) (bool, error) {
	if tag == "" {
		return false, qunzhu.Errorf(qunzhu.EINVALID, "标签不能为空。")
	}
	if _, err := t.GroupByID(groupID); err != nil {
		return false, err
	}
	res, err := t.exec(`INSERT INTO group_tags (tag, group_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (tag, group_id) DO NOTHING`, tag, groupID, ms(t.now))
	if err != nil {
		return false, fmt.Errorf("tag group %d: %w", groupID, err)
	}
	n, err := rowsAffected(res)
	return n == 1, err
}

// UntagGroup removes a tag from a group.
func (t *tx) UntagGroup(groupID int64, tag string) (bool, error) {
	res, err := t.exec(`DELETE FROM group_tags WHERE tag = ? AND group_id = ?`, tag, groupID)
	if err != nil {
		return false, fmt.Errorf("untag group %d: %w", groupID, err)
	}
	n, err := rowsAffected(res)
	return n == 1, err
}

// GroupTags lists a group's tags in order.
func (t *tx) GroupTags(groupID int64) ([]string, error) {
	rows, err := t.query(`SELECT tag FROM group_tags WHERE group_id = ? ORDER BY tag`, groupID)
	if err != nil {
		return nil, fmt.Errorf("select group %d tags: %w", groupID, err)
	}
	defer rows.Close()
	var tags []string
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			return nil, fmt.Errorf("scan group tag: %w", err)
		}
		tags = append(tags, tag)
	}
	return tags, rows.Err()
}

// TaggedGroups lists the ids of the groups that carry tag.
func (t *tx) TaggedGroups(tag string) ([]int64, error) {
	ids, err := t.ids(`SELECT group_id FROM group_tags WHERE tag = ? ORDER BY group_id`, tag)
	if err != nil {
		return nil, fmt.Errorf("select groups tagged %q: %w", tag, err)
	}
	return ids, nil
}
