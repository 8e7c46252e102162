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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/commands"
)

// The five demo groups 张书记 owns.
var zhangGroups = []string{"区委干部工作群", "副市长作业群", "城管工作群", "街道工作群", "应急值班群"}

// bcMessage is an emulator message with its time.
type bcMessage struct {
	Seq      int64     `json:"seq"`
	From     string    `json:"from"`
	Bot      bool      `json:"bot"`
	Type     string    `json:"type"`
	Text     string    `json:"text"`
	ImageMD5 string    `json:"image_md5"`
	At       time.Time `json:"at"`
}

// botMessages returns the bot's messages in group after seq.
func (d *demo) botMessages(group string, after int64) []bcMessage {
	d.t.Helper()
	var ms []bcMessage
	u := fmt.Sprintf("%s/_emu/groups/%s/messages?after=%d", d.emu, url.PathEscape(group), after)
	if err := d.getJSON(u, &ms); err != nil {
		d.t.Fatal(err)
	}
	return slices.DeleteFunc(ms, func(m bcMessage) bool { return !m.Bot })
}

// postPicture posts a real PNG into group as member.
func (d *demo) postPicture(group, from string) {
	d.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, G: 30, B: 30, A: 255}) // a red zongzi, roughly
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

// broadcastPreview sends /群发 as 张书记 until the preview names all five groups:
// the owners are bound by display name during the first login, group by group.
func (d *demo) broadcastPreview(text string) (preview, code string) {
	d.t.Helper()
	d.eventually("a preview to 5 groups", func() error {
		seq := d.lastSeq(cadres)
		d.say(cadres, "张书记", text)
		m := d.expectFromBot(cadres, seq, "群发预览")
		if !strings.Contains(m.Text, "发往5个群") {
			return fmt.Errorf("preview %q", m.Text)
		}
		preview = m.Text
		return nil
	})
	return preview, regexpFind(d.t.(*testing.T), `/确认 (\d{6})`, preview)
}

// TestDemoBroadcastToFiveGroupsAtThePace: 张书记 previews a broadcast with a
// picture, confirms it, and the text (with each group's name) and the picture
// arrive in all five of his groups; the bot's messages are never closer
// together than the configured account pace (1 per 300 ms, no burst), and he
// gets the final report.
func TestDemoBroadcastToFiveGroupsAtThePace(t *testing.T) {
	const interval = 300 * time.Millisecond
	d := startDemo(t, map[string]string{
		"QUNZHU_LIMITS_ACCOUNT": "1/300ms,1",
		"QUNZHU_LIMITS_JITTER":  "0s",
	})
	preview, code := d.broadcastPreview("/群发 端午节送粽子来喽，{群名}的同志们辛苦了！")
	for _, want := range append([]string{"预计用时：约2秒（按现在的发送节奏，约0.3秒一条）", "10分钟内发送 /确认 " + code}, zhangGroups...) {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q:\n%s", want, preview)
		}
	}
	seq := d.lastSeq(cadres)
	d.postPicture(cadres, "张书记")
	d.expectFromBot(cadres, seq, "图片已附到群发")

	start := map[string]int64{}
	for _, g := range zhangGroups {
		start[g] = d.lastSeq(g)
	}
	// Someone other than the author cannot send it.
	d.say(cadres, "王主任", "/确认 "+code)
	d.expectFromBot(cadres, start[cadres], "只有群主可以使用 /确认")
	d.say(cadres, "张书记", "/确认 "+code)
	d.expectFromBot(cadres, start[cadres], "已确认，开始群发")

	var all []bcMessage
	for _, g := range zhangGroups {
		want := fmt.Sprintf("端午节送粽子来喽，%s的同志们辛苦了！", g)
		d.expectFromBot(g, start[g], want)
		var pic bcMessage
		d.eventually("the picture in "+g, func() error {
			for _, m := range d.botMessages(g, start[g]) {
				if m.Type == "image" {
					pic = m
					return nil
				}
			}
			return fmt.Errorf("no picture yet")
		})
		if pic.ImageMD5 == "" {
			t.Errorf("%s: picture without md5", g)
		}
	}
	report := d.expectFromBot(cadres, start[cadres], "已完成：5个群全部送达")
	if !strings.HasPrefix(report.Text, "@张书记\u2005群发（编号") {
		t.Errorf("report %q is not addressed to the author", report.Text)
	}

	// Pace: every outbox row the bot sent since the confirmation (the
	// refusal, the confirmation, five broadcasts and the report) starts with
	// a text; a picture follows its own text at once. Texts in all groups,
	// in time order, are at least the account interval apart.
	for _, g := range zhangGroups {
		all = append(all, d.botMessages(g, start[g])...)
	}
	var texts []bcMessage
	for _, m := range all {
		if m.Type == "text" {
			texts = append(texts, m)
		}
	}
	slices.SortFunc(texts, func(a, b bcMessage) int { return a.At.Compare(b.At) })
	if len(texts) != 8 {
		t.Fatalf("bot texts since the confirmation = %d, want 8: %v", len(texts), texts)
	}
	// The governor paces the slots; a send that starts late in its slot (a
	// busy machine) makes the next gap look short by that delay, so the
	// tolerance covers scheduling delay, not pacing: without the pace the
	// gaps are a few milliseconds.
	const tolerance = 60 * time.Millisecond
	var gaps []string
	for i := 1; i < len(texts); i++ {
		gap := texts[i].At.Sub(texts[i-1].At)
		gaps = append(gaps, gap.Round(time.Millisecond).String())
		if gap < interval/2 {
			t.Errorf("%q then %q only %v apart, want about %v", texts[i-1].Text, texts[i].Text, gap, interval)
		}
	}
	if span, want := texts[len(texts)-1].At.Sub(texts[0].At), time.Duration(len(texts)-1)*interval-tolerance; span < want {
		t.Errorf("%d texts over %v, want ≥ %v at one per %v", len(texts), span, want, interval)
	}
	t.Logf("gaps between the bot's messages: %s", strings.Join(gaps, " "))

	// The broadcast shows as done in the list.
	seq = d.lastSeq(cadres)
	d.say(cadres, "张书记", "/群发 列表")
	d.expectFromBot(cadres, seq, "已完成 已发送5/5")
}

// TestDemoScheduledBroadcastAndTags: a tagged, scheduled broadcast goes out
// when the demo clock reaches its time, only to the tagged groups.
func TestDemoScheduledBroadcastAndTags(t *testing.T) {
	d := startDemo(t, nil)
	for _, g := range []string{"街道工作群", "应急值班群"} {
		seq := d.lastSeq(g)
		d.say(g, "张书记", "/群 标签 基层")
		d.expectFromBot(g, seq, "已给本群打上标签：基层")
	}
	seq := d.lastSeq(cadres)
	d.say(cadres, "张书记", "/群发 定时 明天9点 到 基层 明天上午开展防汛演练")
	preview := d.expectFromBot(cadres, seq, "群发预览")
	if !strings.Contains(preview.Text, "发往标签「基层」的2个群：街道工作群、应急值班群") {
		t.Fatalf("preview:\n%s", preview.Text)
	}
	code := regexpFind(t, `/确认 (\d{6})`, preview.Text)
	d.say(cadres, "张书记", "/确认 "+code)
	d.expectFromBot(cadres, seq, "已确认定时群发")

	start := map[string]int64{}
	for _, g := range zhangGroups {
		start[g] = d.lastSeq(g)
	}
	// Jump the demo clock to just after 9:00 tomorrow (China time).
	var clock struct {
		Now time.Time `json:"now"`
	}
	if err := d.getJSON(d.http+"/_demo/clock", &clock); err != nil {
		t.Fatal(err)
	}
	now := clock.Now.In(commands.ChinaTime())
	at := time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, now.Location())
	advance := at.Sub(now) + time.Minute
	if c, b := d.postJSON(d.http+"/_demo/clock", map[string]string{"advance": advance.String()}); c != http.StatusOK {
		t.Fatalf("advance clock: %d %s", c, b)
	}
	d.expectFromBot("街道工作群", start["街道工作群"], "明天上午开展防汛演练")
	d.expectFromBot("应急值班群", start["应急值班群"], "明天上午开展防汛演练")
	d.expectFromBot(cadres, start[cadres], "已完成：2个群全部送达")
	for _, g := range []string{"区委干部工作群", "副市长作业群", "城管工作群"} {
		for _, m := range d.botMessages(g, start[g]) {
			if strings.Contains(m.Text, "防汛演练") {
				t.Errorf("untagged %s got the broadcast", g)
			}
		}
	}
}

func TestBroadcastsConfigNamesTheBadSetting(t *testing.T) {
	yaml := "broadcasts:\n  confirm_window: 30s\n  progress_every: -1\n  progress_interval: 2m\n"
	cfg, err := loadConfig("", []byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(cfg.Broadcasts.ProgressInterval); got != 2*time.Minute {
		t.Errorf("progress_interval = %v", got)
	}
	err = cfg.validate()
	for _, want := range []string{"broadcasts.confirm_window: must be at least 1m", "broadcasts.progress_every: must not be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate() = %v, want it to say %q", err, want)
		}
	}
}
