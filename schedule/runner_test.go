package schedule_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/schedule"
)

type recordJob struct {
	name string
	seen []time.Time
	err  error
}

func (j *recordJob) Name() string { return j.name }
func (j *recordJob) Run(_ context.Context, now time.Time) error {
	j.seen = append(j.seen, now)
	return j.err
}

func TestRunOnceRunsEveryJobAtTheClocksNow(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := qunzhu.NewFakeClock(at)
	a := &recordJob{name: "a", err: errors.New("boom")}
	b := &recordJob{name: "b"}
	r := schedule.NewRunner(clock, 0, nil, a, b)
	err := r.RunOnce(context.Background())
	if err == nil || err.Error() != "a: boom" {
		t.Fatalf("err = %v, want a: boom", err)
	}
	if len(b.seen) != 1 || !b.seen[0].Equal(at) {
		t.Fatalf("b ran at %v, want once at %v (a failing job must not stop others)", b.seen, at)
	}
}

func TestKickTicksAtOnce(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	ran := make(chan time.Time, 10)
	j := jobFunc(func(now time.Time) { ran <- now })
	r := schedule.NewRunner(clock, time.Hour, nil, j)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	<-ran // the first tick happens at start
	clock.Advance(25 * time.Hour)
	r.Kick()
	select {
	case now := <-ran:
		if want := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC); !now.Equal(want) {
			t.Fatalf("kicked tick at %v, want %v", now, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Kick did not make the runner tick")
	}
}

type jobFunc func(time.Time)

func (jobFunc) Name() string { return "func" }
func (f jobFunc) Run(_ context.Context, now time.Time) error {
	f(now)
	return nil
}
