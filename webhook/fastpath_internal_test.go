package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
)

// The message answer is written by hand; it must be byte for byte what
// c.JSON wrote before, headers included.
func TestMessageResponseWriteMatchesGinJSON(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, r := range []MessageResponse{
		{ID: 0, Status: StatusQueued},
		{ID: 1, Status: StatusQueued},
		{ID: -7, Status: StatusDuplicate},
		{ID: 9007199254740993, Status: StatusDuplicate},
	} {
		for _, code := range []int{http.StatusOK, http.StatusAccepted} {
			want := httptest.NewRecorder()
			wc, _ := gin.CreateTestContext(want)
			wc.JSON(code, r)
			got := httptest.NewRecorder()
			gc, _ := gin.CreateTestContext(got)
			r.write(gc, code)
			if got.Code != want.Code || got.Body.String() != want.Body.String() ||
				got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
				t.Errorf("%+v %d: got %d %q %q, want %d %q %q", r, code,
					got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
			}
			var back MessageResponse
			if err := json.Unmarshal(got.Body.Bytes(), &back); err != nil || back != r {
				t.Errorf("%+v: decodes to %+v, %v", r, back, err)
			}
		}
	}
}

// mac reuses keyed HMAC states per secret; under concurrent use with several
// secrets every MAC must equal a freshly keyed one.
func TestMACPooledStatesAreFresh(t *testing.T) {
	fresh := func(secret string, ts int64, body []byte) []byte {
		h := hmac.New(sha256.New, []byte(secret))
		h.Write([]byte(strconv.FormatInt(ts, 10) + "\n"))
		h.Write(body)
		return h.Sum(nil)
	}
	secrets := []string{"s1-0123456789abcdef", "s2-0123456789abcdef", "a secret longer than one sha-256 block: " + string(make([]byte, 80))}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				secret := secrets[(g+i)%len(secrets)]
				body := []byte(fmt.Sprintf(`{"n":%d,"g":%d}`, i, g))
				ts := int64(1_700_000_000 + i)
				if got, want := mac(secret, ts, body), fresh(secret, ts, body); !hmac.Equal(got, want) {
					t.Errorf("secret %d, request %d: pooled MAC differs from a fresh one", (g+i)%len(secrets), i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The exact headers taken without parsing are answered as parsing answers
// them, and the others are still parsed.
func TestCheckContentType(t *testing.T) {
	for h, ok := range map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"application/json; charset=UTF-8":   true,
		"application/json;charset=utf-8":    true,
		"Application/JSON":                  true,
		"application/problem+json":          true,
		"text/plain":                        false,
		"application/json; charset=latin1":  false,
		"application/x-www-form-urlencoded": false,
		"":                                  false,
	} {
		if err := checkContentType(h); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", h, err, ok)
		}
	}
}
