package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/qunzhu/qunzhu"
)

// The intake journal, webhook side. A hotline ticket or a message is
// authenticated, parsed, validated, checked against a read snapshot (the
// group exists, the unit has a route, the event is new) and masked with no
// lock held; then one insert puts it in the journal (qunzhu.Journal.Accept)
// and the sender is answered, with the numbers it is promised (the message's
// id, the 督办 task's number) reserved by that insert. The Applier makes
// each entry's effect afterwards, in acceptance order, many entries to a
// transaction: the ticket, the task, the digest, the outbox row. A duplicate
// (same dedup_key, same ticket event, a replayed request) hits the journal's
// unique key and is answered 200 with the first request's numbers.

// Journal entry kinds.
const (
	intakeMessage = "message"
	intakeHotline = "hotline"
)

// messagePayload is a message's journal entry: the group found at intake and
// the text already masked, so the journal never holds a citizen's number.
type messagePayload struct {
	GroupID  int64  `json:"group_id"`
	Text     string `json:"text"`
	DedupKey string `json:"dedup_key,omitempty"`
}

// ticketKey is a ticket event's journal key: overdue and closed happen once
// per ticket, updates are told apart by ticketEvent.key.
func ticketKey(ticketID string, event qunzhu.TicketEvent, eventKey string) string {
	k := "ticket:" + ticketID + ":" + string(event)
	if eventKey != "" {
		k += ":" + eventKey
	}
	return k
}

// messageKey is a message's journal key: its dedup_key when it has one (a
// retry is a duplicate however it was re-signed), else the signed request
// itself (a replay is a duplicate, a new request with the same text is not).
func messageKey(source string, ts int64, body []byte, dedupKey string) string {
	if dedupKey != "" {
		return "dedup:" + dedupKey
	}
	return replayKey(source, fmt.Sprint(ts), string(body))
}

// applyBatch is how many entries one ApplyIntake call takes at most.
const applyBatch = 256

// Applier applies the journal's entries. Run it for the life of the server;
// entries accepted before a crash are applied when it starts again.
type Applier struct {
	s *server
	// retry is how long Run waits after the store failed before trying again.
	retry time.Duration
}

// NewApplier returns the applier for the sources in d; it uses d's Store,
// Sources, Clock, Logger, Location and Masker exactly as NewServer does.
func NewApplier(d Deps) *Applier {
	if d.Store == nil {
		panic("webhook.NewApplier: Deps.Store is nil")
	}
	return &Applier{s: newServer(d, false), retry: time.Second}
}

// Run applies entries as they are accepted until ctx ends.
func (a *Applier) Run(ctx context.Context) error {
	// A slow tick catches what a lost wake-up or a failed batch left.
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		for {
			start := time.Now()
			more, last, err := a.step(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				a.s.logger.Error("webhook: applying accepted requests failed; will try again",
					slog.String("error", err.Error()))
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(a.retry):
				}
				continue
			}
			if !more {
				break
			}
			// Intake first: while requests keep being accepted, the
			// applier leaves the single writer to them (applierPause),
			// so a flood is answered at the speed of one insert per
			// request, and the backlog is applied at full speed once
			// the flood ends.
			select {
			case <-a.s.store.Accepted():
				pause := applierPause(time.Since(start), a.s.clock.Now().Sub(last))
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(pause):
				}
			default:
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.s.store.Accepted():
		case <-tick.C:
		}
	}
}

// Drain applies every pending entry now and returns when none is left (or
// the store failed): tests, and a shutdown that wants the journal empty.
func (a *Applier) Drain(ctx context.Context) error {
	for {
		more, _, err := a.step(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// applierPause is how long the applier leaves the writer to intake after a
// batch that took took, while requests keep being accepted and the entries
// it applied last were accepted lag ago. While it keeps up (lag under
// applierLagBound) it takes a twentieth of the writer, so a burst is accepted
// at nearly the speed of one insert per request; once it falls further
// behind it takes a quarter, so the backlog of a long flood stays bounded.
func applierPause(took, lag time.Duration) time.Duration {
	share := 19 * took
	if lag >= applierLagBound {
		share = 3 * took
	}
	return min(max(share, 5*time.Millisecond), 100*time.Millisecond)
}

// applierLagBound is how far behind the applier may fall before it takes
// a larger share of the writer during a flood.
const applierLagBound = 10 * time.Second

// step applies one batch and reports whether entries are left and when the
// last one applied was accepted.
func (a *Applier) step(ctx context.Context) (bool, time.Time, error) {
	res, err := a.s.store.ApplyIntake(ctx, applyBatch, a.s.applyEntry)
	if err != nil {
		return false, time.Time{}, err
	}
	for _, e := range res.Failed {
		// The sender was answered 2xx: this needs a person. The payload is
		// kept in the journal; the log names the entry, not its content.
		a.s.logger.Error("webhook: an accepted request could not be applied",
			slog.Int64("intake_id", e.ID), slog.String("source", e.Source), slog.String("kind", e.Kind),
			slog.String("error", e.Error))
	}
	return res.More, res.Last, nil
}

// applyEntry is one entry's effect, inside ApplyIntake's transaction.
func (s *server) applyEntry(tx qunzhu.Tx, e *qunzhu.IntakeEntry) error {
	switch e.Kind {
	case intakeMessage:
		return s.applyMessage(tx, e)
	case intakeHotline:
		src, ok := s.sources[e.Source]
		if !ok || src.kind() != KindHotline {
			return qunzhu.Errorf(CodeUnknownSource, "来源 %s 已不在配置中 (source no longer configured)", e.Source)
		}
		ev, err := parseTicketEvent(e.Payload)
		if err != nil {
			return err
		}
		ev.src, ev.reservedTask = src, e.TaskID
		_, err = s.applyTicketEvent(tx, ev)
		return err
	}
	return fmt.Errorf("unknown intake kind %q", e.Kind)
}

// applyMessage enqueues an accepted message under the id it was answered with.
func (s *server) applyMessage(tx qunzhu.Tx, e *qunzhu.IntakeEntry) error {
	var p messagePayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return fmt.Errorf("intake %d: payload: %w", e.ID, err)
	}
	m := &qunzhu.OutMessage{
		Reserved: e.OutboxID,
		GroupID:  p.GroupID,
		Kind:     qunzhu.KindWebhook,
		Priority: qunzhu.KindWebhook.DefaultPriority(),
		Text:     p.Text,
	}
	if p.DedupKey != "" {
		// The outbox's own key stays, for messages accepted before the journal.
		m.DedupKey = "webhook:" + e.Source + ":" + p.DedupKey
	}
	_, err := tx.Enqueue(m)
	return err
}
