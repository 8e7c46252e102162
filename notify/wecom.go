package notify

import "context"

// WeCom group robot (企业微信群机器人), as documented in 群机器人配置说明,
// https://developer.work.weixin.qq.com/document/path/91770:
//
//	POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
//	{"msgtype": "text", "text": {"content": "…"}}   → {"errcode": 0, "errmsg": "ok"}
//
// The key in the URL is the only credential (no signature). Each robot may
// send at most 20 messages a minute; over that the API answers errcode 45009
// ("api freq out of limit"), and -1 means the system is busy: both are worth
// retrying later, everything else (93000 invalid webhook URL, …) is not.

type weComText struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
}

func (r *Robot) postWeCom(ctx context.Context, text string) (bool, error) {
	body := weComText{MsgType: "text"}
	body.Text.Content = text
	return r.post(ctx, r.url, body, func(data []byte) (bool, error) {
		return r.checkErrcode(data, -1, 45009)
	})
}
