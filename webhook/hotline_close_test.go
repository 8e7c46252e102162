package webhook_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// TestHotlineClosedKeepsComplaintAndResolution: the closed event's text is how
// the ticket was resolved; it is the close note in the task's history
// (masked), and the citizen's complaint stays on the ticket of the task.
func TestHotlineClosedKeepsComplaintAndResolution(t *testing.T) {
	e := newIntakeEnv(t)
	_, opened := e.postTicket(t, ticket("2025060100400"))
	e.clock.Advance(time.Minute)
	closed := webhook.HotlineTicketRequest{Event: "closed", TicketID: "2025060100400",
		Content: "摊贩已劝离，回访市民13800138000，市民满意。"}
	if status, resp := e.postTicket(t, closed); status != http.StatusAccepted {
		t.Fatalf("closed = %d %+v", status, resp)
	}
	_, events := e.task(t, opened.TaskID)
	last := events[len(events)-1]
	if got, want := last.Text, "工单已办结：摊贩已劝离，回访市民138****8000，市民满意。"; last.Kind != qunzhu.TaskClose || got != want {
		t.Errorf("close event %s %q, want %q", last.Kind, got, want)
	}
	err := e.store.View(t.Context(), func(tx qunzhu.Tx) error {
		tk, err := tx.TicketByTask(opened.TaskID)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(tk.Content, "市民王女士") {
			t.Errorf("complaint overwritten: %q", tk.Content)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
