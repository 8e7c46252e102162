// Package schedule runs qunzhu's timed work — task escalation, report reminders
// and summaries, scheduled broadcasts — on an injected clock. Each Job finds
// what is due at "now" through an index and does it inside store transactions,
// so a step happens once even across restarts; tests call RunOnce with a fake
// clock and never sleep.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Job is one kind of timed work. Run does everything due at now and returns;
// it must be idempotent, because a crash may repeat it.
type Job interface {
	Name() string
	Run(ctx context.Context, now time.Time) error
}

// Runner ticks every Job on the clock. Jobs run one after another, never
// concurrently, so they need no locking among themselves.
type Runner struct {
	clock    qunzhu.Clock
	interval time.Duration
	jobs     []Job
	log      *slog.Logger
	kick     chan struct{}
}

// NewRunner returns a runner that ticks every interval (30 s when zero).
func NewRunner(clock qunzhu.Clock, interval time.Duration, logger *slog.Logger, jobs ...Job) *Runner {
	if clock == nil {
		clock = qunzhu.SystemClock{}
	}
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{clock: clock, interval: interval, jobs: jobs, log: logger, kick: make(chan struct{}, 1)}
}

// Add appends jobs; call before Run.
func (r *Runner) Add(jobs ...Job) { r.jobs = append(r.jobs, jobs...) }

// Kick makes Run tick now, e.g. after the demo clock jumped forward.
func (r *Runner) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run ticks until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("schedule: tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.kick:
		}
	}
}

// RunOnce runs every job once at the clock's now. A failing job does not stop
// the others; the errors are joined.
func (r *Runner) RunOnce(ctx context.Context) error {
	now := r.clock.Now()
	var errs []error
	for _, j := range r.jobs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := j.Run(ctx, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.Name(), err))
		}
	}
	return errors.Join(errs...)
}
