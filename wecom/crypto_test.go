package wecom_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/wecom"
)

// The vectors come from WeCom's and WeChat's published WXBizMsgCrypt samples,
// so this implementation is checked against the platform's, not against itself.

// TestVerifyURLDocumentedVector is the URL check of WeCom's sample: token
// QDG6eK, corp id wx5823bf96d3bd56c7 as the receive id.
func TestVerifyURLDocumentedVector(t *testing.T) {
	c, err := wecom.NewCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
	if err != nil {
		t.Fatal(err)
	}
	const (
		sig  = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
		ts   = "1409659589"
		nonc = "263014780"
		echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	)
	if !c.Verify(sig, ts, nonc, echo) {
		t.Fatalf("documented signature refused; computed %s", wecom.Signature("QDG6eK", ts, nonc, echo))
	}
	plain, err := c.Decrypt(echo)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(plain), "1616140317555161061"; got != want {
		t.Errorf("echostr = %q, want %q", got, want)
	}
	if c.Verify(sig, ts, "263014781", echo) {
		t.Error("a changed nonce still verifies")
	}
	other, _ := wecom.NewCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "")
	if _, err := other.Decrypt(echo); !errors.Is(err, wecom.ErrReceiveID) {
		t.Errorf("decrypt for receive id \"\" = %v, want ErrReceiveID", err)
	}
}

// TestEncryptDocumentedVector is the encryption of WeChat's sample (same
// scheme): a fixed 16-byte random prefix gives a fixed ciphertext.
func TestEncryptDocumentedVector(t *testing.T) {
	c, err := wecom.NewCrypto("pamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Encrypt([]byte("我是中文abcd123"), strings.NewReader("aaaabbbbccccdddd"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	if got != want {
		t.Errorf("Encrypt = %s\nwant      %s", got, want)
	}
	plain, err := c.Decrypt(want)
	if err != nil || string(plain) != "我是中文abcd123" {
		t.Errorf("Decrypt = %q, %v", plain, err)
	}
}

// TestDecryptRefusesDamage: every kind of damage is an error, never a panic
// or a wrong plaintext.
func TestDecryptRefusesDamage(t *testing.T) {
	c, _ := wecom.NewCrypto("tok", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "")
	good, err := c.Encrypt([]byte(`{"msgid":"1"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := wecom.NewCrypto("tok", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", "")
	foreign, _ := otherKey.Encrypt([]byte(`{"msgid":"1"}`), nil)
	flipped := []byte(good)
	flipped[len(flipped)-5] ^= 1
	for name, enc := range map[string]string{
		"empty":       "",
		"not base64":  "%%%",
		"short":       "AAAA",
		"other key":   foreign,
		"flipped bit": string(flipped),
		"truncated":   good[:len(good)-24],
	} {
		if _, err := c.Decrypt(enc); err == nil {
			t.Errorf("%s: decrypted", name)
		}
	}
	if plain, err := c.Decrypt(good); err != nil || string(plain) != `{"msgid":"1"}` {
		t.Errorf("round trip = %q, %v", plain, err)
	}
}

func TestNewCryptoNamesTheBadSetting(t *testing.T) {
	for _, tt := range []struct{ token, key, want string }{
		{"", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "token"},
		{"t", "short", "43 characters"},
		{"t", "abcdefghijklmnopqrstuvwxyz0123456789ABCD!!!", "base64"},
	} {
		_, err := wecom.NewCrypto(tt.token, tt.key, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewCrypto(%q, %q) = %v, want an error naming %s", tt.token, tt.key, err, tt.want)
		}
		if err != nil && tt.key != "" && strings.Contains(err.Error(), tt.key) {
			t.Errorf("error %q shows the key", err)
		}
	}
}
