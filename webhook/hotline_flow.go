package webhook

import (
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// digestShown is how many tickets a digest lists; the rest are counted.
const digestShown = 10

// openTask finds the groups an overdue ticket is routed to and opens its
// 督办 task (in the first of them), unless the ticket has one already.
func (s *server) openTask(tx qunzhu.Tx, ev *ticketEvent, tk *qunzhu.Ticket) ([]*qunzhu.Group, error) {
	groups, err := s.ticketGroups(tx, ev.src, tk)
	if err != nil {
		return nil, err
	}
	task, err := tx.TaskByExternal(qunzhu.TaskSourceHotline, tk.TicketID)
	switch {
	case qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND:
		task = &qunzhu.Task{
			ID:         ev.reservedTask, // the number the sender was answered with
			GroupID:    groups[0].ID,
			Title:      taskTitle(s.mask, tk),
			Unit:       tk.Unit,
			Source:     qunzhu.TaskSourceHotline,
			ExternalID: tk.TicketID,
			Deadline:   tk.Deadline,
		}
		if err := tx.CreateTask(task, hotlineActor); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	tk.TaskID = task.ID
	return groups, nil
}

// announce posts an overdue ticket into g: at once when the source has no
// digest window, else into the unit's open digest for g, or a new one due
// at the end of the window. The digest's message is an outbox row waiting
// for its due time; a ticket that joins rewrites it, in this transaction.
func (s *server) announce(tx qunzhu.Tx, src Source, g *qunzhu.Group, tk *qunzhu.Ticket) error {
	contacts, err := unitContacts(tx, g.ID, tk.Unit)
	if err != nil {
		return err
	}
	now := tx.Now()
	if src.DigestWindow <= 0 {
		m := s.overdueMessage(g.ID, noticeText(s.mask, tk, contacts, now, s.loc))
		m.DedupKey = fmt.Sprintf("hotline:%s:%s:overdue:%d", src.Name, tk.TicketID, g.ID)
		_, err := tx.Enqueue(m)
		return err
	}
	d, err := tx.OpenDigest(g.ID, tk.Unit, now)
	switch {
	case err == nil:
		if err := tx.AddDigestTicket(d, tk.ID); err != nil {
			return err
		}
		m, err := s.digestMessage(tx, d, contacts, now)
		if err != nil {
			return err
		}
		if ok, err := tx.ReviseDigest(d, m); err != nil || ok {
			return err
		}
		// The sender took the digest meanwhile: this ticket starts a new one.
		if err := tx.RemoveDigestTicket(d, tk.ID); err != nil {
			return err
		}
	case qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND:
		return err
	}
	d = &qunzhu.Digest{Source: src.Name, GroupID: g.ID, Unit: tk.Unit, DueAt: now.Add(src.DigestWindow)}
	if err := tx.CreateDigest(d, s.overdueMessage(g.ID, noticeText(s.mask, tk, contacts, now, s.loc))); err != nil {
		return err
	}
	return tx.AddDigestTicket(d, tk.ID)
}

// digestMessage renders what d holds now: the full notice for one ticket, a
// list for several.
func (s *server) digestMessage(tx qunzhu.Tx, d *qunzhu.Digest, contacts []string, now time.Time) (*qunzhu.OutMessage, error) {
	tickets, err := tx.DigestTickets(d.ID, digestShown)
	if err != nil {
		return nil, err
	}
	if len(tickets) == 0 {
		return nil, nil
	}
	if d.Tickets == 1 {
		return s.overdueMessage(d.GroupID, noticeText(s.mask, tickets[0], contacts, now, s.loc)), nil
	}
	return s.overdueMessage(d.GroupID, digestText(s.mask, d.Unit, tickets, d.Tickets, contacts, now)), nil
}

// overdueMessage is an overdue notice: an alert, and urgent, so a long WeChat
// outage sends a copy through the fallback robot.
func (s *server) overdueMessage(groupID int64, text string) *qunzhu.OutMessage {
	return &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindAlert, Priority: qunzhu.KindAlert.DefaultPriority(),
		Text: s.mask(text), Urgent: true}
}

// ticketUpdated appends the update to the ticket's task as progress. It posts
// nothing: the group follows progress through /督办, not a message per update.
func (s *server) ticketUpdated(tx qunzhu.Tx, ev *ticketEvent, tk *qunzhu.Ticket) error {
	task, err := tx.TaskByExternal(qunzhu.TaskSourceHotline, tk.TicketID)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return nil // never overdue: nothing is tracked
	} else if err != nil {
		return err
	}
	tk.TaskID = task.ID
	if task.Status == qunzhu.TaskClosed {
		return nil
	}
	// The history shows the actor (12345热线) before the text, so the text
	// does not repeat it.
	text := s.mask(orDefault(strings.TrimSpace(ev.req.Content), "工单有更新"))
	_, err = tx.ProgressTask(task.ID, hotlineActor, text)
	return err
}

// ticketClosed closes the ticket's task and posts a closing line where the
// ticket was announced. A ticket still waiting in a digest was never
// announced: it is taken out of the digest (withdrawn if it was alone) and
// nothing is said about it in that group.
func (s *server) ticketClosed(tx qunzhu.Tx, ev *ticketEvent, tk *qunzhu.Ticket) (bool, error) {
	task, err := tx.TaskByExternal(qunzhu.TaskSourceHotline, tk.TicketID)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return false, nil // never overdue, never announced
	} else if err != nil {
		return false, err
	}
	tk.TaskID = task.ID
	if task.Status != qunzhu.TaskClosed {
		if _, err := tx.CloseTask(task.ID, hotlineActor, closeNote(ev.req.Content)); err != nil {
			return false, err
		}
	}
	now := tx.Now()
	pending, err := tx.DigestsOfTicket(tk.ID, now)
	if err != nil {
		return false, err
	}
	silent := map[int64]bool{}
	for _, d := range pending {
		silent[d.GroupID] = true
		if err := tx.RemoveDigestTicket(d, tk.ID); err != nil {
			return false, err
		}
		contacts, err := unitContacts(tx, d.GroupID, d.Unit)
		if err != nil {
			return false, err
		}
		m, err := s.digestMessage(tx, d, contacts, now)
		if err != nil {
			return false, err
		}
		if _, err := tx.ReviseDigest(d, m); err != nil {
			return false, err
		}
	}
	groups, err := s.ticketGroups(tx, ev.src, tk)
	if err != nil {
		// Routes changed since: the task is closed; there is nowhere to say it.
		if c := qunzhu.ErrorCode(err); c == CodeUnknownUnit || c == CodeUnknownGroup || c == CodeGroupNotAllowed {
			return false, nil
		}
		return false, err
	}
	posted := false
	for _, g := range groups {
		if silent[g.ID] {
			continue
		}
		m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Priority: qunzhu.KindAlert.DefaultPriority(),
			Text:     s.mask(closingText(tk)),
			DedupKey: fmt.Sprintf("hotline:%s:%s:closed:%d", ev.src.Name, tk.TicketID, g.ID)}
		if _, err := tx.Enqueue(m); err != nil {
			return false, err
		}
		posted = true
	}
	return posted, nil
}

// unitContacts are the names of the group's members who belong to unit: the
// people a notice about the unit's ticket mentions.
func unitContacts(tx qunzhu.Tx, groupID int64, unit string) ([]string, error) {
	ms, err := tx.Members(groupID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if m.Unit == unit {
			out = append(out, m.Name)
		}
	}
	return out, nil
}

// maxCloseNoteRunes bounds the resolution kept in a task's history.
const maxCloseNoteRunes = 300

// closeNote is the close event's text in the task's history: how the
// hotline says the ticket was resolved ("摊贩已劝离，市民满意"), masked like
// everything a group can read.
func closeNote(content string) string {
	c := []rune(qunzhu.MaskPII(strings.TrimSpace(content)))
	if len(c) == 0 {
		return "工单已办结"
	}
	if len(c) > maxCloseNoteRunes {
		c = append(c[:maxCloseNoteRunes], '…')
	}
	return "工单已办结：" + string(c)
}
