package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/commands"
)

// TestReportMorePictures: several pictures after /交作业 all stay with the
// hand-in, and /补图 作业 adds more later; a unit that handed in nothing is
// told to hand in first.
func TestReportMorePictures(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	e.setUp()
	if got, want := e.ask(e.deyang, "/补图 作业"), "德阳市最近还没有交作业，先交作业再补图。例：/交作业 本周完成整改3项，剩余2项下周完成"; got != want {
		t.Errorf("nothing handed in: %q, want %q", got, want)
	}
	e.ask(e.chengdu, "/交作业 本周完成整改3项")
	for i, want := range []string{"已附上 成都市 第23周作业的图片（共1张）。", "已附上 成都市 第23周作业的图片（共2张）。"} {
		e.sendPicture(e.chengdu, "成都市的照片"+string(rune('A'+i)))
		if got := e.reply(e.chengdu); got != want {
			t.Errorf("picture %d: %q, want %q", i+1, got, want)
		}
	}
	e.clock.Advance(time.Hour) // the window after /交作业 is over
	e.sendPicture(e.chengdu, "迟到的照片")
	e.noReply()
	if got, want := e.ask(e.chengdu, "/补图 作业"), "请在2分钟内发送 成都市 第23周作业的图片（最多9张）。"; got != want {
		t.Errorf("补图: %q, want %q", got, want)
	}
	e.sendPicture(e.chengdu, "迟到的照片")
	if got, want := e.reply(e.chengdu), "已附上 成都市 第23周作业的图片（共3张）。"; got != want {
		t.Errorf("late picture: %q, want %q", got, want)
	}
	if got := e.ask(person("路人甲"), "/补图 作业"); !strings.HasPrefix(got, "你还没有认证身份") {
		t.Errorf("guest: %q", got)
	}
}
