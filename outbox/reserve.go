package outbox

import (
	"context"
	"time"

	"github.com/qunzhu/qunzhu"
)

// The reserve keeps a share of the account's pace and daily cap for alerts, so
// that no volume of command replies, reminders or broadcasts can push an
// overdue notice or an Alertmanager alert past its next send slot or past the
// cap: past Limits.Daily minus Limits.ReserveDaily only alerts go, and while
// an alert waits, replies (which rank above alerts) get every other slot at
// most. Guests' replies rank below alerts anyway (PriorityGuestReply).

// Reserved reports whether m may use the reserved share: alerts (overdue
// tasks, hotline tickets, report deadlines), webhooks, anything urgent, and
// the service's own notices.
func Reserved(m *qunzhu.OutMessage) bool {
	switch m.Kind {
	case qunzhu.KindAlert, qunzhu.KindWebhook, qunzhu.KindNotice:
		return true
	}
	return m.Urgent
}

// defaultReserveDaily is the share of the daily cap kept for alerts: a fifth.
func defaultReserveDaily(daily int) int { return daily / 5 }

// ordinaryOpen reports whether today's count leaves room for messages outside
// the reserve; call it after check.
func (d *dailyCap) ordinaryOpen() bool {
	return d.max <= 0 || d.sent < d.max-d.reserve
}

// onlyReserved keeps the messages of due that may use the reserve, in order.
func onlyReserved(due []*qunzhu.OutMessage) []*qunzhu.OutMessage {
	var out []*qunzhu.OutMessage
	for _, m := range due {
		if Reserved(m) {
			out = append(out, m)
		}
	}
	return out
}

// alertWaits reports whether an alert is due, among the batch or behind a
// full batch of higher-ranking replies; one found behind is appended to due
// so it can take the slot.
func (s *Sender) alertWaits(ctx context.Context, due []*qunzhu.OutMessage) ([]*qunzhu.OutMessage, bool, error) {
	for _, m := range due {
		if Reserved(m) {
			return due, true, nil
		}
	}
	if len(due) < s.cfg.Batch {
		return due, false, nil
	}
	more, err := s.store.DueAlerts(ctx, s.clock.Now(), 1)
	if err != nil || len(more) == 0 {
		return due, false, err
	}
	return append(due, more...), true, nil
}

// isReply reports whether m answers a command.
func isReply(m *qunzhu.OutMessage) bool { return m.Kind == qunzhu.KindReply && !Reserved(m) }

// DailyUsage is the day's count against the cap, for /readyz: sent today,
// the cap (0: none) and the share of it kept for alerts.
type DailyUsage struct {
	Sent, Cap, Reserved int
	// Day is the local midnight the count starts at; zero before the first
	// check.
	Day time.Time
}

// Usage reports the daily count as of the sender's last step.
func (s *Sender) Usage() DailyUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage
}

// publishUsage copies the Run goroutine's count for Usage.
func (s *Sender) publishUsage() {
	u := DailyUsage{Sent: s.daily.sent, Cap: s.daily.max, Reserved: s.daily.reserve, Day: s.daily.day}
	s.mu.Lock()
	s.usage = u
	s.mu.Unlock()
}
