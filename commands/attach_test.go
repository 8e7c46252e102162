package commands_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// sendPicture delivers a picture from sender, as the bot adapter will.
func (e *env) sendPicture(sender qunzhu.Identity, data string) {
	e.t.Helper()
	e.seq++
	in := &qunzhu.Inbound{ID: fmt.Sprintf("pic-%d", e.seq), GroupID: e.group.ID, GroupName: e.group.Name,
		Sender: sender, IsImage: true, At: e.clock.Now(),
		Image: func(context.Context) ([]byte, error) { return []byte(data), nil }}
	if err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) error {
		m, err := tx.MemberBySession(e.group.ID, sender.SessionKey)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return nil
		}
		in.Member = m
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.router.Handle(e.t.Context(), in); err != nil {
		e.t.Fatalf("Handle(picture): %v", err)
	}
}

// TestPictureFillsTheSlotItsSenderOpened checks the shared "picture right after
// a command" path: only the sender who opened a slot fills it, once, within its
// time, and the feature's reply goes out through the outbox.
func TestPictureFillsTheSlotItsSenderOpened(t *testing.T) {
	e := newEnv(t)
	got := make(chan string, 4)
	e.router.Register(commands.Spec{Name: "办结测试", Handle: func(r *commands.Request) (string, error) {
		return "请发图片", r.ExpectPicture("test", 42, 2*time.Minute)
	}})
	e.router.RegisterAttach("test", func(r *commands.Request, slot *qunzhu.AttachSlot, imageID int64) (string, error) {
		img, err := r.Tx.ImageByID(imageID)
		if err != nil {
			return "", err
		}
		got <- fmt.Sprintf("%d:%s", slot.RefID, img.Data)
		return "图片已收到", nil
	})
	other := e.boundMember(e.group, "李局长", "市城管委", qunzhu.RoleMember)

	e.sendPicture(e.owner, "nobody-waits") // ignored: no slot
	e.noReply()

	e.send(e.owner, "/办结测试")
	if got, want := e.reply(e.owner), "请发图片"; got != want {
		t.Fatalf("reply = %q, want %q", got, want)
	}
	e.sendPicture(other, "someone-else") // not the sender who opened the slot
	e.noReply()
	e.sendPicture(e.owner, "png-bytes")
	if v := <-got; v != "42:png-bytes" {
		t.Fatalf("attached %q, want 42:png-bytes", v)
	}
	if got, want := e.reply(e.owner), "图片已收到"; got != want {
		t.Fatalf("reply = %q, want %q", got, want)
	}
	e.sendPicture(e.owner, "again") // the slot is closed
	e.noReply()

	e.send(e.owner, "/办结测试")
	e.reply(e.owner)
	e.clock.Advance(2*time.Minute + time.Second)
	e.sendPicture(e.owner, "too-late")
	e.noReply()
	if len(got) != 0 {
		t.Fatalf("a picture filled a slot it should not have: %q", <-got)
	}
}
