package webhook_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/webhook"
)

// The DingTalk custom robot's documented signing (自定义机器人安全设置 · 加签,
// https://open.dingtalk.com/document/robots/customize-robot-security-settings):
// string_to_sign = timestamp + "\n" + secret, HmacSHA256 keyed by the secret,
// base64, then urlEncode; timestamp in milliseconds, at most an hour off. The
// vector is the documentation's own Python example run with its example
// secret "this is secret" at timestamp 1748739600000:
//
//	hmac_code = hmac.new(secret_enc, string_to_sign_enc, digestmod=hashlib.sha256).digest()
//	sign = urllib.parse.quote_plus(base64.b64encode(hmac_code))
//	→ kbk1340rI9zgbCiMWKQTf8ls%2BjeuVW70OUrp%2FYJhg2I%3D
func TestDingTalkSign(t *testing.T) {
	got := webhook.DingTalkSign("this is secret", 1748739600000)
	if want := "kbk1340rI9zgbCiMWKQTf8ls+jeuVW70OUrp/YJhg2I="; got != want {
		t.Errorf("DingTalkSign = %q, want %q", got, want)
	}
	if got, want := url.QueryEscape(got), "kbk1340rI9zgbCiMWKQTf8ls%2BjeuVW70OUrp%2FYJhg2I%3D"; got != want {
		t.Errorf("url-encoded sign = %q, want %q", got, want)
	}
}

// The payloads are the custom robot's documented examples (自定义机器人接入 ·
// 消息类型及数据格式, https://open.dingtalk.com/document/robots/custom-robot-access),
// with the documentation's placeholder phone 150XXXXXXXX written as a real
// number (15012345678, 周局长's) so the mention can resolve.
const (
	dingDocText = `{
    "at": {"atMobiles": ["15012345678"], "atUserIds": ["user123"], "isAtAll": false},
    "text": {"content": "我就是我, @15012345678 是不一样的烟火"},
    "msgtype": "text"
}`
	dingDocLink = `{
    "msgtype": "link",
    "link": {
        "text": "这个即将发布的新版本，创始人xx称它为红树林。而在此之前，每当面临重大升级，产品经理们都会取一个应景的代号，这一次，为什么是红树林",
        "title": "时代的火车向前开",
        "picUrl": "",
        "messageUrl": "https://www.dingtalk.com/s?__biz=MzA4NjMwMTA2Ng==&mid=2650316842&idx=1&sn=60da3ea2b29f1dcc43a7c8e4a7c97a16&scene=2&srcid=09189AnRJEdIiWVaKltFzNTw&from=timeline&isappinstalled=0&key=&ascene=2&uin=&devicetype=android-23&version=26031933&nettype=WIFI"
    }
}`
	dingDocMarkdown = `{
    "msgtype": "markdown",
    "markdown": {
        "title": "杭州天气",
        "text": "#### 杭州天气 @15012345678 \n > 9度，西北风1级，空气良89，相对温度73%\n > ![screenshot](https://img.alicdn.com/tfs/TB1NwmBEL9TBuNjy1zbXXXpepXa-2400-1218.png)\n > ###### 10点20分发布 [天气](https://www.dingtalk.com) \n"
    },
    "at": {"atMobiles": ["15012345678"], "atUserIds": ["user123"], "isAtAll": false}
}`
	dingDocActionCard = `{
    "actionCard": {
        "title": "乔布斯 20 年前想打造一间苹果咖啡厅，而它正是 Apple Store 的前身",
        "text": "![screenshot](https://gw.alicdn.com/tfs/TB1ut3xxbsrBKNjSZFpXXcXhFXa-846-786.png) \n ### 乔布斯 20 年前想打造的苹果咖啡厅 \n Apple Store 的设计正从原来满满的科技感走向生活化，而其生活化的走向其实可以追溯到 20 年前苹果一个建立咖啡馆的计划",
        "btnOrientation": "0",
        "singleTitle": "阅读全文",
        "singleURL": "https://www.dingtalk.com/"
    },
    "msgtype": "actionCard"
}`
	// The FeedCard example: its links spell messageURL and picURL, unlike
	// the link message's messageUrl and picUrl.
	dingDocFeedCard = `{
    "msgtype": "feedCard",
    "feedCard": {
        "links": [
            {
                "title": "时代的火车向前开1",
                "messageURL": "https://www.dingtalk.com/",
                "picURL": "https://img.alicdn.com/tfs/TB1NwmBEL9TBuNjy1zbXXXpepXa-2400-1218.png"
            },
            {
                "title": "时代的火车向前开2",
                "messageURL": "https://www.dingtalk.com/",
                "picURL": "https://img.alicdn.com/tfs/TB1NwmBEL9TBuNjy1zbXXXpepXa-2400-1218.png"
            }
        ]
    }
}`
)

// dingQuery is a signed robot URL's query at ts (milliseconds).
func dingQuery(token, secret string, ts int64) url.Values {
	return url.Values{"access_token": {token}, "timestamp": {strconv.FormatInt(ts, 10)}, "sign": {webhook.DingTalkSign(secret, ts)}}
}

func TestDingTalkRobot(t *testing.T) {
	now := testStart.UnixMilli()
	good := dingQuery(dingToken, dingSecret, now)
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name        string
		query       url.Values
		contentType string
		body        string
		errcode     int
		want        string
	}{
		{name: "documented text", body: dingDocText, want: "我就是我, @周局长\u2005 是不一样的烟火"},
		{name: "documented markdown", body: dingDocMarkdown,
			want: "杭州天气 @周局长\u2005\n9度，西北风1级，空气良89，相对温度73%\n[图片] screenshot (https://img.alicdn.com/tfs/TB1NwmBEL9TBuNjy1zbXXXpepXa-2400-1218.png)\n10点20分发布 天气 (https://www.dingtalk.com)"},
		{name: "documented link", body: dingDocLink,
			want: "时代的火车向前开\n这个即将发布的新版本，创始人xx称它为红树林。而在此之前，每当面临重大升级，产品经理们都会取一个应景的代号，这一次，为什么是红树林\nhttps://www.dingtalk.com/s?__biz=MzA4NjMwMTA2Ng==&mid=2650316842&idx=1&sn=60da3ea2b29f1dcc43a7c8e4a7c97a16&scene=2&srcid=09189AnRJEdIiWVaKltFzNTw&from=timeline&isappinstalled=0&key=&ascene=2&uin=&devicetype=android-23&version=26031933&nettype=WIFI"},
		{name: "documented actionCard", body: dingDocActionCard,
			want: "乔布斯 20 年前想打造一间苹果咖啡厅，而它正是 Apple Store 的前身\n[图片] screenshot (https://gw.alicdn.com/tfs/TB1ut3xxbsrBKNjSZFpXXcXhFXa-846-786.png)\n乔布斯 20 年前想打造的苹果咖啡厅\nApple Store 的设计正从原来满满的科技感走向生活化，而其生活化的走向其实可以追溯到 20 年前苹果一个建立咖啡馆的计划\n阅读全文：https://www.dingtalk.com/"},
		{name: "documented feedCard", body: dingDocFeedCard,
			want: "1. 时代的火车向前开1 https://www.dingtalk.com/\n2. 时代的火车向前开2 https://www.dingtalk.com/"},
		{name: "action card buttons", body: `{"msgtype":"actionCard","actionCard":{"title":"路灯维修审批","text":"### 请审批\n- 事项：路灯维修","btns":[{"title":"同意","actionURL":"https://oa.example.gov.cn/a"},{"title":"驳回","actionURL":"https://oa.example.gov.cn/r"}]}}`,
			want: "路灯维修审批\n请审批\n• 事项：路灯维修\n同意：https://oa.example.gov.cn/a\n驳回：https://oa.example.gov.cn/r"},
		{name: "mention is not the start of a longer id", body: `{"msgtype":"text","text":{"content":"@user1234 请转告 @user123 处理。"},"at":{"atUserIds":["user123","user1234"]}}`,
			want: "@user1234 请转告 @周局长\u2005 处理。"},
		{name: "at all", body: `{"msgtype":"text","text":{"content":"全体注意：明天停水"},"at":{"isAtAll":true}}`, want: "全体注意：明天停水\n@所有人\u2005"},
		{name: "unbound and unknown mentions dropped, number masked", body: `{"msgtype":"text","text":{"content":"请 @13912345678 处理"},"at":{"atMobiles":["13912345678","18000000000"]}}`, want: "请 @139****5678 处理"},
		{name: "sign not url-encoded", query: with("sign", strings.ReplaceAll(webhook.DingTalkSign(dingSecret, now), "+", " ")), body: dingDocText, want: "我就是我, @周局长\u2005 是不一样的烟火"},
		{name: "timestamp 59 minutes old", query: dingQuery(dingToken, dingSecret, now-59*60*1000), body: dingDocText, want: "我就是我, @周局长\u2005 是不一样的烟火"},
		{name: "charset utf-8", contentType: "application/json; charset=utf-8", body: dingDocText, want: "我就是我, @周局长\u2005 是不一样的烟火"},

		{name: "no access_token", query: with("access_token", ""), body: dingDocText, errcode: 300001},
		{name: "unknown access_token", query: with("access_token", strings.Repeat("0", 64)), body: dingDocText, errcode: 300001},
		{name: "wecom key as token", query: with("access_token", wecomKey), body: dingDocText, errcode: 300001},
		{name: "no sign", query: with("sign", ""), body: dingDocText, errcode: 310000},
		{name: "no timestamp", query: with("timestamp", ""), body: dingDocText, errcode: 310000},
		{name: "wrong secret", query: dingQuery(dingToken, "SECwrong-secret-0000000000000000", now), body: dingDocText, errcode: 310000},
		{name: "timestamp changed after signing", query: with("timestamp", strconv.FormatInt(now+1, 10)), body: dingDocText, errcode: 310000},
		{name: "timestamp 61 minutes old", query: dingQuery(dingToken, dingSecret, now-61*60*1000), body: dingDocText, errcode: 310000},
		{name: "timestamp in seconds", query: dingQuery(dingToken, dingSecret, now/1000), body: dingDocText, errcode: 310000},
		{name: "timestamp not a number", query: with("timestamp", "yesterday"), body: dingDocText, errcode: 310000},
		{name: "bad json", body: `{"msgtype":"text",`, errcode: 40035},
		{name: "no msgtype", body: `{"text":{"content":"hi"}}`, errcode: 40035},
		{name: "unknown msgtype", body: `{"msgtype":"image","image":{}}`, errcode: 40035},
		{name: "text without content", body: `{"msgtype":"text","text":{}}`, errcode: 40035},
		{name: "link without url", body: `{"msgtype":"link","link":{"title":"时代的火车向前开"}}`, errcode: 40035},
		{name: "feedCard without links", body: `{"msgtype":"feedCard","feedCard":{"links":[]}}`, errcode: 40035},
		{name: "text too long", body: fmt.Sprintf(`{"msgtype":"text","text":{"content":%q}}`, strings.Repeat("督", webhook.MaxTextRunes+1)), errcode: 460101},
		{name: "text/plain", contentType: "text/plain", body: dingDocText, errcode: 43004},
		{name: "no content type", contentType: "-", body: dingDocText, errcode: 43004},
		{name: "over 1 MiB", body: `{"msgtype":"text","text":{"content":"` + strings.Repeat("a", webhook.MaxBodyBytes) + `"}}`, errcode: 40035},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			q := tt.query
			if q == nil {
				q = good
			}
			ct := tt.contentType
			switch ct {
			case "":
				ct = "application/json"
			case "-":
				ct = ""
			}
			before := e.tableRows()
			w := e.robotPost("/robot/send", q, ct, tt.body)
			// Like the originals, every answer that is not our fault is a
			// 200; errcode says whether it was accepted.
			if got, want := w.Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, w.Body.String())
			}
			errcode, errmsg := robotAnswer(t, w)
			secrets := append([]string{good.Get("sign"), url.QueryEscape(good.Get("sign"))}, intakeSecrets...)
			assertNoSecrets(t, "response", w.Body.String(), secrets)
			assertNoSecrets(t, "logs", e.logs.String(), secrets)
			posted := e.posted(cityGroup)
			if tt.errcode != 0 {
				if errcode != tt.errcode || errmsg == "" {
					t.Errorf("answer = %d %q, want errcode %d with a message", errcode, errmsg, tt.errcode)
				}
				e.assertNothingWritten(t, before)
				return
			}
			if errcode != 0 || errmsg != "ok" {
				t.Errorf("answer = %d %q, want 0 ok", errcode, errmsg)
			}
			if len(posted) != 1 {
				t.Fatalf("posted %d messages, want 1", len(posted))
			}
			if got := posted[0].Text; got != tt.want {
				t.Errorf("posted text\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A captured DingTalk request replayed within the hour posts nothing: the
// answer is the robot's success, marked as a duplicate in a header. A sender
// that reuses one signature for several messages (DingTalk accepts that for
// an hour) still gets each new message posted.
func TestDingTalkReplay(t *testing.T) {
	e := newIntakeEnv(t)
	q := dingQuery(dingToken, dingSecret, e.clock.Now().UnixMilli())
	first := e.robotPost("/robot/send", q, "application/json", dingDocText)
	if first.Code != http.StatusOK || first.Header().Get(webhook.HeaderStatus) != "" {
		t.Fatalf("first: %d %q", first.Code, first.Header().Get(webhook.HeaderStatus))
	}
	e.clock.Advance(50 * time.Minute)
	replay := e.robotPost("/robot/send", q, "application/json", dingDocText)
	if got, want := replay.Code, http.StatusOK; got != want {
		t.Fatalf("replay: status %d, want %d", got, want)
	}
	if errcode, _ := robotAnswer(t, replay); errcode != 0 {
		t.Errorf("replay errcode = %d, want 0", errcode)
	}
	if got, want := replay.Header().Get(webhook.HeaderStatus), "duplicate"; got != want {
		t.Errorf("replay %s = %q, want %q", webhook.HeaderStatus, got, want)
	}
	other := e.robotPost("/robot/send", q, "application/json", `{"msgtype":"text","text":{"content":"第二条告警"}}`)
	if other.Code != http.StatusOK || other.Header().Get(webhook.HeaderStatus) != "" {
		t.Errorf("a new message under the same sign: %d %q, want 200 posted", other.Code, other.Header().Get(webhook.HeaderStatus))
	}
	if got, want := len(e.posted(cityGroup)), 2; got != want {
		t.Errorf("posted %d, want %d", got, want)
	}
	// Past the hour the same request is refused as stale, not posted.
	e.clock.Advance(11 * time.Minute)
	w := e.robotPost("/robot/send", q, "application/json", dingDocText)
	if errcode, _ := robotAnswer(t, w); w.Code != http.StatusOK || errcode != 310000 {
		t.Errorf("after the hour: status %d errcode %d, want 200 with 310000", w.Code, errcode)
	}
}

func TestDingTalkRateLimit(t *testing.T) {
	e := newIntakeEnv(t)
	for i := range 20 {
		q := dingQuery(dingToken, dingSecret, e.clock.Now().UnixMilli())
		if w := e.robotPost("/robot/send", q, "application/json", fmt.Sprintf(`{"msgtype":"text","text":{"content":"告警%d"}}`, i)); w.Code != http.StatusOK {
			t.Fatalf("message %d: %d %s", i, w.Code, w.Body.String())
		}
	}
	w := e.robotPost("/robot/send", dingQuery(dingToken, dingSecret, e.clock.Now().UnixMilli()), "application/json", dingDocText)
	if got, want := w.Code, http.StatusOK; got != want {
		t.Fatalf("21st: status %d, want %d", got, want)
	}
	if errcode, _ := robotAnswer(t, w); errcode != 130101 {
		t.Errorf("errcode = %d, want 130101", errcode)
	}
	if w.Header().Get("Retry-After") == "" {
		t.Errorf("no Retry-After")
	}
}

// A DingTalk robot whose group is not registered answers like a robot whose
// token no longer exists, and writes nothing (not even a replay key).
func TestDingTalkTargetGroupMissing(t *testing.T) {
	e := newIntakeEnv(t, func(d *webhook.Deps) {
		d.Sources = []webhook.Source{{Name: "ding-gone", Kind: webhook.KindDingTalk, Token: dingToken, Secret: dingSecret, Group: "已解散的群"}}
	})
	before := e.tableRows()
	w := e.robotPost("/robot/send", dingQuery(dingToken, dingSecret, e.clock.Now().UnixMilli()), "application/json", dingDocText)
	if got, want := w.Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if errcode, _ := robotAnswer(t, w); errcode != 300001 {
		t.Errorf("errcode = %d, want 300001", errcode)
	}
	e.assertNothingWritten(t, before)
	assertNoSecrets(t, "response", w.Body.String(), intakeSecrets)
}
