package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// MessageRequest is the body of POST /api/v1/messages. It is exported so Go
// senders and the end-to-end test build exactly what the server reads.
type MessageRequest struct {
	// Group is a registered group's name or our numeric id. A JSON number is
	// accepted too, because senders that store ids as numbers send them so.
	Group GroupRef `json:"group"`
	// Text is posted as is; at most MaxTextRunes characters.
	Text string `json:"text"`
	// DedupKey, when set, makes retries safe: a second request from the same
	// source with the same key is answered "duplicate" and not posted again.
	DedupKey string `json:"dedup_key,omitempty"`
}

// GroupRef is a group name or id as the sender wrote it, string or number.
type GroupRef string

// UnmarshalJSON accepts "name", "12" and 12.
func (g *GroupRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*g = GroupRef(s)
		return nil
	}
	if string(b) == "null" {
		*g = ""
		return nil
	}
	if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
		return errors.New("group must be a string (name) or an integer (id)")
	}
	*g = GroupRef(b)
	return nil
}

// MessageResponse is the body of a 202 (queued) or 200 (duplicate) answer. ID is
// the outbox row, the same for a duplicate as for the original, so a sender can
// correlate its retries.
type MessageResponse struct {
	ID     int64  `json:"id"`
	Status string `json:"status"` // "queued" or "duplicate"
}

// Message statuses in MessageResponse.
const (
	StatusQueued    = "queued"
	StatusDuplicate = "duplicate"
)

// handleMessage queues one text for a group, with citizens' numbers masked.
// Checks go from cheapest to dearest and nothing is parsed before it is
// authenticated: media type, size (reading the whole body, capped), source,
// timestamp, signature over the complete body, rate, then JSON, fields and
// the group on a read snapshot. Only then is the message written, with one
// insert into the intake journal (journal.go) that also reserves its outbox
// id; the answer comes after that insert is on disk. Any refusal returns
// before it, so a 4xx never changes the store.
func (s *server) handleMessage(c *gin.Context) {
	src, ts, body, ok := s.admitSigned(c, KindMessage)
	if !ok {
		return
	}

	req, err := parseMessage(body)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	g, err := s.findGroupCached(ctx, string(req.Group))
	if err == nil && !src.allows(g) {
		err = qunzhu.Errorf(CodeGroupNotAllowed, "来源 %s 无权向群「%s」发送消息 (source may not post to this group)", src.Name, g.Name)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	payload, err := json.Marshal(messagePayload{GroupID: g.ID, Text: s.mask(req.Text), DedupKey: req.DedupKey})
	if err != nil {
		s.writeError(c, err)
		return
	}
	e := &qunzhu.IntakeEntry{
		Source: src.Name, Kind: intakeMessage, Key: messageKey(src.Name, ts, body, req.DedupKey),
		Payload: payload, ReserveOutbox: true,
	}
	dup, err := s.store.Accept(ctx, e)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if dup {
		MessageResponse{ID: e.OutboxID, Status: StatusDuplicate}.write(c, http.StatusOK)
		return
	}
	MessageResponse{ID: e.OutboxID, Status: StatusQueued}.write(c, http.StatusAccepted)
}

// write answers with r as c.JSON would, without encoding/json's reflection:
// an answer is written for every accepted request. Status is one of the
// constants above, which need no escaping.
func (r MessageResponse) write(c *gin.Context, code int) {
	b := make([]byte, 0, 48)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.ID, 10)
	b = append(b, `,"status":"`...)
	b = append(b, r.Status...)
	b = append(b, `"}`...)
	c.Data(code, jsonContentType, b)
}

// jsonContentType is what gin's c.JSON sends.
const jsonContentType = "application/json; charset=utf-8"

// checkContentType insists on JSON, so a form post or a text/plain curl is told
// what is wrong instead of failing later as "bad JSON". Only UTF-8 is accepted,
// as RFC 8259 requires of JSON between systems.
func checkContentType(header string) error {
	switch header {
	case "application/json", "application/json; charset=utf-8", "application/json; charset=UTF-8":
		return nil // what nearly every sender sends, without parsing it
	}
	const want = "请求头 Content-Type 必须是 application/json (Content-Type must be application/json)"
	mt, params, err := mime.ParseMediaType(header)
	if err != nil {
		return qunzhu.Errorf(CodeUnsupportedMediaType, want)
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return qunzhu.Errorf(CodeUnsupportedMediaType, want)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return qunzhu.Errorf(CodeUnsupportedMediaType, "只接受 UTF-8 编码 (only charset=utf-8 is accepted)")
	}
	return nil
}

// readBody reads the complete body, at most MaxBodyBytes. The signature is only
// ever checked on a complete body, never on a truncated one.
func readBody(c *gin.Context) ([]byte, error) {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	body, err := io.ReadAll(r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, qunzhu.Errorf(CodeBodyTooLarge, "请求体超过 %d 字节 (body larger than %d bytes)", MaxBodyBytes, MaxBodyBytes)
	case err != nil:
		// The client went away or sent a broken body; it is their side.
		return nil, qunzhu.Errorf(CodeBadJSON, "无法读取请求体 (could not read request body)")
	}
	return body, nil
}

// parseMessage decodes and validates an authenticated body.
func parseMessage(body []byte) (*MessageRequest, error) {
	var req MessageRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, qunzhu.Errorf(CodeBadJSON, "请求体不是合法的 JSON 对象 (bad JSON: %s)", jsonProblem(err))
	}
	req.Group = GroupRef(strings.TrimSpace(string(req.Group)))
	switch {
	case req.Group == "":
		return nil, qunzhu.Errorf(CodeMissingField, "缺少字段 group (missing field: group)")
	case strings.TrimSpace(req.Text) == "":
		return nil, qunzhu.Errorf(CodeMissingField, "缺少字段 text (missing field: text)")
	}
	if n := utf8.RuneCountInString(req.Text); n > MaxTextRunes {
		return nil, qunzhu.Errorf(CodeTextTooLong, "消息过长：%d 字，最多 %d 字 (text is %d characters, limit %d)", n, MaxTextRunes, n, MaxTextRunes)
	}
	if utf8.RuneCountInString(req.DedupKey) > MaxDedupKeyRunes {
		return nil, qunzhu.Errorf(CodeInvalidField, "字段 dedup_key 过长，最多 %d 字 (field dedup_key longer than %d characters)", MaxDedupKeyRunes, MaxDedupKeyRunes)
	}
	return &req, nil
}

// jsonProblem describes a decoding error without quoting the body back.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return "field " + typ.Field + " has the wrong type"
		}
		return "want a JSON object"
	}
	return err.Error()
}

// findGroup resolves a group reference: our id, "平台:群名", or a name unique
// across platforms (qunzhu.FindGroup). A number that is no id is tried as a
// name too, since a group may well be called "2024".
func findGroup(tx qunzhu.Tx, ref string) (*qunzhu.Group, error) {
	g, err := qunzhu.FindGroup(tx, ref)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return nil, qunzhu.Errorf(CodeUnknownGroup, "没有登记名为或编号为「%s」的群 (unknown group)", ref)
	}
	return g, err
}
