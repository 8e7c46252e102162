package main

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/schedule"
)

// BroadcastsConfig tunes 群发 (broadcasts) and festival greetings; every
// field has a default.
type BroadcastsConfig struct {
	// ConfirmWindow is how long a /群发 confirmation code works (10m).
	ConfirmWindow Duration `yaml:"confirm_window"`
	// ProgressEvery: the author hears "已发送 12/50" after every this many
	// more groups (10)…
	ProgressEvery int `yaml:"progress_every"`
	// ProgressInterval: …or when this long passed since the last word (5m).
	ProgressInterval Duration `yaml:"progress_interval"`
	// LateLimit: a scheduled broadcast or greeting found due later than this
	// (the service was down) is dropped and its author told (6h).
	LateLimit Duration `yaml:"late_limit"`
}

// validate names the bad broadcasts setting.
func (c BroadcastsConfig) validate() []error {
	var errs []error
	if c.ConfirmWindow < 0 || (c.ConfirmWindow > 0 && time.Duration(c.ConfirmWindow) < time.Minute) {
		errs = append(errs, fmt.Errorf("broadcasts.confirm_window: must be at least 1m"))
	}
	if c.ProgressEvery < 0 {
		errs = append(errs, fmt.Errorf("broadcasts.progress_every: must not be negative"))
	}
	if c.ProgressInterval < 0 {
		errs = append(errs, fmt.Errorf("broadcasts.progress_interval: must not be negative"))
	}
	if c.LateLimit < 0 {
		errs = append(errs, fmt.Errorf("broadcasts.late_limit: must not be negative"))
	}
	return errs
}

// wireBroadcasts plugs in 群发 and festival greetings: the commands and their
// picture handlers, the job that sends scheduled broadcasts and yearly
// greetings, and the sender hooks that report progress to the author,
// chained after any hook already set. The preview's time estimate uses the
// sender's own limits.
func wireBroadcasts(a *app, senderCfg *outbox.Config) {
	cfg := a.cfg.Broadcasts
	loc := a.router.Location()
	cal := festival.New(loc)
	bc := commands.NewBroadcasts(commands.BroadcastConfig{
		ConfirmWindow: time.Duration(cfg.ConfirmWindow),
		Account:       senderCfg.Limits.Account,
		Jitter:        senderCfg.Limits.Jitter,
		Daily:         senderCfg.Limits.Daily,
		Calendar:      cal,
	})
	a.router.RegisterFamily("群发", bc.Specs()...)
	a.router.RegisterAttach(commands.AttachBroadcast, bc.AttachBroadcastPicture)
	a.router.RegisterAttach(commands.AttachGreeting, bc.AttachGreetingPicture)

	job := schedule.NewBroadcasts(a.store, schedule.BroadcastConfig{
		ProgressEvery:    cfg.ProgressEvery,
		ProgressInterval: time.Duration(cfg.ProgressInterval),
		LateLimit:        time.Duration(cfg.LateLimit),
		Calendar:         cal,
		Location:         loc,
		Logger:           a.log.With("component", "broadcasts"),
	})
	a.runner.Add(job)

	delivered, failed := senderCfg.Delivered, senderCfg.Failed
	senderCfg.Delivered = func(ctx context.Context, m *qunzhu.OutMessage) {
		if delivered != nil {
			delivered(ctx, m)
		}
		job.Delivered(ctx, m)
	}
	senderCfg.Failed = func(ctx context.Context, m *qunzhu.OutMessage, err error) {
		if failed != nil {
			failed(ctx, m, err)
		}
		job.Failed(ctx, m, err)
	}
}
