package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WeCom's message crypto (企业微信回调加解密), as its documentation describes
// it and its WXBizMsgCrypt samples implement it. We write our own instead of
// importing silenceper/wechat's util package: that package recovers panics as
// errors, checks only the last byte of the padding, and its module (go 1.16,
// no graph pruning) would pull a dozen unrelated modules into go.sum for
// eighty lines of standard-library code. The tests pin this implementation to
// the documented vectors.

// Errors of the callback crypto. None of them carries key material.
var (
	// ErrSignature: msg_signature does not match token, timestamp, nonce and
	// the ciphertext: the request did not come from WeCom (or the token is wrong).
	ErrSignature = errors.New("wecom: bad msg_signature")
	// ErrDecrypt: the ciphertext is malformed or was made with another key.
	ErrDecrypt = errors.New("wecom: cannot decrypt message")
	// ErrReceiveID: the message decrypted but names another receiver.
	ErrReceiveID = errors.New("wecom: message for another receive id")
)

// blockPad is the PKCS#7 block size WeCom pads to: 32 bytes, not AES's 16.
const blockPad = 32

// Crypto signs, verifies, encrypts and decrypts callback messages for one
// robot. A company's own smart robot uses receive id "" (WeCom's documentation
// for the 智能机器人); a self-built app uses the corp id.
type Crypto struct {
	token     string
	key       []byte // 32 bytes; the IV is key[:16]
	receiveID string
}

// NewCrypto checks the robot's Token and 43-character EncodingAESKey. The
// error names the setting, never its value.
func NewCrypto(token, encodingAESKey, receiveID string) (*Crypto, error) {
	if token == "" {
		return nil, errors.New("token is empty")
	}
	key, err := DecodeAESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	return &Crypto{token: token, key: key, receiveID: receiveID}, nil
}

// DecodeAESKey turns an EncodingAESKey (43 characters of base64 without the
// trailing "=") into the 32-byte AES key.
func DecodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("encoding_aes_key must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("encoding_aes_key is not the base64 of a 32-byte key")
	}
	return key, nil
}

// Signature is msg_signature: the hex SHA-1 of token, timestamp, nonce and the
// ciphertext, sorted and joined.
func Signature(token, timestamp, nonce, encrypted string) string {
	parts := []string{token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify reports whether signature is the robot's signature of the rest, in
// constant time.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypted string) bool {
	want := Signature(c.token, timestamp, nonce, encrypted)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) == 1
}

// Sign is the robot's msg_signature for a reply.
func (c *Crypto) Sign(timestamp, nonce, encrypted string) string {
	return Signature(c.token, timestamp, nonce, encrypted)
}

// Decrypt opens a message: base64 → AES-256-CBC → PKCS#7 (32) → 16 random
// bytes, a big-endian length, the message, the receive id.
func (c *Crypto) Decrypt(encrypted string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	block, _ := aes.NewCipher(c.key) // a 32-byte key never fails
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, raw)
	plain, ok := unpad(plain)
	if !ok || len(plain) < 20 {
		return nil, ErrDecrypt
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, ErrDecrypt
	}
	msg, rid := plain[20:20+n], plain[20+n:]
	if subtle.ConstantTimeCompare(rid, []byte(c.receiveID)) != 1 {
		return nil, ErrReceiveID
	}
	return msg, nil
}

// Encrypt seals msg for WeCom with 16 random bytes from random (crypto/rand
// when nil; tests pass a fixed reader to compare with documented vectors).
func (c *Crypto) Encrypt(msg []byte, random io.Reader) (string, error) {
	if random == nil {
		random = rand.Reader
	}
	var buf bytes.Buffer
	prefix := make([]byte, 20)
	if _, err := io.ReadFull(random, prefix[:16]); err != nil {
		return "", fmt.Errorf("wecom: random: %w", err)
	}
	binary.BigEndian.PutUint32(prefix[16:], uint32(len(msg)))
	buf.Write(prefix)
	buf.Write(msg)
	buf.WriteString(c.receiveID)
	plain := pad(buf.Bytes())
	block, _ := aes.NewCipher(c.key)
	cipher.NewCBCEncrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain), nil
}

// DecryptMedia opens a picture or file downloaded from a callback's URL:
// WeCom encrypts media with the same key and IV, PKCS#7 padded, without the
// random prefix and receive id of messages.
func (c *Crypto) DecryptMedia(raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	block, _ := aes.NewCipher(c.key)
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, raw)
	plain, ok := unpad(plain)
	if !ok {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// pad appends PKCS#7 padding to a multiple of 32 bytes (always at least one byte).
func pad(b []byte) []byte {
	n := blockPad - len(b)%blockPad
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

// unpad removes PKCS#7 padding of 1…32 bytes, checking every padding byte.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n < 1 || n > blockPad || n > len(b) {
		return nil, false
	}
	for _, x := range b[len(b)-n:] {
		if int(x) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
