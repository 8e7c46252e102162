package webhook_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/webhook"
)

// The payloads below are the WeCom group robot's documented examples
// (群机器人配置说明, https://developer.work.weixin.qq.com/document/path/91770,
// also at https://work.weixin.qq.com/api/doc/90000/90136/91770), sent as a
// sender written against WeCom sends them. The error codes are WeCom's global
// codes (https://developer.work.weixin.qq.com/document/path/90313):
// 93000 invalid webhook url, 40008 invalid message type, 40009 invalid image
// size, 40035 invalid parameter, 45009 api freq out of limit.
const (
	// 文本类型 (the documented text example).
	wecomDocText = `{
    "msgtype": "text",
    "text": {
        "content": "广州今日天气：29度，大部分多云，降雨概率：60%",
        "mentioned_list":["wangqing","@all"],
        "mentioned_mobile_list":["13800001111","@all"]
    }
}`
	// markdown类型 (the documented markdown example).
	wecomDocMarkdown = `{
    "msgtype": "markdown",
    "markdown": {
        "content": "实时新增用户反馈<font color=\"warning\">132例</font>，请相关同事注意。\n>类型:<font color=\"comment\">用户反馈</font>\n>普通用户反馈:<font color=\"comment\">117例</font>\n>VIP用户反馈:<font color=\"comment\">15例</font>"
    }
}`
	// The curl example of 如何使用群机器人.
	wecomDocHello = `{"msgtype": "text", "text": {"content": "hello world"}}`
	// 图文类型 (the documented news example).
	wecomDocNews = `{
    "msgtype": "news",
    "news": {
       "articles" : [
           {
               "title" : "中秋节礼品领取",
               "description" : "今年中秋节公司有豪礼相送",
               "url" : "www.qq.com",
               "picurl" : "http://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png"
           }
        ]
    }
}`
)

// pngImage is a real small PNG, as a robot's sender would upload a chart.
func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for x := range 16 {
		img.Set(x, x%8, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wecomImage(data []byte, sum string) string {
	if sum == "" {
		s := md5.Sum(data)
		sum = hex.EncodeToString(s[:])
	}
	return fmt.Sprintf(`{"msgtype":"image","image":{"base64":%q,"md5":%q}}`, base64.StdEncoding.EncodeToString(data), sum)
}

func TestWeComRobot(t *testing.T) {
	pic := pngImage(t)
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	tooMany := `{"msgtype":"news","news":{"articles":[` + strings.Repeat(`{"title":"t","url":"https://www.qq.com"},`, 8) + `{"title":"t","url":"https://www.qq.com"}]}}`
	key := url.Values{"key": {wecomKey}}

	tests := []struct {
		name        string
		query       url.Values
		contentType string
		body        string
		errcode     int
		want        string // the posted text, for successes ("" for a picture)
	}{
		{name: "documented text", body: wecomDocText,
			want: "广州今日天气：29度，大部分多云，降雨概率：60%\n@所有人\u2005@王清\u2005"},
		{name: "documented markdown", body: wecomDocMarkdown,
			want: "实时新增用户反馈132例，请相关同事注意。\n类型:用户反馈\n普通用户反馈:117例\nVIP用户反馈:15例"},
		{name: "documented curl hello", body: wecomDocHello, want: "hello world"},
		{name: "text/plain as the documented python examples send", contentType: "text/plain", body: `{"msgtype":"text","text":{"content":"深圳今日天气：32度，暴雨"}}`, want: "深圳今日天气：32度，暴雨"},
		{name: "curl -d form type", contentType: "application/x-www-form-urlencoded", body: wecomDocHello, want: "hello world"},
		{name: "documented news", body: wecomDocNews, want: "中秋节礼品领取\n今年中秋节公司有豪礼相送\nwww.qq.com"},
		{name: "image", body: wecomImage(pic, "")},
		{name: "image md5 upper case", body: wecomImage(pic, strings.ToUpper(hex.EncodeToString(func() []byte { s := md5.Sum(pic); return s[:] }())))},
		{name: "markdown inline mention and link", body: `{"msgtype":"markdown","markdown":{"content":"## 巡检提醒\n<@wangqing> 请查看 [巡检报告](https://ops.example.gov.cn/r/20250601)\n- **一号泵房** 正常\n- <font color=\"warning\">二号泵房</font> 压力偏低"}}`,
			want: "巡检提醒\n@王清\u2005 请查看 巡检报告 (https://ops.example.gov.cn/r/20250601)\n• 一号泵房 正常\n• 二号泵房 压力偏低"},
		{name: "citizen phone masked", body: `{"msgtype":"text","text":{"content":"市民 13800138000 来电反映停水，身份证 110101199003071234","mentioned_mobile_list":["13912345678"]}}`,
			want: "市民 138****8000 来电反映停水，身份证 110***********1234"},

		{name: "no key", query: url.Values{}, body: wecomDocHello, errcode: 93000},
		{name: "wrong key", query: url.Values{"key": {"693a91f6-0000-4bc4-97a0-0ec2sifa5aaa"}}, body: wecomDocHello, errcode: 93000},
		{name: "dingtalk token as key", query: url.Values{"key": {dingToken}}, body: wecomDocHello, errcode: 93000},
		{name: "bad json", body: `{"msgtype":"text","text":`, errcode: 40035},
		{name: "array", body: `[]`, errcode: 40035},
		{name: "no msgtype", body: `{"text":{"content":"hi"}}`, errcode: 40008},
		{name: "file msgtype", body: `{"msgtype":"file","file":{"media_id":"3a8asd892asd8asd"}}`, errcode: 40008},
		{name: "template_card", body: `{"msgtype":"template_card","template_card":{}}`, errcode: 40008},
		{name: "text without content", body: `{"msgtype":"text","text":{"content":"  "}}`, errcode: 44004},
		{name: "markdown without content", body: `{"msgtype":"markdown"}`, errcode: 44004},
		{name: "image md5 mismatch", body: wecomImage(pic, "0123456789abcdef0123456789abcdef"), errcode: 40035},
		{name: "image bad base64", body: `{"msgtype":"image","image":{"base64":"iVBORw0KGgo!!!","md5":"00"}}`, errcode: 40035},
		{name: "image gif", body: wecomImage(gifBuf.Bytes(), ""), errcode: 40035},
		{name: "image without md5", body: `{"msgtype":"image","image":{"base64":"aGk="}}`, errcode: 40035},
		{name: "nine articles", body: tooMany, errcode: 40035},
		{name: "article without url", body: `{"msgtype":"news","news":{"articles":[{"title":"中秋节礼品领取"}]}}`, errcode: 40035},
		{name: "text too long", body: fmt.Sprintf(`{"msgtype":"text","text":{"content":%q}}`, strings.Repeat("督", webhook.MaxTextRunes+1)), errcode: 40058},
		{name: "multipart", contentType: "multipart/form-data; boundary=x", body: wecomDocHello, errcode: 40035},
		{name: "gbk", contentType: "application/json; charset=gbk", body: wecomDocHello, errcode: 40035},
		{name: "over 1 MiB", body: `{"msgtype":"text","text":{"content":"` + strings.Repeat("a", webhook.MaxBodyBytes) + `"}}`, errcode: 40035},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			q := tt.query
			if q == nil {
				q = key
			}
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			before := e.tableRows()
			w := e.robotPost("/cgi-bin/webhook/send", q, ct, tt.body)
			// Like the originals, every answer that is not our fault is a
			// 200; errcode says whether it was accepted.
			if got, want := w.Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, w.Body.String())
			}
			errcode, errmsg := robotAnswer(t, w)
			assertNoSecrets(t, "response", w.Body.String(), intakeSecrets)
			assertNoSecrets(t, "logs", e.logs.String(), intakeSecrets)
			posted := e.posted(cadreGroup)
			if tt.errcode != 0 {
				if errcode != tt.errcode || errmsg == "" {
					t.Errorf("answer = %d %q, want errcode %d with a message", errcode, errmsg, tt.errcode)
				}
				if len(posted) != 0 {
					t.Errorf("a refused request posted %d messages", len(posted))
				}
				e.assertNothingWritten(t, before)
				return
			}
			if errcode != 0 || errmsg != "ok" {
				t.Errorf("answer = %d %q, want 0 ok", errcode, errmsg)
			}
			if len(posted) != 1 {
				t.Fatalf("posted %d messages in the robot's group, want 1", len(posted))
			}
			if got := posted[0].Text; got != tt.want {
				t.Errorf("posted text\n got %q\nwant %q", got, tt.want)
			}
			if tt.want == "" && !bytes.Equal(posted[0].Image, pic) {
				t.Errorf("posted image is not the uploaded PNG (%d bytes)", len(posted[0].Image))
			}
		})
	}
}

// Over the robot's 20 messages a minute, WeCom answers 45009; so do we, with
// a Retry-After the sender can honour, and the 21st message is not queued.
func TestWeComRateLimit(t *testing.T) {
	e := newIntakeEnv(t)
	key := url.Values{"key": {wecomKey}}
	for i := range 20 {
		w := e.robotPost("/cgi-bin/webhook/send", key, "application/json", fmt.Sprintf(`{"msgtype":"text","text":{"content":"第%d条"}}`, i))
		if w.Code != http.StatusOK {
			t.Fatalf("message %d: status %d %s", i, w.Code, w.Body.String())
		}
	}
	w := e.robotPost("/cgi-bin/webhook/send", key, "application/json", wecomDocHello)
	if got, want := w.Code, http.StatusOK; got != want {
		t.Fatalf("21st: status = %d, want %d", got, want)
	}
	if errcode, _ := robotAnswer(t, w); errcode != 45009 {
		t.Errorf("21st: errcode = %d, want 45009", errcode)
	}
	if got, want := w.Header().Get("Retry-After"), "3"; got != want {
		t.Errorf("Retry-After = %q, want %q (one message every 3 s)", got, want)
	}
	if got, want := len(e.posted(cadreGroup)), 20; got != want {
		t.Errorf("queued %d, want %d", got, want)
	}
	e.clock.Advance(3e9)
	if w := e.robotPost("/cgi-bin/webhook/send", key, "application/json", wecomDocHello); w.Code != http.StatusOK {
		t.Errorf("after Retry-After: status %d, want 200", w.Code)
	}
}

// A robot whose group is not registered answers like a WeCom robot removed
// from its group: 93000.
func TestWeComTargetGroupMissing(t *testing.T) {
	e := newIntakeEnv(t, func(d *webhook.Deps) {
		d.Sources = []webhook.Source{{Name: "wecom-gone", Kind: webhook.KindWeCom, Token: wecomKey, Group: "已解散的群"}}
	})
	w := e.robotPost("/cgi-bin/webhook/send", url.Values{"key": {wecomKey}}, "application/json", wecomDocHello)
	if got, want := w.Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if errcode, _ := robotAnswer(t, w); errcode != 93000 {
		t.Errorf("errcode = %d, want 93000", errcode)
	}
	assertNoSecrets(t, "response", w.Body.String(), intakeSecrets)
}
