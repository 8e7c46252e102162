package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// TaskWeeklyConfig says when the weekly summary (督办周报) goes out. Start
// from DefaultTaskWeekly: Weekday and At are taken as given.
type TaskWeeklyConfig struct {
	Weekday  time.Weekday
	At       time.Duration // time of day
	Location *time.Location
	// Grace is how late a summary may still go out after downtime (12h); a
	// summary missed by more is skipped rather than posted days late.
	Grace  time.Duration
	Logger *slog.Logger
}

// DefaultTaskWeekly is Monday 09:00 in Beijing, the start of the working week.
func DefaultTaskWeekly() TaskWeeklyConfig {
	return TaskWeeklyConfig{Weekday: time.Monday, At: 9 * time.Hour}
}

// TaskWeekly posts the weekly 督办 summary to every group that had tasks:
// new, closed and overdue, by unit, for the seven whole days before the
// summary's day (Monday to Sunday for a Monday summary), and what is overdue
// when it is posted. Each group gets each week's summary once, across restarts (outbox
// DedupKey "task-weekly:<group>:<date>").
type TaskWeekly struct {
	store qunzhu.Store
	cfg   TaskWeeklyConfig
	done  string // the last week posted by this process, to skip the work
}

// NewTaskWeekly returns the weekly summary job; cfg's zero Location, Grace
// and Logger get defaults.
func NewTaskWeekly(store qunzhu.Store, cfg TaskWeeklyConfig) *TaskWeekly {
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("CST", 8*3600)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 12 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &TaskWeekly{store: store, cfg: cfg}
}

// Name names the job in logs.
func (j *TaskWeekly) Name() string { return "task-weekly" }

// Scheduled is the latest scheduled summary time at or before now.
func (j *TaskWeekly) Scheduled(now time.Time) time.Time {
	local := now.In(j.cfg.Location)
	y, m, d := local.Date()
	back := (int(local.Weekday()) - int(j.cfg.Weekday) + 7) % 7
	t := time.Date(y, m, d-back, 0, 0, 0, 0, j.cfg.Location).Add(j.cfg.At)
	if t.After(local) {
		t = t.AddDate(0, 0, -7)
	}
	return t
}

// Run posts the summary of the week that ended at the latest scheduled time,
// if that was less than Grace ago and not posted yet.
func (j *TaskWeekly) Run(ctx context.Context, now time.Time) error {
	until := j.Scheduled(now)
	week := until.Format(time.DateOnly)
	if now.Sub(until) > j.cfg.Grace || j.done == week {
		return nil
	}
	groups, err := allGroups(ctx, j.store)
	if err != nil {
		return err
	}
	y, m, d := until.Date()
	end := time.Date(y, m, d, 0, 0, 0, 0, j.cfg.Location)
	since := end.AddDate(0, 0, -7)
	for _, g := range groups {
		err := j.store.Update(ctx, func(tx qunzhu.Tx) error {
			stats, err := tx.TaskWeek(g.ID, since, end, now)
			if err != nil || len(stats) == 0 {
				return err
			}
			_, err = tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert,
				Priority: qunzhu.PriorityReminder, Text: WeeklyText(stats, since, end),
				DedupKey: fmt.Sprintf("task-weekly:%d:%s", g.ID, week), NotBefore: now})
			return err
		})
		if err != nil {
			return fmt.Errorf("weekly summary of group %d: %w", g.ID, err)
		}
	}
	j.done = week
	j.cfg.Logger.Info("task weekly summary done", "week", week, "groups", len(groups))
	return nil
}

// allGroups reads every registered group, for the jobs that post to each.
func allGroups(ctx context.Context, store qunzhu.Store) (groups []*qunzhu.Group, err error) {
	err = store.View(ctx, func(tx qunzhu.Tx) error {
		groups, err = tx.Groups()
		return err
	})
	return groups, err
}

// WeeklyText is the 督办周报 for a week [since, until), units with the most
// overdue first.
func WeeklyText(stats []qunzhu.TaskWeekStats, since, until time.Time) string {
	var total qunzhu.TaskWeekStats
	for _, s := range stats {
		total.New += s.New
		total.Closed += s.Closed
		total.Overdue += s.Overdue
	}
	last := until.Add(-time.Nanosecond)
	var b strings.Builder
	fmt.Fprintf(&b, "【督办周报】%d月%d日—%d月%d日：新增%d项，销号%d项，当前逾期%d项。",
		since.Month(), since.Day(), last.Month(), last.Day(), total.New, total.Closed, total.Overdue)
	for _, s := range stats {
		fmt.Fprintf(&b, "\n%s：新增%d，销号%d，逾期%d", s.Unit, s.New, s.Closed, s.Overdue)
	}
	if total.Overdue > 0 {
		b.WriteString("\n逾期的请抓紧办理，查看：/督办 列表 逾期")
	}
	return b.String()
}
