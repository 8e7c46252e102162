package commands_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// TestHotlineTaskDetailShowsTheComplaint: the detail of a task opened for a
// 12345 ticket shows what the citizen said, masked, and how it was closed.
func TestHotlineTaskDetailShowsTheComplaint(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	var id int64
	err := e.store.Update(t.Context(), func(tx qunzhu.Tx) error {
		task := &qunzhu.Task{GroupID: e.group.ID, Title: "人民路夜市摊贩占道", Unit: "市城管委",
			Source: qunzhu.TaskSourceHotline, ExternalID: "2025060100500", Deadline: start.Add(24 * time.Hour)}
		if err := tx.CreateTask(task, qunzhu.SystemActor("12345热线")); err != nil {
			return err
		}
		id = task.ID
		if err := tx.SaveTicket(&qunzhu.Ticket{Source: "hotline", TicketID: "2025060100500", Unit: "市城管委",
			Content: "市民来电反映人民路夜市摊贩占道经营，回电13800138000。", CitizenPhone: "13800138000",
			Status: qunzhu.TicketOverdue, TaskID: task.ID}); err != nil {
			return err
		}
		_, err := tx.CloseTask(task.ID, qunzhu.SystemActor("12345热线"), "工单已办结：摊贩已劝离，市民满意。")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := e.say(e.li, fmt.Sprintf("/督办 %d", id))
	for _, want := range []string{"来源：12345 2025060100500", "诉求：市民来电反映人民路夜市摊贩占道经营，回电138****8000。",
		"12345热线 销号：工单已办结：摊贩已劝离，市民满意。"} {
		if !strings.Contains(got, want) {
			t.Errorf("detail lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "13800138000") {
		t.Errorf("detail shows the citizen's number:\n%s", got)
	}
}
