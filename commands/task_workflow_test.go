package commands_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/ratelimit"
)

// workflowConfig is the 督办 configuration the program wires: the statutory
// holiday table, festival names and a limiter on the env's clock.
func workflowConfig(e *taskEnv) commands.TaskConfig {
	return commands.TaskConfig{
		Workdays:  qunzhu.ReportCalendar{Location: start.Location(), Holidays: festival.StatutoryHolidays{}},
		Festivals: festival.New(start.Location()),
		Limiter:   ratelimit.NewLocal(e.clock),
	}
}

func newWorkflowEnv(t *testing.T) *taskEnv {
	t.Helper()
	e := &taskEnv{env: newEnv(t)}
	ts := commands.NewTasks(workflowConfig(e))
	for _, s := range ts.Specs() {
		e.router.Register(s)
	}
	e.li = e.boundMember(e.group, "李局长", "市城管委", qunzhu.RoleMember)
	e.sun = e.boundMember(e.group, "孙干事", "区委办", qunzhu.RoleMember)
	e.qian = e.boundMember(e.group, "钱主任", "市委办", qunzhu.RoleAdmin)
	return e
}

func (e *taskEnv) task(id int64) *qunzhu.Task {
	e.t.Helper()
	var task *qunzhu.Task
	if err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		task, err = tx.TaskByID(id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return task
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q lacks %q", what, got, w)
		}
	}
}

// TestTaskExtension: the assignee asks, a member and an admin who did not
// assign it cannot decide, the owner refuses with a reason and later grants;
// the ladder restarts from the new deadline.
func TestTaskExtension(t *testing.T) {
	e := newWorkflowEnv(t)
	e.say(e.owner, "/督办 市城管委 修复人民路路灯 限期3天")
	wantContains(t, "no reason", e.say(e.li, "/延期 1 6月12日"), "请写上延期理由。例：/延期 23 下周三 施工队未到位")
	wantContains(t, "no deadline", e.say(e.li, "/延期 1 施工队未到位"), "请写上新期限和理由", "可以这样写期限：")
	wantContains(t, "earlier", e.say(e.li, "/延期 1 明天 太早"), "新期限要晚于现在的期限")
	wantContains(t, "long", e.say(e.li, "/延期 1 6月12日 "+strings.Repeat("理由", 300)), "内容太长了")
	e.send(e.li, "/延期 1 6月12日 施工队未到位")
	msgs := e.sent()
	if len(msgs) != 1 {
		t.Fatalf("request: %v", texts(msgs))
	}
	wantContains(t, "request", msgs[0].Text, "已申请督办#1「修复人民路路灯」延期至6月12日（周四）18:00，理由：施工队未到位",
		"请@王书记\u2005审批：/同意 延期 1 或 /驳回 延期 1 理由")
	if !slices.ContainsFunc(msgs[0].At, func(a qunzhu.At) bool { return a.Name == "王书记" }) {
		t.Errorf("request At = %+v, want 王书记", msgs[0].At)
	}
	wantContains(t, "twice", e.say(e.li, "/延期 1 6月13日 再延"), "已有一个延期申请在等待审批")
	wantContains(t, "member", e.say(e.sun, "/同意 延期 1"), "只有群主或管理员可以使用 /同意 延期")
	wantContains(t, "admin", e.say(e.qian, "/同意 延期 1"), "只有督办人（王书记）或群主可以审批延期督办#1")
	wantContains(t, "refuse without reason", e.say(e.owner, "/驳回 延期 1"), "请写上驳回理由")
	wantContains(t, "refused", e.say(e.owner, "/驳回 延期 1 请按期完成"), "已驳回督办#1「修复人民路路灯」的延期申请，理由：请按期完成",
		"期限仍为6月5日（周四）18:00", "@李局长")
	if task := e.task(1); task.Extensions != 0 || !task.Deadline.Equal(time.Date(2025, 6, 5, 18, 0, 0, 0, start.Location())) {
		t.Errorf("after refusal: extensions %d deadline %v", task.Extensions, task.Deadline)
	}
	wantContains(t, "none pending", e.say(e.owner, "/同意 延期 1"), "督办#1没有待审批的延期申请。")

	e.say(e.li, "/督办 1 延期到6月12日 施工队未到位")
	e.clock.Advance(time.Hour)
	wantContains(t, "granted", e.say(e.owner, "/同意延期 1"), "已同意督办#1「修复人民路路灯」延期：期限延至6月12日（周四）18:00，重新开始催办。@李局长")
	task := e.task(1)
	if task.Extensions != 1 || task.LadderRound != 1 || task.LadderStep != "" || !task.NextActionAt.Equal(e.clock.Now()) {
		t.Errorf("after grant: %+v", task)
	}
	wantContains(t, "detail", e.say(e.sun, "/督办 1"), "延期1次，转办0次", "李局长 申请延期：申请延期至6月12日",
		"王书记 驳回延期：请按期完成", "王书记 同意延期：期限由6月5日（周四）18:00延至6月12日（周四）18:00")
	wantContains(t, "stats", e.say(e.owner, "/督办 统计"), "延期1次，转办0次")
	// The assigner extends directly.
	wantContains(t, "direct", e.say(e.owner, "/延期 1 6月20日 市里统一部署"), "期限已延至6月20日（周五）18:00")
	// A strong marker followed by the reason reads as the deadline, not as an
	// unreadable one.
	wantContains(t, "marker and reason", e.say(e.owner, "/延期 1 限期30天 市里统一部署"), "期限已延至7月2日（周三）18:00")
}

// TestTaskTransferWithdrawSuspend: 转办 to another unit keeps the history and
// mentions the new people; 中止 stops the clock and 恢复 moves the deadline;
// 撤销 takes the task out of lists and statistics.
func TestTaskTransferWithdrawSuspend(t *testing.T) {
	e := newWorkflowEnv(t)
	e.say(e.owner, "/督办 市城管委 清理占道经营 限期3天")
	wantContains(t, "member", e.say(e.li, "/转办 1 区委办"), "只有群主或管理员可以使用 /转办")
	wantContains(t, "no object", e.say(e.owner, "/转办 1"), "请写上转给谁")
	wantContains(t, "unknown", e.say(e.owner, "/转办 1 区房管局"), "本群没有登记「区房管局」这个单位")
	e.send(e.owner, "/转办 1 区委办")
	msgs := e.sent()
	if len(msgs) != 1 {
		t.Fatalf("transfer: %v", texts(msgs))
	}
	wantContains(t, "transfer", msgs[0].Text, "督办#1「清理占道经营」已由市城管委转区委办办理。@孙干事")
	if len(msgs[0].At) != 1 || msgs[0].At[0].Name != "孙干事" {
		t.Errorf("transfer At = %+v", msgs[0].At)
	}
	task := e.task(1)
	if task.Unit != "区委办" || task.Transfers != 1 || len(task.AssigneeIDs) != 1 {
		t.Errorf("after transfer: %+v", task)
	}
	wantContains(t, "old unit", e.say(e.li, "/进展 1 我们在办"), "只有督办#1的责任人或区委办的成员可以报告进展。")
	wantContains(t, "history", e.say(e.owner, "/督办 1"), "王书记 转办：由市城管委转区委办")

	wantContains(t, "suspend", e.say(e.owner, "/中止 1 等待规划局批复"), "已中止，暂停计时和催办")
	wantContains(t, "suspend twice", e.say(e.owner, "/中止 1 再等等"), "督办#1已经中止了。恢复：/恢复 1")
	wantContains(t, "nudge suspended", e.say(e.owner, "/催办 1"), "督办#1已中止，不需要催办。")
	wantContains(t, "extend suspended", e.say(e.sun, "/延期 1 限期30天 等批复"), "督办#1已中止，恢复时再定新期限")
	e.clock.Advance(10 * 24 * time.Hour) // past the deadline while suspended
	wantContains(t, "not overdue", e.say(e.owner, "/督办 列表 逾期"), "本群已逾期的督办：没有。")
	wantContains(t, "resume", e.say(e.owner, "/恢复 1"), "已恢复办理。期限：6月15日（周日）18:00")
	if task := e.task(1); task.LadderRound != 1 || !task.SuspendedAt.IsZero() {
		t.Errorf("after resume: %+v", task)
	}

	wantContains(t, "withdraw without reason", e.say(e.owner, "/撤销 1"), "请写上撤销理由。例：/撤销 23 已由市里统一处理")
	wantContains(t, "withdraw", e.say(e.owner, "/撤销 1 已由市里统一处理"), "已撤销，不再办理，也不计入统计")
	wantContains(t, "list", e.say(e.owner, "/督办 列表"), "本群未销号的督办：没有。")
	wantContains(t, "stats", e.say(e.owner, "/督办 统计"), "还没有督办任务")
	wantContains(t, "after withdraw", e.say(e.sun, "/进展 1 还在办"), "督办#1已撤销，不能再办理。")
	wantContains(t, "detail", e.say(e.owner, "/督办 1"), "状态：已撤销")
}

// TestTaskNudgeIsLimited: a nudge mentions the responsible people; a second
// one within two hours is refused, the third after two hours goes out.
func TestTaskNudgeIsLimited(t *testing.T) {
	e := newWorkflowEnv(t)
	e.say(e.owner, "/督办 市城管委 清理占道经营 限期3天")
	e.send(e.qian, "/催办 1 市领导很关注")
	msgs := e.sent()
	if len(msgs) != 1 {
		t.Fatalf("nudge: %v", texts(msgs))
	}
	wantContains(t, "nudge", msgs[0].Text, "【催办】督办#1「清理占道经营」，责任单位：市城管委", "@李局长", "/进展 1", "市领导很关注")
	if len(msgs[0].At) != 1 || msgs[0].At[0].Name != "李局长" {
		t.Errorf("nudge At = %+v", msgs[0].At)
	}
	e.clock.Advance(time.Hour)
	wantContains(t, "again", e.say(e.owner, "/催办 1"), "督办#1刚催办过，1小时后可以再催。")
	e.clock.Advance(time.Hour)
	wantContains(t, "later", e.say(e.owner, "/催办 #1"), "【催办】督办#1")
	wantContains(t, "member", e.say(e.li, "/催办 1"), "只有群主或管理员可以使用 /催办")
}

// TestTaskDeadlinesNeverGuessed: counts end at the close of the last working
// day, festivals are understood, vague words are asked about, a date on a
// holiday is flagged.
func TestTaskDeadlinesNeverGuessed(t *testing.T) {
	loc := start.Location()
	tests := []struct {
		text, wantCard string
		want           time.Time // zero: refused
	}{
		// 2 June 2025 is 端午's day off: counting starts with the 3rd.
		{"/督办 市城管委 报送材料 5个工作日", "期限：6月9日（周一）18:00", time.Date(2025, 6, 9, 18, 0, 0, 0, loc)},
		{"/督办 市城管委 报送材料 限期5天", "（原期限逢休息日，顺延）", time.Date(2025, 6, 9, 18, 0, 0, 0, loc)},
		{"/督办 市城管委 报送材料 3天内", "期限：6月5日（周四）18:00", time.Date(2025, 6, 5, 18, 0, 0, 0, loc)},
		{"/督办 市城管委 元旦前完成福州路违章建筑拆除", "（元旦前最后一个工作日）", time.Date(2025, 12, 31, 18, 0, 0, 0, loc)},
		{"/督办 市城管委 完成拆除 国庆节前", "期限：9月30日（周二）18:00", time.Date(2025, 9, 30, 18, 0, 0, 0, loc)},
		{"/督办 市城管委 报送材料 10月3日", "（注意：当天是国庆中秋假期）", time.Date(2025, 10, 3, 18, 0, 0, 0, loc)},
		{"/督办 市城管委 节前完成安全检查", "「节前」是哪一天？请写明期限", time.Time{}},
		// A written deadline wins over a festival in the task's words.
		{"/督办 市城管委 春节前安全大检查 限期5天", "期限：6月9日（周一）18:00", time.Date(2025, 6, 9, 18, 0, 0, 0, loc)},
		{"/督办 市城管委 元旦后完成拆除", "「元旦后」是哪一天？", time.Time{}},
		{"/督办 市城管委 报送材料 限期三天半", "可以这样写期限：限期3天", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e := newWorkflowEnv(t)
			reply := e.say(e.owner, tt.text)
			wantContains(t, "reply", reply, tt.wantCard)
			list := e.tasks()
			switch {
			case tt.want.IsZero() && len(list) != 0:
				t.Errorf("refused deadline made a task: %+v", list[0])
			case !tt.want.IsZero() && (len(list) != 1 || !list[0].Deadline.Equal(tt.want)):
				t.Errorf("tasks %+v, want one due %v (reply %q)", list, tt.want, reply)
			}
			if !tt.want.IsZero() && len(list) == 1 && strings.Contains(list[0].Title, "元旦前") {
				t.Errorf("title keeps the deadline: %q", list[0].Title)
			}
		})
	}
}
