package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// Request headers a source signs its requests with.
const (
	HeaderSource    = "X-Qunzhu-Source"    // the source's configured Name
	HeaderTimestamp = "X-Qunzhu-Timestamp" // Unix seconds when the request was signed
	HeaderSignature = "X-Qunzhu-Signature" // Sign(secret, timestamp, body)
)

// TimestampWindow is how far a request's timestamp may be from our clock. It
// bounds how long a captured request can be replayed, while tolerating the clock
// skew of an office server that has no NTP. Replays inside the window are caught
// by the replay guard (see replay.go).
const TimestampWindow = 300 * time.Second

const signaturePrefix = "sha256="

// Sign returns the X-Qunzhu-Signature value for a body sent at Unix time ts:
// "sha256=" + hex(HMAC-SHA256(secret, ts + "\n" + body)). It is exported so the
// server, tests, the end-to-end test and senders written in Go share one
// definition. The same value in a shell (as in the README):
//
//	printf '%s\n%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret"
//
// The timestamp is inside the MAC so it cannot be changed to revive an old request.
func Sign(secret string, ts int64, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret string, ts int64, body []byte) []byte {
	pool, ok := macPools.Load(secret)
	if !ok {
		pool, _ = macPools.LoadOrStore(secret, &sync.Pool{New: func() any { return hmac.New(sha256.New, []byte(secret)) }})
	}
	p := pool.(*sync.Pool)
	h := p.Get().(hash.Hash)
	var buf [24]byte
	h.Write(append(strconv.AppendInt(buf[:0], ts, 10), '\n'))
	h.Write(body)
	sum := h.Sum(make([]byte, 0, sha256.Size))
	h.Reset() // back to the keyed state, ready for the next request
	p.Put(h)
	return sum
}

// macPools holds, per secret, HMAC states already keyed: keying one hashes
// the secret into both pads, as much work as the MAC of a small body, and
// Reset returns a used state to that keyed start. The secrets are the
// configured sources' and stay in memory with the configuration anyway.
var macPools sync.Map // secret → *sync.Pool of hash.Hash

// sourceOf finds the configured source named in the X-Qunzhu-Source header. The name is
// not echoed back: it is attacker-controlled and might be a misplaced secret.
func (s *server) sourceOf(name string) (Source, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Source{}, qunzhu.Errorf(CodeUnknownSource, "缺少来源请求头 %s (missing %s header)", HeaderSource, HeaderSource)
	}
	src, ok := s.sources[name]
	if !ok {
		return Source{}, qunzhu.Errorf(CodeUnknownSource, "未知的来源 (unknown source in %s)", HeaderSource)
	}
	return src, nil
}

// checkTimestamp parses the timestamp header and checks it is within
// TimestampWindow of now, returning the parsed value for the MAC.
func checkTimestamp(header string, now time.Time) (int64, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return 0, qunzhu.Errorf(CodeStaleTimestamp, "缺少时间戳请求头 %s (missing %s header)", HeaderTimestamp, HeaderTimestamp)
	}
	ts, err := strconv.ParseInt(header, 10, 64)
	if err != nil {
		return 0, qunzhu.Errorf(CodeStaleTimestamp, "时间戳必须是 Unix 秒数 (%s must be Unix seconds)", HeaderTimestamp)
	}
	// Compared this way round so an extreme ts cannot overflow a subtraction.
	window := int64(TimestampWindow / time.Second)
	if n := now.Unix(); ts < n-window || ts > n+window {
		return 0, qunzhu.Errorf(CodeStaleTimestamp,
			"时间戳与服务器时间相差超过 %d 秒，请检查发送方时钟 (timestamp more than %d s from server time %d)",
			window, window, n)
	}
	return ts, nil
}

// checkSignature compares the signature header with the MAC of the complete
// body in constant time. The header's value is never echoed or logged.
func checkSignature(header, secret string, ts int64, body []byte) error {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), signaturePrefix)
	if !ok {
		if header == "" {
			return qunzhu.Errorf(CodeBadSignature, "缺少签名请求头 %s (missing %s header)", HeaderSignature, HeaderSignature)
		}
		return qunzhu.Errorf(CodeBadSignature, "签名格式错误，应为 sha256=<hex> (malformed signature, want sha256=<hex>)")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return qunzhu.Errorf(CodeBadSignature, "签名格式错误，应为 sha256=<hex> (malformed signature, want sha256=<hex>)")
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return qunzhu.Errorf(CodeBadSignature, "签名错误 (bad signature)")
	}
	return nil
}

// replayKey is the key under which a signed request is remembered (see
// replay.go): the same source and the same signed parts — timestamp and body,
// plus the signature where it does not cover the body — are the same request,
// replayed by an attacker inside the window or resent by a sender after a
// timeout. It hashes the parts rather than storing them, so no MAC value and
// no body is kept.
func replayKey(source string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "replay:" + source + ":" + hex.EncodeToString(h.Sum(nil))
}

// authenticate checks the X-Qunzhu-* headers of a native endpoint's request:
// a configured source of the endpoint's kind, a fresh timestamp and a
// signature over the complete body. It returns the source and the signed
// timestamp.
func (s *server) authenticate(c *gin.Context, body []byte, kind string) (Source, int64, error) {
	src, err := s.sourceOf(c.GetHeader(HeaderSource))
	if err != nil {
		return Source{}, 0, err
	}
	if k := src.kind(); k != KindMessage && k != KindHotline {
		// A robot-compatible source signs some other way (or not at all).
		return Source{}, 0, qunzhu.Errorf(CodeUnknownSource, "未知的来源 (unknown source in %s)", HeaderSource)
	}
	c.Set(ctxKeySource, src.Name)
	ts, err := checkTimestamp(c.GetHeader(HeaderTimestamp), s.clock.Now())
	if err != nil {
		return Source{}, 0, err
	}
	if err := checkSignature(c.GetHeader(HeaderSignature), src.Secret, ts, body); err != nil {
		return Source{}, 0, err
	}
	if src.kind() != kind {
		// Checked after the signature, so only the source's owner learns it.
		return Source{}, 0, qunzhu.Errorf(CodeWrongEndpoint,
			"来源 %s 的类型是 %s，不能调用这个接口 (source kind %s may not use this endpoint)", src.Name, src.kind(), src.kind())
	}
	return src, ts, nil
}

// admitSigned runs, in order, the checks every HMAC-signed endpoint shares:
// content type, body size, source, timestamp, signature, then the source's
// rate. On a refusal it has written the answer and ok is false; nothing has
// touched the store.
func (s *server) admitSigned(c *gin.Context, kind string) (src Source, ts int64, body []byte, ok bool) {
	if err := checkContentType(c.GetHeader("Content-Type")); err != nil {
		s.writeError(c, err)
		return src, 0, nil, false
	}
	body, err := readBody(c)
	if err != nil {
		s.writeError(c, err)
		return src, 0, nil, false
	}
	src, ts, err = s.authenticate(c, body, kind)
	if err != nil {
		s.writeError(c, err)
		return src, 0, nil, false
	}
	if wait, allowed := s.allow(c.Request.Context(), src); !allowed {
		s.tooMany(c, src, wait)
		return src, 0, nil, false
	}
	return src, ts, body, true
}
