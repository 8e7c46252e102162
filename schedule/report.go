package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu"
)

// ReportTexts words what the 交作业 job posts. commands.Reports implements it,
// so the feature's sentences live in one package; cmd wires the two together.
type ReportTexts interface {
	// ReminderText names the missing units; mention and quiet map each unit
	// to the bound members to @-mention and to name plainly.
	ReminderText(st qunzhu.CycleStatus, mention, quiet map[string][]string, now time.Time) string
	SummaryText(st qunzhu.CycleStatus, now time.Time) string
}

// ReportJobConfig configures the 交作业 job.
type ReportJobConfig struct {
	// Calendar must be the one the commands use.
	Calendar qunzhu.ReportCalendar
	Texts    ReportTexts
	// PersonLimits cap how often one person is @-mentioned by reminders, each
	// under its own key; default DefaultPersonLimits. A person over a limit is
	// still named, without the @.
	PersonLimits []qunzhu.Limit
	Logger       *slog.Logger
	Batch        int // cycles per query; default 50
	// Quiet holds reminders (免打扰; the zero value: never): one due in
	// quiet time goes out when it ends if that is before the deadline, else
	// the summary says it all. The program passes the nights only: a cycle's
	// day is the owner's choice, rest day or not.
	Quiet qunzhu.QuietHours
}

// DefaultPersonLimits are DESIGN.md's per-person reminder limits: at most one
// every 2 hours and 3 a day.
func DefaultPersonLimits() []qunzhu.Limit {
	return []qunzhu.Limit{
		{Rate: 1, Period: 2 * time.Hour, Burst: 1},
		{Rate: 3, Period: 24 * time.Hour, Burst: 3},
	}
}

// PersonLimitKey is the limiter key of a member's reminders; the n-th limit
// gets a suffix. Other features that remind people use the same keys, so a
// person's limit is shared across them.
func PersonLimitKey(memberID int64, n int) string {
	key := "remind:member:" + strconv.FormatInt(memberID, 10)
	switch n {
	case 0:
		return key
	case 1:
		return key + ":day"
	}
	return key + ":" + strconv.Itoa(n)
}

// ReportJob posts each cycle's reminder (before the deadline, naming the units
// still missing) and summary (at the deadline). A cycle's row records both, in
// the same transaction as the outbox row, so each happens once per cycle
// across restarts; the outbox dedup keys guard the same. Due cycles come from
// the index on their next action time, never a scan of all cycles.
type ReportJob struct {
	store   qunzhu.Store
	limiter qunzhu.Limiter
	cfg     ReportJobConfig
}

// NewReportJob returns the job; add it to a Runner.
func NewReportJob(store qunzhu.Store, limiter qunzhu.Limiter, cfg ReportJobConfig) *ReportJob {
	if cfg.PersonLimits == nil {
		cfg.PersonLimits = DefaultPersonLimits()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	if cfg.Calendar.Location == nil {
		cfg.Calendar.Location = time.FixedZone("CST", 8*3600)
	}
	return &ReportJob{store: store, limiter: limiter, cfg: cfg}
}

// Name is the job's name in logs.
func (j *ReportJob) Name() string { return "reports" }

// maxRounds bounds one Run, so a backlog larger than maxRounds batches waits
// for the next tick rather than holding the runner.
const maxRounds = 200

// Run does every reminder and summary due at now.
func (j *ReportJob) Run(ctx context.Context, now time.Time) error {
	for range maxRounds {
		var due []*qunzhu.ReportCycle
		err := j.store.View(ctx, func(tx qunzhu.Tx) (err error) {
			due, err = tx.DueReportCycles(now, j.cfg.Batch)
			return err
		})
		if err != nil {
			return fmt.Errorf("due report cycles: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		// Every step finishes a reminder or a summary; a summary may create
		// the next cycles, which the next round finds if already due.
		for _, c := range due {
			if err := j.step(ctx, c, now); err != nil {
				return fmt.Errorf("report cycle %d of group %d: %w", c.ID, c.GroupID, err)
			}
		}
	}
	return nil
}

// step does the cycle's next action.
func (j *ReportJob) step(ctx context.Context, c *qunzhu.ReportCycle, now time.Time) error {
	if c.NextActionAt().Equal(c.RemindAt) && c.RemindedAt.IsZero() {
		return j.remind(ctx, c, now)
	}
	return j.summarize(ctx, c, now)
}

// dedupKey names a cycle's message in the outbox: the group and the deadline
// identify the cycle.
func (j *ReportJob) dedupKey(c *qunzhu.ReportCycle, what string) string {
	return fmt.Sprintf("report:%d:%s:%s", c.GroupID, c.Deadline.In(j.cfg.Calendar.Location).Format("20060102T1504"), what)
}

// remind posts the reminder naming the units still missing, mentioning their
// bound members within the per-person limits. A reminder whose deadline has
// passed (the service was down) is skipped: the summary says it all.
func (j *ReportJob) remind(ctx context.Context, c *qunzhu.ReportCycle, now time.Time) error {
	if open := j.cfg.Quiet.NextOpen(now, j.cfg.Calendar); open.After(now) {
		return j.store.Update(ctx, func(tx qunzhu.Tx) error {
			cur, err := tx.ReportCycleByID(c.ID)
			if err != nil || !cur.RemindedAt.IsZero() || !cur.Deadline.Equal(c.Deadline) {
				return err
			}
			if open.Before(cur.Deadline) {
				cur.RemindAt = open // the next look, once the quiet time is over
			} else {
				cur.RemindedAt = now // too late once it is over: skipped
			}
			return tx.UpdateReportCycle(cur)
		})
	}
	allowed := map[int64]bool{}
	if now.Before(c.Deadline) {
		var people []*qunzhu.Member
		err := j.store.View(ctx, func(tx qunzhu.Tx) error {
			st, err := qunzhu.LoadCycleStatus(tx, c)
			if err != nil {
				return err
			}
			people, err = boundIn(tx, c.GroupID, st.Missing)
			return err
		})
		if err != nil {
			return err
		}
		// The limiter may be Redis: ask it outside the write transaction.
		for _, m := range people {
			allowed[m.ID] = j.allow(ctx, m.ID)
		}
	}
	return j.store.Update(ctx, func(tx qunzhu.Tx) error {
		cur, err := tx.ReportCycleByID(c.ID)
		if err != nil {
			return err
		}
		if !cur.RemindedAt.IsZero() || !cur.Deadline.Equal(c.Deadline) {
			return nil // done meanwhile, or the schedule moved the cycle
		}
		cur.RemindedAt = now
		if err := tx.UpdateReportCycle(cur); err != nil || !now.Before(cur.Deadline) {
			return err
		}
		st, err := qunzhu.LoadCycleStatus(tx, cur)
		if err != nil || len(st.Missing) == 0 {
			return err
		}
		people, err := boundIn(tx, cur.GroupID, st.Missing)
		if err != nil {
			return err
		}
		mention, quiet := map[string][]string{}, map[string][]string{}
		for _, m := range people {
			if allowed[m.ID] {
				mention[m.Unit] = append(mention[m.Unit], shownName(m))
			} else {
				quiet[m.Unit] = append(quiet[m.Unit], shownName(m))
			}
		}
		_, err = tx.Enqueue(&qunzhu.OutMessage{
			GroupID: cur.GroupID, Kind: qunzhu.KindReminder, Priority: qunzhu.PriorityReminder,
			Text:     j.cfg.Texts.ReminderText(st, mention, quiet, now),
			DedupKey: j.dedupKey(cur, "reminder"), Ref: fmt.Sprintf("report:%d", cur.ID), NotBefore: now,
		})
		if err == nil {
			j.cfg.Logger.Info("report reminder queued", "group_id", cur.GroupID, "cycle_id", cur.ID,
				"missing", len(st.Missing), "mentioned", len(people)-countQuiet(quiet))
		}
		return err
	})
}

// summarize posts the summary of a cycle whose deadline passed and creates
// the cycles that follow it. A cycle whose successor's deadline has passed as
// well (the service was down for a whole cycle) is closed without a message,
// so a restart does not flood the group with old summaries.
func (j *ReportJob) summarize(ctx context.Context, c *qunzhu.ReportCycle, now time.Time) error {
	return j.store.Update(ctx, func(tx qunzhu.Tx) error {
		cur, err := tx.ReportCycleByID(c.ID)
		if err != nil {
			return err
		}
		if !cur.SummarizedAt.IsZero() || cur.Deadline.After(now) {
			return nil
		}
		cur.SummarizedAt = now
		if cur.RemindedAt.IsZero() {
			cur.RemindedAt = now // too late to remind
		}
		if err := tx.UpdateReportCycle(cur); err != nil {
			return err
		}
		s, err := tx.ReportSchedule(cur.GroupID)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := qunzhu.EnsureReportCycles(tx, s, j.cfg.Calendar, now); err != nil {
			return err
		}
		if next, ok := j.cfg.Calendar.NextDeadline(s.Rule, cur.Deadline.Add(time.Millisecond)); ok && !next.At.After(now) {
			j.cfg.Logger.Info("report summary skipped: a later deadline passed too", "group_id", cur.GroupID, "cycle_id", cur.ID)
			return nil
		}
		st, err := qunzhu.LoadCycleStatus(tx, cur)
		if err != nil || st.Expected() == 0 {
			return err
		}
		_, err = tx.Enqueue(&qunzhu.OutMessage{
			GroupID: cur.GroupID, Kind: qunzhu.KindAlert, Priority: qunzhu.PriorityAlert,
			Text:     j.cfg.Texts.SummaryText(st, now),
			DedupKey: j.dedupKey(cur, "summary"), Ref: fmt.Sprintf("report:%d", cur.ID), NotBefore: now,
		})
		if err == nil {
			j.cfg.Logger.Info("report summary queued", "group_id", cur.GroupID, "cycle_id", cur.ID,
				"submitted", len(st.Submitted), "expected", st.Expected())
		}
		return err
	})
}

// allow reports whether one more reminder may mention the member, checking
// each limit in turn so a denied short limit does not spend the daily one.
// A limiter failure counts as denied: the unit is still named.
func (j *ReportJob) allow(ctx context.Context, memberID int64) bool {
	for i, l := range j.cfg.PersonLimits {
		res, err := j.limiter.Allow(ctx, PersonLimitKey(memberID, i), l)
		if err != nil {
			j.cfg.Logger.Warn("person limit unavailable; not mentioning", "member_id", memberID, "err", err)
			return false
		}
		if !res.Allowed {
			return false
		}
	}
	return true
}

// boundIn returns the bound members of the given units, in registration order.
func boundIn(tx qunzhu.Tx, groupID int64, units []string) ([]*qunzhu.Member, error) {
	members, err := tx.Members(groupID)
	if err != nil {
		return nil, err
	}
	var out []*qunzhu.Member
	for _, m := range members {
		if m.Bound && slices.Contains(units, m.Unit) {
			out = append(out, m)
		}
	}
	return out, nil
}

// shownName is the name the group shows for a member, which a mention must match.
func shownName(m *qunzhu.Member) string {
	if n := m.Identity.Name(); n != "" {
		return n
	}
	return m.Name
}

func countQuiet(quiet map[string][]string) int {
	n := 0
	for _, names := range quiet {
		n += len(names)
	}
	return n
}
