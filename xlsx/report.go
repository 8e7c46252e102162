package xlsx

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/qunzhu/qunzhu"
)

// ReportSummary writes 作业汇总: one sheet per group, units down and cycles
// across (按时 / 迟交 with the time / 未交), then each unit's totals.
func (e Exporter) ReportSummary(w io.Writer, ms []*qunzhu.ReportMatrix) error {
	f := excelize.NewFile()
	if len(ms) == 0 {
		ms = []*qunzhu.ReportMatrix{{Group: "作业汇总"}}
	}
	used := map[string]int{}
	for i, m := range ms {
		headers := []any{"单位"}
		for _, l := range m.Labels {
			headers = append(headers, l)
		}
		headers = append(headers, "按时", "迟交", "未交")
		s, err := newSheet(f, sheetName(m.Group, used), i == 0, headers)
		if err != nil {
			f.Close()
			return err
		}
		for ui, unit := range m.Units {
			row := []any{unit}
			var onTime, late, missing int
			for _, c := range m.Cells[ui] {
				v := string(c.State)
				switch c.State {
				case qunzhu.CellOnTime:
					onTime++
				case qunzhu.CellLate:
					late++
					v += " " + e.when(c.Report.First.SubmittedAt)
				case qunzhu.CellMissing:
					missing++
				case qunzhu.CellNotOwed:
					v = "—"
				}
				row = append(row, v)
			}
			if err := s.add(append(row, onTime, late, missing)); err != nil {
				f.Close()
				return err
			}
		}
		if err := s.finish(); err != nil {
			f.Close()
			return err
		}
	}
	return write(f, w)
}

// sheetName makes a valid, unique sheet name from a group name: Excel allows
// 31 characters and none of []:*?/\.
func sheetName(group string, used map[string]int) string {
	r := []rune{}
	for _, c := range group {
		switch c {
		case '[', ']', ':', '*', '?', '/', '\\':
			c = '_'
		}
		r = append(r, c)
	}
	if len(r) > 28 {
		r = r[:28]
	}
	name := string(r)
	if name == "" {
		name = "群"
	}
	used[name]++
	if n := used[name]; n > 1 {
		name = fmt.Sprintf("%s(%d)", name, n)
	}
	return name
}
