package commands_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// evidence counts the pictures kept with a task.
func (e *taskEnv) evidence(id int64) int {
	e.t.Helper()
	n := 0
	err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) error {
		evs, err := tx.TaskEvents(id)
		for _, ev := range evs {
			if ev.Kind == qunzhu.TaskEvidence {
				n++
			}
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestTaskNumbersAsPeopleListThem(t *testing.T) {
	for _, tt := range []struct {
		text string
		want []int64
		rest string
	}{
		{"3、11 已整改", []int64{3, 11}, "已整改"},
		{"3,11", []int64{3, 11}, ""},
		{"3，11，12 路灯已修复", []int64{3, 11, 12}, "路灯已修复"},
		{"＃3　＃11", []int64{3, 11}, ""},
		{"3 11 2处已整改", []int64{3, 11}, "2处已整改"},
		{"3 路灯已修复", []int64{3}, "路灯已修复"},
		{"第3号、第11号", []int64{3, 11}, ""},
		{"路灯已修复", nil, "路灯已修复"},
	} {
		ids, rest := commands.LeadingNumbers(tt.text)
		if fmt.Sprint(ids) != fmt.Sprint(tt.want) || rest != tt.rest {
			t.Errorf("%q: %v %q, want %v %q", tt.text, ids, rest, tt.want, tt.rest)
		}
	}
}

// TestTaskDoneAndCloseSeveral: "/办结 1、2" reports both, three photos go to
// both, "/销号 1,2" closes both; one task that may not be closed stops all.
func TestTaskDoneAndCloseSeveral(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	e.say(e.owner, "/督办 市城管委 修复人民路路灯 限期3天")
	e.say(e.owner, "/督办 市城管委 清理福州路占道 限期3天")
	e.say(e.owner, "/督办 区委办 报送材料 限期3天")

	if got := e.say(e.li, "/办结 1、3 已办完"); !strings.Contains(got, "督办#3：只有督办#3的责任人") ||
		!strings.Contains(got, "都没有办理") {
		t.Errorf("done with a task not his: %q", got)
	}
	got := e.say(e.li, "/办结 1、2 已整改")
	if !strings.Contains(got, "督办#1「修复人民路路灯」办结") || !strings.Contains(got, "督办#2「清理福州路占道」办结") {
		t.Errorf("done reply: %q", got)
	}
	for i := 1; i <= 3; i++ {
		e.sendPicture(e.li, fmt.Sprintf("\x89PNG 现场照片%d", i))
		if got, want := e.reply(e.li), fmt.Sprintf("已收到督办#1、#2的办结照片（第%d张）。", i); got != want {
			t.Errorf("picture %d: %q, want %q", i, got, want)
		}
	}
	if a, b := e.evidence(1), e.evidence(2); a != 3 || b != 3 {
		t.Errorf("evidence = %d, %d; want 3, 3", a, b)
	}
	got = e.say(e.owner, "/销号 1,2")
	if !strings.Contains(got, "督办#1「修复人民路路灯」已销号") || !strings.Contains(got, "督办#2「清理福州路占道」已销号") {
		t.Errorf("close reply: %q", got)
	}
}

// TestTaskMorePictures: /补图 opens a window for up to nine pictures; the
// tenth is not taken; someone unrelated may not add pictures.
func TestTaskMorePictures(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	e.say(e.owner, "/督办 市城管委 修复人民路路灯 限期3天")
	if got := e.say(e.sun, "/补图 1"); !strings.Contains(got, "只有督办#1的责任人") || !strings.Contains(got, "例：/补图 23") {
		t.Errorf("stranger: %q", got)
	}
	if got := e.say(e.li, "/补图"); !strings.Contains(got, "例：/补图 23") {
		t.Errorf("no number: %q", got)
	}
	if got, want := e.say(e.li, "/补图 #1"), "请在2分钟内发送督办#1的照片（最多9张）。"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for i := 1; i <= 9; i++ {
		e.sendPicture(e.li, fmt.Sprintf("\x89PNG %d", i))
		e.reply(e.li)
	}
	e.sendPicture(e.li, "\x89PNG 10")
	e.noReply()
	if got := e.evidence(1); got != 9 {
		t.Errorf("evidence = %d, want 9", got)
	}
	// The assigner may add pictures too.
	e.say(e.owner, "/补图 1")
	e.sendPicture(e.owner, "\x89PNG 督查照片")
	if got := e.reply(e.owner); got != "已收到督办#1的办结照片（第1张）。" {
		t.Errorf("owner picture: %q", got)
	}
}
