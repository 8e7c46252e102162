package webhook

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// The WeCom (企业微信) group robot, as its documentation describes it
// (https://developer.work.weixin.qq.com/document/path/91770, 群机器人配置说明):
// POST /cgi-bin/webhook/send?key=<key> with {"msgtype": text | markdown |
// image | news, …}; the key is the only credential. Its error codes are those
// of WeCom's global error code list (全局错误码,
// https://developer.work.weixin.qq.com/document/path/90313).
const (
	wecomInvalidURL       = 93000 // invalid webhook url: unknown key, or the robot's group is gone
	wecomInvalidMsgType   = 40008 // invalid message type
	wecomInvalidImageSize = 40009 // invalid image size
	wecomInvalidParameter = 40035 // invalid parameter: bad JSON, missing content, md5 mismatch…
	wecomTooLong          = 40058 // "markdown.content exceed max length 4096", as the robot answers an over-long text
	wecomEmptyContent     = 44004 // empty content: a text or markdown with nothing to show
	wecomFreqOutOfLimit   = 45009 // api freq out of limit
)

// wecomMaxImageBytes is the robot's own limit on a picture (2 MB before
// base64); our 1 MiB body limit is stricter, so this only guards the decoder.
const wecomMaxImageBytes = 2 << 20

// WeComMessage is the body the WeCom group robot accepts. It is exported so Go
// senders and tests build exactly what the server reads.
type WeComMessage struct {
	MsgType  string         `json:"msgtype"`
	Text     *WeComText     `json:"text,omitempty"`
	Markdown *WeComMarkdown `json:"markdown,omitempty"`
	Image    *WeComImage    `json:"image,omitempty"`
	News     *WeComNews     `json:"news,omitempty"`

	image []byte // the decoded picture of an image message
}

// WeComText is a text message with its mention lists ("@all" for everyone).
type WeComText struct {
	Content             string       `json:"content"`
	MentionedList       LooseStrings `json:"mentioned_list,omitempty"`
	MentionedMobileList LooseStrings `json:"mentioned_mobile_list,omitempty"`
}

// WeComMarkdown is a markdown message; <@userid> in it mentions a member.
type WeComMarkdown struct {
	Content string `json:"content"`
}

// WeComImage is a JPG or PNG picture: base64 and the md5 of the raw bytes.
type WeComImage struct {
	Base64 string `json:"base64"`
	MD5    string `json:"md5"`
}

// WeComNews is a list of 1-8 article cards.
type WeComNews struct {
	Articles []WeComArticle `json:"articles"`
}

// WeComArticle is one news card.
type WeComArticle struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	PicURL      string `json:"picurl,omitempty"`
}

func wecomErr(errcode int, code, errmsg string) *robotError {
	return &robotError{errcode: errcode, errmsg: errmsg, code: code}
}

// handleWeCom accepts a WeCom robot message for the source whose key is in the
// URL and queues it for the source's group. The checks are the native
// endpoints' (type, size, credential, rate, JSON, fields, group), answered in
// WeCom's shape. The message is rendered, bounded and masked before the write
// transaction, which only looks up the group and enqueues. WeCom requests are
// not signed, so there is no replay window: the same text twice is two
// messages, as it is in WeCom.
func (s *server) handleWeCom(c *gin.Context) {
	if err := checkRobotContentType(c.GetHeader("Content-Type"), false); err != nil {
		s.writeRobot(c, wecomErr(wecomInvalidParameter, CodeUnsupportedMediaType, "invalid parameter, hint: "+qunzhu.ErrorMessage(err)))
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.writeRobot(c, asRobot(err, wecomInvalidParameter, "invalid parameter"))
		return
	}
	src, ok := s.tokens[tokenKey(KindWeCom, c.Query("key"))]
	if !ok || c.Query("key") == "" {
		// The key is never echoed: it is the robot's only secret.
		s.writeRobot(c, wecomErr(wecomInvalidURL, CodeUnknownSource, "invalid webhook url, hint: 未知的机器人 key (unknown key)"))
		return
	}
	c.Set(ctxKeySource, src.Name)
	if wait, ok := s.allow(c.Request.Context(), src); !ok {
		secs := setRetryAfter(c, wait)
		s.writeRobot(c, wecomErr(wecomFreqOutOfLimit, CodeTooManyRequests,
			fmt.Sprintf("api freq out of limit, hint: 请 %d 秒后重试 (retry after %d s)", secs, secs)))
		return
	}
	msg, err := parseWeCom(body)
	if err != nil {
		s.writeRobot(c, err)
		return
	}
	m := &qunzhu.OutMessage{Kind: qunzhu.KindWebhook, Priority: qunzhu.KindWebhook.DefaultPriority()}
	if m.Text, m.Image, err = s.prepareWeCom(c.Request.Context(), src, msg); err != nil {
		s.writeRobot(c, err)
		return
	}
	err = s.store.Update(c.Request.Context(), func(tx qunzhu.Tx) error {
		g, err := s.robotGroup(tx, src)
		if err != nil {
			return asRobot(err, wecomInvalidURL, "invalid webhook url")
		}
		m.GroupID = g.ID
		_, err = tx.Enqueue(m)
		return err
	})
	s.writeRobot(c, err)
}

// prepareWeCom renders the message (mentions looked up in a read-only
// transaction, which never waits for the writer), refuses one that shows
// nothing or is too long the way WeCom does, and masks it.
func (s *server) prepareWeCom(ctx context.Context, src Source, msg *WeComMessage) (string, []byte, error) {
	if msg.MsgType == "image" {
		return "", msg.image, nil
	}
	var text string
	err := s.store.View(ctx, func(tx qunzhu.Tx) error {
		g, err := s.robotGroup(tx, src)
		if err != nil {
			return asRobot(err, wecomInvalidURL, "invalid webhook url")
		}
		text, err = renderWeCom(tx, g.ID, msg)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if strings.TrimSpace(text) == "" {
		return "", nil, wecomErr(wecomEmptyContent, CodeMissingField, "empty content, hint: 消息渲染后没有可显示的内容 (the message renders empty)")
	}
	if n := utf8.RuneCountInString(text); n > MaxTextRunes {
		return "", nil, wecomErr(wecomTooLong, CodeTextTooLong, fmt.Sprintf(
			"%s.content exceed max length %d, hint: 消息过长：%d 字，最多 %d 字 (text is %d characters, limit %d)", msg.MsgType, MaxTextRunes, n, MaxTextRunes, n, MaxTextRunes))
	}
	return s.mask(text), nil, nil
}

// parseWeCom decodes and checks a message before anything is read or
// written: fields, the bound on its text (MaxRobotInputRunes, checked before
// any rendering or masking) and the picture.
func parseWeCom(body []byte) (*WeComMessage, error) {
	bad := func(format string, args ...any) error {
		return wecomErr(wecomInvalidParameter, CodeInvalidField, "invalid parameter, hint: "+fmt.Sprintf(format, args...))
	}
	empty := func(field string) error {
		return wecomErr(wecomEmptyContent, CodeMissingField, "empty content, hint: 缺少 "+field+" (missing "+field+")")
	}
	var msg WeComMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, wecomErr(wecomInvalidParameter, CodeBadJSON,
			"invalid parameter, hint: 请求体不是合法的 JSON (bad JSON: "+jsonProblem(err)+")")
	}
	var input []string
	switch msg.MsgType {
	case "text":
		if msg.Text == nil || strings.TrimSpace(msg.Text.Content) == "" {
			return nil, empty("text.content")
		}
		input = append(input, msg.Text.Content)
	case "markdown":
		if msg.Markdown == nil || strings.TrimSpace(msg.Markdown.Content) == "" {
			return nil, empty("markdown.content")
		}
		input = append(input, msg.Markdown.Content)
	case "image":
		if msg.Image == nil || msg.Image.Base64 == "" || msg.Image.MD5 == "" {
			return nil, bad("缺少 image.base64 或 image.md5 (missing image.base64 or image.md5)")
		}
		img, err := decodeWeComImage(msg.Image)
		if err != nil {
			return nil, err
		}
		msg.image = img
	case "news":
		if msg.News == nil || len(msg.News.Articles) == 0 || len(msg.News.Articles) > 8 {
			return nil, bad("news.articles 须有 1 到 8 篇 (news.articles must hold 1 to 8 articles)")
		}
		for i, a := range msg.News.Articles {
			if strings.TrimSpace(a.Title) == "" || strings.TrimSpace(a.URL) == "" {
				return nil, bad("news.articles[%d] 缺少 title 或 url (missing title or url)", i)
			}
			input = append(input, a.Title, a.Description, a.URL)
		}
	case "":
		return nil, wecomErr(wecomInvalidMsgType, CodeMissingField, "invalid message type, hint: 缺少 msgtype (missing msgtype)")
	default:
		return nil, wecomErr(wecomInvalidMsgType, CodeInvalidField,
			"invalid message type, hint: 支持 text、markdown、image、news (supported: text, markdown, image, news)")
	}
	if n := inputRunes(input...); n > MaxRobotInputRunes {
		return nil, wecomErr(wecomTooLong, CodeTextTooLong, fmt.Sprintf(
			"%s.content exceed max length %d, hint: 消息过长：%d 字，最多 %d 字 (text is %d characters, limit %d)", msg.MsgType, MaxRobotInputRunes, n, MaxRobotInputRunes, n, MaxRobotInputRunes))
	}
	return &msg, nil
}

// renderWeCom turns a text, markdown or news message into the text that is
// posted, mentions resolved; it is masked afterwards.
func renderWeCom(tx qunzhu.Tx, groupID int64, msg *WeComMessage) (string, error) {
	done := map[string]bool{}
	switch msg.MsgType {
	case "text":
		text, err := inlineWeCom(tx, groupID, msg.Text.Content, done)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(text) == "" {
			return "", nil // only mentions of nobody here: empty, whoever else is listed
		}
		r, err := mentions{idKind: qunzhu.ContactWeCom, ids: msg.Text.MentionedList, mobiles: msg.Text.MentionedMobileList}.resolve(tx, groupID)
		if err != nil {
			return "", err
		}
		return r.apply(text, done), nil
	case "markdown":
		text, err := inlineWeCom(tx, groupID, msg.Markdown.Content, done)
		if err != nil {
			return "", err
		}
		return plainMarkdown(text), nil
	case "news":
		var b strings.Builder
		for i, a := range msg.News.Articles {
			if i > 0 {
				b.WriteString("\n\n")
			}
			if len(msg.News.Articles) > 1 {
				fmt.Fprintf(&b, "%d. ", i+1)
			}
			b.WriteString(strings.TrimSpace(a.Title))
			if d := strings.TrimSpace(a.Description); d != "" {
				b.WriteString("\n" + d)
			}
			b.WriteString("\n" + strings.TrimSpace(a.URL))
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("wecom: unchecked msgtype %q", msg.MsgType)
}

// decodeWeComImage checks the picture the way WeCom does: valid base64, the
// md5 of the decoded bytes as sent, a JPG or PNG, at most 2 MB.
func decodeWeComImage(img *WeComImage) ([]byte, error) {
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(img.Base64))
	if err != nil {
		return nil, wecomErr(wecomInvalidParameter, CodeInvalidField, "invalid parameter, hint: image.base64 不是合法的 base64 (bad base64)")
	}
	if len(data) == 0 || len(data) > wecomMaxImageBytes {
		return nil, wecomErr(wecomInvalidImageSize, CodeInvalidField, "invalid image size, hint: 图片须在 2MB 以内 (image must be at most 2 MB)")
	}
	sum := md5.Sum(data)
	if !strings.EqualFold(hex.EncodeToString(sum[:]), strings.TrimSpace(img.MD5)) {
		return nil, wecomErr(wecomInvalidParameter, CodeInvalidField, "invalid parameter, hint: image.md5 与图片内容不符 (md5 does not match the image)")
	}
	switch http.DetectContentType(data) {
	case "image/jpeg", "image/png":
	default:
		return nil, wecomErr(wecomInvalidParameter, CodeInvalidField, "invalid parameter, hint: 只支持 JPG、PNG 图片 (only JPG and PNG)")
	}
	return data, nil
}

// robotGroup is the registered group a WeCom or DingTalk compatible source
// posts to.
func (s *server) robotGroup(tx qunzhu.Tx, src Source) (*qunzhu.Group, error) {
	g, err := findGroup(tx, strings.TrimSpace(src.Group))
	if err != nil {
		return nil, err
	}
	if !src.allows(g) {
		return nil, qunzhu.Errorf(CodeGroupNotAllowed, "来源 %s 无权向群「%s」发送消息 (source may not post to this group)", src.Name, g.Name)
	}
	return g, nil
}
