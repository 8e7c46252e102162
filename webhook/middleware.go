package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// Keys under which handlers leave facts for the request log in the gin context.
const (
	ctxKeySource    = "qunzhu.source"     // name of a configured source, set once recognised
	ctxKeyErrorCode = "qunzhu.error_code" // wire error code of a refused request
)

// intakeRoutes are the routes other systems post messages to: the ones the
// metrics count as webhook requests.
var intakeRoutes = map[string]bool{
	"/api/v1/messages":            true,
	"/api/v1/hotline/tickets":     true,
	"/api/v1/alertmanager/:route": true,
	"/cgi-bin/webhook/send":       true,
	"/robot/send":                 true,
}

// logRequests writes one line per request: method, path, status, duration and,
// when the request named a configured source, that source. It never logs headers,
// query strings or bodies: they carry signatures and citizens' data. Probes are
// logged at debug level because orchestrators call them every few seconds.
func (s *server) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()

		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status >= http.StatusInternalServerError:
			level = slog.LevelError
		case status >= http.StatusBadRequest, c.GetString(ctxKeyErrorCode) != "":
			// A robot-compatible refusal is a 200 carrying an errcode.
			level = slog.LevelWarn
		case c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/readyz":
			level = slog.LevelDebug
		}
		// At the default level (warn) an accepted request is not logged:
		// build the line only when it will be written.
		if ctx := c.Request.Context(); s.logger.Enabled(ctx, level) {
			attrs := []slog.Attr{
				slog.String("method", c.Request.Method),
				slog.String("path", c.Request.URL.Path),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
			}
			if src := c.GetString(ctxKeySource); src != "" {
				attrs = append(attrs, slog.String("source", src))
			}
			if code := c.GetString(ctxKeyErrorCode); code != "" {
				attrs = append(attrs, slog.String("error_code", code))
			}
			s.logger.LogAttrs(ctx, level, "webhook: request", attrs...)
		}
		if s.onRequest != nil && intakeRoutes[c.FullPath()] {
			s.onRequest(c.GetString(ctxKeySource), status)
		}
	}
}

// recoverPanics turns a panic in a handler into a logged 500 with the usual JSON
// error body, instead of gin's default recovery, which prints the request headers
// (and so the signature) to stderr.
func (s *server) recoverPanics() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				// The net/http way to abort a response; let it through.
				panic(v)
			}
			s.logger.Error("webhook: panic serving request",
				slog.String("method", c.Request.Method),
				slog.String("path", c.Request.URL.Path),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			c.Set(ctxKeyErrorCode, CodeInternal)
			c.AbortWithStatusJSON(http.StatusInternalServerError,
				errorBody{Error: errorDetail{Code: CodeInternal, Message: internalMessage}})
		}()
		c.Next()
	}
}
