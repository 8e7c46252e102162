// Package xlsx writes qunzhu's ledgers as Excel workbooks (督办台账.xlsx,
// 作业汇总.xlsx) for the weekly meeting. It is the only package that imports
// excelize; the dashboard and commands reach it through qunzhu.Exporter.
package xlsx

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/qunzhu/qunzhu"
)

// Exporter implements qunzhu.Exporter. Times are written in Location as text
// ("2026-12-01 18:00"), so a workbook reads the same on every computer
// whatever its time zone.
type Exporter struct {
	Location *time.Location
}

var _ qunzhu.Exporter = Exporter{}

// timeLayout is how every date and time is written.
const timeLayout = "2006-01-02 15:04"

func (e Exporter) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := e.Location
	if loc == nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return t.In(loc).Format(timeLayout)
}

// sheet writes a table: a bold header row kept in view while scrolling, and
// each column as wide as its longest line (CJK characters count double, as
// Excel draws them), between 6 and 60 characters.
type sheet struct {
	f      *excelize.File
	name   string
	widths []float64
	row    int
	bold   int
	wrap   int
}

func newSheet(f *excelize.File, name string, first bool, headers []any) (*sheet, error) {
	if first {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		return nil, err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, err
	}
	s := &sheet{f: f, name: name, widths: make([]float64, len(headers)), bold: bold, wrap: wrap}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := s.add(headers); err != nil {
		return nil, err
	}
	end, _ := excelize.CoordinatesToCellName(len(headers), 1)
	return s, f.SetCellStyle(name, "A1", end, bold)
}

// add writes one row of values (string or int).
func (s *sheet) add(values []any) error {
	s.row++
	for i, v := range values {
		cell, err := excelize.CoordinatesToCellName(i+1, s.row)
		if err != nil {
			return err
		}
		if err := s.f.SetCellValue(s.name, cell, v); err != nil {
			return err
		}
		if i < len(s.widths) {
			s.widths[i] = max(s.widths[i], displayWidth(fmt.Sprint(v)))
		}
	}
	return nil
}

// finish sets the column widths and wraps long text.
func (s *sheet) finish(wrapCols ...int) error {
	for i, w := range s.widths {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := s.f.SetColWidth(s.name, col, col, min(max(w+2, 6), 60)); err != nil {
			return err
		}
	}
	for _, c := range wrapCols {
		col, _ := excelize.ColumnNumberToName(c)
		if s.row > 1 {
			if err := s.f.SetCellStyle(s.name, fmt.Sprintf("%s2", col), fmt.Sprintf("%s%d", col, s.row), s.wrap); err != nil {
				return err
			}
		}
	}
	return nil
}

// displayWidth is the width of the longest line of v in Excel's character
// units: a CJK character is about two Latin ones.
func displayWidth(v string) float64 {
	best := 0.0
	for _, line := range strings.Split(v, "\n") {
		w := 0.0
		for _, r := range line {
			if r < 0x1100 || utf8.RuneLen(r) < 3 {
				w++
			} else {
				w += 2
			}
		}
		best = max(best, w)
	}
	return best
}

// write saves f to w and closes it.
func write(f *excelize.File, w io.Writer) error {
	defer f.Close()
	_, err := f.WriteTo(w)
	return err
}
