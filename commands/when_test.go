package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
)

// whenNow is the reference time of the deadline tables: Wednesday 25 November
// 2026, 10:30 in Beijing, mid-morning of a working week.
var whenNow = time.Date(2026, 11, 25, 10, 30, 0, 0, commands.ChinaTime())

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, commands.ChinaTime())
}

func TestParseWhenForms(t *testing.T) {
	tests := []struct {
		text string
		want time.Time
	}{
		// The forms the issue names.
		{"限期3天", at(2026, 11, 28, 10, 30)},
		{"3天内", at(2026, 11, 28, 10, 30)},
		{"48小时", at(2026, 11, 27, 10, 30)},
		{"今天18点", at(2026, 11, 25, 18, 0)},
		{"明天下班前", at(2026, 11, 26, 18, 0)},
		{"12月1日", at(2026, 12, 1, 18, 0)},
		{"12月1日18:00", at(2026, 12, 1, 18, 0)},
		{"2026-12-01 18:00", at(2026, 12, 1, 18, 0)},
		{"周五", at(2026, 11, 27, 18, 0)},
		{"急", at(2026, 11, 26, 10, 30)},
		{"加急", at(2026, 11, 26, 10, 30)},

		// More that officials write.
		{"限期三天", at(2026, 11, 28, 10, 30)},
		{"限期两天", at(2026, 11, 27, 10, 30)},
		{"3日内", at(2026, 11, 28, 10, 30)},
		{"48小时内", at(2026, 11, 27, 10, 30)},
		{"24个小时内", at(2026, 11, 26, 10, 30)},
		{"一周内", at(2026, 12, 2, 10, 30)},
		{"1个月内", at(2026, 12, 25, 10, 30)},
		{"半天", at(2026, 11, 25, 22, 30)},
		{"2个工作日内", at(2026, 11, 27, 10, 30)},
		{"3个工作日内", at(2026, 11, 30, 10, 30)}, // over the weekend
		{"特急", at(2026, 11, 26, 10, 30)},
		{"本周五", at(2026, 11, 27, 18, 0)},
		{"这周五", at(2026, 11, 27, 18, 0)},
		{"下周一", at(2026, 11, 30, 18, 0)},
		{"下星期三", at(2026, 12, 2, 18, 0)},
		{"星期五", at(2026, 11, 27, 18, 0)},
		{"礼拜天", at(2026, 11, 29, 18, 0)},
		{"周日", at(2026, 11, 29, 18, 0)},
		{"周三", at(2026, 11, 25, 18, 0)},  // today, 18:00 is still ahead
		{"本周", at(2026, 11, 27, 18, 0)},  // this week's Friday
		{"本周内", at(2026, 11, 27, 18, 0)}, // "内" as a suffix
		{"下周", at(2026, 12, 4, 18, 0)},   // next week's Friday
		{"后天", at(2026, 11, 27, 18, 0)},
		{"大后天", at(2026, 11, 28, 18, 0)},
		{"明天", at(2026, 11, 26, 18, 0)},
		{"明日上午", at(2026, 11, 26, 12, 0)},
		{"月底", at(2026, 11, 30, 18, 0)},
		{"本月底前", at(2026, 11, 30, 18, 0)},
		{"下月底", at(2026, 12, 31, 18, 0)},
		{"年底", at(2026, 12, 31, 18, 0)},
		{"12月1日前", at(2026, 12, 1, 18, 0)}, // "前" is inclusive
		{"12月1日之前", at(2026, 12, 1, 18, 0)},
		{"12月1号", at(2026, 12, 1, 18, 0)},
		{"十二月一日", at(2026, 12, 1, 18, 0)},
		{"1号", at(2026, 12, 1, 18, 0)},    // the nearest 1st
		{"1月10日", at(2027, 1, 10, 18, 0)}, // nearer next year than this year
		{"12月1日 18:00", at(2026, 12, 1, 18, 0)},
		{"12月1日下午3点", at(2026, 12, 1, 15, 0)},
		{"12月1日18点半前", at(2026, 12, 1, 18, 30)},
		{"2026年12月1日", at(2026, 12, 1, 18, 0)},
		{"2026/12/1 9:05", at(2026, 12, 1, 9, 5)},
		{"2026.12.01", at(2026, 12, 1, 18, 0)},
		{"2026-12-01T18:00", at(2026, 12, 1, 18, 0)},
		{"2027-01-05", at(2027, 1, 5, 18, 0)},
		{"18:30", at(2026, 11, 25, 18, 30)},
		{"18点30分", at(2026, 11, 25, 18, 30)},
		{"十八点", at(2026, 11, 25, 18, 0)},
		{"下午3点", at(2026, 11, 25, 15, 0)},
		{"晚上8点", at(2026, 11, 25, 20, 0)},
		{"中午", at(2026, 11, 25, 12, 0)},
		{"中午1点", at(2026, 11, 25, 13, 0)},
		{"下班前", at(2026, 11, 25, 18, 0)},
		{"今天下午", at(2026, 11, 25, 18, 0)},
		{"今天24点", at(2026, 11, 26, 0, 0)},
		{"明天上班前", at(2026, 11, 26, 9, 0)},
		{"明天9点钟", at(2026, 11, 26, 9, 0)},
		{"周五上午10点前", at(2026, 11, 27, 10, 0)},
		{"截止12月1日", at(2026, 12, 1, 18, 0)},
		{"期限：12月1日", at(2026, 12, 1, 18, 0)},
		{"于12月1日前", at(2026, 12, 1, 18, 0)},
		{"限期至月底", at(2026, 11, 30, 18, 0)},

		// Full-width digits and colon from a Chinese IME.
		{"１２月１日１８：００", at(2026, 12, 1, 18, 0)},
		{"限期３天", at(2026, 11, 28, 10, 30)},
		{"２０２６－１２－０１\u3000１８：００", at(2026, 12, 1, 18, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, rest, err := commands.ParseWhen(tt.text, whenNow)
			if err != nil {
				t.Fatalf("ParseWhen(%q) error: %v", tt.text, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseWhen(%q) = %s, want %s", tt.text, got.Format(time.DateTime+" Mon"), tt.want.Format(time.DateTime+" Mon"))
			}
			if rest != "" {
				t.Errorf("rest = %q, want empty", rest)
			}
			if got.Location() != whenNow.Location() {
				t.Errorf("location = %v, want %v", got.Location(), whenNow.Location())
			}
		})
	}
}

// TestParseWhenInText checks where in a command's text a deadline is found,
// and that the rest is the task text as typed.
func TestParseWhenInText(t *testing.T) {
	tests := []struct {
		name, text string
		want       time.Time // zero: no deadline in the text
		rest       string
	}{
		{"trailing word", "修复人民路路灯 限期3天", at(2026, 11, 28, 10, 30), "修复人民路路灯"},
		{"after a Chinese comma and with a full stop", "修复人民路路灯，限期3天。", at(2026, 11, 28, 10, 30), "修复人民路路灯"},
		{"glued after a marker", "落实整改限期3天", at(2026, 11, 28, 10, 30), "落实整改"},
		{"glued before a suffix", "报送材料12月1日前", at(2026, 12, 1, 18, 0), "报送材料"},
		{"trailing date and time", "修复路灯 12月1日 18:00", at(2026, 12, 1, 18, 0), "修复路灯"},
		{"trailing ISO date and time", "修复路灯 2026-12-01 18:00", at(2026, 12, 1, 18, 0), "修复路灯"},
		{"leading, as 群发 定时 writes it", "明天9点 端午节放假通知，请各单位转发", at(2026, 11, 26, 9, 0), "端午节放假通知，请各单位转发"},
		{"leading, the message keeps its exclamation", "明天9点，端午节快乐！", at(2026, 11, 26, 9, 0), "端午节快乐！"},
		{"no time: the text as typed", "端午节快乐！", time.Time{}, "端午节快乐！"},
		{"leading date and time", "12月1日 18:00 召开安全生产会议", at(2026, 12, 1, 18, 0), "召开安全生产会议"},
		{"bracketed urgent first", "【急】修复人民路路灯", at(2026, 11, 26, 10, 30), "修复人民路路灯"},
		{"bracketed deadline last", "修复人民路路灯（限期3天）", at(2026, 11, 28, 10, 30), "修复人民路路灯"},
		{"number in the text is no deadline", "处理12345工单 48小时", at(2026, 11, 27, 10, 30), "处理12345工单"},
		{"building number", "修复3号楼漏水", time.Time{}, "修复3号楼漏水"},
		{"weekday inside the text", "报送周五的会议材料", time.Time{}, "报送周五的会议材料"},
		{"past time inside the text", "核实3天前的投诉", time.Time{}, "核实3天前的投诉"},
		{"past day inside the text", "核实昨天的投诉", time.Time{}, "核实昨天的投诉"},
		{"past day glued to the text", "核实前天", time.Time{}, "核实前天"},
		{"everyday 到", "把材料交到办公室", time.Time{}, "把材料交到办公室"},
		{"期限 inside a word", "完善期限管理制度", time.Time{}, "完善期限管理制度"},
		{"region 内", "排查辖区内", time.Time{}, "排查辖区内"},
		{"nothing", "修复人民路路灯", time.Time{}, "修复人民路路灯"},
		{"empty", "  ", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := commands.ParseWhen(tt.text, whenNow)
			if err != nil {
				t.Fatalf("ParseWhen(%q) error: %v", tt.text, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseWhen(%q) = %v, want %v", tt.text, got, tt.want)
			}
			if rest != tt.rest {
				t.Errorf("rest = %q, want %q", rest, tt.rest)
			}
		})
	}
}

// TestParseWhenRefusals: deadlines that are past, impossible or unreadable get
// a Chinese sentence that says why and shows the forms that work.
func TestParseWhenRefusals(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"今天9点", "期限「今天9点」是11月25日（周三）09:00，已经过了"},
		{"昨天", "期限「昨天」是11月24日（周二）18:00，已经过了"},
		{"修复路灯 前天下班前", "期限「前天下班前」是11月23日（周一）18:00，已经过了"},
		{"6点半", "已经过了"},
		{"11月20日", "期限「11月20日」是11月20日（周五）18:00，已经过了"},
		{"2025-12-01", "2025年12月1日（周一）18:00，已经过了"},
		{"本周一", "已经过了"},
		// Said on a Wednesday after 10:00: not silently next week.
		{"周三上午10点", "「周三上午10点」今天（周三）已经过了。如果指下一个周三，请写「下周三上午10点」"},
		{"2028-01-01", "超过一年了"},
		{"2月30日", "看不懂期限「2月30日」：没有这一天"},
		{"13月1日", "没有这一天"},
		{"2026-02-29", "没有这一天"},
		{"25点", "看不懂期限「25点」：没有这个钟点"},
		{"明天18:75", "没有这个钟点"},
		{"限期0天", "期限「限期0天」是零"},
		{"限期abc", "看不懂期限「限期abc」"},
		{"修复路灯 限期三天半", "看不懂期限「限期三天半」"},
		{"修复路灯限期3周半", "看不懂期限「限期3周半」"},
		{"13月1日 修复路灯", "没有这一天"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, rest, err := commands.ParseWhen(tt.text, whenNow)
			if err == nil {
				t.Fatalf("ParseWhen(%q) = %v, %q; want an error", tt.text, got, rest)
			}
			if code := qunzhu.ErrorCode(err); code != qunzhu.EINVALID {
				t.Errorf("code = %s, want %s", code, qunzhu.EINVALID)
			}
			msg := qunzhu.ErrorMessage(err)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not contain %q", msg, tt.want)
			}
			if !strings.Contains(msg, "例：限期3天") {
				t.Errorf("message %q shows no example", msg)
			}
		})
	}
}
