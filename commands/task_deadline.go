package commands

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Deadlines of 督办 are never guessed: a count of days ends at the working
// day's close of its last day and steps off rest days, a festival ("元旦前")
// means the last working day before it, a date on a rest day is flagged on
// the card, and a word that sounds like a deadline but is not one of the
// accepted forms gets a question instead of a silent default.

// deadlineForms lists the accepted forms, for the question and for /帮助.
const deadlineForms = "限期3天、3天内、5个工作日、48小时、急、明天下班前、周五、下周三上午10点、12月1日、12月1日18:00、月底、元旦前、国庆节前"

// vagueDeadlineWords sound like a deadline but name no day: 督办 asks rather
// than assume one.
var vagueDeadlineWords = []string{"节前", "节后", "年前", "年后", "月中", "上旬", "中旬", "下旬", "近期", "近日",
	"尽快", "择期", "会前", "会后", "开学前", "年内", "年中", "季度末", "季末", "上半年", "下半年", "过几天", "过段时间"}

// taskDeadline is a parsed 督办 deadline and what the card says about it.
type taskDeadline struct {
	At   time.Time
	Note string // "（遇节假日顺延）", "（未写期限，按默认3天）", "" for none
}

// isWorkday is the working calendar the 督办 commands count days with.
func (ts *Tasks) isWorkday(t time.Time) bool { return ts.cfg.Workdays.IsWorkday(t) }

// closeOf is the working day's close on the date of t.
func (ts *Tasks) closeOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location()).Add(ts.cfg.DayClose)
}

// parseDeadline reads the deadline in text (see ParseWhen for where it may
// stand) and returns the text without it. With none written, dflt says
// whether the configured default applies (督办) or zero is returned (延期
// requires one).
func (ts *Tasks) parseDeadline(text string, now time.Time, dflt bool) (taskDeadline, string, error) {
	w, rest, err := ParseWhenIn(text, now, WhenRules{Close: ts.cfg.DayClose, IsWorkday: ts.isWorkday})
	if err != nil {
		return taskDeadline{}, "", qunzhu.Errorf(qunzhu.EINVALID, "%s\n可以这样写期限：%s", strings.TrimSuffix(
			errorMessage(err), "例："+whenExample), deadlineForms)
	}
	if w.At.IsZero() {
		if d, rest, ok, err := ts.festivalDeadline(text, now); ok || err != nil {
			return d, rest, err
		}
		if word := vagueDeadline(rest); word != "" {
			return taskDeadline{}, "", qunzhu.Errorf(qunzhu.EINVALID,
				"「%s」是哪一天？请写明期限，例：%s\n可以这样写期限：%s", word, exampleTask, deadlineForms)
		}
		if !dflt {
			return taskDeadline{}, rest, nil
		}
		days := int(ts.cfg.DefaultDeadline / (24 * time.Hour))
		if days < 1 {
			return taskDeadline{At: now.Add(ts.cfg.DefaultDeadline).Truncate(time.Minute),
				Note: "（未写期限，按默认" + chineseDuration(ts.cfg.DefaultDeadline) + "）"}, rest, nil
		}
		d := ts.onWorkday(When{At: ts.closeOf(now.AddDate(0, 0, days)), Counted: true}, now)
		note := fmt.Sprintf("（未写期限，按默认%d天", days)
		if d.Note != "" {
			note += "，" + strings.Trim(d.Note, "（）")
		}
		d.Note = note + "）"
		return d, rest, nil
	}
	return ts.onWorkday(w, now), rest, nil
}

// onWorkday moves a counted deadline off rest days to the next working day's
// close, and flags a written date that falls on one.
func (ts *Tasks) onWorkday(w When, now time.Time) taskDeadline {
	if ts.isWorkday(w.At) {
		return taskDeadline{At: w.At}
	}
	rest := ts.restName(w.At)
	if !w.Counted {
		return taskDeadline{At: w.At, Note: "（注意：当天是" + rest + "）"}
	}
	t := w.At
	for i := 0; i < 60 && !ts.isWorkday(t); i++ {
		t = t.AddDate(0, 0, 1)
	}
	return taskDeadline{At: ts.closeOf(t), Note: "（原期限逢" + rest + "，顺延）"}
}

// restName is what a rest day is: the holiday's name, or 周末.
func (ts *Tasks) restName(t time.Time) string {
	if name := ts.cfg.Workdays.DayOff(t); name != "" {
		return name + "假期"
	}
	return "休息日"
}

// festivalDeadline reads "元旦前", "国庆节之前" at the start or the end of
// text (glued to the task or not): the last working day before the
// festival's day, at the close. A festival with "后" is vague: asked.
func (ts *Tasks) festivalDeadline(text string, now time.Time) (taskDeadline, string, bool, error) {
	if ts.cfg.Festivals == nil {
		return taskDeadline{}, "", false, nil
	}
	s := trimWhenEnd(trimSpace(text))
	rs := []rune(s)
	for n := min(8, len(rs)); n >= 2; n-- {
		for _, at := range []struct {
			expr string
			rest string
		}{{string(rs[:n]), string(rs[n:])}, {string(rs[len(rs)-n:]), string(rs[:len(rs)-n])}} {
			name, ok := cutSuffixAny(at.expr, []string{"之前", "以前", "前"})
			if !ok {
				continue
			}
			f, known := ts.cfg.Festivals.Festival(name)
			if !known {
				continue
			}
			y := now.Year()
			day, ok := ts.cfg.Festivals.Date(f.Name, y)
			if ok && !day.After(now) {
				day, ok = ts.cfg.Festivals.Date(f.Name, y+1)
			}
			if !ok {
				return taskDeadline{}, "", false, nil
			}
			t := day.AddDate(0, 0, -1)
			for i := 0; i < 30 && !ts.isWorkday(t); i++ {
				t = t.AddDate(0, 0, -1)
			}
			t = ts.closeOf(t.In(now.Location()))
			if !t.After(now) {
				return taskDeadline{}, "", false, qunzhu.Errorf(qunzhu.EINVALID,
					"%s前已经没有工作日了，请写明期限。可以这样写期限：%s", f.Name, deadlineForms)
			}
			rest := strings.TrimFunc(at.rest, isRestSep)
			return taskDeadline{At: t, Note: "（" + f.Name + "前最后一个工作日）"}, rest, true, nil
		}
	}
	return taskDeadline{}, "", false, nil
}

// cutSuffixAny cuts the first suffix of s found in suffixes.
func cutSuffixAny(s string, suffixes []string) (string, bool) {
	for _, x := range suffixes {
		if rest, ok := strings.CutSuffix(s, x); ok && rest != "" {
			return rest, true
		}
	}
	return "", false
}

// vagueDeadline returns the vague deadline word text starts or ends with, ""
// when none.
func vagueDeadline(text string) string {
	s := trimWhenEnd(trimSpace(foldString(text)))
	for _, w := range vagueDeadlineWords {
		if strings.HasPrefix(s, w) || strings.HasSuffix(s, w) {
			return w
		}
	}
	// "X后" / "X期间" right after a festival-like word at the start: "元旦后".
	if i := strings.Index(s, "后"); i > 0 && utf8.RuneCountInString(s[:i]) <= 4 {
		head := s[:i]
		for _, f := range []string{"元旦", "春节", "清明", "五一", "端午", "中秋", "国庆", "节", "假"} {
			if strings.Contains(head, f) {
				return head + "后"
			}
		}
	}
	return ""
}

// errorMessage is the Chinese message of a *qunzhu.Error.
func errorMessage(err error) string {
	var e *qunzhu.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
