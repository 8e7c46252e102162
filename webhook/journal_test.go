package webhook_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// rawServer makes e answer without applying: only the Applier a test runs
// turns what was accepted into rows.
func rawServer(e *intakeEnv) *webhook.Applier {
	e.h = webhook.NewServer(e.deps)
	return webhook.NewApplier(e.deps)
}

func (e *intakeEnv) backlog(t *testing.T) qunzhu.IntakeBacklog {
	t.Helper()
	var b qunzhu.IntakeBacklog
	if err := e.store.View(context.Background(), func(tx qunzhu.Tx) (err error) { b, err = tx.IntakeBacklog(); return err }); err != nil {
		t.Fatal(err)
	}
	return b
}

// A request is answered once it is in the journal, with the numbers it is
// promised; its effect comes when the applier runs, with exactly those
// numbers. Duplicates are answered with the first request's numbers before
// and after that.
func TestJournalAnswersBeforeApplying(t *testing.T) {
	e := newIntakeEnv(t)
	ap := rawServer(e)

	msg := []byte(`{"group":"` + cityGroup + `","text":"请回电13800138000","dedup_key":"evt-1"}`)
	w := e.do(e.signedRequest("hotline", hotlineSecret, msg))
	var first webhook.MessageResponse
	decode(t, w, &first)
	if w.Code != http.StatusAccepted || first.ID == 0 || first.Status != "queued" {
		t.Fatalf("message = %d %+v", w.Code, first)
	}
	_, opened := e.postTicket(t, ticket("J-1"))
	if opened.Status != "queued" || opened.TaskID == 0 {
		t.Fatalf("overdue = %+v, want queued with a task number", opened)
	}
	// Closed right after, before anything was applied: the task's number is
	// known, and the ticket will still be waiting in its digest.
	status, closed := e.postTicket(t, webhook.HotlineTicketRequest{Event: "closed", TicketID: "J-1"})
	if status != http.StatusAccepted || closed.TaskID != opened.TaskID || closed.Status != "recorded" {
		t.Errorf("closed before apply = %d %+v, want 202 recorded for task %d", status, closed, opened.TaskID)
	}
	if e.outboxRows() != 0 {
		t.Fatalf("%d outbox rows before the applier ran", e.outboxRows())
	}
	if b := e.backlog(t); b.Pending != 3 {
		t.Fatalf("backlog = %+v, want 3 pending", b)
	}
	// A retry while pending is a duplicate with the same numbers.
	w = e.do(e.signedRequest("hotline", hotlineSecret, msg))
	var again webhook.MessageResponse
	decode(t, w, &again)
	if w.Code != http.StatusOK || again != (webhook.MessageResponse{ID: first.ID, Status: "duplicate"}) {
		t.Errorf("retry while pending = %d %+v, want 200 duplicate of %d", w.Code, again, first.ID)
	}
	if status, dup := e.postTicket(t, ticket("J-1")); status != http.StatusOK || dup.Status != "duplicate" || dup.TaskID != opened.TaskID {
		t.Errorf("overdue again while pending = %d %+v", status, dup)
	}

	if err := ap.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	m, err := e.store.OutMessage(context.Background(), first.ID)
	if err != nil || m.GroupID != e.groups[cityGroup].ID || m.Text != "请回电138****8000" {
		t.Fatalf("message %d after apply = %+v, %v", first.ID, m, err)
	}
	task, _ := e.task(t, opened.TaskID)
	if task.Source != qunzhu.TaskSourceHotline || task.ExternalID != "J-1" || task.Status != qunzhu.TaskClosed {
		t.Errorf("task %d = %+v, want the ticket's task, closed", opened.TaskID, task)
	}
	if got := e.posted(cityGroup); len(got) != 1 || got[0].ID != first.ID {
		t.Errorf("city group has %d pending messages, want only the message (the closed ticket's digest withdrawn)", len(got))
	}
	if b := e.backlog(t); b.Pending != 0 || b.Failed != 0 {
		t.Errorf("backlog after apply = %+v", b)
	}
	// After the apply too.
	w = e.do(e.signedRequest("hotline", hotlineSecret, msg))
	decode(t, w, &again)
	if w.Code != http.StatusOK || again.ID != first.ID {
		t.Errorf("retry after apply = %d %+v", w.Code, again)
	}
	if status, dup := e.postTicket(t, webhook.HotlineTicketRequest{Event: "closed", TicketID: "J-1"}); status != http.StatusOK || dup.TaskID != opened.TaskID {
		t.Errorf("closed again after apply = %d %+v", status, dup)
	}
}

// The Applier, run as the server runs it, applies what is accepted without
// being asked.
func TestApplierRunsInBackground(t *testing.T) {
	e := newIntakeEnv(t)
	ap := rawServer(e)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ap.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	var ids []int64
	for i := range 20 {
		body := []byte(`{"group":"` + cadreGroup + `","text":"第` + strings.Repeat("一", i+1) + `条"}`)
		w := e.do(e.signedRequest("hotline", hotlineSecret, body))
		var resp webhook.MessageResponse
		decode(t, w, &resp)
		if w.Code != http.StatusAccepted {
			t.Fatalf("message %d = %d", i, w.Code)
		}
		ids = append(ids, resp.ID)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.backlog(t).Pending > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for i, id := range ids {
		m, err := e.store.OutMessage(context.Background(), id)
		if err != nil || !strings.HasPrefix(m.Text, "第") || len([]rune(m.Text)) != i+3 {
			t.Errorf("message %d (id %d) = %+v, %v", i, id, m, err)
		}
	}
}

// An entry that cannot be applied (its source was removed from the
// configuration before the applier got to it) is kept with its reason and
// logged by number, never by content; the entries around it are applied.
func TestJournalEntryThatCannotBeApplied(t *testing.T) {
	e := newIntakeEnv(t)
	rawServer(e)
	e.postTicket(t, ticket("R-1"))
	w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(`{"group":"`+cityGroup+`","text":"之后的消息"}`)))
	if w.Code != http.StatusAccepted {
		t.Fatalf("message = %d", w.Code)
	}

	logs := &lockedBuffer{}
	deps := e.deps
	deps.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	deps.Sources = nil
	for _, s := range e.deps.Sources {
		if s.Name != "hotline-12345" {
			deps.Sources = append(deps.Sources, s)
		}
	}
	if err := webhook.NewApplier(deps).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b := e.backlog(t); b.Pending != 0 || b.Failed != 1 {
		t.Errorf("backlog = %+v, want the ticket failed and nothing pending", b)
	}
	if got := e.posted(cityGroup); len(got) != 1 || got[0].Text != "之后的消息" {
		t.Errorf("city group = %+v, want the message applied", got)
	}
	out := logs.String()
	if !strings.Contains(out, "could not be applied") || !strings.Contains(out, `"intake_id"`) || !strings.Contains(out, "hotline-12345") {
		t.Errorf("log = %s", out)
	}
	if strings.Contains(out, "13800138000") || strings.Contains(out, "R-1") {
		t.Errorf("the log repeats the request's content: %s", out)
	}
	assertNoSecrets(t, "log", out, intakeSecrets)
}

// /readyz shows the journal's backlog, and calls the pipeline degraded once
// an accepted request waited to be applied for more than IntakeLagMax.
func TestReadyzIntakeBacklog(t *testing.T) {
	e := newIntakeEnv(t)
	ap := rawServer(e)
	if w := e.do(e.signedRequest("hotline", hotlineSecret, []byte(`{"group":"`+cityGroup+`","text":"积压"}`))); w.Code != http.StatusAccepted {
		t.Fatalf("message = %d", w.Code)
	}
	status, resp, _ := e.readyz()
	if status != http.StatusOK || resp.Status != webhook.ReadyOK || resp.Intake == nil || resp.Intake.Pending != 1 {
		t.Fatalf("readyz = %d %+v, want ok with 1 pending", status, resp)
	}
	e.clock.Advance(webhook.IntakeLagMax + 5*time.Second)
	status, resp, _ = e.readyz()
	if status != http.StatusOK || resp.Status != webhook.ReadyDegraded || resp.Intake.OldestPendingAge < 65 ||
		len(resp.Reasons) != 1 || !strings.Contains(resp.Reasons[0], "intake journal behind: 1 accepted") {
		t.Errorf("readyz after a minute = %d %+v", status, resp)
	}
	if err := ap.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, resp, _ = e.readyz(); resp.Status != webhook.ReadyOK || resp.Intake.Pending != 0 {
		t.Errorf("readyz after apply = %+v", resp)
	}
}

// The messages endpoint caches how it resolved a group, and forgets it as
// soon as a group is renamed: the old name is refused at once.
func TestMessageGroupCacheFollowsRename(t *testing.T) {
	e := newIntakeEnv(t)
	n := 0
	post := func(group string) int {
		n++ // a different text each time: the same signed body again is a replay
		return e.do(e.signedRequest("hotline", hotlineSecret, []byte(`{"group":"`+group+`","text":"改名测试`+strings.Repeat("。", n)+`"}`))).Code
	}
	if got := post(cadreGroup); got != http.StatusAccepted {
		t.Fatalf("before the rename = %d", got)
	}
	if got := post(cadreGroup); got != http.StatusAccepted { // now from the cache
		t.Fatalf("again = %d", got)
	}
	if err := e.store.Update(context.Background(), func(tx qunzhu.Tx) error {
		return tx.RenameGroup(e.groups[cadreGroup].ID, "区委干部新群")
	}); err != nil {
		t.Fatal(err)
	}
	if got := post(cadreGroup); got != http.StatusNotFound {
		t.Errorf("old name after the rename = %d, want 404", got)
	}
	if got := post("区委干部新群"); got != http.StatusAccepted {
		t.Errorf("new name = %d, want 202", got)
	}
}
