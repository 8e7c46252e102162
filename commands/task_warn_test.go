package commands_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

func TestTaskToAUnitNobodyBoundWarnsInTheCard(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	err := e.store.Update(t.Context(), func(tx qunzhu.Tx) error {
		return tx.CreateMember(&qunzhu.Member{GroupID: e.group.ID, Name: "马骏", Unit: "区房管局"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := e.say(e.owner, "/督办 区房管局 排查老旧小区燃气管道 限期3天")
	if !strings.Contains(got, "【督办#1】") || !strings.Contains(got,
		"注意：区房管局还没有人认证，没人能报进展和办结。请马骏发送 /认证 <认证码>（重发认证码：/成员 认证码 马骏）") {
		t.Errorf("card: %q", got)
	}
	// A unit with someone bound gets no warning.
	if got := e.say(e.owner, "/督办 市城管委 修复人民路路灯"); strings.Contains(got, "注意") {
		t.Errorf("card: %q", got)
	}
	// The reply lists whom it mentions, for platforms with real mentions.
	e.say(e.owner, "/督办 市城管委 清理占道 限期3天")
}

func TestTaskUnknownUnitIsNamed(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	tests := []struct{ text, want string }{
		{"/督办 区城管执法局 元旦前完成福州路违章建筑拆除", "本群没有登记「区城管执法局」这个单位。本群的单位：区委办、市城管委、市委、市委办。先登记该单位的人：/成员 添加 单位=区城管执法局 张三，再督办。例："},
		{"/督办 福州路街道 清理占道", "本群没有登记「福州路街道」这个单位"},
		{"/督办 修复人民路路灯", "请先写督办对象（@成员 或单位名），再写事项。"},
	}
	for _, tt := range tests {
		if got := e.say(e.owner, tt.text); !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q, want it to contain %q", tt.text, got, tt.want)
		}
	}
}

func TestTaskCardFillsAt(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	e.send(e.owner, "/督办 市城管委 修复人民路路灯 限期3天")
	msgs := e.sent()
	if len(msgs) != 1 {
		t.Fatalf("rows %d", len(msgs))
	}
	var names []string
	for _, a := range msgs[0].At {
		names = append(names, a.Name)
	}
	if got, want := strings.Join(names, ","), "李局长,赵科长"; got != want {
		t.Errorf("At = %s, want %s", got, want)
	}
}
