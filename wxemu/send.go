package wxemu

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Upload limits: openwechat sends 512 KB chunks and sends files over 25 MB through
// webwxcheckupload first, which the emulator does not offer.
const (
	maxChunkRequest = 2 << 20
	maxUpload       = 25 << 20
)

// retThrottled is the real server's answer to an account that sends too fast.
const retThrottled = 1205

// upload is a file arriving in chunks through webwxuploadmedia.
type upload struct {
	next int // the chunk expected next
	data bytes.Buffer
}

type sendKind int

const (
	kindText sendKind = iota
	kindImage
)

// handleSend is webwxsendmsg (text) and webwxsendmsgimg (image after an upload): it
// records the bot's message in the group addressed by a UserName of this login.
// Throttled sends answer 1205, sends to other logins' or unknown names -1, and
// neither is recorded.
func (s *Server) handleSend(kind sendKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			BaseRequest baseRequest
			Msg         struct {
				Type                              int
				Content, FromUserName, ToUserName string
				LocalID, ClientMsgId, MediaId     string
			}
		}
		if err := readJSON(w, r, &req); err != nil {
			writeJSON(w, http.StatusOK, baseOnly(1, "bad request: "+err.Error()))
			return
		}
		ret, msg, e := s.recordSend(kind, req.BaseRequest.Sid, req.Msg.FromUserName, req.Msg.ToUserName, req.Msg.Content, req.Msg.MediaId)
		if e == nil {
			writeJSON(w, http.StatusOK, baseOnly(ret, msg))
			return
		}
		writeJSON(w, http.StatusOK, struct {
			BaseResponse baseResponse
			MsgID        string
			LocalID      string
		}{MsgID: e.msgIDString(), LocalID: req.Msg.LocalID})
	}
}

// recordSend checks a send and records it; without an entry it returns the Ret and
// ErrMsg to answer.
func (s *Server) recordSend(kind sendKind, sid, from, to, content, mediaID string) (int, string, *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.liveLocked(sid)
	if sess == nil {
		return 1101, "", nil
	}
	if s.throttle > 0 {
		s.throttle--
		s.log.Info("send throttled", "left", s.throttle)
		s.notifyLocked()
		return retThrottled, "操作频繁", nil
	}
	if from != sess.roster.person(s.self) {
		s.log.Warn("send refused: FromUserName is not the bot of this login", "from", from)
		return -1, "FromUserName is not the logged-in account", nil
	}
	g := sess.roster.lookupGroup(to)
	var peer *person
	if g == nil {
		if peer = sess.roster.lookupPerson(to); peer == nil || !peer.friend || peer == s.self {
			s.log.Warn("send refused: ToUserName is neither a group nor a friend of this login", "to", to)
			return -1, "unknown ToUserName", nil
		}
	}
	var e *entry
	switch kind {
	case kindText:
		if content == "" {
			return 1, "empty Content", nil
		}
		e = s.appendToLocked(g, peer, content, nil)
	case kindImage:
		up := sess.media[mediaID]
		if up == nil {
			return 1, "unknown MediaId", nil
		}
		e = s.appendToLocked(g, peer, "", bytes.Clone(up.data.Bytes()))
	}
	s.sends++
	if g != nil {
		s.log.Info("bot sent", "group", g.name, "seq", e.seq, "image", kind == kindImage)
	} else {
		s.log.Info("bot sent privately", "to", peer.nick, "seq", e.seq, "image", kind == kindImage)
	}
	return 0, "", e
}

// uploadMediaRequest is the JSON in webwxuploadmedia's "uploadmediarequest" field.
type uploadMediaRequest struct {
	BaseRequest   baseRequest
	ClientMediaId int64
	TotalLen      int64
	FileMd5       string
}

// handleUploadMedia receives a file (an image, for webwxsendmsgimg) in one or more
// multipart chunks. Like the real server it wants the webwx_data_ticket cookie's
// value in the form, which a client only has if the cookie reached file.wx.qq.com.
func (s *Server) handleUploadMedia(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxChunkRequest)
	if err := r.ParseMultipartForm(maxChunkRequest); err != nil {
		writeJSON(w, http.StatusOK, baseOnly(1, "bad multipart form: "+err.Error()))
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	var meta uploadMediaRequest
	if err := json.Unmarshal([]byte(r.FormValue("uploadmediarequest")), &meta); err != nil {
		writeJSON(w, http.StatusOK, baseOnly(1, "bad uploadmediarequest: "+err.Error()))
		return
	}
	chunks, chunk := 1, 0
	if v := r.FormValue("chunks"); v != "" {
		chunks, _ = strconv.Atoi(v)
		chunk, _ = strconv.Atoi(r.FormValue("chunk"))
	}
	f, _, err := r.FormFile("filename")
	if err != nil {
		writeJSON(w, http.StatusOK, baseOnly(1, "no file part: "+err.Error()))
		return
	}
	data, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		writeJSON(w, http.StatusOK, baseOnly(1, "reading file part: "+err.Error()))
		return
	}
	ret, msg, mediaID := s.storeChunk(meta, r.FormValue("webwx_data_ticket"), chunk, chunks, data)
	writeJSON(w, http.StatusOK, struct {
		BaseResponse baseResponse
		MediaId      string
		StartPos     int64
	}{BaseResponse: baseResponse{Ret: ret, ErrMsg: msg}, MediaId: mediaID, StartPos: meta.TotalLen})
}

// storeChunk appends one chunk; after the last it checks size and MD5 and returns
// the MediaId that webwxsendmsgimg refers to.
func (s *Server) storeChunk(meta uploadMediaRequest, ticket string, chunk, chunks int, data []byte) (int, string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.liveLocked(meta.BaseRequest.Sid)
	switch {
	case sess == nil:
		return 1101, "", ""
	case ticket != sess.dataTicket:
		s.log.Warn("upload refused: webwx_data_ticket missing or wrong")
		return 1, "webwx_data_ticket invalid", ""
	case chunks < 1 || chunk < 0 || chunk >= chunks:
		return 1, fmt.Sprintf("bad chunk %d of %d", chunk, chunks), ""
	}
	key := fmt.Sprintf("%d/%s", meta.ClientMediaId, meta.FileMd5)
	up := sess.uploads[key]
	if chunk == 0 {
		up = &upload{}
		sess.uploads[key] = up
	}
	if up == nil || up.next != chunk {
		delete(sess.uploads, key)
		return 1, fmt.Sprintf("chunk %d out of order", chunk), ""
	}
	if up.data.Len()+len(data) > maxUpload {
		delete(sess.uploads, key)
		return 1, "file too large", ""
	}
	up.data.Write(data)
	up.next++
	if up.next < chunks {
		return 0, "", ""
	}
	delete(sess.uploads, key)
	sum := md5.Sum(up.data.Bytes())
	if int64(up.data.Len()) != meta.TotalLen || hex.EncodeToString(sum[:]) != meta.FileMd5 {
		return 1, "size or md5 does not match uploadmediarequest", ""
	}
	mediaID := "@crypt_" + randomHex(8) + "_" + randomHex(32)
	sess.media[mediaID] = up
	return 0, "", mediaID
}
