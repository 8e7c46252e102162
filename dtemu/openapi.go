package dtemu

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// tokenHeader is where the new-style OpenAPI takes the access token.
const tokenHeader = "x-acs-dingtalk-access-token"

// maxPicture bounds an uploaded picture (DingTalk: 20 MB for images).
const maxPicture = 20 << 20

// handleToken is 获取企业内部应用的accessToken.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidParameter", "请求体不是合法的 JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.AppKey != s.cfg.ClientID || req.AppSecret != s.cfg.ClientSecret {
		apiError(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
		return
	}
	tok := randomID(16)
	s.tokens[tok] = time.Now().Add(s.cfg.TokenTTL)
	s.stats.TokensIssued++
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": tok, "expireIn": int(s.cfg.TokenTTL.Seconds())})
}

// refuseLocked applies the injected 5xx and the rate limits to a robot send
// into g; it reports the refusal it wrote, if any. session picks the
// sessionWebhook's error shape (HTTP 200 with an errcode) over the OpenAPI's.
func (s *Server) refuseLocked(w http.ResponseWriter, g *group, session bool) bool {
	if s.faults.fail > 0 {
		s.faults.fail--
		s.stats.RefusedSends++
		apiError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "服务暂时不可用")
		return true
	}
	now := time.Now()
	recent := g.sends[:0]
	for _, t := range g.sends {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	g.sends = recent
	over := s.cfg.GroupLimit > 0 && len(recent) >= s.cfg.GroupLimit
	if s.faults.throttle > 0 || over {
		if s.faults.throttle > 0 {
			s.faults.throttle--
		}
		s.stats.RefusedSends++
		if session {
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
		} else {
			apiError(w, http.StatusForbidden, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "调用频率超过限制")
		}
		return true
	}
	g.sends = append(g.sends, now)
	return false
}

// robotMessage is what a send carries, as the history records it.
func robotMessage(msgKey string, param map[string]string) (Message, bool) {
	switch msgKey {
	case "sampleText", "text":
		return Message{Type: "text", Text: param["content"]}, param["content"] != ""
	case "sampleMarkdown", "markdown":
		return Message{Type: "markdown", Text: param["title"] + "\n" + param["text"]}, param["text"] != ""
	case "sampleImageMsg":
		return Message{Type: "picture", Text: param["photoURL"]}, param["photoURL"] != ""
	}
	return Message{}, false
}

// handleGroupSend is 机器人发送群聊消息 (groupMessages/send).
func (s *Server) handleGroupSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MsgParam           string `json:"msgParam"`
		MsgKey             string `json:"msgKey"`
		OpenConversationID string `json:"openConversationId"`
		RobotCode          string `json:"robotCode"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidParameter", "请求体不是合法的 JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.tokens[r.Header.Get(tokenHeader)]; !ok || time.Now().After(exp) {
		s.stats.RefusedSends++
		s.stats.ExpiredTokens++
		apiError(w, http.StatusBadRequest, "InvalidAuthentication", "不合法的access_token")
		return
	}
	if req.RobotCode != s.cfg.ClientID {
		apiError(w, http.StatusBadRequest, "invalidParameter.robotCode.notExist", "robotCode 不存在")
		return
	}
	g := s.byChat[req.OpenConversationID]
	if g == nil {
		apiError(w, http.StatusBadRequest, "invalidParameter.openConversationId.invalid", "机器人不在该群中")
		return
	}
	var param map[string]string
	if len(req.MsgParam) > 15000 || json.Unmarshal([]byte(req.MsgParam), &param) != nil {
		apiError(w, http.StatusBadRequest, "invalidParameter.msgParam.invalid", "msgParam 不合法")
		return
	}
	m, ok := robotMessage(req.MsgKey, param)
	if !ok {
		apiError(w, http.StatusBadRequest, "invalidParameter.msgKey.invalid", "msgKey 或 msgParam 不合法")
		return
	}
	if m.Type == "picture" {
		if pic, ok := s.media[param["photoURL"]]; ok {
			sum := md5.Sum(pic)
			m.Text, m.ImageMD5 = "", hex.EncodeToString(sum[:])
		}
	}
	if s.refuseLocked(w, g, false) {
		return
	}
	m.From, m.Bot, m.Via, m.At = s.cfg.BotName, true, "openapi", time.Now()
	s.appendLocked(g, m)
	s.stats.GroupSends++
	writeJSON(w, http.StatusOK, map[string]string{"processQueryKey": randomID(12)})
}

// handleSessionSend is a message's sessionWebhook: no token, valid until the
// message's sessionWebhookExpiredTime, real @ through at.atUserIds.
func (s *Server) handleSessionSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MsgType  string            `json:"msgtype"`
		Text     map[string]string `json:"text"`
		Markdown map[string]string `json:"markdown"`
		At       struct {
			AtUserIDs []string `json:"atUserIds"`
		} `json:"at"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 400002, "errmsg": "JSON 格式错误"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[r.URL.Query().Get("session")]
	if sess == nil || sess.dead || time.Now().After(sess.expires) {
		s.stats.RefusedSends++
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 300001, "errmsg": "session 不存在"})
		return
	}
	param := req.Text
	if req.MsgType == "markdown" {
		param = req.Markdown
	}
	m, ok := robotMessage(req.MsgType, param)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 400105, "errmsg": "不支持的消息类型"})
		return
	}
	if s.refuseLocked(w, sess.group, true) {
		return
	}
	m.From, m.Bot, m.Via, m.At, m.AtUserIDs = s.cfg.BotName, true, "session", time.Now(), req.At.AtUserIDs
	s.appendLocked(sess.group, m)
	s.stats.SessionSends++
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// handleDownload is 下载机器人接收消息的文件内容: a downloadCode becomes a URL.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DownloadCode string `json:"downloadCode"`
		RobotCode    string `json:"robotCode"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidParameter", "请求体不是合法的 JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.tokens[r.Header.Get(tokenHeader)]; !ok || time.Now().After(exp) {
		s.stats.ExpiredTokens++
		apiError(w, http.StatusBadRequest, "InvalidAuthentication", "不合法的access_token")
		return
	}
	if _, ok := s.files[req.DownloadCode]; !ok || req.RobotCode != s.cfg.ClientID {
		apiError(w, http.StatusBadRequest, "invalidParameter.downloadCode.invalid", "downloadCode 无效")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"downloadUrl": s.baseURL + "/files/" + req.DownloadCode})
}

// handleMediaUpload is the older API's media/upload: a picture in, a media
// id the group send takes as photoURL out. Errors come as errcodes with 200.
func (s *Server) handleMediaUpload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	exp, ok := s.tokens[r.URL.Query().Get("access_token")]
	if !ok || time.Now().After(exp) {
		s.stats.ExpiredTokens++
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 40014, "errmsg": "不合法的access_token"})
		return
	}
	s.mu.Unlock()
	r.Body = http.MaxBytesReader(w, r.Body, maxPicture)
	f, _, err := r.FormFile("media")
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 40004, "errmsg": "不合法的媒体文件"})
		return
	}
	defer f.Close()
	pic, err := io.ReadAll(f)
	if err != nil || len(pic) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 40004, "errmsg": "不合法的媒体文件"})
		return
	}
	id := "@lA" + randomID(12)
	s.mu.Lock()
	s.media[id] = pic
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "type": "image", "media_id": id,
		"created_at": time.Now().UnixMilli()})
}

// handleFile serves a picture a member sent.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b, ok := s.files[r.PathValue("code")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
