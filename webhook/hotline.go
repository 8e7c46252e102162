package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// HotlineTicketRequest is the body of POST /api/v1/hotline/tickets: one event
// of a 12345 hotline ticket. Times are RFC 3339. It is exported so the hotline
// adapter, tests and the benchmark build exactly what the server reads.
type HotlineTicketRequest struct {
	Event          string `json:"event"` // overdue, updated or closed
	TicketID       string `json:"ticket_id"`
	Title          string `json:"title,omitempty"`
	Content        string `json:"content,omitempty"`
	Unit           string `json:"unit,omitempty"`
	District       string `json:"district,omitempty"`
	Category       string `json:"category,omitempty"`
	CitizenPhone   string `json:"citizen_phone,omitempty"`
	ReceivedAt     string `json:"received_at,omitempty"`
	Deadline       string `json:"deadline,omitempty"`
	OverdueMinutes int    `json:"overdue_minutes,omitempty"`
	URL            string `json:"url,omitempty"`
	OccurredAt     string `json:"occurred_at,omitempty"`
}

// HotlineResponse answers a ticket event. Status is queued (a notice or a
// closing line will be posted), recorded (kept, nothing to post) or
// duplicate; TaskID is the 督办 task's number, 0 if none.
type HotlineResponse struct {
	Status   string `json:"status"`
	TicketID string `json:"ticket_id"`
	TaskID   int64  `json:"task_id,omitempty"`
}

// StatusRecorded is a ticket event that was kept but posts nothing (an
// update, a ticket closed before it was announced, an event for a ticket
// that never was overdue).
const StatusRecorded = "recorded"

// hotlineActor is who the task history says did it.
var hotlineActor = qunzhu.SystemActor("12345热线")

// maxTicketFieldRunes bounds each text field of a ticket.
const maxTicketFieldRunes = 4000

// ticketEvent is an authenticated, parsed request.
type ticketEvent struct {
	src        Source
	req        HotlineTicketRequest
	event      qunzhu.TicketEvent
	receivedAt time.Time
	deadline   time.Time
	occurredAt time.Time
	body       string
	// reservedTask is the 督办 number the sender was answered with, for the
	// task this event opens (0: none was reserved).
	reservedTask int64
}

// handleHotlineTicket takes one ticket event: overdue opens a 督办 task and
// announces it (gathered with the unit's other overdue tickets of the digest
// window), updated appends progress, closed closes the task with a short
// line. The same event for the same ticket is a duplicate; so is a replay of
// the same signed request. The event is checked against a read snapshot
// (planTicket) and accepted into the intake journal with one insert, which
// reserves the task's number; the Applier makes its effect right after.
func (s *server) handleHotlineTicket(c *gin.Context) {
	src, _, body, ok := s.admitSigned(c, KindHotline)
	if !ok {
		return
	}
	ev, err := parseTicketEvent(body)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ev.src = src
	ctx := c.Request.Context()
	var p ticketPlan
	err = s.store.View(ctx, func(tx qunzhu.Tx) error {
		var err error
		p, err = s.planTicket(ctx, tx, ev)
		return err
	})
	if err != nil {
		s.writeError(c, err)
		return
	}
	if p.resp.Status == StatusDuplicate {
		c.JSON(http.StatusOK, p.resp)
		return
	}
	e := &qunzhu.IntakeEntry{
		Source: src.Name, Kind: intakeHotline, Key: ticketKey(ev.req.TicketID, ev.event, ev.key()),
		Payload: body, ReserveTask: p.reserveTask,
	}
	dup, err := s.store.Accept(ctx, e)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if dup {
		resp := HotlineResponse{Status: StatusDuplicate, TicketID: ev.req.TicketID, TaskID: p.resp.TaskID}
		if e.TaskID != 0 {
			resp.TaskID = e.TaskID
		}
		c.JSON(http.StatusOK, resp)
		return
	}
	if p.reserveTask {
		p.resp.TaskID = e.TaskID
	}
	c.JSON(http.StatusAccepted, p.resp)
}

// parseTicketEvent decodes and checks a ticket event; what an event needs
// depends on it: an overdue ticket must say whose it is and when it was due.
func parseTicketEvent(body []byte) (*ticketEvent, error) {
	ev := &ticketEvent{body: string(body)}
	if err := json.Unmarshal(body, &ev.req); err != nil {
		return nil, qunzhu.Errorf(CodeBadJSON, "请求体不是合法的 JSON 对象 (bad JSON: %s)", jsonProblem(err))
	}
	r := &ev.req
	for _, f := range []*string{&r.Event, &r.TicketID, &r.Title, &r.Unit, &r.District, &r.Category, &r.CitizenPhone, &r.URL} {
		*f = strings.TrimSpace(*f)
	}
	const example = `例如 {"event":"overdue","ticket_id":"2025060100123","unit":"市城管委","title":"…","deadline":"2025-06-03T18:00:00+08:00"}`
	ev.event = qunzhu.TicketEvent(r.Event)
	switch {
	case r.Event == "":
		return nil, qunzhu.Errorf(CodeMissingField, "缺少字段 event，%s (missing field: event)", example)
	case !ev.event.Valid():
		return nil, qunzhu.Errorf(CodeInvalidField, "字段 event 必须是 overdue、updated 或 closed (field event must be overdue, updated or closed)")
	case r.TicketID == "":
		return nil, qunzhu.Errorf(CodeMissingField, "缺少字段 ticket_id，%s (missing field: ticket_id)", example)
	case utf8.RuneCountInString(r.TicketID) > 64:
		return nil, qunzhu.Errorf(CodeInvalidField, "字段 ticket_id 过长，最多 64 字 (field ticket_id longer than 64 characters)")
	case r.OverdueMinutes < 0:
		return nil, qunzhu.Errorf(CodeInvalidField, "字段 overdue_minutes 不能为负数 (field overdue_minutes must not be negative)")
	}
	for name, v := range map[string]string{"title": r.Title, "content": r.Content, "unit": r.Unit, "district": r.District, "category": r.Category, "url": r.URL, "citizen_phone": r.CitizenPhone} {
		if utf8.RuneCountInString(v) > maxTicketFieldRunes {
			return nil, qunzhu.Errorf(CodeInvalidField, "字段 %s 过长，最多 %d 字 (field %s too long)", name, maxTicketFieldRunes, name)
		}
	}
	var err error
	for _, t := range []struct {
		name string
		v    string
		dst  *time.Time
	}{{"received_at", r.ReceivedAt, &ev.receivedAt}, {"deadline", r.Deadline, &ev.deadline}, {"occurred_at", r.OccurredAt, &ev.occurredAt}} {
		if t.v == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, strings.TrimSpace(t.v)); err != nil {
			return nil, qunzhu.Errorf(CodeInvalidField, "字段 %s 必须是 RFC 3339 时间，例如 2025-06-03T18:00:00+08:00 (field %s must be RFC 3339)", t.name, t.name)
		}
	}
	if ev.event == qunzhu.TicketOverdue {
		switch {
		case r.Unit == "":
			return nil, qunzhu.Errorf(CodeMissingField, "超期工单缺少字段 unit（责任单位），%s (missing field: unit)", example)
		case r.Title == "" && strings.TrimSpace(r.Content) == "":
			return nil, qunzhu.Errorf(CodeMissingField, "超期工单缺少字段 title 或 content，%s (missing field: title)", example)
		case ev.deadline.IsZero():
			return nil, qunzhu.Errorf(CodeMissingField, "超期工单缺少字段 deadline（办理时限），%s (missing field: deadline)", example)
		}
	}
	return ev, nil
}

// applyTicketEvent is the whole effect of one accepted event, inside the
// applier's transaction.
func (s *server) applyTicketEvent(tx qunzhu.Tx, ev *ticketEvent) (HotlineResponse, error) {
	resp := HotlineResponse{TicketID: ev.req.TicketID}
	tk, err := tx.TicketByNumber(ev.src.Name, ev.req.TicketID)
	isNew := qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND
	switch {
	case isNew:
		tk = &qunzhu.Ticket{Source: ev.src.Name, TicketID: ev.req.TicketID}
	case err != nil:
		return resp, err
	default:
		// A repeated event changes nothing, so it is checked before the ticket
		// is overwritten.
		if dup, err := s.recordEvent(tx, tk, ev); err != nil || dup {
			resp.Status, resp.TaskID = StatusDuplicate, tk.TaskID
			return resp, err
		}
	}
	wasClosed := tk.Status == qunzhu.TicketClosed
	ev.merge(tk)
	if wasClosed {
		tk.Status = qunzhu.TicketClosed // a late event does not reopen a closed ticket
	}
	// An overdue ticket's task is opened before the ticket is saved, so the
	// ticket is written once, with its task.
	var groups []*qunzhu.Group
	if ev.event == qunzhu.TicketOverdue && !wasClosed {
		if groups, err = s.openTask(tx, ev, tk); err != nil {
			return resp, err
		}
	}
	if err := tx.SaveTicket(tk); err != nil {
		return resp, err
	}
	if isNew {
		if _, err := s.recordEvent(tx, tk, ev); err != nil {
			return resp, err
		}
	}

	resp.Status = StatusRecorded
	switch ev.event {
	case qunzhu.TicketOverdue:
		for _, g := range groups {
			if err = s.announce(tx, ev.src, g, tk); err != nil {
				break
			}
			resp.Status = StatusQueued
		}
	case qunzhu.TicketUpdated:
		err = s.ticketUpdated(tx, ev, tk)
	case qunzhu.TicketClosed:
		var posted bool
		posted, err = s.ticketClosed(tx, ev, tk)
		if posted {
			resp.Status = StatusQueued
		}
	}
	if err != nil {
		return resp, err
	}
	resp.TaskID = tk.TaskID
	return resp, nil
}

// recordEvent stores the event; dup when it was recorded before.
func (s *server) recordEvent(tx qunzhu.Tx, tk *qunzhu.Ticket, ev *ticketEvent) (bool, error) {
	return tx.RecordTicketEvent(&qunzhu.TicketEventRecord{
		TicketRow: tk.ID, Event: ev.event, Key: ev.key(), OccurredAt: ev.occurredAt, Body: ev.body,
	})
}

// key tells apart events of one kind for a ticket: overdue and closed happen
// once; updates by when they happened and what they say.
func (ev *ticketEvent) key() string {
	if ev.event != qunzhu.TicketUpdated {
		return ""
	}
	sum := sha256.Sum256([]byte(ev.req.Content))
	at := ""
	if !ev.occurredAt.IsZero() {
		at = strconv.FormatInt(ev.occurredAt.UnixMilli(), 10)
	}
	return at + ":" + hex.EncodeToString(sum[:8])
}

// merge writes what the event says into the stored ticket; fields the event
// leaves out keep what an earlier event said (a closed event may carry only
// the ticket id).
func (ev *ticketEvent) merge(tk *qunzhu.Ticket) {
	r := ev.req
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&tk.Unit, r.Unit)
	set(&tk.District, r.District)
	set(&tk.Title, r.Title)
	set(&tk.Category, r.Category)
	set(&tk.CitizenPhone, r.CitizenPhone)
	set(&tk.URL, r.URL)
	// Only the overdue event describes the complaint: an update's content is
	// progress and a closed event's is how it was resolved (the close note).
	if ev.event == qunzhu.TicketOverdue {
		set(&tk.Content, strings.TrimSpace(r.Content))
	}
	if !ev.receivedAt.IsZero() {
		tk.ReceivedAt = ev.receivedAt
	}
	if !ev.deadline.IsZero() {
		tk.Deadline = ev.deadline
	}
	if r.OverdueMinutes > 0 {
		tk.OverdueMinutes = r.OverdueMinutes
	}
	tk.Status = ev.event
}

// ticketGroups resolves the groups the source routes a ticket to.
func (s *server) ticketGroups(tx qunzhu.Tx, src Source, tk *qunzhu.Ticket) ([]*qunzhu.Group, error) {
	return routeGroups(func(ref string) (*qunzhu.Group, error) { return findGroup(tx, ref) }, src, tk)
}

// routeGroups is ticketGroups with the group lookup given.
func routeGroups(find func(ref string) (*qunzhu.Group, error), src Source, tk *qunzhu.Ticket) ([]*qunzhu.Group, error) {
	refs := src.route(tk.Unit, tk.District)
	if len(refs) == 0 {
		return nil, qunzhu.Errorf(CodeUnknownUnit, "来源 %s 没有为单位「%s」（%s）配置转发群 (no route for this unit)",
			src.Name, tk.Unit, orDefault(tk.District, "未填区域"))
	}
	var out []*qunzhu.Group
	for _, ref := range refs {
		g, err := find(strings.TrimSpace(ref))
		if err != nil {
			return nil, err
		}
		if !src.allows(g) {
			return nil, qunzhu.Errorf(CodeGroupNotAllowed, "来源 %s 无权向群「%s」发送消息 (source may not post to this group)", src.Name, g.Name)
		}
		if !containsGroup(out, g.ID) {
			out = append(out, g)
		}
	}
	return out, nil
}

func containsGroup(gs []*qunzhu.Group, id int64) bool {
	for _, g := range gs {
		if g.ID == id {
			return true
		}
	}
	return false
}
