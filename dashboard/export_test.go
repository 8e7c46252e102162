package dashboard_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunzhu/qunzhu"
)

// download fetches an xlsx and opens it with excelize.
func (b *browser) download(path string) (*excelize.File, *http.Response) {
	b.w.t.Helper()
	resp, err := b.c.Get(b.w.srv.URL + path)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.w.t.Fatalf("GET %s: %d %.300s", path, resp.StatusCode, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		b.w.t.Fatalf("GET %s is not a workbook: %v", path, err)
	}
	b.w.t.Cleanup(func() { f.Close() })
	return f, resp
}

// column returns the values of a column below the header.
func column(t *testing.T, f *excelize.File, sheet string, col int) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows[1:] {
		if col < len(r) {
			out = append(out, r[col])
		} else {
			out = append(out, "")
		}
	}
	return out
}

func TestExportTasks(t *testing.T) {
	w := newWorld(t)
	f, resp := w.admin().download("/ui/export/tasks.xlsx?overdue=1")
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
		t.Errorf("type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape("督办台账.xlsx")) {
		t.Errorf("disposition %q lacks the Chinese file name", cd)
	}
	titles := column(t, f, "督办台账", 2)
	if got, want := strings.Join(titles, "|"), "绵阳整改清单复核|12345 工单 GD-7 噪音扰民|修复人民路路灯"; got != want {
		t.Errorf("overdue titles = %s, want %s", got, want)
	}
	rows, _ := f.GetRows("督办台账")
	lamp := rows[3]
	for i, want := range map[int]string{0: fmt.Sprint(w.lamp.ID), 1: "区委干部工作群", 3: "市城管委", 4: "李局长", 7: "2026-11-23 09:00",
		8: "2026-11-26 09:00", 9: "办理中", 10: "10", 11: "已联系施工队，明天进场"} {
		if lamp[i] != want {
			t.Errorf("lamp column %d = %q, want %q", i, lamp[i], want)
		}
	}
	if !strings.Contains(lamp[14], "李局长 办结照片（附照片）") {
		t.Errorf("history %q lacks the photo line", lamp[14])
	}

	// An owner's export holds only their groups, whatever the filter says.
	f, _ = w.owner("张书记").download("/ui/export/tasks.xlsx")
	for _, g := range column(t, f, "督办台账", 1) {
		if g != "区委干部工作群" {
			t.Errorf("张书记's export holds a task of %s", g)
		}
	}
	if n := len(column(t, f, "督办台账", 1)); n != 3 {
		t.Errorf("张书记's export has %d tasks, want 3", n)
	}
}

func TestExportReports(t *testing.T) {
	w := newWorld(t)
	f, _ := w.admin().download("/ui/export/reports.xlsx?group=all&n=8")
	if got := f.GetSheetList(); strings.Join(got, "|") != "区委干部工作群|副市长作业群" {
		t.Fatalf("sheets %v", got)
	}
	rows, _ := f.GetRows("区委干部工作群")
	got := fmt.Sprint(rows)
	for _, want := range []string{"[单位 第48周 第49周 按时 迟交 未交]", "[市城管委 按时 未交 1 0 1]", "[市水务局 未交 迟交 2026-12-05 09:00 0 1 1]"} {
		if !strings.Contains(got, want) {
			t.Errorf("作业汇总 %s lacks %s", got, want)
		}
	}
	f, _ = w.owner("张书记").download("/ui/export/reports.xlsx?group=all")
	if got := f.GetSheetList(); strings.Join(got, "|") != "区委干部工作群" {
		t.Errorf("张书记's 作业汇总 has sheets %v", got)
	}
}

// TestDownloadLink is the link /导出 posts into the group: it works without
// signing in, for that group's file only, for 24 hours.
func TestDownloadLink(t *testing.T) {
	w := newWorld(t)
	link, expires := w.dash.ExportLink(qunzhu.ExportRequest{Kind: qunzhu.ExportTasks, GroupID: w.mayors.ID, Label: "本月"})
	if want := w.wall.Now().Add(24 * time.Hour); !expires.Equal(want) {
		t.Errorf("expires %v, want %v", expires, want)
	}
	path := link[strings.Index(link, "/ui/download"):]
	anon := w.browser()
	f, resp := anon.download(path)
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, url.PathEscape("督办台账-本月.xlsx")) {
		t.Errorf("disposition %q", cd)
	}
	if got := column(t, f, "督办台账", 2); len(got) != 1 || got[0] != "绵阳整改清单复核" {
		t.Errorf("download holds %v, want the mayors' one task", got)
	}
	link, _ = w.dash.ExportLink(qunzhu.ExportRequest{Kind: qunzhu.ExportReports, GroupID: w.cadres.ID, Cycles: 1, Label: "最近1期"})
	f, _ = anon.download(link[strings.Index(link, "/ui/download"):])
	if rows, _ := f.GetRows("区委干部工作群"); fmt.Sprint(rows[0]) != "[单位 第49周 按时 迟交 未交]" {
		t.Errorf("one cycle: header %v", rows[0])
	}
	// The link signs nobody in.
	if _, final, _ := anon.get("/ui/"); final != "/ui/signin" {
		t.Errorf("a download link signed the browser in")
	}
	w.wall.Advance(24 * time.Hour)
	if code, _, body := anon.get(path); code != 403 || !strings.Contains(body, "已经过期") {
		t.Errorf("expired download: %d", code)
	}
}
