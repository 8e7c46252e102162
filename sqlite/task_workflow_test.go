package sqlite

import (
	"context"
	"testing"

	"github.com/qunzhu/qunzhu"
)

// TestMigrate_TaskWorkflowKeepsHistory: 0012 rebuilds task_events for the
// workflow's kinds; a database with tasks and history from before keeps every
// event, a ladder step stays unique, and the new columns read as "nothing
// happened yet".
func TestMigrate_TaskWorkflowKeepsHistory(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t, "0008_platforms.sql",
		`INSERT INTO "groups" (name, created_at, updated_at) VALUES ('区委干部群', 1, 1)`,
		`INSERT INTO members (group_id, name, unit, role, created_at, updated_at) VALUES (1, '张书记', '区委', 'owner', 1, 1)`,
		`INSERT INTO tasks (group_id, status, unit, deadline, created_at, updated_at, title) VALUES (1, 'open', '区委', 100, 1, 1, '修复路灯')`,
		`INSERT INTO task_events (task_id, kind, actor_id, actor_name, created_at) VALUES (1, 'created', 1, '张书记', 1)`,
		`INSERT INTO task_events (task_id, kind, step, actor_name, text, created_at) VALUES (1, 'step', 'due', '系统', '到期', 2)`,
	)

	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx qunzhu.Tx) error {
		task, err := tx.TaskByID(1)
		if err != nil {
			return err
		}
		if task.Withdrawn || !task.SuspendedAt.IsZero() || task.LadderRound != 0 || task.Extensions != 0 || task.Transfers != 0 {
			t.Errorf("upgraded task = %+v", task)
		}
		evs, err := tx.TaskEvents(1)
		if err != nil {
			return err
		}
		if len(evs) != 2 || evs[0].Kind != qunzhu.TaskCreated || evs[1].Step != "due" || evs[1].Text != "到期" {
			t.Errorf("history after upgrade: %+v", evs)
		}
		if err := tx.RecordTaskSteps(1, []*qunzhu.TaskEvent{{Step: "due", ActorName: "系统"}}, "due", task.Deadline); err != nil {
			return err
		}
		if evs, _ := tx.TaskEvents(1); len(evs) != 2 {
			t.Errorf("a step recorded twice after the upgrade: %d events", len(evs))
		}
		_, err = tx.NudgeTask(1, qunzhu.TaskActor{MemberID: 1, Name: "张书记"}, "抓紧")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
