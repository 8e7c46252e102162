package webhook

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// demoClockRequest asks to move the demo's clock forward, e.g. {"advance":"25h"}.
type demoClockRequest struct {
	Advance string `json:"advance"`
}

// demoClockResponse tells the demo clock's time.
type demoClockResponse struct {
	Now    string `json:"now"`
	Offset string `json:"offset"`
}

// handleDemoClock shows (GET) or advances (POST) the demo clock. The clock only
// moves forward: going back would make "exactly once" ladder steps ambiguous.
func (s *server) handleDemoClock(c *gin.Context) {
	if c.Request.Method == http.MethodPost {
		var req demoClockRequest
		if err := c.ShouldBindJSON(&req); err != nil {
			s.writeError(c, qunzhu.Errorf(CodeBadJSON, "请求体不是合法的 JSON (malformed JSON)"))
			return
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d <= 0 {
			s.writeError(c, qunzhu.Errorf(CodeInvalidField, "advance 必须是正的时长，如 25h (advance must be a positive duration like 25h)"))
			return
		}
		// What was accepted before the jump happened before it: apply the
		// journal first, so a hotline ticket posted just before "advance 31s"
		// has its digest due at its own time, not 30 s after the jump.
		if err := (&Applier{s: s}).Drain(c.Request.Context()); err != nil {
			s.writeError(c, err)
			return
		}
		s.demoClock.Advance(d)
		if s.onClockAdvance != nil {
			s.onClockAdvance()
		}
	}
	now := s.demoClock.Now()
	c.JSON(http.StatusOK, demoClockResponse{Now: now.Format(time.RFC3339), Offset: time.Until(now).Round(time.Second).String()})
}
