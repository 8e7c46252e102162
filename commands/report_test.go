package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// reportEnv is the 副市长作业群 story: an owner, three cities with a bound
// vice-mayor each, and the 交作业 commands registered. The env starts on
// Monday 2 June 2025, 09:00; that week's Friday deadline is 6 June 18:00 (第23周).
type reportEnv struct {
	*env
	reports                      *commands.Reports
	chengdu, mianyang, deyang    qunzhu.Identity
	friday, nextFriday, lastWeek time.Time
}

func newReportEnv(t *testing.T, cfg commands.ReportConfig) *reportEnv {
	e := &reportEnv{env: newEnv(t)}
	e.reports = commands.NewReports(cfg)
	e.reports.Register(e.router)
	e.chengdu = e.boundMember(e.group, "成都市副市长", "成都市", qunzhu.RoleMember)
	e.mianyang = e.boundMember(e.group, "绵阳市副市长", "绵阳市", qunzhu.RoleMember)
	e.deyang = e.boundMember(e.group, "德阳市副市长", "德阳市", qunzhu.RoleMember)
	loc := commands.ChinaTime()
	e.friday = time.Date(2025, 6, 6, 18, 0, 0, 0, loc)
	e.nextFriday = e.friday.AddDate(0, 0, 7)
	return e
}

// ask sends text as sender and returns the reply.
func (e *reportEnv) ask(sender qunzhu.Identity, text string) string {
	e.t.Helper()
	e.send(sender, text)
	return e.reply(sender)
}

// setUp sets the weekly cycle and the roster of three cities.
func (e *reportEnv) setUp() {
	e.t.Helper()
	e.ask(e.owner, "/作业 设置 每周五18:00 提前2小时提醒")
	e.ask(e.owner, "/作业 名单 添加 成都市 绵阳市 德阳市")
}

func TestReportSet(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{RemindBefore: 3 * time.Hour})
	tests := []struct{ text, want string }{
		{"/作业 设置 每周五18:00 提前2小时提醒",
			"已设置交作业周期：每周五18:00，截止前2小时提醒未交的单位。\n下次截止：6月6日（周五）18:00（第23周）。\n还没有交作业名单，请添加：/作业 名单 添加 成都市 绵阳市 德阳市"},
		{"/作业 设置 每周一、周四12:00",
			"已设置交作业周期：每周一、周四12:00，截止前3小时提醒未交的单位。\n下次截止：6月2日（周一）12:00（6月2日）。\n还没有交作业名单，请添加：/作业 名单 添加 成都市 绵阳市 德阳市"},
		{"/作业设置 每天下午5点半 不提醒",
			"已设置交作业周期：每天17:30，不提前提醒。\n下次截止：6月2日（周一）17:30（6月2日）。\n还没有交作业名单，请添加：/作业 名单 添加 成都市 绵阳市 德阳市"},
		{"/作业 设置 每周五18:00 提醒提前1小时",
			"已设置交作业周期：每周五18:00，截止前1小时提醒未交的单位。\n下次截止：6月6日（周五）18:00（第23周）。\n还没有交作业名单，请添加：/作业 名单 添加 成都市 绵阳市 德阳市"},
		{"／作业　设置　每月最后一个工作日１８：００　提前１天提醒",
			"已设置交作业周期：每月最后一个工作日18:00，截止前1天提醒未交的单位。\n下次截止：6月30日（周一）18:00（6月）。\n还没有交作业名单，请添加：/作业 名单 添加 成都市 绵阳市 德阳市"},
	}
	for _, tt := range tests {
		if got := e.ask(e.owner, tt.text); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

func TestReportSet_HolidayMoveIsAnnounced(t *testing.T) {
	holidays := fakeHolidays{"2025-06-06": "端午节"} // a stand-in; the real table is tested in schedule
	e := newReportEnv(t, commands.ReportConfig{RemindBefore: 2 * time.Hour,
		Calendar: qunzhu.ReportCalendar{Holidays: holidays, MoveHolidays: true}})
	got := e.ask(e.owner, "/作业 设置 每周五18:00")
	want := "已设置交作业周期：每周五18:00，截止前2小时提醒未交的单位。\n下次截止：6月5日（周四）18:00（第23周），6月6日是端午节，已提前到上一个工作日。\n还没有交作业名单，请添加：/作业 名单 添加 成都市 绵阳市 德阳市"
	if got != want {
		t.Errorf("reply:\n got %q\nwant %q", got, want)
	}
}

type fakeHolidays map[string]string

func (f fakeHolidays) Holiday(y int, m time.Month, d int) (string, bool, bool) {
	name, ok := f[fmt.Sprintf("%04d-%02d-%02d", y, m, d)]
	return name, ok, ok
}

func TestReportSet_Refused(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	tests := []struct {
		who  qunzhu.Identity
		text string
		want string
	}{
		{e.chengdu, "/作业 设置 每周五18:00", "只有群主或管理员可以使用 /作业 设置。"},
		{person("路人甲"), "/作业 设置 每周五18:00", "你还没有认证身份：请群主或管理员用 /成员 添加 登记你，再发送 /认证 <认证码>。"},
		{e.owner, "/作业 设置", "请写上交作业的周期。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{e.owner, "/作业 设置 每周八18:00", "看不懂周期「每周八18:00」。可以写：每周五18:00，每周一、周四12:00，每天17:30，每个工作日17:30，每月15日18:00，每月最后一个工作日18:00。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{e.owner, "/作业 设置 每周五18:00 提前一会儿", "看不懂提醒「提前一会儿」：请写 提前2小时提醒、提前30分钟提醒 或 不提醒。例：/作业 设置 每周五18:00 提前2小时提醒"},
	}
	for _, tt := range tests {
		if got := e.ask(tt.who, tt.text); got != tt.want {
			t.Errorf("%s %q:\n got %q\nwant %q", tt.who.Name(), tt.text, got, tt.want)
		}
	}
	// Nothing was set.
	if got, want := e.ask(e.owner, "/作业"), "本群还没有设置交作业周期，请群主或管理员先设置。例：/作业 设置 每周五18:00 提前2小时提醒"; got != want {
		t.Errorf("status after refusals:\n got %q\nwant %q", got, want)
	}
}

func TestReportRoster(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	steps := []struct {
		who  qunzhu.Identity
		text string
		want string
	}{
		{e.chengdu, "/作业 名单", "本群还没有交作业名单。群主或管理员可添加：/作业 名单 添加 成都市 绵阳市 德阳市"},
		{e.owner, "/作业 名单 移除 成都市", "「成都市」不在交作业名单上。本群还没有交作业名单。例：/作业 名单 添加 成都市 绵阳市 德阳市"},
		{e.owner, "/作业 名单 添加 成都市、绵阳市，德阳市 广元市",
			"已加入交作业名单：成都市、绵阳市、德阳市、广元市。名单共4个单位。\n广元市还没有已认证的成员，请登记：/成员 添加 <名字> 单位=广元市"},
		{e.owner, "/作业 名单 添加 成都市", "成都市已在名单上。名单共4个单位。"},
		{e.chengdu, "/作业 名单 添加 乐山市", "只有群主或管理员可以修改交作业名单。"},
		{e.chengdu, "/作业 名单",
			"交作业名单（4个单位）：\n成都市：成都市副市长\n绵阳市：绵阳市副市长\n德阳市：德阳市副市长\n广元市：还没有已认证的成员"},
		{e.owner, "/作业 名单 移除 广元市", "已从交作业名单移除：广元市。以前各期的记录保留。"},
		{e.owner, "/作业 名单 移除 乐山市", "「乐山市」不在交作业名单上。名单：成都市、绵阳市、德阳市。例：/作业 名单 移除 成都市"},
		{e.owner, "/作业 名单 添加", "请写上单位名称，多个单位用空格或顿号隔开。例：/作业 名单 添加 成都市 绵阳市 德阳市"},
		{e.owner, "/作业 名单 修改 成都市", "不认识「/作业 名单 修改」。可以用：/作业 名单、/作业 名单 添加 成都市 绵阳市 德阳市、/作业 名单 移除 德阳市"},
		{e.owner, "/作业 名单 添加 单位=成都市", "单位名称「单位=成都市」不对：请直接写单位名，最多32个字。例：/作业 名单 添加 成都市 绵阳市 德阳市"},
	}
	for _, s := range steps {
		if got := e.ask(s.who, s.text); got != s.want {
			t.Errorf("%s %q:\n got %q\nwant %q", s.who.Name(), s.text, got, s.want)
		}
	}
}

func TestReportSubmit_CountsReplacesAndAttaches(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	e.setUp()

	if got, want := e.ask(e.chengdu, "/交作业 本周完成整改3项，剩余2项下周完成"), "已收到 成都市 第23周作业（1/3）。"; got != want {
		t.Errorf("first report: %q, want %q", got, want)
	}
	e.clock.Advance(time.Minute)
	e.sendPicture(e.chengdu, "成都市的照片")
	if got, want := e.reply(e.chengdu), "已附上 成都市 第23周作业的图片（共1张）。"; got != want {
		t.Errorf("picture: %q, want %q", got, want)
	}
	e.clock.Advance(time.Hour)
	if got, want := e.ask(e.mianyang, "/交作业 完成整改1项"), "已收到 绵阳市 第23周作业（2/3）。"; got != want {
		t.Errorf("second unit: %q, want %q", got, want)
	}
	e.clock.Advance(time.Hour)
	if got, want := e.ask(e.mianyang, "/交作业 完成整改2项（更正）"), "已收到 绵阳市 第23周作业（2/3），已替换第1版，旧版本保留在历史里。"; got != want {
		t.Errorf("again: %q, want %q", got, want)
	}
	e.clock.Advance(3 * time.Minute)
	e.sendPicture(e.mianyang, "too late for the slot") // more than 2 minutes later: ignored
	e.noReply()

	want := "第23周作业（截止 6月6日（周五）18:00）：已交 2/3\n" +
		"1. 成都市 6月2日 09:00（有图）\n2. 绵阳市 6月2日 10:01（第2版）\n未交：德阳市"
	if got := e.ask(e.deyang, "/作业 状态"); got != want {
		t.Errorf("status:\n got %q\nwant %q", got, want)
	}
	want = "成都市 第23周作业（按时，6月2日 09:00 由成都市副市长提交）：\n本周完成整改3项，剩余2项下周完成"
	e.send(e.owner, "/作业 查看 成都市")
	msgs := e.sent()
	if len(msgs) != 1 || msgs[0].Text != commands.Mention("王书记")+want || string(msgs[0].Image) != "成都市的照片" {
		t.Errorf("view with picture = %v, want one message %q with the picture", texts(msgs), want)
	}
	want = "绵阳市 第23周作业（按时，6月2日 11:01 由绵阳市副市长提交，第2版）：\n完成整改2项（更正）\n" +
		"—— 第1版（6月2日 10:01 由绵阳市副市长提交）——\n完成整改1项"
	if got := e.ask(e.owner, "/作业 查看 绵阳市 本周 历史"); got != want {
		t.Errorf("history:\n got %q\nwant %q", got, want)
	}
}

func TestReportSubmit_Refused(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	official := e.boundMember(e.group, "刘副部长", "省委组织部", qunzhu.RoleOwner)
	noUnit := e.boundMember(e.group, "陈副省长", "", qunzhu.RoleOwner) // configured owners may have no unit
	if got, want := e.ask(e.chengdu, "/交作业 完成整改3项"), "本群还没有设置交作业周期，请群主或管理员先设置。例：/作业 设置 每周五18:00 提前2小时提醒"; got != want {
		t.Errorf("before 设置: %q, want %q", got, want)
	}
	e.setUp()
	tests := []struct {
		who  qunzhu.Identity
		text string
		want string
	}{
		{e.chengdu, "/交作业", "请在 /交作业 后面写上作业内容，图片可在2分钟内接着发。例：/交作业 本周完成整改3项，剩余2项下周完成"},
		{e.chengdu, "/交作业 上周", "请在 /交作业 后面写上作业内容，图片可在2分钟内接着发。例：/交作业 本周完成整改3项，剩余2项下周完成"},
		{person("成都市秘书"), "/交作业 完成整改3项", "你还没有认证身份：请群主或管理员用 /成员 添加 登记你，再发送 /认证 <认证码>。"},
		{official, "/交作业 完成整改3项", "你的单位「省委组织部」不在本群的交作业名单上。名单：成都市、绵阳市、德阳市。如需加入，请群主或管理员发送：/作业 名单 添加 省委组织部"},
		{e.chengdu, "/交作业 上周 补交", "还没有已截止的作业周期，本期是第23周。例：/交作业 本周完成整改3项，剩余2项下周完成"},
		{e.chengdu, "/交作业 第20周 补交", "找不到「第20周」的作业周期。最近的周期：第23周。例：/交作业 本周完成整改3项，剩余2项下周完成"},
		{noUnit, "/交作业 完成整改3项", "你没有登记所在单位，不能替单位交作业。请群主或管理员登记交作业的人，例：/成员 添加 张三 单位=成都市"},
	}
	for _, tt := range tests {
		if got := e.ask(tt.who, tt.text); got != tt.want {
			t.Errorf("%s %q:\n got %q\nwant %q", tt.who.Name(), tt.text, got, tt.want)
		}
	}
	if got, want := e.ask(e.owner, "/作业"), "第23周作业（截止 6月6日（周五）18:00）：已交 0/3\n未交：成都市、绵阳市、德阳市"; got != want {
		t.Errorf("a refused report changed the status:\n got %q\nwant %q", got, want)
	}
}

// TestReportSubmit_LateAfterTheDeadline follows the late rule: after Friday's
// deadline a unit that owes Friday's report hands in late for it; a unit that
// handed in on time hands in for next week; "上周" corrects a late report.
func TestReportSubmit_LateAfterTheDeadline(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	e.setUp()
	e.ask(e.chengdu, "/交作业 完成整改3项")
	e.ask(e.mianyang, "/交作业 完成整改1项")
	e.clock.Set(e.friday.Add(2*time.Hour + 15*time.Minute))

	if got, want := e.ask(e.deyang, "/交作业 完成整改2项"), "已收到 德阳市 第23周作业（迟交，3/3）。"; got != want {
		t.Errorf("late: %q, want %q", got, want)
	}
	if got, want := e.ask(e.chengdu, "/交作业 下周计划"), "已收到 成都市 第24周作业（1/3）。"; got != want {
		t.Errorf("on time last week → next week: %q, want %q", got, want)
	}
	if got, want := e.ask(e.deyang, "/交作业 上周 完成整改2项（补充照片）"), "已收到 德阳市 第23周作业（迟交，3/3），已替换第1版，旧版本保留在历史里。"; got != want {
		t.Errorf("correcting the late report: %q, want %q", got, want)
	}
	want := "第24周作业（截止 6月13日（周五）18:00）：已交 1/3\n1. 成都市 6月6日 20:15\n未交：绵阳市、德阳市\n" +
		"上期 第23周（已截止）：按时 2/3，迟交：德阳市（6月6日 20:15）"
	if got := e.ask(e.owner, "/作业"); got != want {
		t.Errorf("status after the deadline:\n got %q\nwant %q", got, want)
	}

	// A week later the window for 第23周 has closed.
	e.clock.Set(e.nextFriday.Add(time.Minute))
	if got, want := e.ask(e.deyang, "/交作业 第23周 再补充"), "第23周作业已过补交期限，不能再交。交本期作业请直接发送：/交作业 本周完成整改3项，剩余2项下周完成"; got != want {
		t.Errorf("after the window: %q, want %q", got, want)
	}
	if got, want := e.ask(e.mianyang, "/交作业 补第24周"), "已收到 绵阳市 第24周作业（迟交，2/3）。"; got != want {
		t.Errorf("late for 第24周: %q, want %q", got, want)
	}
	// A unit added after 第24周 closed does not owe it.
	guangyuan := e.boundMember(e.group, "广元市副市长", "广元市", qunzhu.RoleMember)
	e.ask(e.owner, "/作业 名单 添加 广元市")
	if got, want := e.ask(guangyuan, "/交作业 上周 补交"), "广元市不在第24周作业的名单上，不用交。交本期作业请直接发送：/交作业 本周完成整改3项，剩余2项下周完成"; got != want {
		t.Errorf("not expected last week: %q, want %q", got, want)
	}

	want = "最近2期交作业统计（第23周至第24周）：\n1. 德阳市：按时0，迟交1，未交1\n2. 绵阳市：按时1，迟交1，未交0\n3. 成都市：按时2，迟交0，未交0"
	if got := e.ask(e.owner, "/作业 统计 最近4期"); got != want {
		t.Errorf("stats:\n got %q\nwant %q", got, want)
	}
	want = "最近1期交作业统计（第24周）：\n1. 德阳市：按时0，迟交0，未交1\n2. 绵阳市：按时0，迟交1，未交0\n3. 成都市：按时1，迟交0，未交0"
	if got := e.ask(e.owner, "/作业 统计 最近一期"); got != want {
		t.Errorf("stats of one cycle:\n got %q\nwant %q", got, want)
	}
	if got, want := e.ask(e.owner, "/作业 统计 全部"), "看不懂「全部」。例：/作业 统计 最近4期"; got != want {
		t.Errorf("bad stats arg: %q, want %q", got, want)
	}
}

func TestReportView_Refused(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	e.setUp()
	tests := []struct{ text, want string }{
		{"/作业 查看", "请写上要查看的单位。例：/作业 查看 成都市 上周"},
		{"/作业 查看 广元市", "没有单位「广元市」。名单：成都市、绵阳市、德阳市。例：/作业 查看 成都市 上周"},
		{"/作业 查看 成都市", "成都市还没有交过作业。"},
		{"/作业 查看 成都市 本周", "成都市 第23周作业还没有交（截止 6月6日（周五）18:00）。"},
		{"/作业 查看 成都市 第22周", "找不到「第22周」的作业周期。最近的周期：第23周。例：/作业 查看 成都市"},
		{"/作业 查看 成都市 上周", "还没有已截止的作业周期，本期是第23周。例：/作业 查看 成都市"},
		{"/作业 查看 成都市 明天", "看不懂「明天」：单位后面可以写 上周、第48周 或 历史。例：/作业 查看 成都市 上周"},
		{"/作业 成都市", "看不懂「成都市」。可以用：/作业 状态、/作业 查看 成都市 上周、/作业 统计 最近4期、/作业 名单、/作业 设置 每周五18:00 提前2小时提醒"},
		{"/作业 状态 成都市 上周", "看不懂「成都市 上周」。可以用：/作业 状态、/作业 查看 成都市 上周、/作业 统计 最近4期、/作业 名单、/作业 设置 每周五18:00 提前2小时提醒"},
	}
	for _, tt := range tests {
		if got := e.ask(e.owner, tt.text); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

// TestReportSubmit_ScheduleChangeKeepsReports moves the open cycle when the
// owner changes the rule; what was handed in stays with it.
func TestReportSubmit_ScheduleChangeKeepsReports(t *testing.T) {
	e := newReportEnv(t, commands.ReportConfig{})
	e.setUp()
	e.ask(e.chengdu, "/交作业 完成整改3项")
	e.ask(e.owner, "/作业 设置 每周四18:00")
	want := "第23周作业（截止 6月5日（周四）18:00）：已交 1/3\n1. 成都市 6月2日 09:00\n未交：绵阳市、德阳市"
	if got := e.ask(e.owner, "/作业"); got != want {
		t.Errorf("status after the change:\n got %q\nwant %q", got, want)
	}
	var cycles []*qunzhu.ReportCycle
	if err := e.store.View(context.Background(), func(tx qunzhu.Tx) (err error) {
		cycles, err = tx.ReportCycles(e.group.ID, e.nextFriday, 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(cycles) != 1 || !strings.HasPrefix(cycles[0].Deadline.In(commands.ChinaTime()).Format(time.DateTime), "2025-06-05 18:00") {
		t.Errorf("cycles = %v, want the one cycle moved to Thursday", cycles)
	}
}

// TestReminderText_MentionedAndQuiet: members over their per-person limit are
// named plainly after those mentioned, without stray spaces; a unit with no
// bound member is named all the same.
func TestReminderText_MentionedAndQuiet(t *testing.T) {
	loc := commands.ChinaTime()
	deadline := time.Date(2025, 6, 6, 18, 0, 0, 0, loc)
	c := &qunzhu.ReportCycle{ID: 1, GroupID: 1, Deadline: deadline, Nominal: deadline, LabelKind: qunzhu.LabelWeek}
	st := qunzhu.NewCycleStatus(c, []string{"成都市", "绵阳市", "德阳市", "广元市"}, []*qunzhu.Submission{
		{CycleID: 1, Unit: "成都市", Version: 1, SubmittedAt: deadline.Add(-26 * time.Hour)},
	})
	rp := commands.NewReports(commands.ReportConfig{Calendar: qunzhu.ReportCalendar{Location: loc}})
	got := rp.ReminderText(st,
		map[string][]string{"绵阳市": {"绵阳市副市长"}},
		map[string][]string{"绵阳市": {"绵阳市秘书长", "绵阳市办公室"}, "德阳市": {"德阳市副市长"}},
		deadline.Add(-2*time.Hour))
	want := "【交作业提醒】第23周作业今天18:00截止，还有3个单位未交（已交 1/4）：\n" +
		"绵阳市 @绵阳市副市长\u2005绵阳市秘书长、绵阳市办公室\n" +
		"德阳市 德阳市副市长\n" +
		"广元市（还没有已认证的成员）\n" +
		"请发送：/交作业 <内容>，图片可在2分钟内接着发。"
	if got != want {
		t.Errorf("ReminderText:\n got %q\nwant %q", got, want)
	}
}
