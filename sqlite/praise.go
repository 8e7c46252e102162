package sqlite

import (
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

// AddPraise stores an owner's /点赞.
func (t *tx) AddPraise(p *qunzhu.Praise) error {
	if p.GroupID == 0 || p.Unit == "" || p.Text == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "点赞要写单位和内容。")
	}
	p.At = t.now
	res, err := t.exec(`INSERT INTO praises (group_id, unit, task_id, member_id, member_name, text, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.GroupID, p.Unit, nullID(p.TaskID), nullID(p.MemberID), p.MemberName, p.Text, ms(t.now))
	if err != nil {
		return fmt.Errorf("insert praise: %w", err)
	}
	p.ID, err = res.LastInsertId()
	return err
}

// Praises lists a group's praises in [since, until), oldest first.
func (t *tx) Praises(groupID int64, since, until time.Time) ([]*qunzhu.Praise, error) {
	rows, err := t.query(`SELECT id, group_id, unit, COALESCE(task_id, 0), COALESCE(member_id, 0), member_name, text, created_at
		FROM praises WHERE group_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
		groupID, ms(since), ms(until))
	return collect(rows, err, func(r scanner) (*qunzhu.Praise, error) {
		var p qunzhu.Praise
		var at int64
		err := r.Scan(&p.ID, &p.GroupID, &p.Unit, &p.TaskID, &p.MemberID, &p.MemberName, &p.Text, &at)
		p.At = fromMs(at)
		return &p, err
	}, "praises")
}
