package dashboard

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/qunzhu/qunzhu"
)

// ticketLine is one row of 热线工单.
type ticketLine struct {
	Ticket  *qunzhu.Ticket
	Overdue string // how long past the hotline's deadline, as it said
	Status  string
}

// ticketStatus is a ticket's last event in Chinese.
func ticketStatus(e qunzhu.TicketEvent) string {
	switch e {
	case qunzhu.TicketOverdue:
		return "超期"
	case qunzhu.TicketUpdated:
		return "有更新"
	case qunzhu.TicketClosed:
		return "已办结"
	}
	return string(e)
}

// handleTickets lists the hotline tickets of the visible groups. Citizens'
// numbers are masked here as in the groups: the page is read on projectors.
func (d *Dashboard) handleTickets(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	var lines []ticketLine
	err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		list, err := tx.GroupTickets(v.IDs(), 500)
		for _, tk := range list {
			l := ticketLine{Ticket: tk, Status: ticketStatus(tk.Status)}
			if tk.OverdueMinutes > 0 {
				l.Overdue = (time.Duration(tk.OverdueMinutes) * time.Minute).String()
			}
			lines = append(lines, l)
		}
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "tickets", &page{Title: "热线工单", Nav: "tickets"}, lines)
}

// broadcastLine is one 群发 with its delivery.
type broadcastLine struct {
	B        *qunzhu.Broadcast
	Origin   string
	Status   string
	Progress qunzhu.BroadcastProgress
}

// handleBroadcasts lists the broadcasts typed in the visible groups, newest
// first, with what reached each group and what did not.
func (d *Dashboard) handleBroadcasts(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	var lines []broadcastLine
	err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		now := tx.Now()
		for _, g := range v.Groups {
			list, err := tx.BroadcastsFrom(g.ID, 50)
			if err != nil {
				return err
			}
			for _, b := range list {
				p, err := tx.BroadcastProgress(b.ID)
				if err != nil {
					return err
				}
				lines = append(lines, broadcastLine{B: b, Origin: g.Name, Status: b.StatusAt(now).Chinese(), Progress: p})
			}
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	slices.SortFunc(lines, func(a, b broadcastLine) int { return cmp.Compare(b.B.ID, a.B.ID) })
	d.render(w, r, http.StatusOK, "broadcasts", &page{Title: "群发", Nav: "broadcasts"}, lines)
}

type sessionsData struct {
	Sessions []sessionView
	LoginURL string // IT staff only
	QRURL    string // IT staff only, while a platform waits for a scan
	Refresh  bool   // reload while a platform is not online: codes expire
	Backlog  qunzhu.OutboxStats
}

// handleSessions shows each platform's account; IT staff also get today's
// login page (QR code) with its token, owners only the state.
func (d *Dashboard) handleSessions(w http.ResponseWriter, r *http.Request) {
	data := sessionsData{Sessions: d.sessions()}
	admin := viewerOf(r).Admin
	if admin {
		data.LoginURL = d.cfg.LoginURL
	}
	for _, s := range data.Sessions {
		if !s.Online {
			data.Refresh = true
		}
		if admin && s.Raw == qunzhu.StateWaitingScan {
			data.QRURL = d.cfg.LoginQRURL
		}
	}
	var err error
	if data.Backlog, err = d.cfg.Store.OutboxStats(r.Context()); err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "sessions", &page{Title: "登录状态", Nav: "sessions"}, data)
}
