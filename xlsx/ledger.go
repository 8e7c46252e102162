package xlsx

import (
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunzhu/qunzhu"
)

// LedgerHeaders are the columns of 督办台账.xlsx, in order.
var LedgerHeaders = []any{"编号", "群", "事项", "责任单位", "责任人", "督办人", "来源",
	"交办时间", "期限", "状态", "逾期天数", "最近进展", "报办结时间", "销号时间", "办理过程"}

// TaskLedger writes 督办台账: one row per task, its whole history in the last
// column, one event a line.
func (e Exporter) TaskLedger(w io.Writer, rows []qunzhu.LedgerRow, now time.Time) error {
	f := excelize.NewFile()
	s, err := newSheet(f, "督办台账", true, LedgerHeaders)
	if err != nil {
		f.Close()
		return err
	}
	for _, r := range rows {
		t := r.Task
		var history []string
		lastProgress := ""
		for _, ev := range r.Events {
			line := e.when(ev.At) + " " + ev.ActorName + " " + ev.Kind.Chinese()
			if ev.Text != "" {
				line += "：" + ev.Text
			}
			if ev.ImageID != 0 {
				line += "（附照片）"
			}
			history = append(history, line)
			if ev.Kind == qunzhu.TaskProgress {
				lastProgress = ev.Text
			}
		}
		source := "群内"
		if t.Source != "" {
			source = t.Source
			if t.ExternalID != "" {
				source += " " + t.ExternalID
			}
		}
		err := s.add([]any{t.ID, r.Group, t.Title, t.Unit, strings.Join(r.Assignees, "、"), t.AssignerName, source,
			e.when(t.CreatedAt), e.when(t.Deadline), t.Status.Chinese(), t.DaysOverdue(now), lastProgress,
			e.when(t.DoneAt), e.when(t.ClosedAt), strings.Join(history, "\n")})
		if err != nil {
			f.Close()
			return err
		}
	}
	if err := s.finish(3, 12, 15); err != nil {
		f.Close()
		return err
	}
	return write(f, w)
}
