package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
)

// DingTalk custom robot (钉钉自定义机器人). Sending, per
// https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages:
//
//	POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN[&timestamp=T&sign=S]
//	{"msgtype": "text", "text": {"content": "…"}}   → {"errcode": 0, "errmsg": "ok"}
//
// Signing ("加签"), per the security settings,
// https://open.dingtalk.com/document/robots/customize-robot-security-settings:
// timestamp is the current time in milliseconds (the server accepts it within
// one hour); the string to sign is timestamp + "\n" + secret; sign is
// Base64(HmacSHA256(key = secret, message = that string)), URL-encoded as a
// query parameter. A wrong signature, keyword or IP answers errcode 310000.
// Each robot may send 20 messages a minute; over that it answers 130101 ("send
// too fast") and is throttled for ten minutes, so 130101, 410100 (also "too
// fast") and -1 (busy) are retried later.

// dingTalkSign is the "加签" signature of timestamp (milliseconds).
func dingTalkSign(secret string, timestamp int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (r *Robot) postDingTalk(ctx context.Context, text string) (bool, error) {
	u := *r.url
	if r.secret != "" {
		ts := r.now().UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", dingTalkSign(r.secret, ts)) // Encode URL-encodes it
		u.RawQuery = q.Encode()
	}
	body := weComText{MsgType: "text"} // DingTalk's text message has the same shape
	body.Text.Content = text
	return r.post(ctx, &u, body, func(data []byte) (bool, error) {
		return r.checkErrcode(data, -1, 130101, 410100)
	})
}
