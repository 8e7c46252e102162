package webhook

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// handleMetrics serves Prometheus after checking the bearer token (the way
// Prometheus' scrape_config authorization sends it) or ?token= in constant
// time.
func (s *server) handleMetrics(c *gin.Context) {
	got := c.Query("token")
	if h := c.GetHeader("Authorization"); h != "" {
		got, _ = strings.CutPrefix(h, "Bearer ")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
		c.Set(ctxKeyErrorCode, CodeBadSignature)
		c.Header("WWW-Authenticate", `Bearer realm="qunzhu metrics"`)
		c.String(http.StatusUnauthorized, "需要正确的令牌。(wrong or missing bearer token)\n")
		return
	}
	c.Header("Cache-Control", "no-store")
	s.metrics.ServeHTTP(c.Writer, c.Request)
}
