package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

// SetReportSchedule creates or replaces a group's report cycle (作业周期).
func (t *tx) SetReportSchedule(s *qunzhu.ReportSchedule) error {
	if err := s.Rule.Validate(); err != nil {
		return err
	}
	if s.RemindBefore < 0 {
		return qunzhu.Errorf(qunzhu.EINVALID, "提醒时间不能是负数。")
	}
	if _, err := t.GroupByID(s.GroupID); err != nil {
		return err
	}
	r := s.Rule
	var setBy any
	if s.SetBy != 0 {
		setBy = s.SetBy
	}
	var created int64
	err := t.queryRow(`INSERT INTO report_schedules (group_id, kind, weekdays, every_weeks, anchor, day, minute,
			remind_before, set_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id) DO UPDATE SET kind = excluded.kind, weekdays = excluded.weekdays,
			every_weeks = excluded.every_weeks, anchor = excluded.anchor, day = excluded.day,
			minute = excluded.minute, remind_before = excluded.remind_before, set_by = excluded.set_by,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		s.GroupID, string(r.Kind), int(r.Weekdays), max(r.EveryWeeks, 1), nullMs(r.Anchor), r.Day,
		r.Hour*60+r.Minute, s.RemindBefore.Milliseconds(), setBy, ms(t.now), ms(t.now)).Scan(&created)
	if err != nil {
		return fmt.Errorf("set report schedule of group %d: %w", s.GroupID, err)
	}
	s.CreatedAt, s.UpdatedAt = fromMs(created), t.now
	return nil
}

// ReportSchedule returns the group's report cycle.
func (t *tx) ReportSchedule(groupID int64) (*qunzhu.ReportSchedule, error) {
	s := &qunzhu.ReportSchedule{GroupID: groupID}
	var (
		kind                     string
		weekdays, minute, remind int64
		anchor, setBy            sql.NullInt64
		created, updated         int64
	)
	err := t.queryRow(`SELECT kind, weekdays, every_weeks, anchor, day, minute, remind_before, set_by,
			created_at, updated_at
		FROM report_schedules WHERE group_id = ?`, groupID).
		Scan(&kind, &weekdays, &s.Rule.EveryWeeks, &anchor, &s.Rule.Day, &minute, &remind, &setBy, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "本群还没有设置交作业周期。")
	} else if err != nil {
		return nil, fmt.Errorf("select report schedule of group %d: %w", groupID, err)
	}
	s.Rule.Kind = qunzhu.CycleKind(kind)
	s.Rule.Weekdays = qunzhu.WeekdaySet(weekdays)
	s.Rule.Anchor = fromNullMs(anchor)
	s.Rule.Hour, s.Rule.Minute = int(minute/60), int(minute%60)
	s.RemindBefore = time.Duration(remind) * time.Millisecond
	s.SetBy = setBy.Int64
	s.CreatedAt, s.UpdatedAt = fromMs(created), fromMs(updated)
	return s, nil
}

// AddRosterUnit puts a unit on the group's roster (名单).
func (t *tx) AddRosterUnit(groupID int64, unit string) (bool, error) {
	if unit == "" {
		return false, qunzhu.Errorf(qunzhu.EINVALID, "单位名称不能为空。")
	}
	res, err := t.exec(`INSERT INTO report_roster (group_id, unit, added_at) VALUES (?, ?, ?)
		ON CONFLICT (group_id, unit) WHERE removed_at IS NULL DO NOTHING`, groupID, unit, ms(t.now))
	if err != nil {
		return false, fmt.Errorf("add roster unit: %w", err)
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// RemoveRosterUnit ends the unit's current roster entry.
func (t *tx) RemoveRosterUnit(groupID int64, unit string) (bool, error) {
	res, err := t.exec(`UPDATE report_roster SET removed_at = ?
		WHERE group_id = ? AND unit = ? AND removed_at IS NULL`, ms(t.now), groupID, unit)
	if err != nil {
		return false, fmt.Errorf("remove roster unit: %w", err)
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// Roster returns the units on the roster at time at, in the order added.
func (t *tx) Roster(groupID int64, at time.Time) ([]*qunzhu.RosterUnit, error) {
	rows, err := t.query(`SELECT id, unit, added_at, removed_at FROM report_roster
		WHERE group_id = ? AND added_at <= ? AND (removed_at IS NULL OR removed_at > ?)
		ORDER BY added_at, id`, groupID, ms(at), ms(at))
	if err != nil {
		return nil, fmt.Errorf("select roster: %w", err)
	}
	defer rows.Close()
	var out []*qunzhu.RosterUnit
	seen := map[string]bool{}
	for rows.Next() {
		u := &qunzhu.RosterUnit{GroupID: groupID}
		var added int64
		var removed sql.NullInt64
		if err := rows.Scan(&u.ID, &u.Unit, &added, &removed); err != nil {
			return nil, fmt.Errorf("scan roster: %w", err)
		}
		u.AddedAt, u.RemovedAt = fromMs(added), fromNullMs(removed)
		if !seen[u.Unit] { // removed and re-added at the same instant
			seen[u.Unit] = true
			out = append(out, u)
		}
	}
	return out, rows.Err()
}
