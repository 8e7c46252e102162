package dashboard

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/qunzhu/qunzhu"
)

// groupSummary is one line of 概览.
type groupSummary struct {
	Group                         *qunzhu.Group
	Open, Overdue, ClosedThisWeek int
	Closed, ClosedOnTime          int
	OnTimeRate                    float64 // of the closed ones; 0 when none closed
	HasClosed                     bool
}

// sessionView is one platform's account line.
type sessionView struct {
	Platform string
	State    string
	Raw      qunzhu.SessionState
	Online   bool
	Since    time.Time
}

type overviewData struct {
	Groups    []groupSummary
	Sessions  []sessionView
	Backlog   qunzhu.OutboxStats
	OldestAge string
	SentToday int
	DailyCap  int
	Now       time.Time
}

// weekStart is Monday 00:00 of t's week in loc.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// loadTasks reads the visible groups' tasks (closed ones too) and the
// store's now, which is the domain clock the deadlines are judged by.
func (d *Dashboard) loadTasks(r *http.Request, f qunzhu.LedgerFilter) (rows []*qunzhu.Task, now time.Time, err error) {
	err = d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		now = tx.Now()
		rows, err = tx.LedgerTasks(f)
		return err
	})
	return rows, now, err
}

func (d *Dashboard) handleOverview(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	tasks, now, err := d.loadTasks(r, qunzhu.LedgerFilter{GroupIDs: v.IDs()})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data := overviewData{Now: now, DailyCap: d.cfg.DailyCap, Sessions: d.sessions()}
	week := weekStart(now, d.cfg.Location)
	byGroup := map[int64]*groupSummary{}
	for _, g := range v.Groups {
		data.Groups = append(data.Groups, groupSummary{Group: g})
	}
	for i := range data.Groups {
		byGroup[data.Groups[i].Group.ID] = &data.Groups[i]
	}
	for _, t := range tasks {
		s := byGroup[t.GroupID]
		switch {
		case t.Status != qunzhu.TaskClosed:
			s.Open++
			if t.Overdue(now) {
				s.Overdue++
			}
		default:
			s.Closed++
			if !t.Finished().After(t.Deadline) {
				s.ClosedOnTime++
			}
			if !t.ClosedAt.Before(week) {
				s.ClosedThisWeek++
			}
		}
	}
	for i := range data.Groups {
		if s := &data.Groups[i]; s.Closed > 0 {
			s.HasClosed, s.OnTimeRate = true, float64(s.ClosedOnTime)/float64(s.Closed)
		}
	}
	ctx := r.Context()
	if data.Backlog, err = d.cfg.Store.OutboxStats(ctx); err != nil {
		d.fail(w, r, err)
		return
	}
	if !data.Backlog.OldestPending.IsZero() {
		data.OldestAge = now.Sub(data.Backlog.OldestPending).Round(time.Second).String()
	}
	n := now.In(d.cfg.Location)
	midnight := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, d.cfg.Location)
	if data.SentToday, err = d.cfg.Store.SentSince(ctx, midnight); err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "overview", &page{Title: "概览", Nav: "overview"}, data)
}

// sessions lists the platforms' accounts for 概览 and 登录.
func (d *Dashboard) sessions() []sessionView {
	if d.cfg.Sessions == nil {
		return nil
	}
	var out []sessionView
	for _, s := range d.cfg.Sessions() {
		out = append(out, sessionView{Platform: platformName(s.Platform), State: s.State.Chinese(), Raw: s.State,
			Online: s.State == qunzhu.StateOnline, Since: s.Since})
	}
	return out
}

// platformName is a platform as people say it.
func platformName(p string) string {
	switch p {
	case "wechat":
		return "微信"
	case "dingtalk":
		return "钉钉"
	case "wecom":
		return "企业微信"
	}
	return p
}

// handleOverdueChart draws the open overdue tasks per unit, most first.
func (d *Dashboard) handleOverdueChart(w http.ResponseWriter, r *http.Request) {
	tasks, now, err := d.loadTasks(r, qunzhu.LedgerFilter{GroupIDs: viewerOf(r).IDs(), Status: qunzhu.TaskOpen})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	count := map[string]int{}
	for _, t := range tasks {
		if t.Overdue(now) {
			count[t.Unit]++
		}
	}
	var bars []bar
	for u, n := range count {
		bars = append(bars, bar{Label: u, Value: n})
	}
	slices.SortFunc(bars, func(a, b bar) int { return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Label, b.Label)) })
	writeSVG(w, barChart("逾期督办（按单位）", bars, 12))
}

// chartWeeks is how many weeks the opened/closed chart spans.
const chartWeeks = 8

// handleWeeklyChart draws tasks assigned and closed per week, last 8 weeks.
func (d *Dashboard) handleWeeklyChart(w http.ResponseWriter, r *http.Request) {
	tasks, now, err := d.loadTasks(r, qunzhu.LedgerFilter{GroupIDs: viewerOf(r).IDs()})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	first := weekStart(now, d.cfg.Location).AddDate(0, 0, -7*(chartWeeks-1))
	opened, closed := make([]int, chartWeeks), make([]int, chartWeeks)
	labels := make([]string, chartWeeks)
	for i := range labels {
		labels[i] = first.AddDate(0, 0, 7*i).Format("01-02")
	}
	week := func(t time.Time) int {
		if t.IsZero() || t.Before(first) {
			return -1
		}
		i := int(t.Sub(first) / (7 * 24 * time.Hour))
		if i >= chartWeeks {
			return -1
		}
		return i
	}
	for _, t := range tasks {
		if i := week(t.CreatedAt); i >= 0 {
			opened[i]++
		}
		if i := week(t.ClosedAt); i >= 0 && t.Status == qunzhu.TaskClosed {
			closed[i]++
		}
	}
	writeSVG(w, lineChart("每周新交办与销号", labels, []series{{Name: "新交办", Values: opened, Class: "s1"}, {Name: "销号", Values: closed, Class: "s2"}}))
}
