package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// readyTimeout bounds the store checks of /readyz: a probe that hangs is worse
// than one that says "unavailable", because orchestrators time out without
// telling anyone why.
const readyTimeout = 2 * time.Second

// Ready statuses in ReadyResponse.
const (
	ReadyOK          = "ok"          // store answers and the chat session is online
	ReadyDegraded    = "degraded"    // webhooks are accepted and queued, but not sent now
	ReadyUnavailable = "unavailable" // the store fails: nothing can be accepted
)

// ReadyResponse is the body of /readyz. It is exported for the dashboard and the
// end-to-end test; it holds counts and states only, never secrets or raw
// errors (the store's reason is a sentence the store wrote for operators).
type ReadyResponse struct {
	Status string `json:"status"`
	Store  string `json:"store"` // "ok" or "error"
	// StoreReason says why the store refuses writes (its files changed under
	// it, a read-only disk); absent when it is fine or failed otherwise.
	StoreReason string `json:"store_reason,omitempty"`
	WeChat      string `json:"wechat"` // a qunzhu.SessionState, or "unknown"
	// Platforms is each configured platform's session state, by platform
	// ("wechat", "dingtalk", "wecom"); any one not online makes it degraded.
	Platforms map[string]string `json:"platforms,omitempty"`
	Outbox    *OutboxReport     `json:"outbox"` // null when the store fails
	// Intake is the intake journal: requests accepted and answered but not
	// applied yet, and those whose apply failed; null when the store fails.
	Intake *IntakeReport `json:"intake"`
	// Daily is the day's count against the account's daily cap; null when
	// no sender is wired.
	Daily *DailyReport `json:"daily,omitempty"`
	// Reasons say, in English, why the status is degraded.
	Reasons []string `json:"reasons,omitempty"`
}

// DailyReport is the account's sends today against its daily cap: when Sent
// reaches Cap minus Reserved only alerts still go, and /readyz is degraded.
type DailyReport struct {
	Sent     int `json:"sent"`
	Cap      int `json:"cap"`      // 0: no cap
	Reserved int `json:"reserved"` // of Cap, kept for alerts
}

// Backlog thresholds of /readyz: more waiting messages than BacklogMax, or
// one waiting longer than BacklogAge, means delivery is not keeping up.
const (
	BacklogMax = 200
	BacklogAge = 10 * time.Minute
)

// OutboxReport is the part of the outbox an operator needs to see a backlog: how
// much waits, how much gave up, and since when the oldest has waited.
type OutboxReport struct {
	Pending       int     `json:"pending"`
	Failed        int     `json:"failed"`
	OldestPending *string `json:"oldest_pending"` // RFC 3339, null when nothing is pending
	// OldestPendingAge is how long the oldest pending message has waited,
	// in seconds (0 when none).
	OldestPendingAge int `json:"oldest_pending_age_s"`
}

// IntakeLagMax is how long an accepted request may wait in the intake
// journal before /readyz calls the pipeline degraded.
const IntakeLagMax = time.Minute

// IntakeReport is the intake journal's state (webhook/journal.go).
type IntakeReport struct {
	Pending int `json:"pending"`
	// OldestPendingAge is how long the oldest accepted request has waited
	// to be applied, in seconds (0 when none).
	OldestPendingAge int `json:"oldest_pending_age_s"`
	// Failed counts accepted requests that could not be applied; each is
	// logged and kept in the journal with its reason.
	Failed int `json:"failed"`
}

// handleHealthz answers as long as the process serves HTTP: it is the liveness
// probe, and restarting us will not fix a store or a WeChat problem.
func (s *server) handleHealthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": ReadyOK})
}

// handleReadyz reports whether we can accept webhooks, and how the rest of the
// pipeline is doing.
//
// Only a failing store makes it 503: that is the one case where an accepted
// webhook could not be kept, so a load balancer should send traffic elsewhere.
// A WeChat session that is logged out, waiting for a QR scan or banned is
// "degraded" with 200: webhooks are still accepted and durably queued, and will
// be sent after the next login (the DESIGN promise). Answering 503 there would
// make load balancers and senders drop or retry alerts that we could have kept,
// and would turn a chat outage into an intake outage. The wechat field and the
// outbox backlog tell the operator what is wrong.
func (s *server) handleReadyz(c *gin.Context) {
	resp := ReadyResponse{Status: ReadyOK, Store: "ok", WeChat: "unknown"}
	if s.state != nil {
		resp.WeChat = string(s.state())
		if resp.WeChat != string(qunzhu.StateOnline) {
			resp.Status = ReadyDegraded
		}
	}
	if s.plats != nil {
		resp.Platforms = map[string]string{}
		for p, st := range s.plats() {
			resp.Platforms[string(p)] = string(st)
			if st != qunzhu.StateOnline {
				resp.Status = ReadyDegraded
			}
		}
	}

	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	stats, err := s.storeStats(ctx)
	if err != nil {
		s.logger.Error("webhook: readiness check: store failed", slog.String("error", err.Error()))
		resp.Status, resp.Store = ReadyUnavailable, "error"
		if qunzhu.ErrorCode(err) == qunzhu.EUNAVAILABLE {
			resp.StoreReason = qunzhu.ErrorMessage(err)
		}
		c.JSON(http.StatusServiceUnavailable, resp)
		return
	}
	resp.Outbox = &OutboxReport{Pending: stats.Pending, Failed: stats.Failed}
	if !stats.OldestPending.IsZero() {
		t := stats.OldestPending.Format(time.RFC3339)
		resp.Outbox.OldestPending = &t
		resp.Outbox.OldestPendingAge = int(s.clock.Now().Sub(stats.OldestPending) / time.Second)
	}
	var backlog qunzhu.IntakeBacklog
	if err := s.store.View(ctx, func(tx qunzhu.Tx) (err error) { backlog, err = tx.IntakeBacklog(); return err }); err == nil {
		resp.Intake = &IntakeReport{Pending: backlog.Pending, Failed: backlog.Failed}
		if !backlog.Oldest.IsZero() {
			resp.Intake.OldestPendingAge = max(int(s.clock.Now().Sub(backlog.Oldest)/time.Second), 0)
		}
		if lag := time.Duration(resp.Intake.OldestPendingAge) * time.Second; lag > IntakeLagMax {
			resp.Reasons = append(resp.Reasons, fmt.Sprintf("intake journal behind: %d accepted requests not applied, the oldest for %ds", backlog.Pending, resp.Intake.OldestPendingAge))
		}
	}
	if resp.WeChat != "unknown" && resp.WeChat != string(qunzhu.StateOnline) {
		resp.Reasons = append(resp.Reasons, "chat session "+resp.WeChat)
	}
	if o := resp.Outbox; o.Pending > BacklogMax || time.Duration(o.OldestPendingAge)*time.Second > BacklogAge {
		resp.Reasons = append(resp.Reasons, fmt.Sprintf("backlog: %d pending, the oldest waiting %ds", o.Pending, o.OldestPendingAge))
	}
	if s.daily != nil {
		sent, limit, reserved := s.daily()
		resp.Daily = &DailyReport{Sent: sent, Cap: limit, Reserved: reserved}
		if limit > 0 && sent >= limit-reserved {
			resp.Reasons = append(resp.Reasons, fmt.Sprintf("daily cap nearly used: %d of %d sent, the last %d kept for alerts", sent, limit, reserved))
		}
	}
	if len(resp.Reasons) > 0 {
		resp.Status = ReadyDegraded
	}
	c.JSON(http.StatusOK, resp)
}

// storeStats pings the store and reads the outbox counts; either failing means
// the store cannot be relied on.
func (s *server) storeStats(ctx context.Context) (qunzhu.OutboxStats, error) {
	if err := s.store.Ping(ctx); err != nil {
		return qunzhu.OutboxStats{}, err
	}
	return s.store.OutboxStats(ctx)
}
