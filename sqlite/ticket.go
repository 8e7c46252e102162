package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu"
)

const ticketColumns = `id, source, ticket_id, unit, district, title, content, category,
	citizen_phone, url, received_at, deadline, overdue_minutes, status, task_id,
	created_at, updated_at`

// SaveTicket inserts a hotline ticket or, when the source already sent one
// with that number, overwrites it with what the hotline says now (an update
// may correct the unit or extend the deadline), keeping its id and task.
func (t *tx) SaveTicket(tk *qunzhu.Ticket) error {
	switch {
	case tk.Source == "":
		return qunzhu.Errorf(qunzhu.EINVALID, "工单缺少来源。")
	case tk.TicketID == "":
		return qunzhu.Errorf(qunzhu.EINVALID, "工单缺少编号。")
	case !tk.Status.Valid():
		return qunzhu.Errorf(qunzhu.EINVALID, "不认识的工单状态「%s」。", tk.Status)
	}
	tk.UpdatedAt = t.now
	var created int64
	err := t.queryRow(`INSERT INTO hotline_tickets (source, ticket_id, unit, district, title,
		content, category, citizen_phone, url, received_at, deadline, overdue_minutes, status,
		task_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, ticket_id) DO UPDATE SET unit = excluded.unit,
			district = excluded.district, title = excluded.title, content = excluded.content,
			category = excluded.category, citizen_phone = excluded.citizen_phone,
			url = excluded.url, received_at = excluded.received_at, deadline = excluded.deadline,
			overdue_minutes = excluded.overdue_minutes, status = excluded.status,
			task_id = excluded.task_id, updated_at = excluded.updated_at
		RETURNING id, created_at`,
		tk.Source, tk.TicketID, tk.Unit, tk.District, tk.Title, tk.Content, tk.Category,
		tk.CitizenPhone, tk.URL, nullMs(tk.ReceivedAt), nullMs(tk.Deadline), tk.OverdueMinutes,
		string(tk.Status), tk.TaskID, ms(t.now), ms(t.now)).Scan(&tk.ID, &created)
	if err != nil {
		return fmt.Errorf("save ticket: %w", err)
	}
	tk.CreatedAt = fromMs(created)
	return nil
}

// TicketByNumber returns the ticket a source sent under a ticket number.
func (t *tx) TicketByNumber(source, ticketID string) (*qunzhu.Ticket, error) {
	tk, err := scanTicket(t.queryRow(`SELECT `+ticketColumns+` FROM hotline_tickets
		WHERE source = ? AND ticket_id = ?`, source, ticketID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到工单 %s。", ticketID)
	} else if err != nil {
		return nil, fmt.Errorf("select ticket: %w", err)
	}
	return tk, nil
}

// TicketByTask returns the ticket a task was opened for, so the task's
// detail can show the citizen's complaint.
func (t *tx) TicketByTask(taskID int64) (*qunzhu.Ticket, error) {
	tk, err := scanTicket(t.queryRow(`SELECT `+ticketColumns+` FROM hotline_tickets
		WHERE task_id = ? ORDER BY id LIMIT 1`, taskID))
	if errors.Is(err, sql.ErrNoRows) || taskID == 0 {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "督办#%d不是工单生成的。", taskID)
	} else if err != nil {
		return nil, fmt.Errorf("select ticket of task: %w", err)
	}
	return tk, nil
}

// RecordTicketEvent keeps an event as received. The unique (ticket, event,
// key) makes a repeated event a duplicate that writes nothing.
func (t *tx) RecordTicketEvent(e *qunzhu.TicketEventRecord) (bool, error) {
	if !e.Event.Valid() {
		return false, qunzhu.Errorf(qunzhu.EINVALID, "不认识的工单事件「%s」。", e.Event)
	}
	res, err := t.exec(`INSERT INTO hotline_events (ticket_row, event, event_key, occurred_at, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_row, event, event_key) DO NOTHING`,
		e.TicketRow, string(e.Event), e.Key, nullMs(e.OccurredAt), e.Body, ms(t.now))
	if err != nil {
		return false, fmt.Errorf("insert ticket event: %w", err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return false, fmt.Errorf("insert ticket event: %w", err)
	}
	return n == 0, nil
}

// TicketEventRecorded implements qunzhu.IntakeTx.
func (t *tx) TicketEventRecorded(ticketRow int64, event qunzhu.TicketEvent, key string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM hotline_events WHERE ticket_row = ? AND event = ? AND event_key = ?`,
		ticketRow, string(event), key).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("select ticket event: %w", err)
	}
	return n > 0, nil
}

func scanTicket(row scanner) (*qunzhu.Ticket, error) {
	var (
		tk                   qunzhu.Ticket
		received, deadline   sql.NullInt64
		status               string
		createdAt, updatedAt int64
	)
	if err := row.Scan(&tk.ID, &tk.Source, &tk.TicketID, &tk.Unit, &tk.District, &tk.Title,
		&tk.Content, &tk.Category, &tk.CitizenPhone, &tk.URL, &received, &deadline,
		&tk.OverdueMinutes, &status, &tk.TaskID, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	tk.ReceivedAt, tk.Deadline = fromNullMs(received), fromNullMs(deadline)
	tk.Status = qunzhu.TicketEvent(status)
	tk.CreatedAt, tk.UpdatedAt = fromMs(createdAt), fromMs(updatedAt)
	return &tk, nil
}
