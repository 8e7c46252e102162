package wxemu

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
)

// syncKey is the protocol's SyncKey. The emulator puts the highest message seq the
// client has received in every key, so the key the client echoes acknowledges
// delivery, and a key saved by hot login or carried into a push login stays valid.
type syncKey struct {
	Count int
	List  []syncKeyItem
}

type syncKeyItem struct{ Key, Val int64 }

func newSyncKey(cursor int64) syncKey {
	return syncKey{Count: 2, List: []syncKeyItem{{Key: 1, Val: cursor}, {Key: 2, Val: cursor}}}
}

// cursor returns what the client acknowledged, or -1 if the key says nothing.
func (k syncKey) cursor() int64 {
	for _, it := range k.List {
		if it.Key == 1 {
			return it.Val
		}
	}
	return -1
}

// parseSyncKeyParam reads synccheck's "1_105|2_105" form of the key.
func parseSyncKeyParam(v string) syncKey {
	var k syncKey
	for _, part := range strings.Split(v, "|") {
		key, val, ok := strings.Cut(part, "_")
		if !ok {
			continue
		}
		ki, err1 := strconv.ParseInt(key, 10, 64)
		vi, err2 := strconv.ParseInt(val, 10, 64)
		if err1 == nil && err2 == nil {
			k.List = append(k.List, syncKeyItem{Key: ki, Val: vi})
		}
	}
	k.Count = len(k.List)
	return k
}

// newerLocked tells whether the session holds messages the client has not received.
func (ss *session) newerLocked(cursor int64) bool {
	return len(ss.inbox) > 0 && ss.inbox[len(ss.inbox)-1].seq > cursor
}

// ackLocked forgets messages up to cursor: the client has them.
func (ss *session) ackLocked(cursor int64) {
	if cursor <= ss.acked {
		return
	}
	ss.acked = cursor
	i := 0
	for i < len(ss.inbox) && ss.inbox[i].seq <= cursor {
		i++
	}
	ss.inbox = ss.inbox[i:]
}

// handleSyncCheck is the receiving long poll: selector 2 as soon as messages wait,
// selector 0 only after LongPoll, and the retcode of a session ended by the server
// (1101 expired or unknown sid, 1102 banned) at once.
//
// After the client's own webwxlogout it answers 1100 only at the end of the long
// poll: openwechat stops polling by itself after Logout, and an immediate answer
// makes its sync loop cancel the Logout request still in flight (Logout then fails
// and the bot stops with 1100 instead of ErrUserLogout). A logout from the phone is
// Ban (1102), answered at once.
func (s *Server) handleSyncCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sid, cursor := q.Get("sid"), parseSyncKeyParam(q.Get("synckey")).cursor()
	retcode, selector := "0", "0"
	out := s.await(r.Context(), s.longPoll, func() bool {
		sess := s.sess
		switch {
		case sess == nil || sess.sid != sid:
			retcode = "1101"
		case sess.state == sessionLoggedOut:
			retcode = sess.state.retcode()
			return false
		case sess.state != sessionActive:
			retcode = sess.state.retcode()
		case sess.newerLocked(cursor):
			selector = "2"
		default:
			return false
		}
		return true
	})
	switch out {
	case outReady, outTimeout:
		writeText(w, "text/javascript", fmt.Sprintf(`window.synccheck={retcode:"%s",selector:"%s"}`, retcode, selector))
	case outShutdown:
		http.Error(w, "wxemu: closed", http.StatusServiceUnavailable)
	}
}

// wireMessage is one AddMsgList entry. MsgId is a string: openwechat drops the
// whole batch if it is a number.
type wireMessage struct {
	MsgId         string
	NewMsgId      int64
	FromUserName  string
	ToUserName    string
	MsgType       int
	Content       string
	Status        int
	ImgStatus     int
	CreateTime    int64
	Url           string
	FileName      string
	FileSize      string
	MediaId       string
	AppMsgType    int
	ImgHeight     int
	ImgWidth      int
	SubMsgType    int
	EncryFileName string
}

// handleSync is webwxsync: it returns the messages after the client's SyncKey and a
// SyncKey acknowledging them. It always returns a SyncKey, even on errors, because
// openwechat dereferences it unchecked.
func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		SyncKey     syncKey
	}
	type answer struct {
		BaseResponse baseResponse
		AddMsgCount  int
		AddMsgList   []wireMessage
		// The lists a group bot does not use are sent empty, as the server does.
		ModContactCount        int
		ModContactList         []wireUser
		DelContactCount        int
		DelContactList         []wireUser
		ModChatRoomMemberCount int
		ModChatRoomMemberList  []wireUser
		ContinueFlag           int
		SyncKey                syncKey
		SyncCheckKey           syncKey
		SKey                   string
	}
	ans := answer{AddMsgList: []wireMessage{}, ModContactList: []wireUser{}, DelContactList: []wireUser{}, ModChatRoomMemberList: []wireUser{}, SyncKey: syncKey{List: []syncKeyItem{}}}
	if err := readJSON(w, r, &req); err != nil {
		ans.BaseResponse = baseResponse{Ret: 1, ErrMsg: "bad request: " + err.Error()}
		writeJSON(w, http.StatusOK, ans)
		return
	}
	s.mu.Lock()
	sess := s.liveLocked(req.BaseRequest.Sid)
	if sess == nil {
		s.mu.Unlock()
		ans.BaseResponse.Ret = 1101
		writeJSON(w, http.StatusOK, ans)
		return
	}
	cursor := req.SyncKey.cursor()
	if cursor < 0 {
		cursor = sess.acked
	}
	sess.ackLocked(cursor)
	cursor = max(cursor, sess.acked)
	for _, e := range sess.inbox {
		if e.seq > cursor {
			ans.AddMsgList = append(ans.AddMsgList, s.renderLocked(sess, e))
			cursor = e.seq
		}
	}
	ans.SKey = sess.skey
	s.mu.Unlock()

	ans.AddMsgCount = len(ans.AddMsgList)
	ans.SyncKey = newSyncKey(cursor)
	ans.SyncCheckKey = ans.SyncKey
	writeJSON(w, http.StatusOK, ans)
}

// renderLocked turns a member's message into what the client receives: from the
// group, to the bot, with the sender's UserName of this login before ":<br/>" and the
// text HTML-escaped with newlines as <br/>.
func (s *Server) renderLocked(sess *session, e *entry) wireMessage {
	r := sess.roster
	if e.group == nil {
		return s.renderPrivateLocked(sess, e)
	}
	m := wireMessage{
		MsgId:        e.msgIDString(),
		NewMsgId:     e.msgID,
		FromUserName: r.group(e.group),
		ToUserName:   r.person(s.self),
		MsgType:      1,
		Status:       3,
		ImgStatus:    1,
		CreateTime:   e.at.Unix(),
	}
	body := e.text
	if e.isImage() {
		m.MsgType, m.ImgStatus = 3, 2
		body = fmt.Sprintf("<?xml version=\"1.0\"?>\n<msg><img md5=\"%s\" length=\"%d\" /></msg>", e.md5, len(e.image))
	}
	if e.link != nil {
		m.MsgType, m.AppMsgType, m.Url, m.FileName = 49, 5, e.link.URL, e.link.Title
		body = e.link.appMsgXML()
	}
	if e.quote != nil {
		m.MsgType, m.AppMsgType = 49, 57
		body = quoteXML(e.text, e.quote, r.person(e.quote.from))
	}
	if e.system {
		// WeChat's own notices come from the group with no sender prefix.
		m.MsgType, m.Content = 10000, html.EscapeString(body)
		return m
	}
	m.Content = r.person(e.from) + ":<br/>" + strings.ReplaceAll(html.EscapeString(body), "\n", "<br/>")
	return m
}

// handleGetMsgImg serves the picture of an image message by MsgID.
func (s *Server) handleGetMsgImg(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	var img []byte
	if s.liveBySkeyLocked(q.Get("skey")) != nil {
		if e := s.images[q.Get("MsgID")]; e != nil {
			img = e.image
		}
	}
	s.mu.Unlock()
	if img == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(img))
	w.Header().Set("Content-Length", strconv.Itoa(len(img)))
	_, _ = w.Write(img)
}
