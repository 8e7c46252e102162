package dtemu

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// A minimal RFC 6455 server side: enough for the SDK's gorilla/websocket
// client (text frames, ping/pong, close), written here so the emulator stays
// standard library only like wxemu.

const (
	opCont  = 0x0
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA

	wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	// maxFrame bounds one client message; acks are a few hundred bytes.
	maxFrame = 1 << 20
)

// wsConn is one accepted WebSocket connection.
type wsConn struct {
	c  net.Conn
	br *bufio.Reader
	mu sync.Mutex // serialises writes
}

// upgrade answers the opening handshake and takes over the connection.
func upgrade(w http.ResponseWriter, r *http.Request) (*wsConn, error) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") ||
		!strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
		http.Error(w, "websocket upgrade required", http.StatusBadRequest)
		return nil, errors.New("not a websocket request")
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if key == "" {
		http.Error(w, "missing Sec-WebSocket-Key", http.StatusBadRequest)
		return nil, errors.New("missing Sec-WebSocket-Key")
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return nil, errors.New("response writer cannot hijack")
	}
	c, rw, err := hj.Hijack()
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	accept := base64.StdEncoding.EncodeToString(sum[:])
	if _, err := fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept); err != nil {
		c.Close()
		return nil, err
	}
	if err := rw.Flush(); err != nil {
		c.Close()
		return nil, err
	}
	return &wsConn{c: c, br: rw.Reader}, nil
}

// writeFrame sends one unmasked frame (servers never mask).
func (ws *wsConn) writeFrame(op byte, payload []byte) error {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	hdr := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	if _, err := ws.c.Write(append(hdr, payload...)); err != nil {
		return err
	}
	return nil
}

// writeText sends a text message.
func (ws *wsConn) writeText(b []byte) error { return ws.writeFrame(opText, b) }

// readFrame reads one frame and unmasks it.
func (ws *wsConn) readFrame() (fin bool, op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(ws.br, h[:]); err != nil {
		return
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0F
	masked := h[1]&0x80 != 0
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err = io.ReadFull(ws.br, b[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err = io.ReadFull(ws.br, b[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > maxFrame {
		err = fmt.Errorf("frame of %d bytes is too large", n)
		return
	}
	if !masked {
		err = errors.New("client frame not masked")
		return
	}
	var mask [4]byte
	if _, err = io.ReadFull(ws.br, mask[:]); err != nil {
		return
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(ws.br, payload); err != nil {
		return
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return
}

// readMessage returns the next text message, answering pings (unless
// withhold says not to) and reassembling fragments. A close frame ends it
// with io.EOF.
func (ws *wsConn) readMessage(withhold func() bool) ([]byte, error) {
	var msg []byte
	for {
		fin, op, p, err := ws.readFrame()
		if err != nil {
			return nil, err
		}
		switch op {
		case opPing:
			if withhold == nil || !withhold() {
				if err := ws.writeFrame(opPong, p); err != nil {
					return nil, err
				}
			}
			continue
		case opPong:
			continue
		case opClose:
			_ = ws.writeFrame(opClose, nil)
			return nil, io.EOF
		case opText, opCont:
			msg = append(msg, p...)
			if len(msg) > maxFrame {
				return nil, errors.New("message too large")
			}
			if fin {
				return msg, nil
			}
		default:
			continue // binary frames are not part of the protocol
		}
	}
}

// close drops the TCP connection without a closing handshake, like a network
// failure or the gateway going away.
func (ws *wsConn) close() error { return ws.c.Close() }
