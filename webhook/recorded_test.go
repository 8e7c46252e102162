package webhook_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// recorded is one request captured from a real robot client on npm by
// testdata/recorded/record.cjs: the method, URL, Content-Type and body
// exactly as the client put them on the wire.
type recorded struct {
	Client      string `json:"client"`
	Call        string `json:"call"`
	Method      string `json:"method"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

// The credentials record.cjs gave the clients.
const (
	recDingToken  = "dingtalk-token-recorded-0001"
	recDingSecret = "SECrecorded0123456789abcdef"
	recWeComKey   = "wecom-key-recorded-00000001"
)

// What each recorded request must do: the errcode the original would answer
// (always with HTTP 200) and the text posted into the group.
var recordedWant = map[string]struct {
	errcode int
	group   string
	text    string
}{
	"dingtalk-robot-sender_1.2.0.text.json": {0, cityGroup,
		"12345热线：黄浦区工单已超期，市民电话 139 **** 5678，请市城管委处理"},
	"dingtalk-robot-sender_1.2.0.markdown.json": {0, cityGroup,
		"本周督办\n• 已办结 3 件\n• 逾期 1 件\n请各单位抓紧"},
	"dingtalk-robot-sender_1.2.0.link.json": {0, cityGroup,
		"停水通知\n人民路今晚22点停水\nhttps://example.gov.cn/notice/1"},
	// "btnOrientation": 0 and "hideAvatar": 1 as numbers.
	"dingtalk-robot-sender_1.2.0.actionCard.json": {0, cityGroup,
		"整改通知\n请于周五前报送整改方案\n查看：https://example.gov.cn/a/1"},
	"dingtalk-robot-sender_1.2.0.feedCard.json": {0, cityGroup,
		"1. 通知一 https://example.gov.cn/n/1\n2. 通知二 https://example.gov.cn/n/2"},
	"push-all-in-one_4.5.2_Dingtalk.text.json": {0, cityGroup, "告警\n磁盘使用率 95%"},
	// This client overwrites its own actionCard with the caller's option, so
	// the card has no text: DingTalk refuses it (miss.param.actionCardTotext)
	// and so do we, with HTTP 200 and the missing-parameter code.
	"push-all-in-one_4.5.2_Dingtalk.actionCard.json": {40035, cityGroup, ""},
	"push-all-in-one_4.5.2_WechatRobot.text.json": {0, cadreGroup,
		"值班提醒\n今晚值班：王主任\n" + qunzhu.Mention("所有人") + qunzhu.Mention(wangqing)},
	"push-all-in-one_4.5.2_WechatRobot.markdown.json": {0, cadreGroup,
		"实时新增用户反馈\n\n132例，请相关同事注意。\n类型:用户反馈"},
	"push-all-in-one_4.5.2_WechatRobot.news.json": {0, cadreGroup,
		"中秋节礼品领取\n今年中秋节公司有豪礼相送\nhttps://example.gov.cn/news/1"},
	"push-all-in-one_4.5.2_WechatRobot.image.json": {0, cadreGroup, ""},
}

// TestRecordedClients replays what real npm robot clients sent: every
// request gets HTTP 200 with the errcode the original answers, and the group
// gets the right text.
func TestRecordedClients(t *testing.T) {
	files, err := filepath.Glob("testdata/recorded/*.json")
	if err != nil || len(files) != len(recordedWant) {
		t.Fatalf("recorded requests: %d files (%v), want %d", len(files), err, len(recordedWant))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, ok := recordedWant[filepath.Base(f)]
			if !ok {
				t.Fatalf("no expectation for %s", f)
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var rec recorded
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(rec.URL)
			if err != nil {
				t.Fatal(err)
			}
			// The DingTalk sign was made at the recording's time: the server's
			// clock stands there, as the real robot's did.
			clock := qunzhu.NewFakeClock(testStart)
			if ts, err := strconv.ParseInt(u.Query().Get("timestamp"), 10, 64); err == nil {
				clock.Set(time.UnixMilli(ts).Add(2 * time.Second))
			}
			e := newIntakeEnv(t, func(d *webhook.Deps) {
				d.Clock = clock
				d.Sources = append(d.Sources,
					webhook.Source{Name: "rec-ding", Kind: webhook.KindDingTalk, Token: recDingToken, Secret: recDingSecret, Group: cityGroup},
					webhook.Source{Name: "rec-wecom", Kind: webhook.KindWeCom, Token: recWeComKey, Group: cadreGroup})
			})
			r := httptest.NewRequest(rec.Method, rec.URL, strings.NewReader(rec.Body))
			r.Header.Set("Content-Type", rec.ContentType)
			w := e.do(r)
			if w.Code != http.StatusOK {
				t.Fatalf("%s %s: status %d, want 200; body %s", rec.Client, rec.Call, w.Code, w.Body.String())
			}
			errcode, errmsg := robotAnswer(t, w)
			if errcode != want.errcode {
				t.Fatalf("%s %s: errcode %d %q, want %d", rec.Client, rec.Call, errcode, errmsg, want.errcode)
			}
			posted := e.posted(want.group)
			if want.errcode != 0 {
				if len(posted) != 0 {
					t.Errorf("a refused request posted %d messages", len(posted))
				}
				return
			}
			if len(posted) != 1 {
				t.Fatalf("posted %d messages, want 1", len(posted))
			}
			if got := posted[0].Text; got != want.text {
				t.Errorf("%s %s posted\n got %q\nwant %q", rec.Client, rec.Call, got, want.text)
			}
			if rec.Call == "image" && len(posted[0].Image) == 0 {
				t.Error("the image message posted no picture")
			}
		})
	}
}
