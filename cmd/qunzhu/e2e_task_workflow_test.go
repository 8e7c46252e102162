package main

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/festival"
)

// These tests play a district office's 督办 through the demo: extensions
// asked, refused and granted, a transfer, a withdrawal, nudges, deadlines
// the grammar does not know, the ladder waiting over a weekend, and reminders
// combined per person.

// workingMonday moves the demo clock to 10:00 on the next Monday whose week,
// Monday to Friday, has no statutory holiday and whose weekend is a rest, so
// the ladder's quiet hours are predictable whatever day the test runs.
func (d *demo) workingMonday() time.Time {
	d.t.Helper()
	cst := time.FixedZone("CST", 8*3600)
	cal := qunzhu.ReportCalendar{Location: cst, Holidays: festival.StatutoryHolidays{}}
	now := d.demoNow().In(cst)
	day := time.Date(now.Year(), now.Month(), now.Day()+1, 10, 0, 0, 0, cst)
	for ; ; day = day.AddDate(0, 0, 1) {
		if day.Weekday() != time.Monday {
			continue
		}
		ok := true
		for i := range 7 {
			if cal.IsWorkday(day.AddDate(0, 0, i)) != (i < 5) {
				ok = false
			}
		}
		if ok {
			break
		}
	}
	d.advanceTo(day)
	return day
}

// TestDemoTaskExtensionTransferWithdraw: 李局长 asks for more time and is
// refused, asks again and is granted; 张书记 nudges (twice: the second is
// refused), transfers the task to 区委办 and finally withdraws it.
func TestDemoTaskExtensionTransferWithdraw(t *testing.T) {
	d := startDemo(t, nil)
	d.taskBind("李局长", "市城管委")
	d.taskBind("孙干事", "区委办")
	n, _ := d.taskAssign("/督办 市城管委 拆除福州路违章建筑 限期3天")

	ask := d.taskAsk("李局长", "/延期 "+n+" 限期10天 施工队未到位")
	for _, want := range []string{"已申请督办#" + n + "「拆除福州路违章建筑」延期至", "理由：施工队未到位",
		"请@张书记\u2005审批：/同意 延期 " + n + " 或 /驳回 延期 " + n + " 理由"} {
		if !strings.Contains(ask, want) {
			t.Errorf("request %q lacks %q", ask, want)
		}
	}
	if got := d.taskAsk("孙干事", "/同意 延期 "+n); !strings.Contains(got, "只有") {
		t.Errorf("a member approving: %q", got)
	}
	if got := d.taskAsk("张书记", "/驳回 延期 "+n+" 请按期完成"); !strings.Contains(got, "已驳回督办#"+n) || !strings.Contains(got, "@李局长") {
		t.Errorf("refusal: %q", got)
	}
	d.taskAsk("李局长", "/延期 "+n+" 限期10天 施工队仍未到位")
	if got := d.taskAsk("张书记", "/同意 延期 "+n); !strings.Contains(got, "已同意督办#"+n+"「拆除福州路违章建筑」延期：期限延至") {
		t.Errorf("grant: %q", got)
	}

	seq := d.lastSeq(cadres)
	d.say(cadres, "张书记", "/催办 "+n+" 市领导很关注")
	nudge := d.expectFromBot(cadres, seq, "【催办】督办#"+n)
	if !strings.Contains(nudge.Text, "@李局长") || !strings.Contains(nudge.Text, "市领导很关注") {
		t.Errorf("nudge: %q", nudge.Text)
	}
	if got := d.taskAsk("张书记", "/催办 "+n); !strings.Contains(got, "刚催办过") {
		t.Errorf("second nudge: %q", got)
	}

	if got := d.taskAsk("张书记", "/转办 "+n+" 区委办"); !strings.Contains(got, "已由市城管委转区委办办理。@王主任\u2005@孙干事") {
		t.Errorf("transfer: %q", got)
	}
	detail := d.taskAsk("孙干事", "/督办 "+n)
	for _, want := range []string{"责任单位：区委办（王主任、孙干事）", "延期1次，转办1次", "李局长 申请延期", "张书记 驳回延期：请按期完成",
		"张书记 同意延期", "张书记 人工催办：市领导很关注", "张书记 转办：由市城管委转区委办"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail %q lacks %q", detail, want)
		}
	}
	if got := d.taskAsk("张书记", "/督办 统计"); !strings.Contains(got, "区委办：交办1") || !strings.Contains(got, "延期1次，转办1次") {
		t.Errorf("stats: %q", got)
	}
	if got := d.taskAsk("张书记", "/撤销 "+n+" 已由市里统一处理"); !strings.Contains(got, "已撤销，不再办理，也不计入统计") {
		t.Errorf("withdraw: %q", got)
	}
	if got := d.taskAsk("张书记", "/督办 列表"); !strings.Contains(got, "本群未销号的督办：没有。") {
		t.Errorf("list after withdraw: %q", got)
	}
}

// TestDemoTaskDeadlineNeverGuessed: a deadline word the grammar does not know
// is asked about; "元旦前" is understood and the card says how.
func TestDemoTaskDeadlineNeverGuessed(t *testing.T) {
	d := startDemo(t, nil)
	d.taskBind("李局长", "市城管委")
	got := d.taskAskUntil("张书记", "/督办 市城管委 节前完成福州路违章建筑拆除", "是哪一天")
	if !strings.Contains(got, "「节前」是哪一天？请写明期限") || !strings.Contains(got, "可以这样写期限：限期3天") {
		t.Errorf("question: %q", got)
	}
	_, card := d.taskAssign("/督办 市城管委 元旦前完成福州路违章建筑拆除")
	if !strings.Contains(card, "（元旦前最后一个工作日）") || !strings.Contains(card, "】完成福州路违章建筑拆除") {
		t.Errorf("card: %q", card)
	}
}

// TestDemoTaskLadderWaitsForMonday: a 黄牌 falling due on Saturday is not
// posted on the weekend; it goes out on Monday at 08:00.
func TestDemoTaskLadderWaitsForMonday(t *testing.T) {
	d := startDemo(t, nil)
	d.taskBind("李局长", "市城管委")
	monday := d.workingMonday()
	n, _ := d.taskAssign("/督办 市城管委 清理人民路占道经营 4个工作日") // Friday 18:00
	seq := d.lastSeq(cadres)
	d.advanceTo(monday.Add(4*24*time.Hour + 8*time.Hour + time.Minute)) // Friday 18:01
	d.expectFromBot(cadres, seq, "【到期】督办#"+n)
	seq = d.lastSeq(cadres)
	d.advanceTo(monday.Add(5*24*time.Hour + 8*time.Hour + time.Minute)) // Saturday 18:01: 黄牌 due
	d.advanceTo(monday.Add(6*24*time.Hour + 12*time.Hour))              // Sunday 22:00
	time.Sleep(500 * time.Millisecond)
	for _, m := range d.messages(cadres, seq) {
		if m.From == "群主助手" {
			t.Errorf("posted on the weekend: %q", m.Text)
		}
	}
	d.advanceTo(monday.Add(7*24*time.Hour - 2*time.Hour + time.Minute)) // Monday 08:01
	yellow := d.expectFromBot(cadres, seq, "【黄牌】督办#"+n)
	if !strings.Contains(yellow.Text, "已逾期2天14小时") {
		t.Errorf("黄牌: %q", yellow.Text)
	}
	if got := d.taskCount("督办#" + n); got != 3 { // card, 到期, 黄牌: nothing else
		t.Errorf("messages about #%s: %d, want 3", n, got)
	}
}

// TestDemoTaskRemindersCombined: three tasks due the same evening give their
// person one reminder listing all three.
func TestDemoTaskRemindersCombined(t *testing.T) {
	d := startDemo(t, nil)
	d.taskBind("李局长", "市城管委")
	monday := d.workingMonday()
	for _, title := range []string{"修复人民路路灯", "清理占道经营", "整改渣土车扬尘"} {
		d.taskAssign("/督办 市城管委 " + title + " 限期2天") // Wednesday 18:00
	}
	seq := d.lastSeq(cadres)
	d.advanceTo(monday.Add(32*time.Hour + time.Minute)) // Tuesday 18:01
	got := d.expectFromBot(cadres, seq, "您有3件督办待办")
	for _, want := range []string{"@李局长\u2005您有3件督办待办：", "「修复人民路路灯」还剩1天", "「清理占道经营」", "「整改渣土车扬尘」", "/进展 编号 内容"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("combined reminder %q lacks %q", got.Text, want)
		}
	}
	if n := d.taskCount("提醒：督办#"); n != 0 {
		t.Errorf("%d single reminders besides the combined one", n)
	}
}
