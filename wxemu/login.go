package wxemu

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// refusedMessage is what the real server says at webwxnewloginpage to clients that
// do not present the desktop (UOS) headers, i.e. openwechat in Normal mode.
const refusedMessage = "为了你的帐号安全，此微信号不能登录网页微信。你可以使用Windows微信或Mac微信在电脑端登录。"

// onePixelPNGBase64 is a 1×1 PNG: the scanning user's avatar in the 201 answer, and
// every head image.
const onePixelPNGBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

var onePixelPNG, _ = base64.StdEncoding.DecodeString(onePixelPNGBase64)

// handleJSLogin starts a QR login and hands out its uuid.
func (s *Server) handleJSLogin(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.startLoginLocked(false)
	s.mu.Unlock()
	writeText(w, "text/javascript", fmt.Sprintf(`window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, p.uuid))
}

// handleQRCode stands in for the QR image; nobody can scan it, so it says how to.
func (s *Server) handleQRCode(w http.ResponseWriter, r *http.Request) {
	writeText(w, "text/plain; charset=utf-8", fmt.Sprintf(
		"wxemu QR code for uuid %s: scan and confirm with POST /_emu/session {\"action\":\"scan\"} then {\"action\":\"confirm\"}\n",
		r.PathValue("uuid")))
}

// handleLoginPoll is the login long poll: 201 once after the scan, 200 with the
// redirect_uri after the confirmation, 400 for an expired or unknown uuid, and 408
// only after LongPoll has passed, because openwechat polls again at once.
func (s *Server) handleLoginPoll(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	var body string
	out := s.await(r.Context(), s.longPoll, func() bool {
		body = s.loginAnswerLocked(uuid)
		return body != ""
	})
	switch out {
	case outReady:
	case outTimeout:
		body = "window.code=408;"
	case outShutdown:
		http.Error(w, "wxemu: closed", http.StatusServiceUnavailable)
		return
	default:
		return
	}
	writeText(w, "text/javascript", body)
}

// loginAnswerLocked returns the poll's answer for uuid, or "" to keep holding.
func (s *Server) loginAnswerLocked(uuid string) string {
	p := s.pending
	if p == nil || p.uuid != uuid || p.step == stepExpired {
		return "window.code=400;"
	}
	switch p.step {
	case stepScanned:
		if !p.announced {
			p.announced = true
			return fmt.Sprintf("window.code=201;window.userAvatar = 'data:img/jpg;base64,%s';", onePixelPNGBase64)
		}
	case stepConfirmed:
		q := url.Values{"ticket": {p.ticket}, "uuid": {p.uuid}, "lang": {"zh_CN"}, "scan": {strconv.FormatInt(time.Now().Unix(), 10)}}
		return fmt.Sprintf("window.code=200;\nwindow.redirect_uri=\"https://%s%swebwxnewloginpage?%s\";", wxHost, cgiBin, q.Encode())
	}
	return ""
}

// loginPage is the XML webwxnewloginpage answers; the real root is <error> even on
// success.
type loginPage struct {
	XMLName     xml.Name `xml:"error"`
	Ret         int      `xml:"ret"`
	Message     string   `xml:"message"`
	SKey        string   `xml:"skey,omitempty"`
	WxSid       string   `xml:"wxsid,omitempty"`
	WxUin       int64    `xml:"wxuin,omitempty"`
	PassTicket  string   `xml:"pass_ticket,omitempty"`
	IsGrayScale int      `xml:"isgrayscale,omitempty"`
}

// handleNewLoginPage redeems a confirmed login's ticket: it starts a new session
// (ending any older one) and sets its cookies on the whole wx.qq.com domain.
func (s *Server) handleNewLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Header.Get("extspam") == "" {
		s.log.Warn("login refused: no desktop headers (openwechat must run in Desktop mode)")
		writeXML(w, loginPage{Ret: 1203, Message: refusedMessage})
		return
	}
	s.mu.Lock()
	p := s.pending
	if p == nil || p.step != stepConfirmed || p.ticket != q.Get("ticket") || p.uuid != q.Get("uuid") {
		s.mu.Unlock()
		writeXML(w, loginPage{Ret: 1, Message: "登录超时，请重新扫码"})
		return
	}
	if old := s.sess; old != nil && old.state == sessionActive {
		old.end(sessionLoggedOut)
	}
	sess := newSession(p.uuid, s.seq)
	s.sess, s.pending = sess, nil
	s.log.Info("session started", "uuid", p.uuid, "push", p.push)
	s.notifyLocked()
	page := loginPage{SKey: sess.skey, WxSid: sess.sid, WxUin: s.uin, PassTicket: sess.passTicket, IsGrayScale: 1}
	cookies := s.cookiesLocked(sess)
	s.mu.Unlock()
	setCookies(w, cookies)
	writeXML(w, page)
}

// cookiesLocked returns the session cookies with Domain=wx.qq.com, so that
// file.wx.qq.com (image upload) and webpush.wx.qq.com see them too.
func (s *Server) cookiesLocked(sess *session) []*http.Cookie {
	var cookies []*http.Cookie
	for _, c := range [][2]string{
		{"wxsid", sess.sid},
		{"wxuin", strconv.FormatInt(s.uin, 10)},
		{"webwx_data_ticket", sess.dataTicket},
		{"webwx_auth_ticket", sess.authTicket},
		{"wxloadtime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"mm_lang", "zh_CN"},
	} {
		cookies = append(cookies, &http.Cookie{Name: c[0], Value: c[1], Domain: wxHost, Path: "/"})
	}
	return cookies
}

func setCookies(w http.ResponseWriter, cookies []*http.Cookie) {
	for _, c := range cookies {
		http.SetCookie(w, c)
	}
}

func writeXML(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(b)
}

// pushLoginAnswer is webwxpushloginurl's JSON; ret is a string on the real server.
type pushLoginAnswer struct {
	Ret  string `json:"ret"`
	Msg  string `json:"msg"`
	UUID string `json:"uuid,omitempty"`
}

// handlePushLogin starts a login that the phone only has to confirm. It needs an
// account that logged in before and was not banned.
func (s *Server) handlePushLogin(w http.ResponseWriter, r *http.Request) {
	uin, _ := strconv.ParseInt(r.URL.Query().Get("uin"), 10, 64)
	s.mu.Lock()
	var ans pushLoginAnswer
	switch {
	case uin != s.uin:
		ans = pushLoginAnswer{Ret: "1", Msg: "uin invalid"}
	case s.sess == nil:
		ans = pushLoginAnswer{Ret: "1", Msg: "no previous login on this device"}
	case s.sess.state == sessionBanned:
		ans = pushLoginAnswer{Ret: "1", Msg: "account restricted"}
	default:
		ans = pushLoginAnswer{Ret: "0", Msg: "all ok", UUID: s.startLoginLocked(true).uuid}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

// handleInit is webwxinit: every successful call is a login (QR, push or hot) and
// hands out fresh UserNames. It re-sends the cookies with their domain because a
// hot-reloaded openwechat jar has lost it.
func (s *Server) handleInit(w http.ResponseWriter, r *http.Request) {
	var req struct{ BaseRequest baseRequest }
	if err := readJSON(w, r, &req); err != nil {
		writeJSON(w, http.StatusOK, baseOnly(1, "bad request: "+err.Error()))
		return
	}
	ans, cookies := s.webInit(req.BaseRequest.Sid)
	if ans == nil {
		writeJSON(w, http.StatusOK, baseOnly(1101, ""))
		return
	}
	setCookies(w, cookies)
	writeJSON(w, http.StatusOK, ans)
}

// initAnswer is webwxinit's JSON. User must not be null and SyncKey.Count must
// cover its List, or openwechat panics.
type initAnswer struct {
	BaseResponse        baseResponse
	Count               int
	ContactList         []wireUser
	SyncKey             syncKey
	User                wireUser
	ChatSet             string
	SKey                string
	ClientVersion       int
	SystemTime          int64
	GrayScale           int
	InviteStartCount    int
	MPSubscribeMsgCount int
	MPSubscribeMsgList  []struct{}
	ClickReportInterval int
}

// webInit logs the session sid in with a fresh roster: every login hands out new
// UserNames. It returns nil if sid is not a live session.
func (s *Server) webInit(sid string) (*initAnswer, []*http.Cookie) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.liveLocked(sid)
	if sess == nil {
		return nil, nil
	}
	sess.roster = newRoster()
	if s.pending != nil && s.pending.step != stepConfirmed {
		s.pending = nil // the account is in: a QR code still on display is moot
	}
	s.logins++
	s.log.Info("logged in", "logins", s.logins)
	s.notifyLocked()

	contacts := make([]wireUser, 0, len(s.groups))
	for _, g := range s.groups {
		contacts = append(contacts, s.groupContactLocked(sess, g, false))
	}
	return &initAnswer{
		Count:               len(contacts),
		ContactList:         contacts,
		SyncKey:             newSyncKey(sess.acked),
		User:                s.selfContactLocked(sess),
		SKey:                sess.skey,
		ClientVersion:       0x28000000,
		SystemTime:          time.Now().Unix(),
		GrayScale:           1,
		InviteStartCount:    40,
		MPSubscribeMsgList:  []struct{}{},
		ClickReportInterval: 600000,
	}, s.cookiesLocked(sess)
}

// handleStatusNotify acknowledges the "logged in on the web" notice and read marks.
func (s *Server) handleStatusNotify(w http.ResponseWriter, r *http.Request) {
	var req struct{ BaseRequest baseRequest }
	if err := readJSON(w, r, &req); err != nil {
		writeJSON(w, http.StatusOK, baseOnly(1, "bad request: "+err.Error()))
		return
	}
	s.mu.Lock()
	live := s.liveLocked(req.BaseRequest.Sid) != nil
	s.mu.Unlock()
	if !live {
		writeJSON(w, http.StatusOK, baseOnly(1101, ""))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		BaseResponse baseResponse
		MsgID        string
	}{MsgID: strconv.FormatInt(s.msgBase, 10)})
}

// handleLogout ends the session (synccheck then answers 1100). It always answers
// Ret 0, like the real server, which lets a client log out twice.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	skey := r.URL.Query().Get("skey")
	if skey == "" && r.Method == http.MethodPost {
		_ = r.ParseForm()
		skey = r.PostForm.Get("skey")
	}
	s.mu.Lock()
	if sess := s.liveBySkeyLocked(skey); sess != nil {
		sess.end(sessionLoggedOut)
		s.log.Info("logged out")
		s.notifyLocked()
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, baseOnly(0, ""))
}

// handleIcon serves every avatar as the same one-pixel PNG, so GetAvatar works.
func (s *Server) handleIcon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(onePixelPNG)))
	_, _ = w.Write(onePixelPNG)
}
