package qunzhu

import (
	"io"
	"slices"
	"time"
)

// LedgerRow is one task of the 督办台账 with what a table shows beside it:
// the dashboard page and 督办台账.xlsx are made from the same rows.
type LedgerRow struct {
	Group     string
	Task      *Task
	Assignees []string     // the assignees' registered names
	Events    []*TaskEvent // the whole history, oldest first
}

// LoadLedger reads the ledger rows for f, each with its group name, its
// assignees' names and its history, in a fixed number of queries however
// many tasks there are (names are cached, histories read together).
func LoadLedger(tx Tx, f LedgerFilter) ([]LedgerRow, error) {
	tasks, err := tx.LedgerTasks(f)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	events, err := tx.TaskEventsOf(ids)
	if err != nil {
		return nil, err
	}
	names := ledgerNames{tx: tx, groups: map[int64]string{}, members: map[int64]string{}}
	rows := make([]LedgerRow, 0, len(tasks))
	for _, t := range tasks {
		r, err := names.row(t)
		if err != nil {
			return nil, err
		}
		r.Events = events[t.ID]
		rows = append(rows, r)
	}
	return rows, nil
}

// LedgerRowOf reads one task's ledger row (the dashboard's task page).
func LedgerRowOf(tx Tx, t *Task) (LedgerRow, error) {
	names := ledgerNames{tx: tx, groups: map[int64]string{}, members: map[int64]string{}}
	r, err := names.row(t)
	if err == nil {
		r.Events, err = tx.TaskEvents(t.ID)
	}
	return r, err
}

// ledgerNames looks up group and member names once each.
type ledgerNames struct {
	tx      Tx
	groups  map[int64]string
	members map[int64]string
}

// row fills a row's names (not its history).
func (n ledgerNames) row(t *Task) (LedgerRow, error) {
	name, ok := n.groups[t.GroupID]
	if !ok {
		g, err := n.tx.GroupByID(t.GroupID)
		if err != nil {
			return LedgerRow{}, err
		}
		name, n.groups[t.GroupID] = g.Name, g.Name
	}
	r := LedgerRow{Group: name, Task: t}
	for _, id := range t.AssigneeIDs {
		m, ok := n.members[id]
		if !ok {
			mem, err := n.tx.MemberByID(id)
			if err != nil {
				return LedgerRow{}, err
			}
			m, n.members[id] = mem.Name, mem.Name
		}
		r.Assignees = append(r.Assignees, m)
	}
	return r, nil
}

// CellState is a unit's standing in one report cycle of the 作业 matrix.
type CellState string

// Cell states. A unit not on the roster at a cycle's deadline owed nothing.
const (
	CellOnTime   CellState = "按时"
	CellLate     CellState = "迟交"
	CellMissing  CellState = "未交"
	CellNotOwed  CellState = ""
	CellUpcoming CellState = "未到期" // the cycle's deadline has not come
)

// ReportCell is one unit in one cycle.
type ReportCell struct {
	State  CellState
	Report UnitReport // First/Latest nil when nothing was handed in
}

// ReportMatrix is one group's 作业 table: units down, cycles across (oldest
// first), the same on the dashboard and in 作业汇总.xlsx.
type ReportMatrix struct {
	GroupID int64
	Group   string
	Cycles  []*ReportCycle
	Labels  []string // each cycle's label, as the chat writes it
	Units   []string // in order of first appearance on the rosters
	Cells   [][]ReportCell
}

// LoadReportMatrix reads a group's last n cycles whose deadline came by now
// and, when there is one, the cycle under way, so the table also shows who
// has handed in already.
func LoadReportMatrix(tx Tx, groupID int64, n int, now time.Time, loc *time.Location) (*ReportMatrix, error) {
	g, err := tx.GroupByID(groupID)
	if err != nil {
		return nil, err
	}
	cycles, err := tx.ReportCycles(groupID, now, n)
	if err != nil {
		return nil, err
	}
	slices.Reverse(cycles)
	if latest, err := tx.LatestReportCycle(groupID); err == nil && latest.Deadline.After(now) {
		cycles = append(cycles, latest)
	} else if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	m := &ReportMatrix{GroupID: groupID, Group: g.Name, Cycles: cycles}
	statuses := make([]CycleStatus, len(cycles))
	index := map[string]int{}
	for i, c := range cycles {
		if statuses[i], err = LoadCycleStatus(tx, c); err != nil {
			return nil, err
		}
		m.Labels = append(m.Labels, c.Label(now, loc))
		for _, u := range append(unitsOf(statuses[i].Submitted), statuses[i].Missing...) {
			if _, ok := index[u]; !ok {
				index[u] = len(m.Units)
				m.Units = append(m.Units, u)
			}
		}
	}
	m.Cells = make([][]ReportCell, len(m.Units))
	for ui, unit := range m.Units {
		m.Cells[ui] = make([]ReportCell, len(cycles))
		for ci, st := range statuses {
			r, owed := st.Unit(unit)
			cell := ReportCell{Report: r}
			switch {
			case !owed:
				cell.State = CellNotOwed
			case r.First != nil && r.Late(st.Cycle.Deadline):
				cell.State = CellLate
			case r.First != nil:
				cell.State = CellOnTime
			case st.Cycle.Deadline.After(now):
				cell.State = CellUpcoming
			default:
				cell.State = CellMissing
			}
			m.Cells[ui][ci] = cell
		}
	}
	return m, nil
}

func unitsOf(rs []UnitReport) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Unit
	}
	return out
}

// Exporter writes the ledgers as files people open in Excel. The xlsx
// package implements it; the dashboard and the /导出 command only see this.
type Exporter interface {
	// TaskLedger writes 督办台账 with one row per task; now decides 逾期天数.
	TaskLedger(w io.Writer, rows []LedgerRow, now time.Time) error
	// ReportSummary writes 作业汇总 with one sheet per group.
	ReportSummary(w io.Writer, ms []*ReportMatrix) error
}

// ExportRequest is one ledger file asked for by /导出 or the dashboard: which
// ledger, of which group, over which period.
type ExportRequest struct {
	Kind    ExportKind
	GroupID int64
	// Since and Until bound when tasks were assigned (ExportTasks); zero for open.
	Since, Until time.Time
	// Cycles is how many past report cycles (ExportReports).
	Cycles int
	// Label names the period in the file name and the reply ("本月", "最近8期").
	Label string
}

// ExportKind is which ledger.
type ExportKind string

// The two ledgers.
const (
	ExportTasks   ExportKind = "tasks"   // 督办台账.xlsx
	ExportReports ExportKind = "reports" // 作业汇总.xlsx
)

// FileName is the file's name as people see it when they download it.
func (r ExportRequest) FileName() string {
	name := "督办台账"
	if r.Kind == ExportReports {
		name = "作业汇总"
	}
	if r.Label != "" {
		name += "-" + r.Label
	}
	return name + ".xlsx"
}
