package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

const cycleColumns = `id, group_id, deadline, nominal, label_kind, remind_at, reminded_at, summarized_at,
	created_at, updated_at`

// CreateReportCycle stores one cycle of a group's reports.
func (t *tx) CreateReportCycle(c *qunzhu.ReportCycle) error {
	if c.GroupID == 0 || c.Deadline.IsZero() {
		return qunzhu.Errorf(qunzhu.EINVALID, "作业周期缺少群或截止时间。")
	}
	if c.Nominal.IsZero() {
		c.Nominal = c.Deadline
	}
	c.CreatedAt, c.UpdatedAt = t.now, t.now
	res, err := t.exec(`INSERT INTO report_cycles (group_id, deadline, nominal, label_kind, remind_at,
			reminded_at, summarized_at, next_action_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.GroupID, ms(c.Deadline), ms(c.Nominal), string(c.LabelKind), nullMs(c.RemindAt),
		nullMs(c.RemindedAt), nullMs(c.SummarizedAt), nullMs(c.NextActionAt()), ms(t.now), ms(t.now))
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "截止时间为 %s 的作业周期已经存在。", c.Deadline.Format(time.DateTime))
	} else if err != nil {
		return fmt.Errorf("insert report cycle: %w", err)
	}
	c.ID, err = res.LastInsertId()
	return err
}

// UpdateReportCycle saves a cycle's deadline, label and progress, and with
// them the time the sweep must look at it next.
func (t *tx) UpdateReportCycle(c *qunzhu.ReportCycle) error {
	res, err := t.exec(`UPDATE report_cycles SET deadline = ?, nominal = ?, label_kind = ?, remind_at = ?,
			reminded_at = ?, summarized_at = ?, next_action_at = ?, updated_at = ?
		WHERE id = ?`,
		ms(c.Deadline), ms(c.Nominal), string(c.LabelKind), nullMs(c.RemindAt), nullMs(c.RemindedAt),
		nullMs(c.SummarizedAt), nullMs(c.NextActionAt()), ms(t.now), c.ID)
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "截止时间为 %s 的作业周期已经存在。", c.Deadline.Format(time.DateTime))
	} else if err != nil {
		return fmt.Errorf("update report cycle %d: %w", c.ID, err)
	}
	if n, err := rowsAffected(res); err != nil {
		return err
	} else if n == 0 {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到作业周期 %d。", c.ID)
	}
	c.UpdatedAt = t.now
	return nil
}

// ReportCycleByID loads one cycle.
func (t *tx) ReportCycleByID(id int64) (*qunzhu.ReportCycle, error) {
	c, err := scanCycle(t.queryRow(`SELECT `+cycleColumns+` FROM report_cycles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到作业周期 %d。", id)
	}
	return c, err
}

// ReportCycles returns the group's latest cycles whose deadline is at or before t.
func (t *tx) ReportCycles(groupID int64, before time.Time, n int) ([]*qunzhu.ReportCycle, error) {
	return t.cycles(`SELECT `+cycleColumns+` FROM report_cycles
		WHERE group_id = ? AND deadline <= ? ORDER BY deadline DESC LIMIT ?`, groupID, ms(before), n)
}

// LatestReportCycle is the group's cycle with the latest deadline.
func (t *tx) LatestReportCycle(groupID int64) (*qunzhu.ReportCycle, error) {
	c, err := scanCycle(t.queryRow(`SELECT `+cycleColumns+` FROM report_cycles
		WHERE group_id = ? ORDER BY deadline DESC LIMIT 1`, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "本群还没有作业周期。")
	}
	return c, err
}

// DueReportCycles returns cycles whose reminder or summary is due, through the
// partial index on next_action_at: finished cycles are never read.
func (t *tx) DueReportCycles(now time.Time, n int) ([]*qunzhu.ReportCycle, error) {
	return t.cycles(dueCyclesQuery, ms(now), n)
}

// dueCyclesQuery repeats "next_action_at IS NOT NULL" so SQLite may use the
// partial index report_cycles_due.
const dueCyclesQuery = `SELECT ` + cycleColumns + ` FROM report_cycles
	WHERE next_action_at IS NOT NULL AND next_action_at <= ? ORDER BY next_action_at LIMIT ?`

func (t *tx) cycles(query string, args ...any) ([]*qunzhu.ReportCycle, error) {
	rows, err := t.query(query, args...)
	return collect(rows, err, scanCycle, "report cycles")
}

func scanCycle(row scanner) (*qunzhu.ReportCycle, error) {
	c := &qunzhu.ReportCycle{}
	var (
		deadline, nominal, created, updated int64
		kind                                string
		remind, reminded, summarized        sql.NullInt64
	)
	err := row.Scan(&c.ID, &c.GroupID, &deadline, &nominal, &kind, &remind, &reminded, &summarized, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("scan report cycle: %w", err)
	}
	c.Deadline, c.Nominal, c.LabelKind = fromMs(deadline), fromMs(nominal), qunzhu.LabelKind(kind)
	c.RemindAt, c.RemindedAt, c.SummarizedAt = fromNullMs(remind), fromNullMs(reminded), fromNullMs(summarized)
	c.CreatedAt, c.UpdatedAt = fromMs(created), fromMs(updated)
	return c, nil
}

const submissionColumns = `id, group_id, cycle_id, unit, version, member_id, member_name, submitted_at,
	image_id, content`

// AddSubmission stores the next version of a unit's report for a cycle.
func (t *tx) AddSubmission(s *qunzhu.Submission) error {
	if s.CycleID == 0 || s.Unit == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "作业缺少周期或单位。")
	}
	if s.SubmittedAt.IsZero() {
		s.SubmittedAt = t.now
	}
	var memberID, imageID any
	if s.MemberID != 0 {
		memberID = s.MemberID
	}
	if s.ImageID != 0 {
		imageID = s.ImageID
	}
	err := t.queryRow(`INSERT INTO report_submissions (group_id, cycle_id, unit, version, member_id,
			member_name, submitted_at, image_id, content)
		SELECT ?, ?, ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ?
		FROM report_submissions WHERE cycle_id = ? AND unit = ?
		RETURNING id, version`,
		s.GroupID, s.CycleID, s.Unit, memberID, s.MemberName, ms(s.SubmittedAt), imageID, s.Content,
		s.CycleID, s.Unit).Scan(&s.ID, &s.Version)
	if err != nil {
		return fmt.Errorf("insert submission: %w", err)
	}
	return nil
}

// SetSubmissionImage attaches a picture to one version of a report.
func (t *tx) SetSubmissionImage(id, imageID int64) error {
	res, err := t.exec(`UPDATE report_submissions SET image_id = ? WHERE id = ?`, imageID, id)
	if err != nil {
		return fmt.Errorf("set submission image: %w", err)
	}
	if n, err := rowsAffected(res); err != nil {
		return err
	} else if n == 0 {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到这份作业。")
	}
	return nil
}

// SubmissionByID loads one version of a report.
func (t *tx) SubmissionByID(id int64) (*qunzhu.Submission, error) {
	s, err := scanSubmission(t.queryRow(`SELECT `+submissionColumns+` FROM report_submissions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到这份作业。")
	}
	return s, err
}

// Submissions returns every version handed in for a cycle, oldest first.
func (t *tx) Submissions(cycleID int64) ([]*qunzhu.Submission, error) {
	rows, err := t.query(`SELECT `+submissionColumns+` FROM report_submissions
		WHERE cycle_id = ? ORDER BY id`, cycleID)
	return collect(rows, err, scanSubmission, "submissions")
}

// LatestSubmission is the unit's most recent version in the group.
func (t *tx) LatestSubmission(groupID int64, unit string) (*qunzhu.Submission, error) {
	s, err := scanSubmission(t.queryRow(`SELECT `+submissionColumns+` FROM report_submissions
		WHERE group_id = ? AND unit = ? ORDER BY id DESC LIMIT 1`, groupID, unit))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "%s还没有交过作业。", unit)
	}
	return s, err
}

func scanSubmission(row scanner) (*qunzhu.Submission, error) {
	s := &qunzhu.Submission{}
	var (
		submitted     int64
		member, image sql.NullInt64
	)
	err := row.Scan(&s.ID, &s.GroupID, &s.CycleID, &s.Unit, &s.Version, &member, &s.MemberName, &submitted,
		&image, &s.Content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("scan submission: %w", err)
	}
	s.MemberID, s.ImageID, s.SubmittedAt = member.Int64, image.Int64, fromMs(submitted)
	return s, nil
}
