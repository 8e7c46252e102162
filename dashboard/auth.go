package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// cookieName holds a signed sign-in: who, and until when.
const cookieName = "qunzhu_ui"

// Purposes keep a token made for one use from working for another: a
// download link is not a sign-in, a cookie is not a link.
const (
	purposeSession = "session"
	purposeLink    = "owner-link"
	purposeExport  = "export"
)

// claims is what a token says. Owner sign-ins carry the owner's member rows
// (one per group): the groups shown are those where a row is still an owner
// at each request, so demoting an owner takes effect at once.
type claims struct {
	Admin   bool    `json:"a,omitempty"`
	Name    string  `json:"n,omitempty"`
	Members []int64 `json:"m,omitempty"`
	Expires int64   `json:"e"` // unix seconds, wall clock

	// Export links only: what to export.
	Kind   string  `json:"k,omitempty"` // "tasks" or "reports"
	Groups []int64 `json:"g,omitempty"`
	Since  int64   `json:"s,omitempty"` // unix ms, 0 for open
	Until  int64   `json:"u,omitempty"`
	Cycles int     `json:"c,omitempty"`
	Label  string  `json:"l,omitempty"`
}

var errBadToken = errors.New("bad or expired token")

// sign encodes c as base64(json).base64(hmac(key, purpose, json)).
func (d *Dashboard) sign(purpose string, c claims) string {
	body, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(d.mac(purpose, body))
}

func (d *Dashboard) mac(purpose string, body []byte) []byte {
	h := hmac.New(sha256.New, d.cfg.Key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)
}

// verify checks a token's signature for purpose and its expiry.
func (d *Dashboard) verify(purpose, token string) (claims, error) {
	var c claims
	b64, sig64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 4096 {
		return c, errBadToken
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, d.mac(purpose, body)) {
		return c, errBadToken
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return c, errBadToken
	}
	if d.cfg.Clock.Now().Unix() >= c.Expires {
		return c, errBadToken
	}
	return c, nil
}

// viewerKey finds the signed-in viewer in a request's context.
type viewerKey struct{}

// Viewer is who is looking and which groups they may see.
type Viewer struct {
	Admin  bool
	Name   string
	Groups []*qunzhu.Group // visible, by id
}

// IDs are the visible groups' ids.
func (v *Viewer) IDs() []int64 {
	ids := make([]int64, len(v.Groups))
	for i, g := range v.Groups {
		ids[i] = g.ID
	}
	return ids
}

// Sees reports whether group id is visible.
func (v *Viewer) Sees(id int64) bool {
	return slices.ContainsFunc(v.Groups, func(g *qunzhu.Group) bool { return g.ID == id })
}

func viewerOf(r *http.Request) *Viewer { return r.Context().Value(viewerKey{}).(*Viewer) }

// viewer requires a valid sign-in cookie: without one, a page request is
// sent to the sign-in form; then it resolves the visible groups.
func (d *Dashboard) viewer(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(cookieName)
		var c claims
		if err == nil {
			c, err = d.verify(purposeSession, ck.Value)
		}
		if err != nil {
			http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
			return
		}
		v, err := d.resolve(r.Context(), c)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, v)))
	}
}

// resolve turns claims into the groups the viewer may see now.
func (d *Dashboard) resolve(ctx context.Context, c claims) (*Viewer, error) {
	v := &Viewer{Admin: c.Admin, Name: c.Name}
	err := d.cfg.Store.View(ctx, func(tx qunzhu.Tx) error {
		if c.Admin {
			var err error
			v.Groups, err = tx.Groups()
			return err
		}
		for _, id := range c.Members {
			m, err := tx.MemberByID(id)
			if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if m.Role != qunzhu.RoleOwner || v.Sees(m.GroupID) {
				continue
			}
			g, err := tx.GroupByID(m.GroupID)
			if err != nil {
				return err
			}
			v.Groups = append(v.Groups, g)
		}
		return nil
	})
	slices.SortFunc(v.Groups, func(a, b *qunzhu.Group) int { return int(a.ID - b.ID) })
	return v, err
}

// adminOnly refuses owners: the owner links page hands out access.
func (d *Dashboard) adminOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !viewerOf(r).Admin {
			d.message(w, r, http.StatusForbidden, "没有权限", "只有 IT 管理员（用登录令牌登录）可以打开这一页。")
			return
		}
		next(w, r)
	}
}

// setSession signs the viewer in for SessionTTL. The cookie itself is a
// browser-session cookie: the signed expiry inside it is what counts, judged
// by our clock, not the browser's.
func (d *Dashboard) setSession(w http.ResponseWriter, r *http.Request, c claims) {
	c.Expires = d.cfg.Clock.Now().Add(d.cfg.SessionTTL).Unix()
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: d.sign(purposeSession, c), Path: "/ui",
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.HasPrefix(d.cfg.PublicURL, "https://"),
	})
}

func (d *Dashboard) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "signin", &page{Title: "登录后台", NoAdminToken: d.cfg.AdminToken == ""}, nil)
}

// handleSignIn checks the login token in constant time.
func (d *Dashboard) handleSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	token := r.PostFormValue("token")
	if d.cfg.AdminToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(d.cfg.AdminToken)) != 1 {
		d.render(w, r, http.StatusForbidden, "signin", &page{Title: "登录后台", Error: "令牌不对。请使用配置里的 login_token。"}, nil)
		return
	}
	d.setSession(w, r, claims{Admin: true, Name: "IT 管理员"})
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// handleOwnerLink signs an owner in from the link IT handed them.
func (d *Dashboard) handleOwnerLink(w http.ResponseWriter, r *http.Request) {
	c, err := d.verify(purposeLink, r.URL.Query().Get("t"))
	if err != nil {
		d.message(w, r, http.StatusForbidden, "链接无效或已过期", "这个登录链接无效或已经过期。请在群里发送 /后台，按提示向 IT 管理员要一个新链接。")
		return
	}
	d.setSession(w, r, claims{Name: c.Name, Members: c.Members})
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

func (d *Dashboard) handleSignOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/ui", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}

func (d *Dashboard) redirectHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// baseURL is where links point: PublicURL, else this request's host.
func (d *Dashboard) baseURL(r *http.Request) string {
	if d.cfg.PublicURL != "" {
		return strings.TrimRight(d.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r != nil && r.TLS != nil {
		scheme = "https"
	}
	if r == nil {
		return ""
	}
	return scheme + "://" + r.Host
}
