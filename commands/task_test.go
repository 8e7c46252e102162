package commands_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// taskEnv is the commands env with the 督办 commands registered and the
// people of a district group: 王书记 (owner, 市委), 李局长 (市城管委, bound),
// 赵科长 (市城管委, registered but not bound), 孙干事 (区委办, bound) and
// 钱主任 (an admin of 市委办).
type taskEnv struct {
	*env
	li, sun, qian qunzhu.Identity
}

func newTaskEnv(t *testing.T, cfg commands.TaskConfig) *taskEnv {
	t.Helper()
	e := &taskEnv{env: newEnv(t)}
	ts := commands.NewTasks(cfg)
	for _, s := range ts.Specs() {
		e.router.Register(s)
	}
	e.router.RegisterAttach(ts.Attach())
	e.li = e.boundMember(e.group, "李局长", "市城管委", qunzhu.RoleMember)
	e.sun = e.boundMember(e.group, "孙干事", "区委办", qunzhu.RoleMember)
	e.qian = e.boundMember(e.group, "钱主任", "市委办", qunzhu.RoleAdmin)
	err := e.store.Update(t.Context(), func(tx qunzhu.Tx) error {
		return tx.CreateMember(&qunzhu.Member{GroupID: e.group.ID, Name: "赵科长", Unit: "市城管委"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// say sends text from sender and returns the reply to them.
func (e *taskEnv) say(sender qunzhu.Identity, text string) string {
	e.t.Helper()
	e.send(sender, text)
	return e.reply(sender)
}

func (e *taskEnv) tasks() []*qunzhu.Task {
	e.t.Helper()
	var list []*qunzhu.Task
	err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		list, err = tx.Tasks(qunzhu.TaskFilter{GroupID: e.group.ID})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func TestTaskAssignToAUnitMentionsAllItsMembers(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	got := e.say(e.owner, "/督办 市城管委 修复人民路路灯 限期3天")
	want := "【督办#1】修复人民路路灯\n责任单位：市城管委 @李局长\u2005@赵科长\n" +
		"期限：6月5日（周四）18:00（还剩3天9小时）\n督办人：王书记\n" +
		"请及时报告进展：/进展 1 内容；办完后：/办结 1 内容（可紧接着发现场照片）"
	if got != want {
		t.Errorf("card:\n%s\nwant:\n%s", got, want)
	}
}

func TestTaskAssignForms(t *testing.T) {
	tests := []struct {
		name, text string
		unit       string
		assignees  int
		title      string
		deadline   time.Time
	}{
		{"mention as WeChat writes it", "/督办 @李局长\u2005报送整改方案 周五", "市城管委", 1, "报送整改方案",
			time.Date(2025, 6, 6, 18, 0, 0, 0, start.Location())},
		{"two people, the first one's unit leads", "/督办 @孙干事 @李局长 联合检查，明天下班前", "区委办", 2, "联合检查",
			time.Date(2025, 6, 3, 18, 0, 0, 0, start.Location())},
		{"unit and person", "/督办 市城管委 @孙干事 清理占道经营 急", "市城管委", 3, "清理占道经营",
			start.Add(24 * time.Hour)},
		{"no deadline: the default, to the close of the third day", "/督办 区委办 整理会议纪要", "区委办", 1, "整理会议纪要",
			time.Date(2025, 6, 5, 18, 0, 0, 0, start.Location())},
		{"full-width and a colon", "／督办：市城管委，修复路灯，１２月１日", "市城管委", 2, "修复路灯",
			time.Date(2025, 12, 1, 18, 0, 0, 0, start.Location())},
		{"bracketed urgency first", "/督办 区委办 【急】报送值班表", "区委办", 1, "报送值班表", start.Add(24 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTaskEnv(t, commands.TaskConfig{})
			reply := e.say(e.owner, tt.text)
			ts := e.tasks()
			if len(ts) != 1 {
				t.Fatalf("tasks = %d, want 1 (reply %q)", len(ts), reply)
			}
			if strings.Contains(reply, "\u2005\n") || strings.HasSuffix(reply, "\u2005") {
				t.Errorf("card has a mention's U+2005 before a line break: %q", reply)
			}
			task := ts[0]
			if task.Unit != tt.unit || len(task.AssigneeIDs) != tt.assignees || task.Title != tt.title || !task.Deadline.Equal(tt.deadline) {
				t.Errorf("task = unit %q, %d assignees, %q, %v; want %q, %d, %q, %v (reply %q)",
					task.Unit, len(task.AssigneeIDs), task.Title, task.Deadline, tt.unit, tt.assignees, tt.title, tt.deadline, reply)
			}
		})
	}
}

// TestTaskAssignRefusals: every bad /督办 gets a short reply that says what
// was wrong with an example, and creates nothing.
func TestTaskAssignRefusals(t *testing.T) {
	guest := person("路人甲")
	tests := []struct {
		name   string
		sender func(e *taskEnv) qunzhu.Identity
		text   string
		want   string
	}{
		{"nothing", owner, "/督办", "请写上督办对象和事项。例：/督办 市城管委 修复人民路路灯 限期3天"},
		{"no object", owner, "/督办 修复路灯 限期3天",
			"请先写督办对象（@成员 或单位名），再写事项。本群的单位：区委办、市城管委、市委、市委办。例：/督办 市城管委 修复人民路路灯 限期3天 或 /督办 @李局长 报送整改方案 周五"},
		{"unknown member", owner, "/督办 @王五 修复路灯", "本群没有已认证的成员「王五」。请先登记：/成员 添加 王五 单位=市城管委"},
		{"member not bound", owner, "/督办 @赵科长 修复路灯", "赵科长还没有认证身份，不能接收督办"},
		{"no text", owner, "/督办 市城管委", "请写上督办事项。例："},
		{"only a deadline", owner, "/督办 市城管委 限期3天", "请写上督办事项。例："},
		{"past deadline", owner, "/督办 市城管委 修复路灯 今天8点", "期限「今天8点」是6月2日（周一）08:00，已经过了"},
		{"past day", owner, "/督办 市城管委 修复路灯 昨天", "期限「昨天」是6月1日（周日）18:00，已经过了"},
		{"impossible date", owner, "/督办 市城管委 修复路灯 2月30日", "看不懂期限「2月30日」：没有这一天"},
		{"unreadable deadline", owner, "/督办 市城管委 修复路灯 限期三天半", "看不懂期限「限期三天半」"},
		{"a member may not assign", li, "/督办 区委办 整理材料", "只有群主或管理员可以派发督办。"},
		{"a guest may not either", func(*taskEnv) qunzhu.Identity { return guest }, "/督办 区委办 整理材料", "你还没有认证身份"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTaskEnv(t, commands.TaskConfig{})
			if got := e.say(tt.sender(e), tt.text); !strings.HasPrefix(got, tt.want) && !strings.Contains(got, tt.want) {
				t.Errorf("reply %q, want %q", got, tt.want)
			}
			if n := len(e.tasks()); n != 0 {
				t.Errorf("%d tasks created, want none", n)
			}
		})
	}
}

func owner(e *taskEnv) qunzhu.Identity { return e.owner }
func li(e *taskEnv) qunzhu.Identity    { return e.li }

func TestTaskAssignRoleIsConfigurable(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{AssignRole: qunzhu.RoleOwner})
	if got, want := e.say(e.qian, "/督办 区委办 整理材料"), "只有群主可以派发督办。"; got != want {
		t.Errorf("admin: %q, want %q", got, want)
	}
	e2 := newTaskEnv(t, commands.TaskConfig{})
	if got := e2.say(e2.qian, "/督办 区委办 整理材料"); !strings.HasPrefix(got, "【督办#1】") {
		t.Errorf("admin with the default: %q, want a card", got)
	}
}

// TestTaskLifeInTheGroup walks a task through progress, done with a picture,
// refused closings, a return, done again and the close, then reads its
// history.
func TestTaskLifeInTheGroup(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	e.say(e.owner, "/督办 市城管委 修复人民路路灯 限期3天")
	steps := []struct {
		who  qunzhu.Identity
		text string
		want string
	}{
		{e.li, "/进展 1 已联系施工队，明天进场",
			"已记录督办#1「修复人民路路灯」的进展（6月2日（周一）10:00）。期限：6月5日（周四）18:00（还剩3天8小时）"},
		{e.sun, "/进展 1 我来帮忙", "只有督办#1的责任人或市城管委的成员可以报告进展。"},
		{e.li, "/进展 1", "请写上进展内容。例：/进展 23 已联系施工队，明天进场"},
		{e.li, "/进展 #1已到现场", "已记录督办#1「修复人民路路灯」的进展（6月2日（周一）13:00）。期限：6月5日（周四）18:00（还剩3天5小时）"},
		{e.li, "/进展", "请写上督办编号。例：/进展 23 已联系施工队，明天进场"},
		{e.li, "/进展 99 已联系", "没有编号为#99的督办任务。查看本群的督办：/督办 列表"},
		{e.li, "/办结 ＃1 路灯已修复",
			"已记录督办#1「修复人民路路灯」办结，等待@王书记\u2005核实销号：/销号 1。如有现场照片，请在2分钟内发到群里。"},
		{e.li, "/办结 1 再报一次", "督办#1已报办结，正在等待销号。"},
		{e.sun, "/销号 1", "只有督办人（王书记）或群主可以给督办#1销号或退回。"},
		{e.li, "/销号 1", "只有督办人（王书记）或群主可以给督办#1销号或退回。"},
		{e.owner, "/退回 1", "请写上退回原因。例：/退回 23 照片看不清，请补充现场照片"},
		{e.owner, "/退回 1 照片看不清，请补充",
			"督办#1「修复人民路路灯」已退回，请继续办理。原因：照片看不清，请补充\n期限：6月5日（周四）18:00（还剩2天21小时）@李局长\u2005@赵科长"},
		{e.li, "/办结 1 已更换灯杆", "已记录督办#1「修复人民路路灯」办结，等待@王书记\u2005核实销号：/销号 1。如有现场照片，请在2分钟内发到群里。"},
		{e.owner, "/销号 1", "督办#1「修复人民路路灯」已销号（市城管委，按期办结）。@李局长\u2005@赵科长"},
		{e.li, "/进展 1 补充说明", "督办#1已销号，不能再报进展。如需继续办理，请督办人发送：/退回 1 原因"},
	}
	for i, s := range steps {
		e.clock.Advance(time.Hour)
		if got := e.say(s.who, s.text); got != s.want {
			t.Fatalf("step %d %q:\n got %q\nwant %q", i, s.text, got, s.want)
		}
		if strings.HasPrefix(s.text, "/办结 ＃1") {
			e.sendPicture(e.li, "\x89PNG 现场照片")
			if got, want := e.reply(e.li), "已收到督办#1的办结照片（第1张）。"; got != want {
				t.Fatalf("picture reply %q, want %q", got, want)
			}
		}
	}
	got := e.say(e.li, "/督办 1")
	want := "【督办#1】修复人民路路灯\n状态：已销号（按期办结）\n责任单位：市城管委（李局长、赵科长）\n" +
		"期限：6月5日（周四）18:00\n督办人：王书记，6月2日（周一）09:00派发\n最新进展：6月2日（周一）13:00\n历史：" +
		"\n6月2日 09:00 王书记 派发" +
		"\n6月2日 10:00 李局长 进展：已联系施工队，明天进场" +
		"\n6月2日 13:00 李局长 进展：已到现场" +
		"\n6月2日 16:00 李局长 报办结：路灯已修复" +
		"\n6月2日 16:00 李局长 办结照片" +
		"\n6月2日 21:00 王书记 退回：照片看不清，请补充" +
		"\n6月2日 22:00 李局长 报办结：已更换灯杆" +
		"\n6月2日 23:00 王书记 销号"
	if got != want {
		t.Errorf("detail:\n%s\nwant:\n%s", got, want)
	}
}

func TestTaskNumbersBelongToTheirGroup(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	other := e.createGroup("城管工作群")
	zhou := e.boundMember(other, "周局长", "市城管委", qunzhu.RoleOwner)
	e.sendIn(other, "other-1", zhou, "/督办 市城管委 清理人民路占道经营")
	if got := e.sent(); len(got) != 1 || !strings.Contains(got[0].Text, "【督办#1】") {
		t.Fatalf("task in the other group: %v", texts(got))
	}
	for _, text := range []string{"/督办 1", "/进展 1 已处理", "/办结 1 已办好", "/销号 #1", "/退回 1 重新办"} {
		if got, want := e.say(e.owner, text), "督办#1是别的群的，本群不能查看或办理。查看本群的督办：/督办 列表"; got != want {
			t.Errorf("%s: %q, want %q", text, got, want)
		}
	}
	// Nothing happened to it: still open, with only its creation in the history.
	err := e.store.View(t.Context(), func(tx qunzhu.Tx) error {
		task, err := tx.TaskByID(1)
		if err != nil {
			return err
		}
		events, err := tx.TaskEvents(1)
		if task.Status != qunzhu.TaskOpen || len(events) != 1 {
			t.Errorf("task #1 is %s with %d events, want open with 1", task.Status, len(events))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTaskListAndStats(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	e.say(e.owner, "/督办 市城管委 修复人民路路灯 今天18点")
	e.say(e.owner, "/督办 区委办 整理会议纪要 周五")
	e.say(e.owner, "/督办 市城管委 清理占道经营 下周一")
	e.clock.Advance(10 * time.Hour) // 19:00: #1 is overdue
	tests := []struct{ text, want string }{
		{"/督办 列表", "本群未销号的督办（逾期的在前）：" +
			"\n#1 修复人民路路灯｜市城管委｜6月2日（周一）18:00 办理中，已逾期1小时" +
			"\n#2 整理会议纪要｜区委办｜6月6日（周五）18:00 办理中，还剩3天23小时" +
			"\n#3 清理占道经营｜市城管委｜6月9日（周一）18:00 办理中，还剩6天23小时" +
			"\n查看详情：/督办 编号"},
		{"/督办 列表 逾期", "本群已逾期的督办（逾期的在前）：\n#1 修复人民路路灯｜市城管委｜6月2日（周一）18:00 办理中，已逾期1小时\n查看详情：/督办 编号"},
		{"/督办 列表 区委办", "区委办未销号的督办（逾期的在前）：\n#2 整理会议纪要｜区委办｜6月6日（周五）18:00 办理中，还剩3天23小时\n查看详情：/督办 编号"},
		{"/督办 列表 市委办", "市委办未销号的督办：没有。"},
		{"/督办 列表 市教育局", "不认识「市教育局」：可以写 我的、逾期 或本群的单位名。例：/督办 列表 逾期"},
		{"/督办 统计", "督办统计（全部），问题多的在前：\n1. 市城管委：交办2，按期办结0，超期办结0，未办结2（逾期1），按期办结率0%" +
			"\n2. 区委办：交办1，按期办结0，超期办结0，未办结1\n合计：交办3，按期办结0，超期办结0，未办结3（逾期1），按期办结率0%"},
		{"/督办 统计 上周", "督办统计（上周：5月26日—6月1日）：还没有督办任务。派发：/督办 市城管委 修复人民路路灯 限期3天"},
		{"/督办 统计 明年", "不认识统计范围「明年」：可以写 本周、上周、本月、上月 或 全部。例：/督办 统计 本月"},
	}
	for _, tt := range tests {
		if got := e.say(e.li, tt.text); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
	// 李局长's own list: his unit's tasks.
	if got := e.say(e.li, "/督办 列表 我的"); !strings.Contains(got, "#1 ") || !strings.Contains(got, "#3 ") || strings.Contains(got, "#2 ") {
		t.Errorf("/督办 列表 我的 = %q, want #1 and #3 only", got)
	}
	// Closing late moves the statistics.
	e.say(e.li, "/办结 1 已修复")
	e.say(e.owner, "/销号 1")
	got := e.say(e.li, "/督办 统计 本周")
	want := "督办统计（本周：6月2日—6月8日），问题多的在前：\n1. 市城管委：交办2，按期办结0，超期办结1，未办结1，按期办结率0%，平均办结10小时" +
		"\n2. 区委办：交办1，按期办结0，超期办结0，未办结1\n合计：交办3，按期办结0，超期办结1，未办结2，按期办结率0%，平均办结10小时"
	if got != want {
		t.Errorf("stats after a late close:\n got %q\nwant %q", got, want)
	}
	// 区委办 finishes #2 on time a day later (34 hours after assignment) and
	// is closed a day after that: the average counts to the /办结, and the
	// total is the mean over both closed tasks, (10h + 34h) / 2 = 0.9 days.
	e.clock.Advance(24 * time.Hour)
	e.say(e.sun, "/办结 2 已整理")
	e.clock.Advance(24 * time.Hour)
	e.say(e.owner, "/销号 2")
	got = e.say(e.li, "/督办 统计")
	want = "督办统计（全部），问题多的在前：\n1. 市城管委：交办2，按期办结0，超期办结1，未办结1，按期办结率0%，平均办结10小时" +
		"\n2. 区委办：交办1，按期办结1，超期办结0，未办结0，按期办结率100%，平均办结1.4天\n合计：交办3，按期办结1，超期办结1，未办结1，按期办结率50%，平均办结22小时"
	if got != want {
		t.Errorf("stats after an on-time close:\n got %q\nwant %q", got, want)
	}
}

// TestTaskStatsCloseWithinTheHour: a task closed minutes after it was
// assigned is not shown as taking "0.0天".
func TestTaskStatsCloseWithinTheHour(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	e.say(e.owner, "/督办 区委办 报送值班表 今天18点")
	e.clock.Advance(20 * time.Minute)
	e.say(e.sun, "/办结 1 已报送")
	e.say(e.owner, "/销号 1")
	got := e.say(e.sun, "/督办 统计")
	want := "督办统计（全部），问题多的在前：\n1. 区委办：交办1，按期办结1，超期办结0，未办结0，按期办结率100%，平均办结不到1小时" +
		"\n合计：交办1，按期办结1，超期办结0，未办结0，按期办结率100%，平均办结不到1小时"
	if got != want {
		t.Errorf("stats:\n got %q\nwant %q", got, want)
	}
}

// TestTaskListPages: a long list says how many there are and pages; the hints
// lead somewhere new, and a page past the end says how many pages there are.
func TestTaskListPages(t *testing.T) {
	e := newTaskEnv(t, commands.TaskConfig{})
	for i := range 45 {
		unit := "市城管委"
		if i%3 == 0 {
			unit = "区委办"
		}
		e.say(e.owner, fmt.Sprintf("/督办 %s 第%d项整改 限期%d天", unit, i+1, i%9+1))
	}
	first := e.say(e.li, "/督办 列表")
	for _, want := range []string{"本群未销号的督办（逾期的在前），共 45 件，第 1–20 件：", "下一页：/督办 列表 第2页", "按单位看：/督办 列表 "} {
		if !strings.Contains(first, want) {
			t.Errorf("page 1 lacks %q:\n%s", want, first)
		}
	}
	if n := strings.Count(first, "\n#"); n != 20 {
		t.Errorf("page 1 has %d tasks, want 20", n)
	}
	third := e.say(e.li, "/督办 列表 第3页")
	if !strings.Contains(third, "共 45 件，第 41–45 件：") || strings.Contains(third, "下一页") || strings.Count(third, "\n#") != 5 {
		t.Errorf("page 3:\n%s", third)
	}
	unit := e.say(e.li, "/督办 列表 市城管委 第2页")
	if !strings.Contains(unit, "市城管委未销号的督办（逾期的在前），共 30 件，第 21–30 件：") || strings.Contains(unit, "/督办 列表 市城管委 第2页") {
		t.Errorf("unit page 2 (must not point at itself):\n%s", unit)
	}
	if got, want := e.say(e.li, "/督办 列表 第9页"), "本群未销号的督办共45件，只有3页。例：/督办 列表 第3页"; got != want {
		t.Errorf("past the end:\n got %q\nwant %q", got, want)
	}
	// Pages join into the whole list: every task once.
	seen := map[string]bool{}
	for p := 1; p <= 3; p++ {
		for _, line := range strings.Split(e.say(e.li, fmt.Sprintf("/督办 列表 第%d页", p)), "\n") {
			if strings.HasPrefix(line, "#") {
				num := strings.Fields(line)[0]
				if seen[num] {
					t.Errorf("%s listed twice", num)
				}
				seen[num] = true
			}
		}
	}
	if len(seen) != 45 {
		t.Errorf("pages listed %d tasks, want 45", len(seen))
	}
}
