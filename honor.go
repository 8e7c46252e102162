package qunzhu

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Praise (点赞) is an owner's public word for a unit, or for the unit of a
// task: it is posted at once and counts in the week's 红榜.
type Praise struct {
	ID         int64
	GroupID    int64
	Unit       string
	TaskID     int64 // the task praised, 0 when a unit was named
	MemberID   int64 // the owner who praised
	MemberName string
	Text       string
	At         time.Time
}

// HonorTx keeps praises.
type HonorTx interface {
	// AddPraise stores p and sets its ID and At.
	AddPraise(p *Praise) error
	// Praises lists a group's praises in [since, until), oldest first.
	Praises(groupID int64, since, until time.Time) ([]*Praise, error)
}

// HonorEntry is one unit on the 红黑榜 with the facts behind its place.
// Every figure is about lateness, never about how many tasks a unit got: a
// unit with twenty tasks all on time is on the 红榜, one with a single task
// ten days overdue heads the 黑榜.
type HonorEntry struct {
	Unit string
	// MaxOverdueDays is the longest a task of the unit is open past its
	// deadline, in whole days; OverdueTasks how many are.
	MaxOverdueDays int
	OverdueTasks   int
	// MaxStalledDays is the longest an open task went without progress
	// beyond the stall limit (0 when none did); StalledTasks how many.
	MaxStalledDays int
	StalledTasks   int
	// ClosedLate counts tasks of the unit finished late in the week.
	ClosedLate int
	// Missing and Late count the week's report cycles the unit did not hand
	// in, or handed in late.
	Missing, Late int
	// ClosedOnTime counts tasks finished by their deadline in the week, and
	// OnTimeReports the reports handed in on time: what the 红榜 praises.
	ClosedOnTime, OnTimeReports int
	Praises                     []*Praise
}

// black reports whether anything in the entry is late or stalled.
func (e HonorEntry) black() bool {
	return e.OverdueTasks > 0 || e.StalledTasks > 0 || e.Missing > 0 || e.Late > 0 || e.ClosedLate > 0
}

// HonorBoard is one group's 红黑榜 for a week.
type HonorBoard struct {
	Since, Until time.Time
	Red          []HonorEntry // praised or spotless units with something done, best first
	Black        []HonorEntry // late or stalled units, worst first
}

// HonorInput is what a board is made from: the group's tasks (open ones and
// those closed in the week), the week's report matrix and praises.
type HonorInput struct {
	Tasks    []*Task
	Reports  *ReportMatrix // nil when the group has no report cycles
	Praises  []*Praise
	Since    time.Time // the week's start
	Now      time.Time
	StallFor time.Duration // an open task without progress this long is 停滞
}

// BuildHonorBoard ranks the units. 黑榜 order: longest overdue, longest
// stalled, most missing reports, most late, then name. 红榜: units with
// nothing late or stalled that closed a task or handed in a report in the
// week, or were praised; most praised first, then most done on time.
func BuildHonorBoard(in HonorInput) HonorBoard {
	byUnit := map[string]*HonorEntry{}
	get := func(u string) *HonorEntry {
		e := byUnit[u]
		if e == nil {
			e = &HonorEntry{Unit: u}
			byUnit[u] = e
		}
		return e
	}
	for _, t := range in.Tasks {
		if t.Unit == "" {
			continue
		}
		e := get(t.Unit)
		switch {
		case t.Overdue(in.Now):
			e.OverdueTasks++
			e.MaxOverdueDays = max(e.MaxOverdueDays, max(t.DaysOverdue(in.Now), 1))
		case t.Status == TaskClosed && !t.ClosedAt.Before(in.Since):
			if t.Finished().After(t.Deadline) {
				e.ClosedLate++
			} else {
				e.ClosedOnTime++
			}
		}
		if t.Status == TaskOpen && in.StallFor > 0 {
			if idle := in.Now.Sub(t.LastActivity()); idle >= in.StallFor {
				e.StalledTasks++
				e.MaxStalledDays = max(e.MaxStalledDays, int(idle/(24*time.Hour)))
			}
		}
	}
	if m := in.Reports; m != nil {
		for ci, c := range m.Cycles {
			if c.Deadline.Before(in.Since) || c.Deadline.After(in.Now) {
				continue
			}
			for ui, unit := range m.Units {
				switch m.Cells[ui][ci].State {
				case CellMissing:
					get(unit).Missing++
				case CellLate:
					get(unit).Late++
				case CellOnTime:
					get(unit).OnTimeReports++
				}
			}
		}
	}
	for _, p := range in.Praises {
		e := get(p.Unit)
		e.Praises = append(e.Praises, p)
	}
	b := HonorBoard{Since: in.Since, Until: in.Now}
	for _, e := range byUnit {
		switch {
		case e.black():
			b.Black = append(b.Black, *e)
		case len(e.Praises) > 0 || e.ClosedOnTime > 0 || e.OnTimeReports > 0:
			b.Red = append(b.Red, *e)
		}
	}
	slices.SortFunc(b.Black, func(x, y HonorEntry) int {
		return cmp.Or(cmp.Compare(y.MaxOverdueDays, x.MaxOverdueDays), cmp.Compare(y.MaxStalledDays, x.MaxStalledDays),
			cmp.Compare(y.Missing, x.Missing), cmp.Compare(y.Late+y.ClosedLate, x.Late+x.ClosedLate), strings.Compare(x.Unit, y.Unit))
	})
	slices.SortFunc(b.Red, func(x, y HonorEntry) int {
		return cmp.Or(cmp.Compare(len(y.Praises), len(x.Praises)),
			cmp.Compare(y.ClosedOnTime+y.OnTimeReports, x.ClosedOnTime+x.OnTimeReports), strings.Compare(x.Unit, y.Unit))
	})
	return b
}

// Text is the board as posted in the group: one message, both lists.
func (b HonorBoard) Text(loc *time.Location, limit int) string {
	var s strings.Builder
	since, until := b.Since.In(loc), b.Until.In(loc)
	fmt.Fprintf(&s, "【红黑榜】%d月%d日—%d月%d日", since.Month(), since.Day(), until.Month(), until.Day())
	writeHonorList(&s, "\n🔴 红榜", "（本周暂无）", b.Red, limit, func(e HonorEntry) []string {
		var why []string
		if e.ClosedOnTime > 0 {
			why = append(why, fmt.Sprintf("按期办结%d项", e.ClosedOnTime))
		}
		if e.OnTimeReports > 0 {
			why = append(why, "作业按时交齐")
		}
		if n := len(e.Praises); n > 0 {
			why = append(why, fmt.Sprintf("获点赞%d次（%s：%s）", n, e.Praises[n-1].MemberName, e.Praises[n-1].Text))
		}
		return why
	})
	writeHonorList(&s, "\n⚫ 黑榜", "（本周无逾期、无停滞、无缺交）", b.Black, limit, func(e HonorEntry) []string {
		var why []string
		for _, x := range []struct {
			n      int
			format string
			args   []any
		}{
			{e.OverdueTasks, "最长逾期%d天（逾期%d项）", []any{e.MaxOverdueDays, e.OverdueTasks}},
			{e.StalledTasks, "最长%d天无进展（停滞%d项）", []any{e.MaxStalledDays, e.StalledTasks}},
			{e.Missing, "作业未交%d次", []any{e.Missing}},
			{e.Late, "作业迟交%d次", []any{e.Late}},
			{e.ClosedLate, "超期办结%d项", []any{e.ClosedLate}},
		} {
			if x.n > 0 {
				why = append(why, fmt.Sprintf(x.format, x.args...))
			}
		}
		return why
	})
	return s.String()
}

// writeHonorList writes one list: a heading, then up to limit numbered units
// with their reasons, or none when the list is empty.
func writeHonorList(s *strings.Builder, heading, none string, es []HonorEntry, limit int, reasons func(HonorEntry) []string) {
	s.WriteString(heading)
	if len(es) == 0 {
		s.WriteString("\n" + none)
	}
	for i, e := range es {
		if i == limit {
			fmt.Fprintf(s, "\n……另有%d个单位", len(es)-limit)
			break
		}
		fmt.Fprintf(s, "\n%d. %s：%s", i+1, e.Unit, strings.Join(reasons(e), "，"))
	}
}

// LoadHonorBoard reads what a group's board needs from tx and builds it.
// The week is the seven days before now.
func LoadHonorBoard(tx Tx, groupID int64, now time.Time, stallFor time.Duration, loc *time.Location) (HonorBoard, error) {
	since := now.AddDate(0, 0, -7)
	open, err := tx.LedgerTasks(LedgerFilter{GroupIDs: []int64{groupID}, Status: TaskOpen})
	if err != nil {
		return HonorBoard{}, err
	}
	done, err := tx.LedgerTasks(LedgerFilter{GroupIDs: []int64{groupID}, Status: TaskDone})
	if err != nil {
		return HonorBoard{}, err
	}
	closed, err := tx.LedgerTasks(LedgerFilter{GroupIDs: []int64{groupID}, Status: TaskClosed, CreatedSince: since.AddDate(-1, 0, 0)})
	if err != nil {
		return HonorBoard{}, err
	}
	matrix, err := LoadReportMatrix(tx, groupID, 8, now, loc)
	if err != nil {
		return HonorBoard{}, err
	}
	praises, err := tx.Praises(groupID, since, now.Add(time.Nanosecond))
	if err != nil {
		return HonorBoard{}, err
	}
	return BuildHonorBoard(HonorInput{Tasks: slices.Concat(open, done, closed), Reports: matrix, Praises: praises,
		Since: since, Now: now, StallFor: stallFor}), nil
}
