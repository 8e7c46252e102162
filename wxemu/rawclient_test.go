package wxemu_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/qunzhu/qunzhu/wxemu"
)

// rawClient speaks the protocol by hand, the way openwechat does, for tests that
// must not run openwechat (its own data races would hide the emulator's).
type rawClient struct {
	t    *testing.T
	http *http.Client
	jar  *cookiejar.Jar
}

func newRawClient(t *testing.T, emuURL string) *rawClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, jar: jar, http: &http.Client{
		Transport:     wxemu.Transport(emuURL),
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type rawPage struct {
	Ret        int    `xml:"ret"`
	Message    string `xml:"message"`
	SKey       string `xml:"skey"`
	WxSid      string `xml:"wxsid"`
	WxUin      int64  `xml:"wxuin"`
	PassTicket string `xml:"pass_ticket"`
}

type rawUser struct {
	UserName, NickName, DisplayName string
	AttrStatus                      int64
	MemberList                      []rawUser
}

type rawMessage struct {
	MsgId                             string
	MsgType                           int
	FromUserName, ToUserName, Content string
}

type rawSyncKey struct {
	Count int
	List  []struct{ Key, Val int64 }
}

func (k rawSyncKey) param() string {
	s := ""
	for i, it := range k.List {
		if i > 0 {
			s += "|"
		}
		s += fmt.Sprintf("%d_%d", it.Key, it.Val)
	}
	return s
}

func (c *rawClient) do(req *http.Request) []byte {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

func (c *rawClient) get(u string, header ...string) []byte {
	c.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

func (c *rawClient) getJSON(u string, out any) {
	c.t.Helper()
	if b := c.get(u); json.Unmarshal(b, out) != nil {
		c.t.Fatalf("GET %s: not JSON: %s", u, b)
	}
}

func (c *rawClient) postJSON(u string, body, out any) {
	c.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", u, bytes.NewReader(b))
	if err != nil {
		c.t.Fatal(err)
	}
	if raw := c.do(req); json.Unmarshal(raw, out) != nil {
		c.t.Fatalf("POST %s: not JSON: %s", u, raw)
	}
}

const bin = "https://wx.qq.com/cgi-bin/mmwebwx-bin/"

var (
	uuidRe     = regexp.MustCompile(`uuid = "(.*?)";`)
	redirectRe = regexp.MustCompile(`window.redirect_uri="(.*?)"`)
)

func (c *rawClient) jslogin() string {
	c.t.Helper()
	b := c.get("https://login.wx.qq.com/jslogin?appid=wx782c26e4c19acffb&fun=new&lang=zh_CN")
	m := uuidRe.FindSubmatch(b)
	if m == nil {
		c.t.Fatalf("jslogin answered %q", b)
	}
	return string(m[1])
}

func (c *rawClient) poll(uuid string) string {
	return string(c.get("https://login.wx.qq.com/cgi-bin/mmwebwx-bin/login?loginicon=true&tip=0&uuid=" + url.QueryEscape(uuid)))
}

func (c *rawClient) newLoginPage(pollAnswer string) rawPage {
	c.t.Helper()
	m := redirectRe.FindStringSubmatch(pollAnswer)
	if m == nil {
		c.t.Fatalf("poll answered %q, want a redirect_uri", pollAnswer)
	}
	b := c.get(m[1]+"&version=v2", "client-version", "2.0.0", "extspam", "x")
	var page rawPage
	if err := xml.Unmarshal(b, &page); err != nil {
		c.t.Fatalf("login page %q: %v", b, err)
	}
	return page
}

func (c *rawClient) cookie(host, name string) string {
	for _, ck := range c.jar.Cookies(&url.URL{Scheme: "https", Host: host, Path: "/"}) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (p rawPage) base() map[string]any {
	return map[string]any{"Uin": p.WxUin, "Sid": p.WxSid, "Skey": p.SKey, "DeviceID": "e123456789012345"}
}

func (c *rawClient) init(p rawPage) (self string, key rawSyncKey) {
	c.t.Helper()
	var ans struct {
		BaseResponse struct{ Ret int }
		User         rawUser
		SyncKey      rawSyncKey
	}
	c.postJSON(bin+"webwxinit", map[string]any{"BaseRequest": p.base()}, &ans)
	if ans.BaseResponse.Ret != 0 || ans.User.NickName != botName || ans.SyncKey.Count < len(ans.SyncKey.List) {
		c.t.Fatalf("webwxinit = %+v", ans)
	}
	return ans.User.UserName, ans.SyncKey
}

func (c *rawClient) contacts(p rawPage) []rawUser {
	c.t.Helper()
	var ans struct {
		BaseResponse struct{ Ret int }
		MemberList   []rawUser
		Seq          int
	}
	c.getJSON(bin+"webwxgetcontact?seq=0&skey="+url.QueryEscape(p.SKey), &ans)
	if ans.BaseResponse.Ret != 0 || ans.Seq != 0 {
		c.t.Fatalf("webwxgetcontact = %+v", ans)
	}
	return ans.MemberList
}

func (c *rawClient) batch(p rawPage, names ...string) []rawUser {
	c.t.Helper()
	list := []map[string]string{}
	for _, n := range names {
		list = append(list, map[string]string{"UserName": n, "EncryChatRoomId": ""})
	}
	var ans struct {
		BaseResponse struct{ Ret int }
		ContactList  []rawUser
	}
	c.postJSON(bin+"webwxbatchgetcontact?type=ex", map[string]any{"BaseRequest": p.base(), "Count": len(list), "List": list}, &ans)
	return ans.ContactList
}

func (c *rawClient) synccheck(p rawPage, key rawSyncKey) string {
	q := url.Values{"sid": {p.WxSid}, "skey": {p.SKey}, "uin": {strconv.FormatInt(p.WxUin, 10)}, "synckey": {key.param()}}
	return string(c.get("https://webpush.wx.qq.com/cgi-bin/mmwebwx-bin/synccheck?" + q.Encode()))
}

func (c *rawClient) sync(p rawPage, key rawSyncKey) ([]rawMessage, rawSyncKey) {
	c.t.Helper()
	var ans struct {
		AddMsgList []rawMessage
		SyncKey    *rawSyncKey
	}
	c.postJSON(bin+"webwxsync?sid="+url.QueryEscape(p.WxSid), map[string]any{"BaseRequest": p.base(), "SyncKey": key, "rr": "1"}, &ans)
	if ans.SyncKey == nil || ans.SyncKey.Count == 0 {
		c.t.Fatalf("webwxsync answered no SyncKey")
	}
	return ans.AddMsgList, *ans.SyncKey
}

func (c *rawClient) send(p rawPage, from, to, text string) int {
	c.t.Helper()
	var ans struct {
		BaseResponse struct{ Ret int }
		MsgID        string
	}
	msg := map[string]any{"Type": 1, "Content": text, "FromUserName": from, "ToUserName": to, "LocalID": "1", "ClientMsgId": "1"}
	c.postJSON(bin+"webwxsendmsg", map[string]any{"BaseRequest": p.base(), "Msg": msg, "Scene": 0}, &ans)
	if ans.BaseResponse.Ret == 0 && ans.MsgID == "" {
		c.t.Errorf("successful send without MsgID")
	}
	return ans.BaseResponse.Ret
}

func (c *rawClient) logout(p rawPage) {
	c.t.Helper()
	var ans struct{ BaseResponse struct{ Ret int } }
	c.getJSON(bin+"webwxlogout?redirect=1&type=1&skey="+url.QueryEscape(p.SKey), &ans)
	if ans.BaseResponse.Ret != 0 {
		c.t.Fatalf("logout ret = %d", ans.BaseResponse.Ret)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
