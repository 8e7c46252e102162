package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// 副市长作业群 is where the vice-minister and the vice-governor collect the
// cities' weekly reports (交作业).
const reportGroup = "副市长作业群"

var reportWeekdays = []string{"日", "一", "二", "三", "四", "五", "六"}

// ask posts text as from and returns the bot's answer to from (a reply starts
// with a mention of its sender).
func (d *demo) ask(group, from, text string) string {
	d.t.Helper()
	seq := d.lastSeq(group)
	d.say(group, from, text)
	return d.expectFromBot(group, seq, "@"+from+"\u2005").Text
}

// askUntil repeats a command until its answer contains want: configured owners
// are bound by display name during the first login, group by group, so their
// first command may come before the binding.
func (d *demo) askUntil(group, from, text, want string) string {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := d.ask(group, from, text)
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s %q: answer %q, want %q", from, text, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// registerAndBind has owner register name in unit and name bind with the code.
func (d *demo) registerAndBind(group, owner, name, unit string) {
	d.t.Helper()
	after := d.lastSeq(group)
	d.askUntil(group, owner, fmt.Sprintf("/成员 添加 %s 单位=%s", name, unit), "认证码已私信")
	code := d.privateCode(owner, after)
	if got := d.ask(group, name, "/认证 "+code); !strings.Contains(got, name+" 已认证") {
		d.t.Fatalf("%s binding: %q", name, got)
	}
}

// demoNow reads the demo clock.
func (d *demo) demoNow() time.Time {
	d.t.Helper()
	var out struct {
		Now string `json:"now"`
	}
	if err := d.getJSON(d.http+"/_demo/clock", &out); err != nil {
		d.t.Fatal(err)
	}
	t, err := time.Parse(time.RFC3339, out.Now)
	if err != nil {
		d.t.Fatal(err)
	}
	return t
}

// advanceTo moves the demo clock forward to t (and ticks the scheduler).
func (d *demo) advanceTo(t time.Time) {
	d.t.Helper()
	by := t.Sub(d.demoNow()).Round(time.Second)
	if by <= 0 {
		d.t.Fatalf("advanceTo %v: already past", t)
	}
	if code, body := d.postJSON(d.http+"/_demo/clock", map[string]string{"advance": by.String()}); code != http.StatusOK {
		d.t.Fatalf("advance clock: %d %s", code, body)
	}
}

// sendReportPicture posts a real PNG as from, as a phone would.
func (d *demo) sendReportPicture(group, from string) {
	d.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, 15-i, color.RGBA{G: 120, B: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		d.t.Fatal(err)
	}
	code, body := d.postJSON(d.emu+"/_emu/groups/"+url.PathEscape(group)+"/messages",
		map[string]string{"from": from, "image_base64": base64.StdEncoding.EncodeToString(buf.Bytes())})
	if code != http.StatusAccepted {
		d.t.Fatalf("post picture: %d %s", code, body)
	}
}

var nextDeadline = regexp.MustCompile(`下次截止：(\d+)月(\d+)日（周.）(\d{2}):(\d{2})（(第\d+周)）`)

// reportDeadline reads the deadline and the cycle's label from /作业 设置's answer.
func reportDeadline(t testing.TB, reply string, now time.Time) (time.Time, string) {
	t.Helper()
	m := nextDeadline.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("no next deadline in %q", reply)
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	loc := time.FixedZone("CST", 8*3600)
	local := now.In(loc)
	d := time.Date(local.Year(), time.Month(n(m[1])), n(m[2]), n(m[3]), n(m[4]), 0, 0, loc)
	if d.Before(local) {
		d = d.AddDate(1, 0, 0) // the deadline is in January, now in December
	}
	return d, m[5]
}

// setUpReports has 刘副部长 set a weekly cycle whose deadline is a few days
// ahead (the demo clock starts at the wall clock), the roster of three cities,
// and each city's vice-mayor registered and bound. It returns the deadline
// and its label ("第48周").
func (d *demo) setUpReports(t testing.TB) (time.Time, string) {
	var deadline time.Time
	var label string
	for ahead := 3; ; ahead++ {
		now := d.demoNow().In(time.FixedZone("CST", 8*3600))
		day := reportWeekdays[(int(now.Weekday())+ahead)%7]
		reply := d.askUntil(reportGroup, "刘副部长", "/作业 设置 每周"+day+"18:00 提前2小时提醒", "已设置交作业周期")
		deadline, label = reportDeadline(t, reply, now)
		// A holiday may move the deadline close to now; the test needs the
		// reminder time ahead.
		if deadline.Sub(now) > 6*time.Hour || ahead == 6 {
			break
		}
	}
	if got := d.ask(reportGroup, "刘副部长", "/作业 名单 添加 成都市 绵阳市 德阳市"); !strings.Contains(got, "已加入交作业名单：成都市、绵阳市、德阳市") {
		t.Fatalf("roster: %q", got)
	}
	for _, unit := range []string{"成都市", "绵阳市", "德阳市"} {
		d.registerAndBind(reportGroup, "刘副部长", unit+"副市长", unit)
	}
	return deadline, label
}

// TestDemoReports walks 交作业 as the people in 副市长作业群 would: a weekly
// cycle and a roster of three cities; 成都市 hands in with a picture, 绵阳市
// twice; at the reminder time the group is told 德阳市 is missing (its
// vice-mayor mentioned), at the deadline the summary says 2/3; 德阳市 then
// hands in and is shown as 迟交.
func TestDemoReports(t *testing.T) {
	d := startDemo(t, nil)
	deadline, label := d.setUpReports(t)

	want := "已收到 成都市 " + label + "作业（1/3）"
	if got := d.ask(reportGroup, "成都市副市长", "/交作业 本周完成整改3项，剩余2项下周完成"); !strings.Contains(got, want) {
		t.Fatalf("成都市: %q, want %q", got, want)
	}
	seq := d.lastSeq(reportGroup)
	d.sendReportPicture(reportGroup, "成都市副市长")
	d.expectFromBot(reportGroup, seq, "已附上 成都市 "+label+"作业的图片")

	if got := d.ask(reportGroup, "绵阳市副市长", "/交作业 完成整改1项"); !strings.Contains(got, "已收到 绵阳市 "+label+"作业（2/3）") {
		t.Fatalf("绵阳市: %q", got)
	}
	if got := d.ask(reportGroup, "绵阳市副市长", "／交作业　完成整改2项（更正）"); !strings.Contains(got, "（2/3），已替换第1版") {
		t.Fatalf("绵阳市 again: %q", got)
	}
	status := d.ask(reportGroup, "陈副省长", "/作业")
	for _, w := range []string{"已交 2/3", "1. 成都市", "（有图）", "2. 绵阳市", "（第2版）", "未交：德阳市"} {
		if !strings.Contains(status, w) {
			t.Errorf("status %q lacks %q", status, w)
		}
	}

	// Two hours before the deadline: the reminder names 德阳市 only.
	seq = d.lastSeq(reportGroup)
	d.advanceTo(deadline.Add(-2*time.Hour + time.Minute))
	reminder := d.expectFromBot(reportGroup, seq, "【交作业提醒】").Text
	t.Logf("reminder:\n%s", reminder)
	for _, w := range []string{label + "作业今天18:00截止", "还有1个单位未交（已交 2/3）", "德阳市 @德阳市副市长\u2005"} {
		if !strings.Contains(reminder, w) {
			t.Errorf("reminder %q lacks %q", reminder, w)
		}
	}
	if strings.Contains(reminder, "成都市") || strings.Contains(reminder, "绵阳市") {
		t.Errorf("reminder %q names a unit that handed in", reminder)
	}

	// Past the deadline: the summary, 2/3 in order of arrival.
	seq = d.lastSeq(reportGroup)
	d.advanceTo(deadline.Add(5 * time.Minute))
	summary := d.expectFromBot(reportGroup, seq, "【交作业汇总】").Text
	t.Logf("summary:\n%s", summary)
	for _, w := range []string{label + "作业已截止", "已交 2/3\n1. 成都市", "\n2. 绵阳市", "未交：德阳市"} {
		if !strings.Contains(summary, w) {
			t.Errorf("summary %q lacks %q", summary, w)
		}
	}

	// 德阳市 hands in late.
	if got := d.ask(reportGroup, "德阳市副市长", "/交作业 完成整改2项"); !strings.Contains(got, "已收到 德阳市 "+label+"作业（迟交，3/3）") {
		t.Fatalf("德阳市 late: %q", got)
	}
	status = d.ask(reportGroup, "刘副部长", "/作业 状态")
	t.Logf("status after the deadline:\n%s", status)
	if want := "上期 " + label + "（已截止）：按时 2/3，迟交：德阳市"; !strings.Contains(status, want) {
		t.Errorf("status after the deadline %q lacks %q", status, want)
	}
	stats := d.ask(reportGroup, "刘副部长", "/作业 统计")
	if want := "1. 德阳市：按时0，迟交1，未交0"; !strings.Contains(stats, want) {
		t.Errorf("stats %q lacks %q", stats, want)
	}

	// Each happened once: one reminder and one summary in the whole group.
	var reminders, summaries int
	for _, m := range d.messages(reportGroup, 0) {
		reminders += strings.Count(m.Text, "【交作业提醒】")
		summaries += strings.Count(m.Text, "【交作业汇总】")
	}
	if reminders != 1 || summaries != 1 {
		t.Errorf("reminders %d, summaries %d; want 1 each", reminders, summaries)
	}
}

// BenchmarkReportSubmitLatency measures /交作业 from the member's message in
// the emulated group to the bot's answer there (openwechat receive and send
// included), one at a time, with the governor's limits raised. Run:
//
//	go test -run '^$' -bench ReportSubmitLatency -benchtime 200x ./cmd/qunzhu/
func BenchmarkReportSubmitLatency(b *testing.B) {
	d := startDemo(b, map[string]string{"QUNZHU_LOG_LEVEL": "warn"})
	d.setUpReports(b)
	path := fmt.Sprintf("%s/_emu/groups/%s/messages", d.emu, url.PathEscape(reportGroup))
	seq := d.lastSeq(reportGroup)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		d.say(reportGroup, "成都市副市长", fmt.Sprintf("/交作业 第%d次压测：完成整改%d项", i, i))
		want := fmt.Sprintf("已替换第%d版，", i)
		if i == 0 {
			want = "（1/3）"
		}
		for found := false; !found; {
			var ms []emuMessage
			if err := d.getJSON(fmt.Sprintf("%s?after=%d&wait=5s", path, seq), &ms); err != nil {
				b.Fatal(err)
			}
			for _, m := range ms {
				seq = max(seq, m.Seq)
				if m.From == "群主助手" && strings.Contains(m.Text, want) {
					found = true
				}
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}
