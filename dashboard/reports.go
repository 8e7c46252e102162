package dashboard

import (
	"net/http"
	"strconv"

	"github.com/qunzhu/qunzhu"
)

// defaultCycles is how many past cycles the 作业 matrix shows.
const defaultCycles = 8

type reportsData struct {
	Groups   []*qunzhu.Group
	Group    int64
	Cycles   int
	Matrix   *qunzhu.ReportMatrix
	NoCycles bool
}

// readCycles reads ?n=, 1 to 52 cycles.
func readCycles(r *http.Request) (int, error) {
	s := r.URL.Query().Get("n")
	if s == "" {
		return defaultCycles, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 52 {
		return 0, qunzhu.Errorf(qunzhu.EINVALID, "期数要在 1 到 52 之间。")
	}
	return n, nil
}

// readGroup reads ?group=, defaulting to the first visible group; a group
// the viewer does not see is refused as missing.
func readGroup(r *http.Request, v *Viewer) (int64, error) {
	s := r.URL.Query().Get("group")
	if s == "" {
		if len(v.Groups) == 0 {
			return 0, nil
		}
		return v.Groups[0].ID, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || !v.Sees(id) {
		return 0, notVisible
	}
	return id, nil
}

func (d *Dashboard) handleReports(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	data := reportsData{Groups: v.Groups}
	var err error
	if data.Cycles, err = readCycles(r); err == nil {
		data.Group, err = readGroup(r, v)
	}
	if err == nil && data.Group != 0 {
		err = d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
			data.Matrix, err = qunzhu.LoadReportMatrix(tx, data.Group, data.Cycles, tx.Now(), d.cfg.Location)
			return err
		})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data.NoCycles = data.Matrix == nil || len(data.Matrix.Cycles) == 0
	d.render(w, r, http.StatusOK, "reports", &page{Title: "作业", Nav: "reports"}, data)
}

type submissionData struct {
	Sub      *qunzhu.Submission
	Group    string
	Label    string
	Late     bool
	Versions []*qunzhu.Submission
}

// visibleSubmission reads a hand-in the viewer may see, or notVisible.
func visibleSubmission(tx qunzhu.Tx, v *Viewer, id int64) (*qunzhu.Submission, error) {
	s, err := tx.SubmissionByID(id)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND || (err == nil && !v.Sees(s.GroupID)) {
		return nil, notVisible
	}
	return s, err
}

// handleSubmission shows one hand-in, its picture and the unit's other
// versions of that cycle.
func (d *Dashboard) handleSubmission(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	id, err := pathID(r, "id")
	var data submissionData
	if err == nil {
		err = d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
			s, err := visibleSubmission(tx, v, id)
			if err != nil {
				return err
			}
			data.Sub = s
			g, err := tx.GroupByID(s.GroupID)
			if err != nil {
				return err
			}
			data.Group = g.Name
			c, err := tx.ReportCycleByID(s.CycleID)
			if err != nil {
				return err
			}
			data.Label, data.Late = c.Label(tx.Now(), d.cfg.Location), s.SubmittedAt.After(c.Deadline)
			all, err := tx.Submissions(s.CycleID)
			for _, x := range all {
				if x.Unit == s.Unit {
					data.Versions = append(data.Versions, x)
				}
			}
			return err
		})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "submission", &page{Title: data.Sub.Unit + " " + data.Label, Nav: "reports"}, data)
}

func (d *Dashboard) handleSubmissionImage(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	id, err := pathID(r, "id")
	var img *qunzhu.Image
	if err == nil {
		err = d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
			s, err := visibleSubmission(tx, v, id)
			if err != nil {
				return err
			}
			if s.ImageID == 0 {
				return notVisible
			}
			img, err = tx.ImageByID(s.ImageID)
			return err
		})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeImage(w, img)
}
