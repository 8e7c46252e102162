package xlsx_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/xlsx"
)

var beijing = time.FixedZone("CST", 8*3600)

func open(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func cell(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatalf("cell %s!%s: %v", sheet, ref, err)
	}
	return v
}

func TestTaskLedger(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC) // 18:00 in Beijing
	created := now.Add(-5 * 24 * time.Hour)
	rows := []qunzhu.LedgerRow{{
		Group: "区委干部工作群",
		Task: &qunzhu.Task{ID: 23, Title: "修复人民路路灯", Unit: "市城管委", AssignerName: "张书记",
			Status: qunzhu.TaskOpen, CreatedAt: created, Deadline: created.Add(3 * 24 * time.Hour)},
		Assignees: []string{"李局长", "王科长"},
		Events: []*qunzhu.TaskEvent{
			{Kind: qunzhu.TaskCreated, ActorName: "张书记", Text: "修复人民路路灯", At: created},
			{Kind: qunzhu.TaskProgress, ActorName: "李局长", Text: "已联系施工队", At: created.Add(time.Hour)},
			{Kind: qunzhu.TaskEvidence, ActorName: "李局长", ImageID: 4, At: created.Add(2 * time.Hour)},
		},
	}, {
		Group: "区委干部工作群",
		Task: &qunzhu.Task{ID: 24, Title: "12345 工单", Unit: "市水务局", Source: "12345", ExternalID: "GD-1",
			Status: qunzhu.TaskClosed, CreatedAt: created, Deadline: now.Add(time.Hour), ClosedAt: now},
	}}
	var buf bytes.Buffer
	if err := (xlsx.Exporter{Location: beijing}).TaskLedger(&buf, rows, now); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "督办台账" {
		t.Fatalf("sheets = %v, want [督办台账]", got)
	}
	for ref, want := range map[string]string{
		"A1": "编号", "C1": "事项", "K1": "逾期天数", "O1": "办理过程",
		"A2": "23", "B2": "区委干部工作群", "C2": "修复人民路路灯", "D2": "市城管委", "E2": "李局长、王科长",
		"G2": "群内", "H2": "2026-12-01 18:00", "I2": "2026-12-04 18:00", "J2": "办理中", "K2": "2", "L2": "已联系施工队",
		"A3": "24", "G3": "12345 GD-1", "J3": "已销号", "K3": "0", "N3": "2026-12-06 18:00",
	} {
		if got := cell(t, f, "督办台账", ref); got != want {
			t.Errorf("%s = %q, want %q", ref, got, want)
		}
	}
	history := cell(t, f, "督办台账", "O2")
	for _, want := range []string{"2026-12-01 18:00 张书记 派发：修复人民路路灯", "李局长 进展：已联系施工队", "办结照片（附照片）"} {
		if !strings.Contains(history, want) {
			t.Errorf("history %q lacks %q", history, want)
		}
	}
	panes, err := f.GetPanes("督办台账")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the header row frozen", panes)
	}
	// 事项 holds 7 CJK characters: wider than 编号, which holds 2 and digits.
	wTitle, _ := f.GetColWidth("督办台账", "C")
	wID, _ := f.GetColWidth("督办台账", "A")
	if wTitle < 14 || wID >= wTitle {
		t.Errorf("widths: 事项 %.1f, 编号 %.1f; want 事项 ≥ 14 and wider", wTitle, wID)
	}
}

func TestReportSummary(t *testing.T) {
	dl := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	late := &qunzhu.Submission{Unit: "绵阳市", SubmittedAt: dl.Add(26 * time.Hour)}
	m := &qunzhu.ReportMatrix{
		Group:  "副市长作业群",
		Labels: []string{"第48周", "第49周"},
		Units:  []string{"成都市", "绵阳市"},
		Cells: [][]qunzhu.ReportCell{
			{{State: qunzhu.CellOnTime}, {State: qunzhu.CellMissing}},
			{{State: qunzhu.CellLate, Report: qunzhu.UnitReport{First: late}}, {State: qunzhu.CellNotOwed}},
		},
	}
	var buf bytes.Buffer
	if err := (xlsx.Exporter{Location: beijing}).ReportSummary(&buf, []*qunzhu.ReportMatrix{m, {Group: "副市长作业群"}}); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	if got := f.GetSheetList(); len(got) != 2 || got[0] != "副市长作业群" || got[1] != "副市长作业群(2)" {
		t.Fatalf("sheets = %v, want two unique names", got)
	}
	for ref, want := range map[string]string{
		"A1": "单位", "B1": "第48周", "C1": "第49周", "D1": "按时", "E1": "迟交", "F1": "未交",
		"A2": "成都市", "B2": "按时", "C2": "未交", "D2": "1", "E2": "0", "F2": "1",
		"A3": "绵阳市", "B3": "迟交 2026-11-28 20:00", "C3": "—", "D3": "0", "E3": "1", "F3": "0",
	} {
		if got := cell(t, f, "副市长作业群", ref); got != want {
			t.Errorf("%s = %q, want %q", ref, got, want)
		}
	}
}
