package dashboard

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// taskFilter is the 督办台账 form, read from the query string.
type taskFilter struct {
	Group   int64
	Unit    string
	Status  string // open, done, closed or ""
	Overdue bool
	// Query is the filter as a query string, for the export link; built by
	// url.Values.Encode, so it is safe to place in an href as it is.
	Query template.URL
}

// readTaskFilter reads the form and turns it into a store filter limited to
// the viewer's groups; a group outside them is refused like a missing one.
func readTaskFilter(r *http.Request, v *Viewer, now time.Time) (taskFilter, qunzhu.LedgerFilter, error) {
	q := r.URL.Query()
	tf := taskFilter{Unit: strings.TrimSpace(q.Get("unit")), Status: q.Get("status"), Overdue: q.Get("overdue") == "1"}
	lf := qunzhu.LedgerFilter{GroupIDs: v.IDs(), Unit: tf.Unit}
	if g := q.Get("group"); g != "" {
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil || !v.Sees(id) {
			return tf, lf, notVisible
		}
		tf.Group, lf.GroupIDs = id, []int64{id}
	}
	switch tf.Status {
	case "", "open", "done", "closed":
		lf.Status = qunzhu.TaskStatus(tf.Status)
	default:
		return tf, lf, qunzhu.Errorf(qunzhu.EINVALID, "状态只能是 办理中、待销号 或 已销号。")
	}
	if len([]rune(tf.Unit)) > 50 {
		return tf, lf, qunzhu.Errorf(qunzhu.EINVALID, "单位名太长了。")
	}
	if tf.Overdue {
		lf.OverdueAt = now
	}
	out := url.Values{}
	for k, val := range map[string]string{"unit": tf.Unit, "status": tf.Status} {
		if val != "" {
			out.Set(k, val)
		}
	}
	if tf.Group != 0 {
		out.Set("group", strconv.FormatInt(tf.Group, 10))
	}
	if tf.Overdue {
		out.Set("overdue", "1")
	}
	tf.Query = template.URL(out.Encode())
	return tf, lf, nil
}

// taskLine is one row of the 督办台账 page.
type taskLine struct {
	Task         *qunzhu.Task
	Group        string
	Status       string
	DaysOverdue  int
	LastProgress string
}

type tasksData struct {
	Filter taskFilter
	Groups []*qunzhu.Group
	Units  []string
	Lines  []taskLine
	Now    time.Time
}

func (d *Dashboard) handleTasks(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	var data tasksData
	err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		data.Now = tx.Now()
		tf, lf, err := readTaskFilter(r, v, data.Now)
		if err != nil {
			return err
		}
		data.Filter = tf
		rows, err := qunzhu.LoadLedger(tx, lf)
		if err != nil {
			return err
		}
		for _, row := range rows {
			line := taskLine{Task: row.Task, Group: row.Group, Status: row.Task.Status.Chinese(), DaysOverdue: row.Task.DaysOverdue(data.Now)}
			for _, ev := range row.Events {
				if ev.Kind == qunzhu.TaskProgress {
					line.LastProgress = ev.Text
				}
			}
			data.Lines = append(data.Lines, line)
		}
		data.Units, err = tx.LedgerUnits(v.IDs())
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data.Groups = v.Groups
	d.render(w, r, http.StatusOK, "tasks", &page{Title: "督办台账", Nav: "tasks"}, data)
}

// eventLine is one step of a task's history.
type eventLine struct {
	Event *qunzhu.TaskEvent
	Kind  string
}

type taskData struct {
	Row         qunzhu.LedgerRow
	Status      string
	DaysOverdue int
	Events      []eventLine
	Ticket      *qunzhu.Ticket
}

// visibleTask reads a task the viewer may see, or notVisible.
func visibleTask(tx qunzhu.Tx, v *Viewer, id int64) (*qunzhu.Task, error) {
	t, err := tx.TaskByID(id)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND || (err == nil && !v.Sees(t.GroupID)) {
		return nil, notVisible
	}
	return t, err
}

func (d *Dashboard) handleTask(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var data taskData
	err = d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		t, err := visibleTask(tx, v, id)
		if err != nil {
			return err
		}
		if data.Row, err = qunzhu.LedgerRowOf(tx, t); err != nil {
			return err
		}
		data.Status, data.DaysOverdue = t.Status.Chinese(), t.DaysOverdue(tx.Now())
		for _, ev := range data.Row.Events {
			data.Events = append(data.Events, eventLine{Event: ev, Kind: ev.Kind.Chinese()})
		}
		if t.Source == qunzhu.TaskSourceHotline {
			data.Ticket, err = ticketOf(tx, t)
		}
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "task", &page{Title: "督办" + data.Row.Task.Number(), Nav: "tasks"}, data)
}

// ticketOf finds a hotline task's ticket, nil if there is none.
func ticketOf(tx qunzhu.Tx, t *qunzhu.Task) (*qunzhu.Ticket, error) {
	list, err := tx.GroupTickets([]int64{t.GroupID}, 0)
	for _, tk := range list {
		if tk.TaskID == t.ID {
			return tk, err
		}
	}
	return nil, err
}

// handleTaskImage serves a picture of a task's history, only when one of the
// task's events holds it and the viewer sees the task.
func (d *Dashboard) handleTaskImage(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	id, err1 := pathID(r, "id")
	imageID, err2 := pathID(r, "image")
	if err1 != nil || err2 != nil {
		d.fail(w, r, notVisible)
		return
	}
	var img *qunzhu.Image
	err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		if _, err := visibleTask(tx, v, id); err != nil {
			return err
		}
		events, err := tx.TaskEvents(id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(events, func(e *qunzhu.TaskEvent) bool { return e.ImageID == imageID }) {
			return notVisible
		}
		img, err = tx.ImageByID(imageID)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	writeImage(w, img)
}

// writeImage serves stored picture bytes with the type sniffed from them;
// anything that is not a picture is refused rather than served as HTML.
func writeImage(w http.ResponseWriter, img *qunzhu.Image) {
	ct := http.DetectContentType(img.Data)
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(img.Data)
}
