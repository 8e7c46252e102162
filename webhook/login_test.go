package webhook_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/webhook"
)

// loginSession is the bot as the login page sees it.
type loginSession struct {
	mu    sync.Mutex
	state qunzhu.SessionState
	since time.Time
	qr    string
}

func (l *loginSession) State() qunzhu.SessionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

func (l *loginSession) QRCode() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.qr, l.state == qunzhu.StateWaitingScan && l.qr != ""
}

func (l *loginSession) StateSince() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.since
}

func (l *loginSession) set(st qunzhu.SessionState, qr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state, l.qr = st, qr
}

// loginServer is the webhook server with the login page over a fresh store.
func loginServer(t *testing.T, token string) (http.Handler, *loginSession, *sqlite.Store) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "qunzhu.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sess := &loginSession{state: qunzhu.StateOnline, since: time.Date(2026, 6, 19, 6, 3, 5, 0, time.UTC)}
	h := webhook.NewServer(webhook.Deps{
		Store: store,
		State: sess.State,
		Login: &webhook.LoginPage{QRCode: sess.QRCode, StateSince: sess.StateSince, Token: token},
	})
	return h, sess, store
}

func get(h http.Handler, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

const qrContent = "https://login.weixin.qq.com/l/QdOP3Y_Fcw=="

var imgSrc = regexp.MustCompile(`<img class="qr" src="([^"]+)"`)

func TestLoginPageShowsTheQRCodeWhileOneWaits(t *testing.T) {
	h, sess, store := loginServer(t, "")
	if err := store.Update(context.Background(), func(tx qunzhu.Tx) error {
		g, err := tx.CreateGroup("区委干部工作群")
		if err != nil {
			return err
		}
		_, err = tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Text: "掉线期间的告警"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	sess.set(qunzhu.StateWaitingScan, qrContent)

	w := get(h, "/login")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /login = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{"等待扫码", "waiting_scan", "自 2026-06-19 14:03:05 起", "待发送消息：1 条", `<meta http-equiv="refresh" content="5">`, "机器人的微信"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	m := imgSrc.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no QR image on the page:\n%s", body)
	}
	src := strings.ReplaceAll(m[1], "&amp;", "&")

	img := get(h, src)
	if img.Code != http.StatusOK || img.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("GET %s = %d %s", src, img.Code, img.Header().Get("Content-Type"))
	}
	if _, err := png.Decode(bytes.NewReader(img.Body.Bytes())); err != nil {
		t.Fatalf("QR image is not a PNG: %v", err)
	}
	want, err := webhook.QRPNG(qrContent)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.Body.Bytes(), want) {
		t.Errorf("the PNG does not encode the bot's current QR content")
	}

	// A new code (the old one expired) gets a new image address.
	sess.set(qunzhu.StateWaitingScan, qrContent+"x")
	if m2 := imgSrc.FindStringSubmatch(get(h, "/login").Body.String()); m2 == nil || m2[1] == m[1] {
		t.Errorf("image address did not change with the code: %v", m2)
	}
}

func TestLoginPageWithoutACodeSaysWhy(t *testing.T) {
	h, sess, _ := loginServer(t, "")
	for _, tt := range []struct {
		state qunzhu.SessionState
		want  string
	}{
		{qunzhu.StateOnline, "微信已在线，不需要扫码。"},
		{qunzhu.StateLoggingIn, "手机上的登录确认"},
		{qunzhu.StateBanned, "1102"},
		{qunzhu.StateOffline, "二维码稍后会出现在这里"},
	} {
		sess.set(tt.state, "")
		body := get(h, "/login").Body.String()
		if !strings.Contains(body, tt.want) || strings.Contains(body, "<img") {
			t.Errorf("%s: page lacks %q or shows an image:\n%s", tt.state, tt.want, body)
		}
		if w := get(h, "/login/qr.png"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "没有待扫描的二维码") {
			t.Errorf("%s: qr.png = %d %q, want 404 with a reason", tt.state, w.Code, w.Body.String())
		}
	}
}

func TestLoginPageNeedsItsToken(t *testing.T) {
	const token = "login-token-3b9f2c1d7e6a5b4c"
	h, sess, _ := loginServer(t, token)
	sess.set(qunzhu.StateWaitingScan, qrContent)
	for _, target := range []string{"/login", "/login?token=wrong", "/login/qr.png", "/login/qr.png?token=" + token[:10]} {
		w := get(h, target)
		if w.Code != http.StatusForbidden {
			t.Errorf("GET %s = %d, want 403", target, w.Code)
		}
		if strings.Contains(w.Body.String(), token) {
			t.Errorf("GET %s: the refusal shows the token", target)
		}
	}
	w := get(h, "/login?token="+token)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /login with the token = %d", w.Code)
	}
	m := imgSrc.FindStringSubmatch(w.Body.String())
	if m == nil || !strings.Contains(m[1], "token="+token) {
		t.Fatalf("the image address must carry the token: %v", m)
	}
	if img := get(h, strings.ReplaceAll(m[1], "&amp;", "&")); img.Code != http.StatusOK {
		t.Errorf("GET image with the token = %d", img.Code)
	}
	if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q: the token could leak to other sites", got)
	}
}

func TestLoginPageAbsentWithoutLoginDeps(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "qunzhu.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := webhook.NewServer(webhook.Deps{Store: store})
	if w := get(h, "/login"); w.Code != http.StatusNotFound {
		t.Errorf("GET /login without a login page = %d, want 404", w.Code)
	}
}

// TestLoginPageShowsUndeliveredCodesOnlyBehindAToken: a one-time code no
// private chat could deliver is on the page, with its group, member and the
// owner who asked, when a token protects the page, and never otherwise.
func TestLoginPageShowsUndeliveredCodesOnlyBehindAToken(t *testing.T) {
	const token = "0123456789abcdef-token"
	for _, tok := range []string{token, ""} {
		h, _, store := loginServer(t, tok)
		if err := store.Update(context.Background(), func(tx qunzhu.Tx) error {
			g, err := tx.CreateGroup("区委干部工作群")
			if err != nil {
				return err
			}
			owner := &qunzhu.Member{GroupID: g.ID, Name: "王主任", Unit: "区委办", Role: qunzhu.RoleAdmin}
			m := &qunzhu.Member{GroupID: g.ID, Name: "钱主任", Unit: "街道办", Role: qunzhu.RoleMember}
			for _, x := range []*qunzhu.Member{owner, m} {
				if err := tx.CreateMember(x); err != nil {
					return err
				}
			}
			for _, c := range []*qunzhu.BindCode{
				{Code: "472972", MemberID: m.ID, ExpiresAt: time.Now().Add(time.Hour), IssuedBy: owner.ID},
			} {
				if err := tx.CreateBindCode(c); err != nil {
					return err
				}
			}
			return tx.ShowBindCodeOnPage(m.ID)
		}); err != nil {
			t.Fatal(err)
		}
		target := "/login"
		if tok != "" {
			target += "?token=" + tok
		}
		body := get(h, target).Body.String()
		shown := strings.Contains(body, "<b>472972</b>") && strings.Contains(body, "钱主任（街道办，成员）") && strings.Contains(body, "<td>王主任</td>")
		if shown != (tok != "") {
			t.Errorf("token %q: code shown %v, want %v:\n%s", tok, shown, tok != "", body)
		}
	}
}
