package webhook

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// Wire error codes. They are the "code" of every error body, so the systems that
// post to us can switch on them; they are more precise than the root qunzhu codes
// (which may also reach the wire, e.g. "conflict"), and each maps to one status in
// statusOf below. The errors themselves are *qunzhu.Error values carrying these
// codes, so the whole repo has one error type.
const (
	CodeBadJSON              = "bad_json"               // 400: body is not one JSON object of the right shape
	CodeMissingField         = "missing_field"          // 400: a required field is absent or blank; the message names it
	CodeInvalidField         = "invalid_field"          // 400: a field is present but unusable; the message names it
	CodeTextTooLong          = "text_too_long"          // 400: text over MaxTextRunes; WeChat would cut it
	CodeUnknownGroup         = "unknown_group"          // 404: no registered group has this name or id
	CodeGroupNotAllowed      = "group_not_allowed"      // 403: the source may not post to this group
	CodeUnknownSource        = "unknown_source"         // 401: X-Qunzhu-Source absent or not configured
	CodeBadSignature         = "bad_signature"          // 401: X-Qunzhu-Signature absent, malformed or wrong
	CodeStaleTimestamp       = "stale_timestamp"        // 401: X-Qunzhu-Timestamp absent, malformed or outside the window
	CodeBodyTooLarge         = "body_too_large"         // 413: body over MaxBodyBytes
	CodeUnsupportedMediaType = "unsupported_media_type" // 415: Content-Type is not application/json
	CodeUnknownUnit          = "unknown_unit"           // 404: no hotline route for the ticket's unit (and district)
	CodeUnknownRoute         = "unknown_route"          // 404: no Alertmanager route of that name
	CodeWrongEndpoint        = "wrong_endpoint"         // 403: the source's kind belongs to another endpoint
	CodeBadToken             = "bad_token"              // 401: bearer token absent or not configured
	CodeTooManyRequests      = "too_many_requests"      // 429: over the source's rate limit (same string as qunzhu.ETOOMANY)
	CodeNotFound             = "not_found"              // 404: no such route (same string as qunzhu.ENOTFOUND)
	CodeMethodNotAllowed     = "method_not_allowed"     // 405: route exists, method does not
	CodeInternal             = "internal"               // 500: our fault; logged, message generic (qunzhu.EINTERNAL)
	CodeUnavailable          = "unavailable"            // 503: the store cannot keep what it would accept; Retry-After (qunzhu.EUNAVAILABLE)
)

// unavailableMessage is the message of every 503: the reason (which file
// changed, which disk failed) is in the store's log and in /readyz.
const unavailableMessage = "服务暂时不能接收，请稍后重试 (service unavailable, retry later)"

// unavailableRetry is the Retry-After of a 503. The store stays unavailable
// until an operator restarts it, so a sender that retries sooner gains nothing.
const unavailableRetry = 30 * time.Second

// internalMessage is the only message a 5xx ever shows: internals (SQL, paths)
// stay in the log.
const internalMessage = "系统内部错误，请稍后再试 (internal error, please retry later)"

// statusOf is the one place where error codes become HTTP statuses. Unknown codes
// are treated as internal so that a new code deeper down fails loudly (500, logged)
// instead of slipping through as a misleading 4xx.
func statusOf(code string) int {
	switch code {
	case CodeBadJSON, CodeMissingField, CodeInvalidField, CodeTextTooLong, qunzhu.EINVALID:
		return http.StatusBadRequest
	case CodeUnknownSource, CodeBadSignature, CodeStaleTimestamp, CodeBadToken, qunzhu.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case CodeGroupNotAllowed, CodeWrongEndpoint, qunzhu.EFORBIDDEN:
		return http.StatusForbidden
	case CodeUnknownGroup, CodeUnknownUnit, CodeUnknownRoute, CodeNotFound: // CodeNotFound == qunzhu.ENOTFOUND
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case qunzhu.ECONFLICT:
		return http.StatusConflict
	case CodeBodyTooLarge, qunzhu.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case CodeTooManyRequests: // == qunzhu.ETOOMANY
		return http.StatusTooManyRequests
	case CodeUnavailable: // == qunzhu.EUNAVAILABLE
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every error answer:
// {"error":{"code":"bad_signature","message":"签名错误 (bad signature)"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers the request with err and stops the handler chain. Only
// internal errors are logged (they are our fault and carry detail the client must
// not see); client errors are visible in the request log line by their status.
// Messages of *qunzhu.Error are written by this package and never hold secrets.
func (s *server) writeError(c *gin.Context, err error) {
	code := qunzhu.ErrorCode(err)
	status := statusOf(code)
	msg := qunzhu.ErrorMessage(err)
	if status == http.StatusServiceUnavailable {
		// Not our bug and already logged once by the store: say when to come back.
		setRetryAfter(c, unavailableRetry)
		msg = unavailableMessage
	} else if status >= http.StatusInternalServerError {
		s.logger.Error("webhook: internal error",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("source", c.GetString(ctxKeySource)),
			slog.String("error", err.Error()))
		code, msg = CodeInternal, internalMessage
	}
	c.Set(ctxKeyErrorCode, code)
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// notFound answers routes gin does not know with our JSON error shape, so clients
// that parse every error body never meet gin's plain-text 404.
func (s *server) notFound(c *gin.Context) {
	s.writeError(c, qunzhu.Errorf(CodeNotFound, "没有这个接口 (no such endpoint): %s %s",
		c.Request.Method, c.Request.URL.Path))
}

// methodNotAllowed is notFound's sibling for a known path with the wrong method.
func (s *server) methodNotAllowed(c *gin.Context) {
	s.writeError(c, qunzhu.Errorf(CodeMethodNotAllowed, "不支持的请求方法 (method not allowed): %s %s",
		c.Request.Method, c.Request.URL.Path))
}
