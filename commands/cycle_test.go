package commands_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// setAt is a Wednesday afternoon in Chengdu: 每两周周五 starts with this week's Friday.
var setAt = time.Date(2026, 11, 25, 15, 0, 0, 0, commands.ChinaTime())

func TestParseCycle_Forms(t *testing.T) {
	tests := []struct {
		text string
		want string // the rule as replies echo it
	}{
		// The four forms of the issue.
		{"每周五18:00", "每周五18:00"},
		{"每周一、周四12:00", "每周一、周四12:00"},
		{"每天17:30", "每天17:30"},
		{"每月最后一个工作日18:00", "每月最后一个工作日18:00"},
		// What officials also write.
		{"每周五下午6点", "每周五18:00"},
		{"每周五 下午6点半", "每周五18:30"},
		{"每周五晚上八点", "每周五20:00"},
		{"每周五18点前", "每周五18:00"},
		{"每周五18时", "每周五18:00"},
		{"每周五十八点三十分", "每周五18:30"},
		{"每周五 18：00", "每周五18:00"},
		{"每周五　１８：００", "每周五18:00"},
		{"每周五，18:00前", "每周五18:00"},
		{"每星期五18:00", "每周五18:00"},
		{"每个周五18:00", "每周五18:00"},
		{"每周五18:00、", "每周五18:00"},
		{"每礼拜五 18:00", "每周五18:00"},
		{"每周周五18:00", "每周五18:00"},
		{"每周星期五的18:00", "每周五18:00"},
		{"截止每周五18:00。", "每周五18:00"},
		{"每周一、四 12:00", "每周一、周四12:00"},
		{"每周一，周四 中午12点", "每周一、周四12:00"},
		{"每周一和周四12:00", "每周一、周四12:00"},
		{"每周四、周一12:00", "每周一、周四12:00"},
		{"每周一至周五17:30", "每周一、周二、周三、周四、周五17:30"},
		{"每周日20:00", "每周日20:00"},
		{"每周天 晚上8点", "每周日20:00"},
		{"每周5 18:00", "每周五18:00"},
		{"每周1、4 12:00", "每周一、周四12:00"},
		{"每周五", "每周五18:00"},
		{"每天 17:30", "每天17:30"},
		{"每日下午五点半", "每天17:30"},
		{"每个工作日17:30", "每个工作日17:30"},
		{"工作日每天17:30", "每个工作日17:30"},
		{"每月15日18:00", "每月15日18:00"},
		{"每月15号下午6点", "每月15日18:00"},
		{"每月十五日18:00", "每月15日18:00"},
		{"每月１５日１８：００", "每月15日18:00"},
		{"每月最后一天18:00", "每月最后一天18:00"},
		{"每月月底18:00", "每月最后一天18:00"},
		{"每月最后一个工作日 下午6点", "每月最后一个工作日18:00"},
		{"每个月最后一个工作日的18:00前", "每月最后一个工作日18:00"},
		{"每两周周五", "每两周周五18:00"},
		{"每两周的周五 17:00", "每两周周五17:00"},
		{"隔周周五18:00", "每两周周五18:00"},
		{"每周五早上9点", "每周五09:00"},
		{"每周五凌晨0点", "每周五00:00"},
		{"每周五中午1点", "每周五13:00"},
		{"每周五8:05", "每周五08:05"},
		{"每周五八点零五分", "每周五08:05"},
	}
	for _, tt := range tests {
		r, err := commands.ParseCycle(tt.text, setAt)
		if err != nil {
			t.Errorf("ParseCycle(%q): %v", tt.text, qunzhu.ErrorMessage(err))
			continue
		}
		if got := r.String(); got != tt.want {
			t.Errorf("ParseCycle(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestParseCycle_BiweeklyStartsWithTheComingDay(t *testing.T) {
	r, err := commands.ParseCycle("每两周周五18:00", setAt)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 27, 18, 0, 0, 0, setAt.Location())
	if !r.Anchor.Equal(want) || r.EveryWeeks != 2 {
		t.Errorf("Anchor = %v, EveryWeeks = %d; want %v, 2", r.Anchor, r.EveryWeeks, want)
	}
}

func TestParseCycle_Refused(t *testing.T) {
	forms := "可以写：每周五18:00，每周一、周四12:00，每天17:30，每个工作日17:30，每月15日18:00，每月最后一个工作日18:00。例：/作业 设置 每周五18:00 提前2小时提醒"
	tests := []struct{ text, want string }{
		{"", "请写上交作业的周期。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"  。", "请写上交作业的周期。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"每周八18:00", "看不懂周期「每周八18:00」。" + forms},
		{"周五18:00", "看不懂周期「周五18:00」。" + forms},
		{"每周12:00", "看不懂周期「每周12:00」。" + forms},
		{"每周五18:00 和 每周一", "看不懂周期「每周五18:00 和 每周一」。" + forms},
		{"每年12月31日", "看不懂周期「每年12月31日」。" + forms},
		{"每月18:00", "看不懂周期「每月18:00」。" + forms},
		{"每周五 下午", "看不懂周期「每周五 下午」里的时间：请写成 18:00 或 下午6点。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"每周五18:0", "看不懂周期「每周五18:0」里的时间：请写成 18:00 或 下午6点。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"每周五25:00", "时间「每周五25:00」不对：应在00:00到23:59之间。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"每周五18:75", "时间「每周五18:75」不对：应在00:00到23:59之间。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"每月32日18:00", "每月没有32日：请写1到31日。例：/作业 设置 每月15日18:00"},
		{"每月0日18:00", "每月没有0日：请写1到31日。例：/作业 设置 每月15日18:00"},
		{"每两周周一、周四", "每两周只能选一天。例：/作业 设置 每两周周五18:00"},
	}
	for _, tt := range tests {
		_, err := commands.ParseCycle(tt.text, setAt)
		if got := qunzhu.ErrorMessage(err); got != tt.want {
			t.Errorf("ParseCycle(%q):\n got %q\nwant %q", tt.text, got, tt.want)
		}
		if err != nil && qunzhu.ErrorCode(err) != qunzhu.EINVALID {
			t.Errorf("ParseCycle(%q) code = %s, want invalid", tt.text, qunzhu.ErrorCode(err))
		}
	}
}

func TestParseRemind(t *testing.T) {
	tests := []struct {
		text  string
		want  time.Duration
		found bool
		err   string
	}{
		{"", 0, false, ""},
		{"提前2小时提醒", 2 * time.Hour, true, ""},
		{"提前２小时", 2 * time.Hour, true, ""},
		{"提前两个小时提醒", 2 * time.Hour, true, ""},
		{"提前30分钟提醒。", 30 * time.Minute, true, ""},
		{"提前半小时", 30 * time.Minute, true, ""},
		{"提前一个半小时提醒", 90 * time.Minute, true, ""},
		{"提前1天提醒", 24 * time.Hour, true, ""},
		{"提醒提前3小时", 3 * time.Hour, true, ""},
		{"提前0小时", 0, true, ""},
		{"不提醒", 0, true, ""},
		{"提前8天", 0, true, "提醒最多提前7天。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"提前一会儿", 0, true, "看不懂提醒「提前一会儿」：请写 提前2小时提醒、提前30分钟提醒 或 不提醒。例：/作业 设置 每周五18:00 提前2小时提醒"},
		{"提前2小时提醒大家", 0, true, "看不懂提醒「提前2小时提醒大家」：请写 提前2小时提醒、提前30分钟提醒 或 不提醒。例：/作业 设置 每周五18:00 提前2小时提醒"},
	}
	for _, tt := range tests {
		d, found, err := commands.ParseRemind(tt.text)
		if got := qunzhu.ErrorMessage(err); got != tt.err {
			t.Errorf("ParseRemind(%q) error %q, want %q", tt.text, got, tt.err)
			continue
		}
		if d != tt.want || found != tt.found {
			t.Errorf("ParseRemind(%q) = %v, %v; want %v, %v", tt.text, d, found, tt.want, tt.found)
		}
	}
}

func TestSplitSchedule(t *testing.T) {
	tests := []struct{ rest, cycle, remind string }{
		{"每周五18:00 提前2小时提醒", "每周五18:00", "提前2小时提醒"},
		{"每周五18:00，提前2小时提醒", "每周五18:00", "提前2小时提醒"},
		{"每周五18:00前 提前半小时", "每周五18:00前", "提前半小时"},
		{"每天17:30 不提醒", "每天17:30", "不提醒"},
		{"每天17:30，不用提醒", "每天17:30", "不用提醒"},
		{"每周五18:00 提醒提前3小时", "每周五18:00", "提醒提前3小时"},
		{"每周五18:00，提前半小时提醒", "每周五18:00", "提前半小时提醒"},
		{"每月最后一个工作日 18:00", "每月最后一个工作日 18:00", ""},
	}
	for _, tt := range tests {
		c, r := commands.SplitSchedule(tt.rest)
		if c != tt.cycle || r != tt.remind {
			t.Errorf("SplitSchedule(%q) = %q, %q; want %q, %q", tt.rest, c, r, tt.cycle, tt.remind)
		}
	}
}
