package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/qunzhu/qunzhu"
)

// HonorConfig says when the weekly 红黑榜 goes out and what counts.
type HonorConfig struct {
	// Weekly is the day and time (Monday 09:00 by default, DefaultTaskWeekly).
	Weekly TaskWeeklyConfig
	// Calendar decides holidays: on a statutory day off the board is not
	// posted that week (nobody reads a ranking on 国庆).
	Calendar qunzhu.ReportCalendar
	// StallFor is how long without progress makes a task 停滞.
	StallFor time.Duration
	// Limit is how many units each list names (10 when 0).
	Limit int
}

// HonorJob posts each group's 红黑榜 once a week: one message per group with
// anything to say, once across restarts (outbox DedupKey
// "honor:<group>:<date>"), quiet on holidays.
type HonorJob struct {
	store qunzhu.Store
	cfg   HonorConfig
	week  *TaskWeekly // reuses its schedule arithmetic; never run
	done  string
	log   *slog.Logger
}

// NewHonorJob returns the weekly 红黑榜 job.
func NewHonorJob(store qunzhu.Store, cfg HonorConfig) *HonorJob {
	if cfg.Limit <= 0 {
		cfg.Limit = 10
	}
	w := NewTaskWeekly(store, cfg.Weekly)
	cfg.Weekly = w.cfg
	return &HonorJob{store: store, cfg: cfg, week: w, log: w.cfg.Logger}
}

// Name names the job in logs.
func (j *HonorJob) Name() string { return "honor-weekly" }

// Run posts the boards if the latest scheduled time is less than Grace ago,
// not a holiday, and not done yet.
func (j *HonorJob) Run(ctx context.Context, now time.Time) error {
	at := j.week.Scheduled(now)
	day := at.Format(time.DateOnly)
	if now.Sub(at) > j.cfg.Weekly.Grace || j.done == day {
		return nil
	}
	if name := j.cfg.Calendar.DayOff(at); name != "" {
		j.done = day
		j.log.Info("红黑榜 not posted on a holiday", "day", day, "holiday", name)
		return nil
	}
	groups, err := allGroups(ctx, j.store)
	if err != nil {
		return err
	}
	loc := j.cfg.Weekly.Location
	posted := 0
	for _, g := range groups {
		err := j.store.Update(ctx, func(tx qunzhu.Tx) error {
			b, err := qunzhu.LoadHonorBoard(tx, g.ID, at, j.cfg.StallFor, loc)
			if err != nil || (len(b.Red) == 0 && len(b.Black) == 0) {
				return err
			}
			dup, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Priority: qunzhu.PriorityReminder,
				Text: b.Text(loc, j.cfg.Limit), DedupKey: fmt.Sprintf("honor:%d:%s", g.ID, day), NotBefore: now})
			if err == nil && !dup {
				posted++
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("红黑榜 of group %d: %w", g.ID, err)
		}
	}
	j.done = day
	j.log.Info("红黑榜 done", "day", day, "groups", posted)
	return nil
}
