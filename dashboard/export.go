package dashboard

import (
	"bytes"
	"net/http"
	"net/url"
	"time"

	"github.com/qunzhu/qunzhu"
)

// handleExportTasks downloads 督办台账.xlsx with the page's filters.
func (d *Dashboard) handleExportTasks(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	var rows []qunzhu.LedgerRow
	var now time.Time
	err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		now = tx.Now()
		_, lf, err := readTaskFilter(r, v, now)
		if err == nil {
			rows, err = qunzhu.LoadLedger(tx, lf)
		}
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.sendTasks(w, r, qunzhu.ExportRequest{Kind: qunzhu.ExportTasks}, rows, now)
}

// handleExportReports downloads 作业汇总.xlsx: the chosen group, or every
// visible group (?group=all), one sheet each.
func (d *Dashboard) handleExportReports(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	n, err := readCycles(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ids := v.IDs()
	if r.URL.Query().Get("group") != "all" {
		id, err := readGroup(r, v)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		ids = []int64{id}
	}
	ms, err := d.loadMatrices(r, ids, n)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.sendReports(w, r, qunzhu.ExportRequest{Kind: qunzhu.ExportReports, Cycles: n}, ms)
}

func (d *Dashboard) loadMatrices(r *http.Request, ids []int64, n int) ([]*qunzhu.ReportMatrix, error) {
	var ms []*qunzhu.ReportMatrix
	err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		for _, id := range ids {
			if id == 0 {
				continue
			}
			m, err := qunzhu.LoadReportMatrix(tx, id, n, tx.Now(), d.cfg.Location)
			if err != nil {
				return err
			}
			ms = append(ms, m)
		}
		return nil
	})
	return ms, err
}

// xlsxType is the media type of an Excel workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (d *Dashboard) sendTasks(w http.ResponseWriter, r *http.Request, req qunzhu.ExportRequest, rows []qunzhu.LedgerRow, now time.Time) {
	var buf bytes.Buffer
	if err := d.cfg.Exporter.TaskLedger(&buf, rows, now); err != nil {
		d.fail(w, r, err)
		return
	}
	sendFile(w, req.FileName(), &buf)
}

func (d *Dashboard) sendReports(w http.ResponseWriter, r *http.Request, req qunzhu.ExportRequest, ms []*qunzhu.ReportMatrix) {
	var buf bytes.Buffer
	if err := d.cfg.Exporter.ReportSummary(&buf, ms); err != nil {
		d.fail(w, r, err)
		return
	}
	sendFile(w, req.FileName(), &buf)
}

// sendFile answers with an attachment whose Chinese name survives every
// browser (RFC 6266 filename*).
func sendFile(w http.ResponseWriter, name string, buf *bytes.Buffer) {
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", `attachment; filename="export.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	_, _ = buf.WriteTo(w)
}

// ExportLink signs a download link for req, valid for ExportTTL from now
// (wall clock): what /导出 posts into the group, since the outbox carries
// text and pictures but not files. The link opens that one file of that one
// group without signing in; it names nothing else.
func (d *Dashboard) ExportLink(req qunzhu.ExportRequest) (link string, expires time.Time) {
	expires = d.cfg.Clock.Now().Add(d.cfg.ExportTTL)
	c := claims{Kind: string(req.Kind), Groups: []int64{req.GroupID}, Cycles: req.Cycles, Label: req.Label, Expires: expires.Unix()}
	if !req.Since.IsZero() {
		c.Since = req.Since.UnixMilli()
	}
	if !req.Until.IsZero() {
		c.Until = req.Until.UnixMilli()
	}
	return d.baseURL(nil) + "/ui/download?t=" + d.sign(purposeExport, c), expires
}

// handleDownload serves a signed download link.
func (d *Dashboard) handleDownload(w http.ResponseWriter, r *http.Request) {
	c, err := d.verify(purposeExport, r.URL.Query().Get("t"))
	if err != nil || len(c.Groups) != 1 {
		d.message(w, r, http.StatusForbidden, "链接无效或已过期", "下载链接无效或已经过期（24 小时内有效）。请在群里重新发送 /导出。")
		return
	}
	req := qunzhu.ExportRequest{Kind: qunzhu.ExportKind(c.Kind), GroupID: c.Groups[0], Cycles: c.Cycles, Label: c.Label}
	switch req.Kind {
	case qunzhu.ExportTasks:
		f := qunzhu.LedgerFilter{GroupIDs: c.Groups}
		if c.Since != 0 {
			f.CreatedSince = time.UnixMilli(c.Since)
		}
		if c.Until != 0 {
			f.CreatedUntil = time.UnixMilli(c.Until)
		}
		var rows []qunzhu.LedgerRow
		var now time.Time
		err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
			now = tx.Now()
			var err error
			rows, err = qunzhu.LoadLedger(tx, f)
			return err
		})
		if err != nil {
			d.fail(w, r, err)
			return
		}
		d.sendTasks(w, r, req, rows, now)
	case qunzhu.ExportReports:
		ms, err := d.loadMatrices(r, c.Groups, max(c.Cycles, 1))
		if err != nil {
			d.fail(w, r, err)
			return
		}
		d.sendReports(w, r, req, ms)
	default:
		d.message(w, r, http.StatusForbidden, "链接无效", "下载链接无效。")
	}
}
