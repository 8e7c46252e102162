package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"rsc.io/qr"

	"github.com/qunzhu/qunzhu"
)

// LoginPage serves GET /login: the page the fallback robot's alert links to,
// where whoever looks after the bot's WeChat account sees the current login
// QR code and the session state, and scans the code with the bot's phone.
//
// Whoever scans the code logs the bot in with their own WeChat account, so
// the page must not be public: set Token (required as ?token=…, and carried in
// the alert's link) or serve it on an internal network only.
type LoginPage struct {
	// QRCode is the content of the QR code waiting to be scanned; ok is false
	// when none is (bot.Bot.QRCode).
	QRCode func() (content string, ok bool)
	// StateSince is when the session's current state began (bot.Bot.StateSince).
	StateSince func() time.Time
	// Token, when set, must be given as ?token=… on both routes. Times are
	// written in Deps.Location.
	Token string
	// Refresh is how often the page reloads itself (5 s): QR codes expire
	// after a few minutes and are replaced.
	Refresh time.Duration
}

// loginView is what the template shows.
type loginView struct {
	State   string // in Chinese
	Raw     qunzhu.SessionState
	Since   string
	QRSrc   string // "" when there is no code to show
	Message string
	Pending int
	Refresh int
	// Codes are one-time codes that could not reach their owner by private
	// chat; shown only behind a token.
	Codes []pageCode
}

// pageCode is one undelivered one-time code as the login page lists it.
type pageCode struct {
	Group, Member, Role, Unit, IssuedBy, Code, Expires string
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{{.Refresh}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qunzhu 微信登录</title>
<style>body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em;line-height:1.6}
.state{font-size:1.2em}.qr{display:block;margin:1em 0;width:256px;height:256px;image-rendering:pixelated}
.note{color:#555}</style></head>
<body>
<h1>qunzhu 微信登录</h1>
<p class="state">状态：<b>{{.State}}</b>（{{.Raw}}），自 {{.Since}} 起</p>
{{if .QRSrc}}<img class="qr" src="{{.QRSrc}}" alt="微信登录二维码">
<p>请用<b>机器人的微信</b>扫描二维码，并在手机上确认登录。</p>
{{else}}<p>{{.Message}}</p>{{end}}
<p>待发送消息：{{.Pending}} 条（登录后按优先级补发）。</p>
{{if .Codes}}<h2>没能私信送达的认证码</h2>
<p class="note">机器人不是登记人的微信好友时，认证码只在这里显示。请只转交给本人；本人在群里或私聊机器人发送 /认证 认证码。</p>
<table><tr><th>群</th><th>成员</th><th>登记人</th><th>认证码</th><th>有效至</th></tr>
{{range .Codes}}<tr><td>{{.Group}}</td><td>{{.Member}}（{{.Unit}}，{{.Role}}）</td><td>{{.IssuedBy}}</td><td><b>{{.Code}}</b></td><td>{{.Expires}}</td></tr>
{{end}}</table>{{end}}
<p class="note">本页每 {{.Refresh}} 秒自动刷新；二维码过期后会自动换成新的。</p>
</body></html>
`))

// loginMessage says what to do when there is no code to scan.
func loginMessage(st qunzhu.SessionState) string {
	switch st {
	case qunzhu.StateOnline:
		return "微信已在线，不需要扫码。"
	case qunzhu.StateLoggingIn:
		return "正在登录（热登录，或等待手机上的登录确认）：如果机器人的手机弹出登录确认，请点“登录”。二维码稍后会出现在这里。"
	case qunzhu.StateBanned:
		return "微信在手机上退出了网页登录，或账号受到限制（1102）。请先在手机上确认账号状态；正在重新登录，二维码稍后会出现在这里。"
	case qunzhu.StateStopped:
		return "服务正在停止，没有二维码。"
	}
	return "当前没有待扫描的二维码：正在重新登录，二维码稍后会出现在这里。"
}

// loginAllowed checks ?token= in constant time; without a configured token
// every request is allowed.
func (s *server) loginAllowed(c *gin.Context) bool {
	if s.login.Token == "" {
		return true
	}
	if subtle.ConstantTimeCompare([]byte(c.Query("token")), []byte(s.login.Token)) == 1 {
		return true
	}
	c.Set(ctxKeyErrorCode, CodeBadSignature)
	c.Header("Cache-Control", "no-store")
	c.String(http.StatusForbidden, "需要正确的 token：请打开告警消息里的完整链接。(wrong or missing token)\n")
	return false
}

// loginHeaders keep the page (and its token) out of caches and referrers.
func loginHeaders(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("X-Frame-Options", "DENY")
}

// handleLoginPage shows the session state and, while one waits, the QR code.
func (s *server) handleLoginPage(c *gin.Context) {
	if !s.loginAllowed(c) {
		return
	}
	loginHeaders(c)
	st := qunzhu.SessionState("unknown")
	if s.state != nil {
		st = s.state()
	}
	v := loginView{State: st.Chinese(), Raw: st, Since: "—", Message: loginMessage(st), Refresh: int(s.login.Refresh / time.Second)}
	if v.Refresh <= 0 {
		v.Refresh = 5
	}
	if s.login.StateSince != nil {
		if t := s.login.StateSince(); !t.IsZero() {
			v.Since = t.In(s.loc).Format("2006-01-02 15:04:05")
		}
	}
	if content, ok := s.qrCode(); ok {
		// The version makes the browser fetch a new image when the code changes.
		sum := sha256.Sum256([]byte(content))
		q := url.Values{"v": {hex.EncodeToString(sum[:6])}}
		if s.login.Token != "" {
			q.Set("token", s.login.Token)
		}
		v.QRSrc = "/login/qr.png?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if stats, err := s.store.OutboxStats(ctx); err == nil {
		v.Pending = stats.Pending + stats.Sending
	} else {
		s.logger.Warn("webhook: login page: outbox stats", slog.String("error", err.Error()))
	}
	if s.login.Token != "" {
		codes, err := s.pageCodes(ctx)
		if err != nil {
			s.logger.Warn("webhook: login page: bind codes", slog.String("error", err.Error()))
		}
		v.Codes = codes
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	if err := loginTemplate.Execute(c.Writer, v); err != nil {
		s.logger.Error("webhook: login page", slog.String("error", err.Error()))
	}
}

// handleLoginQR draws the current QR code as a PNG; 404 when none waits.
func (s *server) handleLoginQR(c *gin.Context) {
	if !s.loginAllowed(c) {
		return
	}
	loginHeaders(c)
	content, ok := s.qrCode()
	if !ok {
		c.String(http.StatusNotFound, "当前没有待扫描的二维码。(no login QR code right now)\n")
		return
	}
	png, err := QRPNG(content)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

func (s *server) qrCode() (string, bool) {
	if s.login.QRCode == nil {
		return "", false
	}
	return s.login.QRCode()
}

// QRPNG draws content as a QR code PNG (medium error correction, 8 pixels a
// module). It uses rsc.io/qr, already in the build for the terminal QR code.
func QRPNG(content string) ([]byte, error) {
	code, err := qr.Encode(content, qr.M)
	if err != nil {
		return nil, err
	}
	code.Scale = 8
	return code.PNG(), nil
}

// pageCodes lists the live one-time codes no private chat could deliver,
// with the group, the member and who registered them.
func (s *server) pageCodes(ctx context.Context) ([]pageCode, error) {
	var out []pageCode
	err := s.store.View(ctx, func(tx qunzhu.Tx) error {
		codes, err := tx.BindCodesOnPage()
		if err != nil {
			return err
		}
		for _, bc := range codes {
			m, err := tx.MemberByID(bc.MemberID)
			if err != nil {
				return err
			}
			g, err := tx.GroupByID(m.GroupID)
			if err != nil {
				return err
			}
			pc := pageCode{Group: g.Name, Member: m.Name, Unit: m.Unit, Role: m.Role.Chinese(), IssuedBy: "—",
				Code: bc.Code, Expires: bc.ExpiresAt.In(s.loc).Format("01-02 15:04")}
			if issuer, err := tx.MemberByID(bc.IssuedBy); err == nil {
				pc.IssuedBy = issuer.Name
			}
			out = append(out, pc)
		}
		return nil
	})
	return out, err
}
