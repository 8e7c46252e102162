package webhook

import (
	"context"

	"github.com/qunzhu/qunzhu"
)

// ticketPlan is what intake tells the hotline before the event is applied.
type ticketPlan struct {
	resp        HotlineResponse
	reserveTask bool // an overdue ticket with no task yet: reserve its number
}

// planTicket checks an event against a read snapshot, with no lock held,
// and works out the answer: a duplicate of an event already applied, a
// refusal the sender must hear now (an overdue ticket whose unit has no
// route), or what the applier will do (queued: something will be posted;
// recorded: kept only) and the task's number. Entries accepted but not yet
// applied are taken into account through the journal's keys, so an event
// that follows its overdue event at once still learns the task's number.
func (s *server) planTicket(ctx context.Context, tx qunzhu.Tx, ev *ticketEvent) (ticketPlan, error) {
	src, id := ev.src, ev.req.TicketID
	p := ticketPlan{resp: HotlineResponse{TicketID: id}}
	tk, err := tx.TicketByNumber(src.Name, id)
	isNew := qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND
	if err != nil && !isNew {
		return p, err
	}
	if !isNew {
		seen, err := tx.TicketEventRecorded(tk.ID, ev.event, ev.key())
		if err != nil || seen {
			p.resp.Status, p.resp.TaskID = StatusDuplicate, tk.TaskID
			return p, err
		}
	} else {
		tk = &qunzhu.Ticket{Source: src.Name, TicketID: id}
	}
	// What the journal holds for this ticket that is not applied yet. An
	// overdue event for a ticket never seen needs none of it (the same
	// overdue still pending is a duplicate at Accept, by its key) but for
	// a close accepted just before and not applied yet: then the answer
	// says queued and a number that the applier, finding the ticket
	// closed, leaves unused. Hotlines close tickets after they are
	// overdue, not before, so the flood of new tickets is not made to pay
	// a second lookup each for that.
	var pendingOverdue, pendingClosed *qunzhu.IntakeEntry
	if !isNew || ev.event != qunzhu.TicketOverdue {
		if pendingOverdue, pendingClosed, err = pendingTicketEvents(tx, src.Name, id); err != nil {
			return p, err
		}
	}
	taskID := tk.TaskID
	if taskID == 0 && pendingOverdue != nil {
		taskID = pendingOverdue.TaskID
	}
	// A ticket seen before may have had its task opened by hand or by an
	// older version; a new one cannot (two hotline sources sharing ticket
	// numbers aside: the applier then keeps the first task).
	if taskID == 0 && !isNew {
		switch task, err := tx.TaskByExternal(qunzhu.TaskSourceHotline, id); {
		case err == nil:
			taskID = task.ID
		case qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND:
			return p, err
		}
	}
	closed := tk.Status == qunzhu.TicketClosed || pendingClosed != nil

	p.resp.Status, p.resp.TaskID = StatusRecorded, taskID
	switch ev.event {
	case qunzhu.TicketOverdue:
		if closed {
			return p, nil // a late overdue does not reopen a closed ticket
		}
		probe := *tk
		ev.merge(&probe)
		find := func(ref string) (*qunzhu.Group, error) { return s.findGroupCached(ctx, ref) }
		if _, err := routeGroups(find, src, &probe); err != nil {
			return p, err // the sender must fix its routing: refused now
		}
		p.resp.Status = StatusQueued
		p.reserveTask = taskID == 0
	case qunzhu.TicketClosed:
		if taskID == 0 {
			return p, nil // never overdue: nothing was announced
		}
		posts, err := s.closingPosts(tx, ev, tk, pendingOverdue != nil)
		if err != nil {
			return p, err
		}
		if posts {
			p.resp.Status = StatusQueued
		}
	}
	return p, nil
}

// pendingTicketEvents are the journal's entries for a ticket's overdue and
// closed events while they are not applied yet (nil when there is none).
func pendingTicketEvents(tx qunzhu.Tx, source, ticketID string) (overdue, closed *qunzhu.IntakeEntry, err error) {
	es, err := tx.PendingIntake(source, ticketKey(ticketID, qunzhu.TicketOverdue, ""), ticketKey(ticketID, qunzhu.TicketClosed, ""))
	for _, e := range es {
		if e.Key == ticketKey(ticketID, qunzhu.TicketOverdue, "") {
			overdue = e
		} else {
			closed = e
		}
	}
	return overdue, closed, err
}

// closingPosts reports whether closing the ticket will post a closing line
// somewhere: in a routed group where it was announced, not where it still
// waits in a digest (it is then taken out of the digest silently). An
// overdue event still in the journal will be waiting in a fresh digest when
// the close is applied, unless the source posts without a digest window.
func (s *server) closingPosts(tx qunzhu.Tx, ev *ticketEvent, tk *qunzhu.Ticket, overduePending bool) (bool, error) {
	if overduePending && ev.src.DigestWindow > 0 {
		return false, nil
	}
	probe := *tk
	ev.merge(&probe)
	groups, err := s.ticketGroups(tx, ev.src, &probe)
	if err != nil {
		return false, nil // no route any more: nowhere to say it (as the applier decides)
	}
	silent := map[int64]bool{}
	if tk.ID != 0 {
		pending, err := tx.DigestsOfTicket(tk.ID, tx.Now())
		if err != nil {
			return false, err
		}
		for _, d := range pending {
			silent[d.GroupID] = true
		}
	}
	for _, g := range groups {
		if !silent[g.ID] {
			return true, nil
		}
	}
	return false, nil
}
