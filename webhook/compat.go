package webhook

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// robotAnswer is the answer shape of the WeCom and DingTalk group robots,
// for success ({"errcode":0,"errmsg":"ok"}) and for errors alike, so a sender
// written against them reads ours unchanged.
type robotAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// robotOK is the success answer of both robots.
var robotOK = robotAnswer{ErrCode: 0, ErrMsg: "ok"}

// robotError is a refusal in a robot's shape: the original's errcode and
// errmsg. Like the originals, it is answered with HTTP 200: senders written
// against WeCom and DingTalk read errcode from a 200 (an axios-based sender
// throws on a 4xx before it looks at the body).
type robotError struct {
	errcode int
	errmsg  string
	code    string // our wire code, for the request log
}

func (e *robotError) Error() string { return e.errmsg }

// writeRobot answers a compatible robot's request: robotOK for nil, the
// original's error shape with HTTP 200 for a *robotError, and the original's
// "system busy" (-1) for anything else, which is logged as ours. That one
// alone keeps a 5xx status: the message was not stored, and a sender that
// retries on a 5xx should retry (see README, where we differ).
func (s *server) writeRobot(c *gin.Context, err error) {
	var re *robotError
	switch {
	case err == nil:
		c.JSON(http.StatusOK, robotOK)
		return
	case errors.As(err, &re):
		c.Set(ctxKeyErrorCode, re.code)
		c.AbortWithStatusJSON(http.StatusOK, robotAnswer{ErrCode: re.errcode, ErrMsg: re.errmsg})
		return
	case qunzhu.ErrorCode(err) == qunzhu.EUNAVAILABLE:
		// The store cannot take the message (its files changed under it, the
		// disk is read-only): a 503 with Retry-After, so senders try again
		// later instead of taking a 200 for a message nobody kept.
		setRetryAfter(c, unavailableRetry)
		c.Set(ctxKeyErrorCode, CodeUnavailable)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, robotAnswer{ErrCode: -1, ErrMsg: "system busy, " + unavailableMessage})
		return
	}
	s.logger.Error("webhook: internal error",
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.String("source", c.GetString(ctxKeySource)),
		slog.String("error", err.Error()))
	c.Set(ctxKeyErrorCode, CodeInternal)
	c.AbortWithStatusJSON(http.StatusInternalServerError, robotAnswer{ErrCode: -1, ErrMsg: "system busy, " + internalMessage})
}

// asRobot turns one of our *qunzhu.Error values (from the store or a shared
// check) into the robot's shape with errcode, keeping our message as a hint.
func asRobot(err error, errcode int, errmsg string) error {
	var qe *qunzhu.Error
	if !errors.As(err, &qe) || qe.Code == qunzhu.EINTERNAL || qe.Code == qunzhu.EUNAVAILABLE {
		return err // writeRobot answers these with a 5xx, not an errcode
	}
	return &robotError{errcode: errcode, errmsg: errmsg + ", hint: " + qe.Message, code: qe.Code}
}

// inputRunes counts the characters of a message's text fields, the bound
// checked before anything renders or masks them.
func inputRunes(fields ...string) int {
	n := 0
	for _, f := range fields {
		n += utf8.RuneCountInString(f)
	}
	return n
}

// mask hides citizens' numbers in text with the configured masker.
func (s *server) mask(text string) string { return s.masker.Mask(text) }

// checkRobotContentType accepts what the robots' own senders send. The WeCom
// robot reads any body as JSON, and its documented Python examples post with
// Content-Type text/plain, and curl -d sends a form type: refusing those would
// break senders that work today. What is clearly not JSON text (multipart
// uploads, images) and any charset but UTF-8 is refused.
func checkRobotContentType(header string, strict bool) error {
	if header == "" {
		if strict {
			return qunzhu.Errorf(CodeUnsupportedMediaType, "请求头 Content-Type 必须是 application/json (Content-Type must be application/json)")
		}
		return nil
	}
	mt, params, err := mime.ParseMediaType(header)
	if err != nil {
		return qunzhu.Errorf(CodeUnsupportedMediaType, "请求头 Content-Type 无法解析 (malformed Content-Type)")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return qunzhu.Errorf(CodeUnsupportedMediaType, "只接受 UTF-8 编码 (only charset=utf-8 is accepted)")
	}
	switch {
	case mt == "application/json", strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
		return nil
	case !strict && (mt == "text/plain" || mt == "application/x-www-form-urlencoded"):
		return nil
	}
	return qunzhu.Errorf(CodeUnsupportedMediaType, "请求头 Content-Type 必须是 application/json (Content-Type must be application/json)")
}
