package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/sqlite"
)

// TestSeedDemo: a fresh demo's history has the tasks and report weeks the
// README promises, recorded at their own times, and the clock is back where
// it was.
func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	cfg, err := loadConfig("", demoYAML, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	clock := &qunzhu.OffsetClock{}
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "qunzhu.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := registerGroups(ctx, store, cfg.Groups); err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(ctx, store, clock, commands.ChinaTime()); err != nil {
		t.Fatal(err)
	}
	if d := clock.Now().Sub(time.Now()); d < -time.Second || d > time.Second {
		t.Errorf("the clock is off by %v after seeding", d)
	}
	err = store.View(ctx, func(tx qunzhu.Tx) error {
		cadres, err := tx.GroupByName("区委干部工作群")
		if err != nil {
			return err
		}
		var open, overdue, done, closed int
		for id := int64(1); id <= 7; id++ {
			task, err := tx.TaskByID(id)
			if err != nil {
				return err
			}
			if task.GroupID != cadres.ID {
				t.Errorf("task #%d in group %d", id, task.GroupID)
			}
			switch {
			case task.Status == qunzhu.TaskClosed:
				closed++
			case task.Status == qunzhu.TaskDone:
				done++
			case task.Overdue(time.Now()):
				overdue++
			default:
				open++
			}
			if age := time.Since(task.CreatedAt); age < 0 || age > 22*24*time.Hour {
				t.Errorf("task #%d created %v ago", id, age)
			}
		}
		if closed != 2 || done != 1 || overdue != 2 || open != 2 {
			t.Errorf("closed %d, done %d, overdue %d, open %d; want 2, 1, 2, 2", closed, done, overdue, open)
		}
		mayors, err := tx.GroupByName("副市长作业群")
		if err != nil {
			return err
		}
		cycles, err := tx.ReportCycles(mayors.ID, time.Now(), 10)
		if err != nil {
			return err
		}
		if len(cycles) < 2 {
			t.Fatalf("past report cycles: %d, want at least 2", len(cycles))
		}
		var handedIn int
		for _, c := range cycles {
			subs, err := tx.Submissions(c.ID)
			if err != nil {
				return err
			}
			handedIn += len(subs)
			if c.SummarizedAt.IsZero() {
				t.Errorf("past cycle %v not marked summarized: its summary would be posted now", c.Deadline)
			}
		}
		if handedIn < 4 {
			t.Errorf("hand-ins over the past weeks: %d, want at least 4", handedIn)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
