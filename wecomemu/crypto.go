package wecomemu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// sealer is WeCom's side of the callback crypto: it encrypts what it posts
// and opens passive replies, with receive id "" as for a company's own robot.
type sealer struct {
	token string
	key   []byte
}

func newSealer(token, encodingAESKey string) sealer {
	key, _ := base64.StdEncoding.DecodeString(encodingAESKey + "=") // Validate checked it
	return sealer{token: token, key: key}
}

// sign is msg_signature: SHA-1 over the sorted token, timestamp, nonce and ciphertext.
func (s sealer) sign(timestamp, nonce, enc string) string {
	p := []string{s.token, timestamp, nonce, enc}
	sort.Strings(p)
	return fmt.Sprintf("%x", sha1.Sum([]byte(strings.Join(p, ""))))
}

// seal frames msg as WeCom does (random 16 B, length, msg, receive id "") and
// encrypts it with AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes.
func (s sealer) seal(msg []byte) string {
	var b bytes.Buffer
	r := make([]byte, 16)
	_, _ = rand.Read(r)
	b.Write(r)
	_ = binary.Write(&b, binary.BigEndian, uint32(len(msg)))
	b.Write(msg)
	return base64.StdEncoding.EncodeToString(s.encrypt(b.Bytes()))
}

// encrypt pads and encrypts raw bytes (media files are encrypted this way).
func (s sealer) encrypt(plain []byte) []byte {
	n := 32 - len(plain)%32
	plain = append(plain, bytes.Repeat([]byte{byte(n)}, n)...)
	block, _ := aes.NewCipher(s.key)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, s.key[:16]).CryptBlocks(out, plain)
	return out
}

// open decrypts a passive reply and checks its framing and receive id.
func (s sealer) open(enc string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw) == 0 || len(raw)%16 != 0 {
		return nil, errors.New("reply ciphertext is not base64 of whole AES blocks")
	}
	block, _ := aes.NewCipher(s.key)
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, s.key[:16]).CryptBlocks(plain, raw)
	n := int(plain[len(plain)-1])
	if n < 1 || n > 32 || n > len(plain) || !bytes.Equal(plain[len(plain)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, errors.New("reply padding is wrong")
	}
	plain = plain[:len(plain)-n]
	if len(plain) < 20 {
		return nil, errors.New("reply too short")
	}
	l := int(binary.BigEndian.Uint32(plain[16:20]))
	if l != len(plain)-20 {
		return nil, errors.New("reply length or receive id is wrong (want receive id \"\")")
	}
	return plain[20:], nil
}
