package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// Feishu / Lark custom robot (飞书自定义机器人), per 自定义机器人使用指南,
// https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (Lark:
// https://open.larksuite.com/document/client-docs/bot-v3/add-custom-bot):
//
//	POST https://open.feishu.cn/open-apis/bot/v2/hook/HOOK_ID
//	{"timestamp": "T", "sign": "S", "msg_type": "text", "content": {"text": "…"}}
//	→ {"code": 0, "msg": "success", "data": {}}
//
// Signing ("签名校验"): timestamp is the current time in seconds, within one
// hour of the server's; timestamp + "\n" + secret is the HMAC-SHA256 *key* and
// the message is empty; sign is the Base64 of the result. (DingTalk uses the
// secret as the key and signs the string: the two are easy to mix up.) A bad
// signature answers code 19021. The robot takes 100 requests a minute and 5 a
// second; over that it answers 11232 ("frequency limited"), which is retried,
// as is 2200 (internal error).

// feishuSign is the "签名校验" signature of timestamp (seconds).
func feishuSign(secret string, timestamp int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type feishuText struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Text string `json:"text"`
	} `json:"content"`
}

// feishuAnswer is the robot's answer; old deployments answer StatusCode.
type feishuAnswer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

func (r *Robot) postFeishu(ctx context.Context, text string) (bool, error) {
	body := feishuText{MsgType: "text"}
	body.Content.Text = text
	if r.secret != "" {
		ts := r.now().Unix()
		body.Timestamp = strconv.FormatInt(ts, 10)
		body.Sign = feishuSign(r.secret, ts)
	}
	return r.post(ctx, r.url, body, func(data []byte) (bool, error) {
		var a feishuAnswer
		if err := json.Unmarshal(data, &a); err != nil || (a.Code == nil && a.StatusCode == nil) {
			return true, r.errorf("unexpected answer: %s", snippet(data))
		}
		code, msg := a.Code, a.Msg
		if code == nil {
			code, msg = a.StatusCode, a.StatusMessage
		}
		switch *code {
		case 0:
			return false, nil
		case 11232, 2200:
			return true, r.errorf("code %d: %s", *code, snippet([]byte(msg)))
		}
		return false, r.errorf("code %d: %s", *code, snippet([]byte(msg)))
	})
}
