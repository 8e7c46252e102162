package commands_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// TestReadOnly_DoesNotHoldTheWriter: while a read-only command runs, another
// writer (a webhook, another command) commits. Were the command run inside
// Update, the second Update would wait for the single write connection the
// command holds, and the handler would time out waiting for it.
func TestReadOnly_DoesNotHoldTheWriter(t *testing.T) {
	e := newEnv(t)
	var wrote, writeRefused error
	e.router.Register(commands.Spec{Name: "慢列表", ReadOnly: true, Summary: "测试", Example: "/慢列表",
		Handle: func(req *commands.Request) (string, error) {
			done := make(chan error, 1)
			go func() {
				done <- e.store.Update(req.Ctx, func(tx qunzhu.Tx) error {
					_, err := tx.CreateGroup("别的群")
					return err
				})
			}()
			select {
			case wrote = <-done:
			case <-time.After(10 * time.Second):
				wrote = errors.New("the other writer waited for the read-only command")
			}
			// And the command's own transaction cannot write.
			_, writeRefused = req.Tx.CreateGroup("不该写入的群")
			return "好", nil
		}})
	e.send(e.owner, "/慢列表")
	if msgs := e.sent(); len(msgs) != 1 || !strings.HasSuffix(msgs[0].Text, "好") {
		t.Fatalf("replies = %+v, want one ending 好", msgs)
	}
	if wrote != nil {
		t.Errorf("concurrent writer: %v", wrote)
	}
	if writeRefused == nil {
		t.Error("a read-only command's transaction accepted a write")
	}
}
