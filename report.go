package qunzhu

import (
	"slices"
	"time"
)

// ReportSchedule is a group's report cycle (作业周期): when reports are due and
// how long before each deadline the missing units are reminded. A group has at
// most one; /作业 设置 replaces it.
type ReportSchedule struct {
	GroupID      int64
	Rule         CycleRule
	RemindBefore time.Duration // 0: no reminder
	SetBy        int64         // member who set it, 0 if unknown
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// RosterUnit is one unit (单位) on a group's roster (名单): the units that must
// hand in every cycle. Entries are never deleted, only ended (RemovedAt), so a
// past cycle is judged against the roster of its own deadline.
type RosterUnit struct {
	ID        int64
	GroupID   int64
	Unit      string
	AddedAt   time.Time
	RemovedAt time.Time // zero while on the roster
}

// ReportCycle is one cycle of a group's reports, identified by its deadline: the
// period that ends at Deadline. Its row also remembers whether the reminder and
// the summary went out, so each happens once per cycle, across restarts.
type ReportCycle struct {
	ID        int64
	GroupID   int64
	Deadline  time.Time
	Nominal   time.Time // where the rule put the deadline before a holiday moved it
	LabelKind LabelKind
	RemindAt  time.Time // zero: no reminder for this cycle

	RemindedAt   time.Time // zero until the reminder was done (or skipped)
	SummarizedAt time.Time // zero until the summary was done (or skipped)

	CreatedAt time.Time
	UpdatedAt time.Time
}

// NextActionAt is when the scheduler must next look at the cycle: the reminder
// time, then the deadline; zero when both are done. The store indexes it so
// the sweep finds due cycles without scanning the others.
func (c *ReportCycle) NextActionAt() time.Time {
	if !c.RemindAt.IsZero() && c.RemindedAt.IsZero() && c.RemindAt.Before(c.Deadline) {
		return c.RemindAt
	}
	if c.SummarizedAt.IsZero() {
		return c.Deadline
	}
	return time.Time{}
}

// Label names the cycle in chat ("第48周", "12月4日", "12月").
func (c *ReportCycle) Label(now time.Time, loc *time.Location) string {
	return CycleLabel(c.LabelKind, c.Nominal, now, loc)
}

// Submission is one version of a unit's report (作业) for a cycle. Handing in
// again adds a version; the latest is the report, the earlier ones are its
// history, and the first one's time decides on time or late (迟交).
type Submission struct {
	ID          int64
	GroupID     int64
	CycleID     int64
	Unit        string
	Version     int // 1, 2, … within (cycle, unit); set by the store
	MemberID    int64
	MemberName  string
	Content     string
	ImageID     int64 // 0: no picture
	SubmittedAt time.Time
}

// UnitReport is where one unit stands in a cycle.
type UnitReport struct {
	Unit     string
	First    *Submission // nil: not handed in
	Latest   *Submission
	Versions int
}

// Late reports whether the unit first handed in after the deadline (迟交).
func (u UnitReport) Late(deadline time.Time) bool {
	return u.First != nil && u.First.SubmittedAt.After(deadline)
}

// CycleStatus is a cycle's state: who handed in, in order of arrival, and who
// has not. Only units expected in the cycle (on the roster at its deadline)
// count.
type CycleStatus struct {
	Cycle     *ReportCycle
	Submitted []UnitReport // in order of first arrival
	Missing   []string     // in roster order
}

// Expected is the count of units that must hand in.
func (s CycleStatus) Expected() int { return len(s.Submitted) + len(s.Missing) }

// OnTime counts the units that handed in by the deadline.
func (s CycleStatus) OnTime() int {
	n := 0
	for _, u := range s.Submitted {
		if !u.Late(s.Cycle.Deadline) {
			n++
		}
	}
	return n
}

// Unit returns the unit's report, ok false when the unit is not expected.
func (s CycleStatus) Unit(unit string) (UnitReport, bool) {
	for _, u := range s.Submitted {
		if u.Unit == unit {
			return u, true
		}
	}
	if slices.Contains(s.Missing, unit) {
		return UnitReport{Unit: unit}, true
	}
	return UnitReport{}, false
}

// NewCycleStatus sorts a cycle's submissions (every version, any order) into
// the status of the expected units (in roster order).
func NewCycleStatus(c *ReportCycle, expected []string, subs []*Submission) CycleStatus {
	byUnit := map[string]*UnitReport{}
	for _, s := range subs {
		u := byUnit[s.Unit]
		if u == nil {
			u = &UnitReport{Unit: s.Unit}
			byUnit[s.Unit] = u
		}
		u.Versions++
		if u.First == nil || s.Version < u.First.Version {
			u.First = s
		}
		if u.Latest == nil || s.Version > u.Latest.Version {
			u.Latest = s
		}
	}
	st := CycleStatus{Cycle: c}
	for _, unit := range expected {
		if u := byUnit[unit]; u != nil {
			st.Submitted = append(st.Submitted, *u)
		} else {
			st.Missing = append(st.Missing, unit)
		}
	}
	slices.SortStableFunc(st.Submitted, func(a, b UnitReport) int {
		return a.First.SubmittedAt.Compare(b.First.SubmittedAt)
	})
	return st
}

// LateWindowOpen reports whether a report for a cycle whose deadline passed may
// still be handed in at t, as late. next is the deadline of the cycle after it.
// A window of 0 means "until the next deadline"; a positive window is counted
// from the cycle's own deadline and may span several cycles.
func LateWindowOpen(deadline, next, t time.Time, window time.Duration) bool {
	if !t.After(deadline) {
		return false
	}
	if window <= 0 {
		return !t.After(next)
	}
	return t.Sub(deadline) <= window
}

// UnitRecord counts one unit's cycles for /作业 统计.
type UnitRecord struct {
	Unit                  string
	OnTime, Late, Missing int
}

// RankRecords orders records worst first: most missing, then most late, then
// fewest on time, then by name, so the public ranking (点名) is stable.
func RankRecords(rs []UnitRecord) {
	slices.SortStableFunc(rs, func(a, b UnitRecord) int {
		switch {
		case a.Missing != b.Missing:
			return b.Missing - a.Missing
		case a.Late != b.Late:
			return b.Late - a.Late
		case a.OnTime != b.OnTime:
			return a.OnTime - b.OnTime
		}
		if a.Unit < b.Unit {
			return -1
		} else if a.Unit > b.Unit {
			return 1
		}
		return 0
	})
}

// ReportTx is the part of a transaction that keeps 交作业: schedules, rosters,
// cycles and every version of every submission.
type ReportTx interface {
	// SetReportSchedule creates or replaces the group's schedule.
	SetReportSchedule(s *ReportSchedule) error
	// ReportSchedule returns the group's schedule, ENOTFOUND if none was set.
	ReportSchedule(groupID int64) (*ReportSchedule, error)

	// AddRosterUnit puts a unit on the roster; added is false if it was there.
	AddRosterUnit(groupID int64, unit string) (added bool, err error)
	// RemoveRosterUnit ends a unit's roster entry; removed is false if it was not on it.
	RemoveRosterUnit(groupID int64, unit string) (removed bool, err error)
	// Roster returns the entries on the roster at t, in the order they were added.
	Roster(groupID int64, at time.Time) ([]*RosterUnit, error)

	// CreateReportCycle stores a cycle and sets c.ID; ECONFLICT if the group
	// already has a cycle with that deadline.
	CreateReportCycle(c *ReportCycle) error
	// UpdateReportCycle saves the deadline, label, reminder and summary fields.
	UpdateReportCycle(c *ReportCycle) error
	ReportCycleByID(id int64) (*ReportCycle, error)
	// ReportCycles returns up to n of the group's cycles with deadlines at or
	// before t, newest first.
	ReportCycles(groupID int64, before time.Time, n int) ([]*ReportCycle, error)
	// LatestReportCycle is the group's cycle with the latest deadline, ENOTFOUND if none.
	LatestReportCycle(groupID int64) (*ReportCycle, error)
	// DueReportCycles returns up to n cycles of any group whose next action is
	// due at now, earliest first, through an index.
	DueReportCycles(now time.Time, n int) ([]*ReportCycle, error)

	// AddSubmission stores a new version of the unit's report for the cycle,
	// setting s.ID and s.Version.
	AddSubmission(s *Submission) error
	// SetSubmissionImage attaches a stored picture to a version.
	SetSubmissionImage(id, imageID int64) error
	SubmissionByID(id int64) (*Submission, error)
	// Submissions returns every version handed in for a cycle, oldest first.
	Submissions(cycleID int64) ([]*Submission, error)
	// LatestSubmission is the unit's most recent version in the group, ENOTFOUND if none.
	LatestSubmission(groupID int64, unit string) (*Submission, error)
}

// ChooseSubmissionCycle decides which cycle a report handed in at t belongs
// to. open is the current cycle (deadline at or after t); closed are earlier
// cycles, newest first. The report goes to the earliest closed cycle whose late
// window is still open (see LateWindowOpen) and for which pending is true (the
// unit was expected and has not handed in); otherwise to the open cycle. So a
// unit that missed Friday's deadline and hands in on Saturday is recorded as
// late for that Friday, while a unit that was on time hands in for next week.
func ChooseSubmissionCycle(open *ReportCycle, closed []*ReportCycle, t time.Time, window time.Duration, pending func(*ReportCycle) bool) *ReportCycle {
	var pick *ReportCycle
	next := open.Deadline
	for _, c := range closed {
		if !LateWindowOpen(c.Deadline, next, t, window) {
			break // older cycles closed even earlier
		}
		if pending(c) {
			pick = c
		}
		next = c.Deadline
	}
	if pick == nil {
		return open
	}
	return pick
}

// maxCatchUp bounds how many missed cycles EnsureReportCycles fills in after a
// long outage before it jumps straight to the current one.
const maxCatchUp = 400

// EnsureReportCycles makes the group's cycles exist up to the current one (the
// first deadline at or after now) and returns it. Cycles are created one after
// another from the latest, so none is skipped while the service was down; an
// open cycle whose deadline no longer matches the schedule (after /作业 设置)
// is moved, keeping what was handed in for it.
func EnsureReportCycles(tx ReportTx, s *ReportSchedule, cal ReportCalendar, now time.Time) (*ReportCycle, error) {
	want, ok := cal.NextDeadline(s.Rule, now)
	if !ok {
		return nil, Errorf(EINVALID, "作业周期「%s」算不出截止时间。", s.Rule)
	}
	latest, err := tx.LatestReportCycle(s.GroupID)
	if ErrorCode(err) == ENOTFOUND {
		c := newCycle(s, want)
		return c, tx.CreateReportCycle(c)
	} else if err != nil {
		return nil, err
	}
	if !latest.Deadline.Before(now) {
		return latest, retarget(tx, latest, s, want, now)
	}
	for range maxCatchUp {
		d, _ := cal.NextDeadline(s.Rule, latest.Deadline.Add(time.Millisecond))
		latest = newCycle(s, d)
		if err := tx.CreateReportCycle(latest); err != nil {
			return nil, err
		}
		if !latest.Deadline.Before(now) {
			return latest, nil
		}
	}
	latest = newCycle(s, want)
	return latest, tx.CreateReportCycle(latest)
}

// newCycle is the cycle of schedule s ending at d.
func newCycle(s *ReportSchedule, d Deadline) *ReportCycle {
	c := &ReportCycle{GroupID: s.GroupID, Deadline: d.At, Nominal: d.Nominal, LabelKind: s.Rule.LabelKind()}
	if s.RemindBefore > 0 {
		c.RemindAt = d.At.Add(-s.RemindBefore)
	}
	return c
}

// retarget moves the open cycle c to the schedule's deadline want when they
// differ. A moved deadline gets its reminder again.
func retarget(tx ReportTx, c *ReportCycle, s *ReportSchedule, want Deadline, now time.Time) error {
	n := newCycle(s, want)
	if c.Deadline.Equal(n.Deadline) && c.Nominal.Equal(n.Nominal) && c.LabelKind == n.LabelKind && c.RemindAt.Equal(n.RemindAt) {
		return nil
	}
	if !c.Deadline.Equal(n.Deadline) || n.RemindAt.After(now) {
		c.RemindedAt = time.Time{}
	}
	c.Deadline, c.Nominal, c.LabelKind, c.RemindAt = n.Deadline, n.Nominal, n.LabelKind, n.RemindAt
	return tx.UpdateReportCycle(c)
}

// LoadCycleStatus reads a cycle's status: the roster at its deadline and every
// version handed in. Commands and the scheduler judge a cycle the same way.
func LoadCycleStatus(tx ReportTx, c *ReportCycle) (CycleStatus, error) {
	roster, err := tx.Roster(c.GroupID, c.Deadline)
	if err != nil {
		return CycleStatus{}, err
	}
	subs, err := tx.Submissions(c.ID)
	if err != nil {
		return CycleStatus{}, err
	}
	units := make([]string, len(roster))
	for i, u := range roster {
		units[i] = u.Unit
	}
	return NewCycleStatus(c, units, subs), nil
}
