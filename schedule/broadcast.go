package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Defaults of BroadcastConfig.
const (
	DefaultProgressEvery    = 10
	DefaultProgressInterval = 5 * time.Minute
	DefaultStallAfter       = 30 * time.Minute
	DefaultLateLimit        = 6 * time.Hour
)

// BroadcastConfig tunes the broadcast job and the progress it reports.
type BroadcastConfig struct {
	// ProgressEvery: tell the author after every this many more groups (10).
	ProgressEvery int
	// ProgressInterval: or once this long passed since the last word (5 min).
	ProgressInterval time.Duration
	// StallAfter: when groups keep failing for this long without the
	// broadcast finishing, tell the author once which and why (30 min).
	StallAfter time.Duration
	// LateLimit: a scheduled broadcast or a greeting found due later than this
	// (the service was down) is not sent: "端午安康" two days after 端午 is
	// worse than nothing. The author is told (6 h).
	LateLimit time.Duration
	// Calendar dates the festivals; required for greetings.
	Calendar qunzhu.Calendar
	// Location is where times are shown (Asia/Shanghai).
	Location *time.Location
	Logger   *slog.Logger
}

// Broadcasts is the scheduler's side of 群发 and 节日祝福: the Job that sends
// scheduled broadcasts and yearly greetings when due, and the follower that
// reports a broadcast's progress and outcome to its author. Delivered and
// Failed are the outbox sender's hooks; Run also follows every broadcast
// still going out, so a hook lost in a crash only delays a report.
type Broadcasts struct {
	store qunzhu.Store
	cfg   BroadcastConfig
	log   *slog.Logger
}

var _ Job = (*Broadcasts)(nil)

// NewBroadcasts returns the job with cfg's defaults filled in.
func NewBroadcasts(store qunzhu.Store, cfg BroadcastConfig) *Broadcasts {
	if cfg.ProgressEvery == 0 {
		cfg.ProgressEvery = DefaultProgressEvery
	}
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = DefaultProgressInterval
	}
	if cfg.StallAfter == 0 {
		cfg.StallAfter = DefaultStallAfter
	}
	if cfg.LateLimit <= 0 {
		cfg.LateLimit = DefaultLateLimit
	}
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("CST", 8*3600)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Broadcasts{store: store, cfg: cfg, log: log}
}

// Name names the job in logs.
func (j *Broadcasts) Name() string { return "broadcasts" }

// batch bounds one sweep; what is left is found by the next tick.
const batch = 50

// Run sends what is due at now and follows what is going out. Each broadcast
// or greeting is handled in its own transaction, so one bad row does not hold
// up the others, and every step is idempotent.
func (j *Broadcasts) Run(ctx context.Context, now time.Time) error {
	var due []*qunzhu.Broadcast
	var greetings []*qunzhu.Greeting
	var sending []*qunzhu.Broadcast
	err := j.store.View(ctx, func(tx qunzhu.Tx) (err error) {
		if due, err = tx.DueBroadcasts(now, batch); err != nil {
			return err
		}
		if greetings, err = tx.DueGreetings(now, batch); err != nil {
			return err
		}
		sending, err = tx.SendingBroadcasts(batch * 4)
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range due {
		errs = append(errs, j.update(ctx, func(tx qunzhu.Tx) error { return j.sendScheduled(tx, b.ID, now) }))
	}
	for _, g := range greetings {
		errs = append(errs, j.update(ctx, func(tx qunzhu.Tx) error { return j.sendGreeting(tx, g.ID, now) }))
	}
	for _, b := range sending {
		errs = append(errs, j.update(ctx, func(tx qunzhu.Tx) error { return j.follow(tx, b.ID, now) }))
	}
	return joinErrs(errs)
}

func (j *Broadcasts) update(ctx context.Context, fn func(qunzhu.Tx) error) error {
	return j.store.Update(ctx, fn)
}

// sendScheduled queues a scheduled broadcast whose time has come, re-read in
// the transaction so a cancel a moment ago wins.
func (j *Broadcasts) sendScheduled(tx qunzhu.Tx, id int64, now time.Time) error {
	b, err := tx.BroadcastByID(id)
	if err != nil {
		return err
	}
	if b.Status != qunzhu.BroadcastScheduled || b.SendAt.After(now) {
		return nil
	}
	if now.Sub(b.SendAt) > j.cfg.LateLimit {
		b.Status, b.FinishedAt = qunzhu.BroadcastExpired, now
		if err := tx.UpdateBroadcast(b); err != nil {
			return err
		}
		j.log.Warn("scheduled broadcast missed its time; not sent", "broadcast", b.ID, "send_at", b.SendAt)
		return j.tell(tx, b, "missed", fmt.Sprintf("定时群发（编号%d）原定%s发出，服务停机错过了，已作废，没有发出。需要的话请重新 /群发。",
			b.ID, qunzhu.FormatWhen(b.SendAt, j.local(now))))
	}
	n, err := qunzhu.QueueBroadcast(tx, b)
	if err != nil {
		return err
	}
	j.log.Info("scheduled broadcast queued", "broadcast", b.ID, "groups", n)
	return j.tell(tx, b, "start", fmt.Sprintf("定时群发（编号%d）开始发送，共%d个群%s。", b.ID, n, withPicture(b)))
}

// sendGreeting sends this year's occurrence of a due greeting and moves it on
// to next year. The occurrence is a broadcast stored once per (greeting,
// year), so a repeated run, a crash or a restart never sends it twice.
func (j *Broadcasts) sendGreeting(tx qunzhu.Tx, id int64, now time.Time) error {
	g, err := tx.GreetingByID(id)
	if err != nil {
		return err
	}
	if g.Status != qunzhu.GreetingActive || g.NextAt.After(now) {
		return nil
	}
	if j.cfg.Calendar == nil {
		return fmt.Errorf("greeting %d: no calendar configured", g.ID)
	}
	f, _ := j.cfg.Calendar.Festival(g.Festival)
	b := &qunzhu.Broadcast{
		Status: qunzhu.BroadcastSending, ExpiresAt: now, AuthorID: g.AuthorID, AuthorName: g.AuthorName,
		OriginGroupID: g.OriginGroupID, Text: g.Text, ImageID: g.ImageID, Targets: g.Targets,
		GreetingID: g.ID, Year: g.NextYear, Festival: f.FullName,
	}
	late := now.Sub(g.NextAt) > j.cfg.LateLimit
	if late {
		b.Status, b.FinishedAt = qunzhu.BroadcastExpired, now
	}
	switch err := tx.CreateBroadcast(b); {
	case qunzhu.ErrorCode(err) == qunzhu.ECONFLICT:
		j.log.Info("greeting already sent this year", "greeting", g.ID, "year", g.NextYear)
	case err != nil:
		return err
	case late:
		j.log.Warn("greeting missed its day; not sent", "greeting", g.ID, "year", g.NextYear)
		err = j.tell(tx, b, "missed", fmt.Sprintf("%d年%s祝福原定%s发出，服务停机错过了，今年没有发出。",
			g.NextYear, f.FullName, qunzhu.FormatWhen(g.NextAt, j.local(now))))
		if err != nil {
			return err
		}
	default:
		n, err := qunzhu.QueueBroadcast(tx, b)
		if err != nil {
			return err
		}
		j.log.Info("greeting queued", "greeting", g.ID, "year", g.NextYear, "broadcast", b.ID, "groups", n)
	}
	next, year, ok := qunzhu.NextFestivalTime(j.cfg.Calendar, g.Festival, g.Hour, g.Minute, g.NextAt)
	if !ok {
		return fmt.Errorf("greeting %d: no date for %s after %v", g.ID, g.Festival, g.NextAt)
	}
	g.NextAt, g.NextYear = next, year
	return tx.UpdateGreeting(g)
}

// tell writes a message for the broadcast's author into the group they typed
// it in, at reply priority so it never waits behind the broadcast itself.
// what makes it idempotent ("report", "progress:12", …).
func (j *Broadcasts) tell(tx qunzhu.Tx, b *qunzhu.Broadcast, what, text string) error {
	_, err := tx.Enqueue(&qunzhu.OutMessage{
		GroupID:  b.OriginGroupID,
		Kind:     qunzhu.KindReply,
		Priority: qunzhu.PriorityReply,
		Text:     mention(b.AuthorName) + text,
		DedupKey: fmt.Sprintf("broadcast:%d:%s", b.ID, what),
	})
	return err
}

// mention writes "@name" + U+2005 (qunzhu.Mention).
var mention = qunzhu.Mention

func withPicture(b *qunzhu.Broadcast) string {
	if b.ImageID != 0 {
		return "（带图片）"
	}
	return ""
}

func (j *Broadcasts) local(t time.Time) time.Time { return t.In(j.cfg.Location) }

// joinErrs drops nils; nil when all are.
func joinErrs(errs []error) error {
	var out []error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return fmt.Errorf("%d broadcast steps failed, first: %w", len(out), out[0])
}
