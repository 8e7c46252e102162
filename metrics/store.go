package metrics

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunzhu/qunzhu"
)

// The metrics read from the store at scrape time. Counting rows rather than
// events in memory makes them survive restarts and agree with the outbox
// itself: a message enqueued by any replica, command or webhook is counted.
var (
	descEnqueued = prometheus.NewDesc("qunzhu_messages_enqueued_total",
		"Chat messages ever written to the outbox, by platform, kind and priority.",
		[]string{"platform", "kind", "priority"}, nil)
	descSent = prometheus.NewDesc("qunzhu_messages_sent_total",
		"Chat messages the platform accepted, by platform, kind and priority.",
		[]string{"platform", "kind", "priority"}, nil)
	descFailed = prometheus.NewDesc("qunzhu_messages_failed_total",
		"Chat messages given up for good (group unregistered, broadcast cancelled), by platform, kind and priority.",
		[]string{"platform", "kind", "priority"}, nil)
	descBacklog = prometheus.NewDesc("qunzhu_outbox_backlog_messages",
		"Messages waiting in the outbox (pending, or sending right now).",
		[]string{"status"}, nil)
	descOldest = prometheus.NewDesc("qunzhu_outbox_oldest_pending_age_seconds",
		"Age of the oldest pending outbox message; 0 when nothing waits.", nil, nil)
	descIntake = prometheus.NewDesc("qunzhu_intake_journal_entries",
		"Webhook requests accepted into the intake journal and not applied yet (state=pending), or whose apply failed (state=failed).",
		[]string{"state"}, nil)
	descIntakeAge = prometheus.NewDesc("qunzhu_intake_oldest_pending_age_seconds",
		"How long the oldest accepted webhook request has waited to be applied; 0 when none waits.", nil, nil)
	descSteps = prometheus.NewDesc("qunzhu_ladder_steps_total",
		"Escalation ladder steps taken on 督办 tasks (remind, due, yellow, red, daily), by step.",
		[]string{"step"}, nil)
	descUp = prometheus.NewDesc("qunzhu_store_up",
		"1 if the store answered this scrape's reads, 0 if not.", nil, nil)
)

// storeCollector reads the outbox and the ladder at each scrape.
type storeCollector struct{ cfg Config }

func newStoreCollector(cfg Config) *storeCollector { return &storeCollector{cfg: cfg} }

// Describe sends every descriptor, so the registry checks names up front.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEnqueued, descSent, descFailed, descBacklog, descOldest, descIntake, descIntakeAge, descSteps, descUp} {
		ch <- d
	}
}

// labelKey is one series of the message counters.
type labelKey struct{ platform, kind, priority string }

// Collect reads the store; when it does not answer, only qunzhu_store_up 0 is
// sent, because a counter that drops to zero would read as a reset.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ScrapeTimeout)
	defer cancel()
	var (
		counts []qunzhu.OutboxCount
		steps  map[string]int
		intake qunzhu.IntakeBacklog
	)
	err := c.cfg.Store.View(ctx, func(tx qunzhu.Tx) error {
		var err error
		if counts, err = tx.OutboxCounts(); err != nil {
			return err
		}
		if steps, err = tx.LadderStepCounts(); err != nil {
			return err
		}
		intake, err = tx.IntakeBacklog()
		return err
	})
	var stats qunzhu.OutboxStats
	if err == nil {
		stats, err = c.cfg.Store.OutboxStats(ctx)
	}
	if err != nil {
		c.cfg.Logger.Warn("metrics: store did not answer", slog.String("error", err.Error()))
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)

	enq, sent, failed := map[labelKey]int{}, map[labelKey]int{}, map[labelKey]int{}
	for _, n := range counts {
		k := labelKey{c.cfg.Platform(n.GroupID), string(n.Kind), priorityName(n.Priority)}
		enq[k] += n.N
		switch n.Status {
		case qunzhu.OutSent:
			sent[k] += n.N
		case qunzhu.OutFailed:
			failed[k] += n.N
		}
	}
	for k, n := range enq {
		// Every series that was ever enqueued also exists as sent and failed
		// (possibly 0), so rate() and ratios work from the first message.
		ch <- prometheus.MustNewConstMetric(descEnqueued, prometheus.CounterValue, float64(n), k.platform, k.kind, k.priority)
		ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(sent[k]), k.platform, k.kind, k.priority)
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(failed[k]), k.platform, k.kind, k.priority)
	}
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(stats.Pending), "pending")
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(stats.Sending), "sending")
	now := c.cfg.Clock.Now()
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, ageSeconds(now, stats.OldestPending))
	ch <- prometheus.MustNewConstMetric(descIntake, prometheus.GaugeValue, float64(intake.Pending), "pending")
	ch <- prometheus.MustNewConstMetric(descIntake, prometheus.GaugeValue, float64(intake.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(descIntakeAge, prometheus.GaugeValue, ageSeconds(now, intake.Oldest))
	for step, n := range steps {
		ch <- prometheus.MustNewConstMetric(descSteps, prometheus.CounterValue, float64(n), step)
	}
}

// priorityName is the label for a priority: the kind of message it serves
// first, or the number for a priority no constant names.
func priorityName(p qunzhu.Priority) string {
	switch p {
	case qunzhu.PriorityReply:
		return "reply"
	case qunzhu.PriorityAlert:
		return "alert"
	case qunzhu.PriorityReminder:
		return "reminder"
	case qunzhu.PriorityBroadcast:
		return "broadcast"
	}
	return strconv.Itoa(int(p))
}

// ageSeconds is how long ago oldest was, 0 when there is none (or the clock
// is behind it).
func ageSeconds(now, oldest time.Time) float64 {
	if oldest.IsZero() {
		return 0
	}
	return max(now.Sub(oldest).Seconds(), 0)
}
