package wxemu_test

// The tests in this file use only the control API and plain HTTP clients, never
// openwechat, so that `go test -race -run ControlAPI ./wxemu/` checks the emulator
// itself for data races.

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/wxemu"
)

func TestControlAPIGroups(t *testing.T) {
	_, ts := newEmu(t, sampleConfig())
	type groupJSON struct {
		Name    string   `json:"name"`
		Members []string `json:"members"`
	}
	var got []groupJSON
	call(t, "GET", ts.URL+"/_emu/groups", nil, http.StatusOK, &got)
	want := []groupJSON{
		{Name: cadres, Members: []string{zhang, li, wang}},
		{Name: hotline, Members: []string{li, zhao}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups = %+v, want %+v", got, want)
	}
}

func TestControlAPIPostAndRead(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	msgsURL := func(group string) string { return ts.URL + "/_emu/groups/" + url.PathEscape(group) + "/messages" }
	type seqJSON struct {
		Seq int64 `json:"seq"`
	}

	var first, second, third seqJSON
	call(t, "POST", msgsURL(cadres), map[string]string{"from": zhang, "text": "今天的问题清单"}, http.StatusAccepted, &first)
	call(t, "POST", msgsURL(hotline), map[string]string{"from": li, "text": "工单已超期"}, http.StatusAccepted, &second)
	img := testPNG(t, 1)
	call(t, "POST", msgsURL(cadres), map[string]string{"from": wang, "image_base64": base64.StdEncoding.EncodeToString(img)}, http.StatusAccepted, &third)
	if !(first.Seq < second.Seq && second.Seq < third.Seq) {
		t.Errorf("seqs %d, %d, %d are not increasing across groups", first.Seq, second.Seq, third.Seq)
	}

	var got []wxemu.Message
	call(t, "GET", msgsURL(cadres), nil, http.StatusOK, &got)
	sum := md5.Sum(img)
	if len(got) != 2 {
		t.Fatalf("got %d messages in %s, want 2: %+v", len(got), cadres, got)
	}
	if got[0].Seq != first.Seq || got[0].From != zhang || got[0].Type != wxemu.TypeText || got[0].Text != "今天的问题清单" || got[0].Bot {
		t.Errorf("first message = %+v", got[0])
	}
	if got[1].Type != wxemu.TypeImage || got[1].ImageMD5 != hex.EncodeToString(sum[:]) || got[1].From != wang {
		t.Errorf("image message = %+v", got[1])
	}
	if got[0].At.IsZero() || time.Since(got[0].At) > time.Minute {
		t.Errorf("at = %v, want about now", got[0].At)
	}

	call(t, "GET", msgsURL(cadres)+"?after="+itoa(first.Seq), nil, http.StatusOK, &got)
	if len(got) != 1 || got[0].Seq != third.Seq {
		t.Errorf("after=%d: got %+v, want only seq %d", first.Seq, got, third.Seq)
	}
	goMsgs, err := emu.Messages(cadres, first.Seq)
	if err != nil || len(goMsgs) != 1 || string(goMsgs[0].Image) != string(img) {
		t.Errorf("Messages(after first) = %d messages, err %v; want the image with its bytes", len(goMsgs), err)
	}

	errorCases := []struct {
		name  string
		group string
		body  any
		want  int
	}{
		{"unknown group", "不存在的群", map[string]string{"from": zhang, "text": "x"}, http.StatusNotFound},
		{"unknown member", cadres, map[string]string{"from": zhao, "text": "x"}, http.StatusNotFound},
		{"bot is not a member to post as", cadres, map[string]string{"from": botName, "text": "x"}, http.StatusNotFound},
		{"unknown field", cadres, map[string]string{"from": zhang, "content": "x"}, http.StatusBadRequest},
		{"empty message", cadres, map[string]string{"from": zhang}, http.StatusBadRequest},
		{"text and image", cadres, map[string]string{"from": zhang, "text": "x", "image_base64": base64.StdEncoding.EncodeToString(img)}, http.StatusBadRequest},
		{"not base64", cadres, map[string]string{"from": zhang, "image_base64": "%%%"}, http.StatusBadRequest},
		{"not an image", cadres, map[string]string{"from": zhang, "image_base64": base64.StdEncoding.EncodeToString([]byte("hello"))}, http.StatusBadRequest},
		{"not JSON", cadres, "just a string", http.StatusBadRequest},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			var e struct {
				Error string `json:"error"`
			}
			call(t, "POST", msgsURL(tc.group), tc.body, tc.want, &e)
			if e.Error == "" {
				t.Errorf("no error message in the answer")
			}
		})
	}
	call(t, "GET", msgsURL("不存在的群"), nil, http.StatusNotFound, nil)
	call(t, "GET", msgsURL(cadres)+"?after=x", nil, http.StatusBadRequest, nil)
	call(t, "GET", msgsURL(cadres)+"?wait=forever", nil, http.StatusBadRequest, nil)
}

func TestControlAPIWaitForMessages(t *testing.T) {
	_, ts := newEmu(t, sampleConfig())
	u := ts.URL + "/_emu/groups/" + url.PathEscape(hotline) + "/messages"

	start := time.Now()
	var got []wxemu.Message
	call(t, "GET", u+"?wait=100ms", nil, http.StatusOK, &got)
	if elapsed := time.Since(start); len(got) != 0 || elapsed < 100*time.Millisecond {
		t.Errorf("empty wait returned %d messages after %v; want none after ≥100ms", len(got), elapsed)
	}

	done := make(chan []wxemu.Message, 1)
	go func() {
		var msgs []wxemu.Message
		call(t, "GET", u+"?wait=5s", nil, http.StatusOK, &msgs)
		done <- msgs
	}()
	call(t, "POST", u, map[string]string{"from": zhao, "text": "已到现场"}, http.StatusAccepted, nil)
	msgs := recv(t, done, "the waiting reader")
	if len(msgs) != 1 || msgs[0].Text != "已到现场" {
		t.Errorf("waiting reader got %+v", msgs)
	}
}

func TestControlAPISession(t *testing.T) {
	emu, ts := newEmu(t, sampleConfig())
	var info wxemu.SessionInfo
	call(t, "GET", ts.URL+"/_emu/session", nil, http.StatusOK, &info)
	if info.State != wxemu.StateLoggedOut {
		t.Errorf("initial state = %q, want %q", info.State, wxemu.StateLoggedOut)
	}
	for _, action := range []string{"scan", "confirm", "expire", "ban"} {
		call(t, "POST", ts.URL+"/_emu/session", map[string]string{"action": action}, http.StatusConflict, nil)
	}
	call(t, "POST", ts.URL+"/_emu/session", map[string]string{"action": "dance"}, http.StatusBadRequest, nil)
	call(t, "POST", ts.URL+"/_emu/session", map[string]string{"action": "throttle"}, http.StatusBadRequest, nil)
	call(t, "POST", ts.URL+"/_emu/session", map[string]any{"action": "throttle", "count": 3}, http.StatusOK, &info)
	if info.Throttle != 3 || emu.Session().Throttle != 3 {
		t.Errorf("throttle = %d (Go: %d), want 3", info.Throttle, emu.Session().Throttle)
	}
}

// TestControlAPIProtocolWalk logs in, receives, sends and logs out over the raw
// protocol with a plain client, so the race detector sees the protocol handlers.
func TestControlAPIProtocolWalk(t *testing.T) {
	cfg := sampleConfig()
	cfg.LongPoll = 300 * time.Millisecond
	emu, ts := newEmu(t, cfg)
	c := newRawClient(t, ts.URL)
	action := func(a string) {
		call(t, "POST", ts.URL+"/_emu/session", map[string]string{"action": a}, http.StatusOK, nil)
	}

	uuid := c.jslogin()
	start := time.Now()
	if got := c.poll(uuid); got != "window.code=408;" {
		t.Fatalf("poll before scan = %q, want 408", got)
	}
	if elapsed := time.Since(start); elapsed < cfg.LongPoll {
		t.Errorf("408 came after %v, want the poll held for the long poll (%v)", elapsed, cfg.LongPoll)
	}
	action("scan")
	if got := c.poll(uuid); !strings.HasPrefix(got, "window.code=201;window.userAvatar = 'data:img/jpg;base64,") {
		t.Fatalf("poll after scan = %q, want 201 with avatar", got)
	}
	action("confirm")
	page := c.newLoginPage(c.poll(uuid))
	if page.Ret != 0 {
		t.Fatalf("webwxnewloginpage ret = %d (%s)", page.Ret, page.Message)
	}
	for _, host := range []string{"wx.qq.com", "file.wx.qq.com", "webpush.wx.qq.com"} {
		if c.cookie(host, "webwx_data_ticket") == "" || c.cookie(host, "wxsid") != page.WxSid {
			t.Errorf("session cookies not visible on %s: the domain must be wx.qq.com", host)
		}
	}

	self, key := c.init(page)
	groups := c.contacts(page)
	if len(groups) != 2 || groups[0].NickName != cadres || !strings.HasPrefix(groups[0].UserName, "@@") {
		t.Fatalf("contacts = %+v", groups)
	}
	detail := c.batch(page, groups[0].UserName, "@unknown")
	if len(detail) != 2 || detail[1].UserName != "@unknown" {
		t.Fatalf("batch answer = %+v, want one entry per requested name in order", detail)
	}
	if m := detail[0].MemberList; len(m) != 4 || m[0].UserName != self || m[0].DisplayName != botName || m[1].DisplayName != zhang || m[1].AttrStatus == 0 {
		t.Errorf("member list = %+v, want the bot first then the members", m)
	}

	held := make(chan string, 1)
	go func() { held <- c.synccheck(page, key) }()
	if err := emu.Post(cadres, zhang, "请各单位<今天>下班前报送 & 确认\n谢谢"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, held, "synccheck"); got != `window.synccheck={retcode:"0",selector:"2"}` {
		t.Fatalf("synccheck = %q, want selector 2", got)
	}
	msgs, key2 := c.sync(page, key)
	want := detail[0].MemberList[1].UserName + ":<br/>请各单位&lt;今天&gt;下班前报送 &amp; 确认<br/>谢谢"
	if len(msgs) != 1 || msgs[0].Content != want || msgs[0].FromUserName != groups[0].UserName || msgs[0].ToUserName != self || msgs[0].MsgType != 1 {
		t.Fatalf("webwxsync messages = %+v, want one with content %q", msgs, want)
	}
	if got := c.synccheck(page, key2); got != `window.synccheck={retcode:"0",selector:"0"}` {
		t.Errorf("synccheck after the acknowledging key = %q, want selector 0 at timeout", got)
	}
	if again, _ := c.sync(page, key); len(again) != 1 {
		t.Errorf("sync with the old key returned %d messages, want the unacknowledged one again", len(again))
	}

	if ret := c.send(page, self, groups[0].UserName, "收到"); ret != 0 {
		t.Errorf("send ret = %d", ret)
	}
	call(t, "POST", ts.URL+"/_emu/session", map[string]any{"action": "throttle", "count": 1}, http.StatusOK, nil)
	if ret := c.send(page, self, groups[0].UserName, "太快了"); ret != 1205 {
		t.Errorf("throttled send ret = %d, want 1205", ret)
	}
	if ret := c.send(page, self, "@@not-a-group-of-this-login", "x"); ret != -1 {
		t.Errorf("send to unknown name ret = %d, want -1", ret)
	}
	got, err := emu.Messages(cadres, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Text != "收到" || !got[1].Bot || got[1].From != botName {
		t.Errorf("history = %+v, want the post and one recorded bot message", got)
	}

	c.logout(page)
	start = time.Now()
	if got := c.synccheck(page, key2); got != `window.synccheck={retcode:"1100",selector:"0"}` {
		t.Errorf("synccheck after logout = %q, want retcode 1100", got)
	}
	if elapsed := time.Since(start); elapsed < cfg.LongPoll {
		t.Errorf("1100 after logout came after %v, want it at the end of the long poll", elapsed)
	}
	if s := emu.Session(); s.State != wxemu.StateLoggedOut || s.Logins != 1 || s.Sends != 1 {
		t.Errorf("session = %+v, want logged_out after 1 login and 1 send", s)
	}
}

func TestControlAPICloseReleasesLongPolls(t *testing.T) {
	cfg := sampleConfig()
	cfg.LongPoll = time.Minute
	emu, ts := newEmu(t, cfg)
	c := newRawClient(t, ts.URL)
	uuid := c.jslogin()
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		c.poll(uuid)
		done <- time.Since(start)
	}()
	waitFor(t, "the poll to be held", func() bool { return emu.Session().State == wxemu.StateWaitingScan })
	emu.Close()
	if held := recv(t, done, "the held login poll"); held > waitLong {
		t.Errorf("poll held %v after Close", held)
	}
	call(t, "GET", ts.URL+"/_emu/session", nil, http.StatusServiceUnavailable, nil)
}

func TestControlAPIUnknownRoutes(t *testing.T) {
	_, ts := newEmu(t, sampleConfig())
	call(t, "GET", ts.URL+"/nothing-here", nil, http.StatusNotFound, nil)
	c := newRawClient(t, ts.URL)
	var got struct{ BaseResponse struct{ Ret int } }
	c.getJSON("https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxgetvoice?msgid=1", &got)
	if got.BaseResponse.Ret != 1 {
		t.Errorf("not emulated endpoint ret = %d, want 1", got.BaseResponse.Ret)
	}
}
