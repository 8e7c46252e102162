package dtemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/dtemu"
)

func newEmu(t *testing.T) (*dtemu.Server, string) {
	t.Helper()
	s := dtemu.New(dtemu.Config{ClientID: "k", ClientSecret: "s", Groups: []dtemu.GroupConfig{
		{Name: "城管工作群", ChatID: "cidA==", Members: []dtemu.Person{{Name: "周局长", UserID: "zhouju"}}},
	}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	return s, srv.URL
}

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestControlAPI_ShapeLikeWxemu(t *testing.T) {
	_, url := newEmu(t)
	code, body := call(t, "GET", url+"/_emu/groups", "")
	var groups []map[string]any
	if err := json.Unmarshal([]byte(body), &groups); code != 200 || err != nil || len(groups) != 1 {
		t.Fatalf("groups: %d %s", code, body)
	}
	if !strings.Contains(body, `"platform":"dingtalk"`) || !strings.Contains(body, `"chat_id":"cidA=="`) {
		t.Errorf("groups = %s", body)
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/_emu/groups/城管工作群/messages", `{"from":"周局长","text":"收到"}`, 202},
		{"POST", "/_emu/groups/城管工作群/messages", `{"from":"周局长","content":"typo"}`, 400},
		{"POST", "/_emu/groups/城管工作群/messages", `{"from":"路人","text":"x"}`, 404},
		{"POST", "/_emu/groups/没有的群/messages", `{"from":"周局长","text":"x"}`, 404},
		{"POST", "/_emu/groups/城管工作群/messages", `{"from":"周局长","image_base64":"%%%"}`, 400},
		{"GET", "/_emu/groups/城管工作群/messages?after=0&wait=10ms", "", 200},
		{"GET", "/_emu/groups/城管工作群/messages?wait=2h", "", 400},
		{"GET", "/_emu/session", "", 200},
		{"POST", "/_emu/session", `{"action":"throttle"}`, 400},
		{"POST", "/_emu/session", `{"action":"explode"}`, 400},
		{"POST", "/_emu/session", `{"action":"expire_token"}`, 200},
		// Nothing to redeliver: no message reached the robot yet.
		{"POST", "/_emu/session", `{"action":"redeliver"}`, 400},
	} {
		if code, body := call(t, c.method, url+c.path, c.body); code != c.want {
			t.Errorf("%s %s %s = %d %s, want %d", c.method, c.path, c.body, code, body, c.want)
		}
	}
	_, body = call(t, "GET", url+"/_emu/groups/城管工作群/messages", "")
	if !strings.Contains(body, `"text":"收到"`) {
		t.Errorf("history = %s", body)
	}
}

func TestOpenAPI_CredentialsTicketsAndTokens(t *testing.T) {
	_, url := newEmu(t)
	if code, _ := call(t, "POST", url+"/v1.0/gateway/connections/open", `{"clientId":"k","clientSecret":"bad"}`); code != 401 {
		t.Errorf("open with a bad secret = %d", code)
	}
	code, body := call(t, "POST", url+"/v1.0/gateway/connections/open", `{"clientId":"k","clientSecret":"s"}`)
	var ep struct{ Endpoint, Ticket string }
	if code != 200 || json.Unmarshal([]byte(body), &ep) != nil || !strings.HasPrefix(ep.Endpoint, "ws://") || ep.Ticket == "" {
		t.Fatalf("open = %d %s", code, body)
	}
	// Without a WebSocket upgrade the ticket is spent and refused after.
	call(t, "GET", url+"/connect?ticket="+ep.Ticket, "")
	if code, _ := call(t, "GET", url+"/connect?ticket="+ep.Ticket, ""); code != 401 {
		t.Errorf("reused ticket = %d, want 401", code)
	}
	if code, _ := call(t, "POST", url+"/v1.0/oauth2/accessToken", `{"appKey":"k","appSecret":"x"}`); code != 400 {
		t.Errorf("token with a bad secret = %d", code)
	}
	if code, body := call(t, "POST", url+"/v1.0/robot/groupMessages/send", `{"msgKey":"sampleText","msgParam":"{}"}`); code != 400 || !strings.Contains(body, "InvalidAuthentication") {
		t.Errorf("send without a token = %d %s", code, body)
	}
	if code, body := call(t, "POST", url+"/robot/sendBySession?session=nope", `{"msgtype":"text","text":{"content":"x"}}`); code != 200 || !strings.Contains(body, "300001") {
		t.Errorf("unknown session = %d %s", code, body)
	}
}

func TestConfig_Validate(t *testing.T) {
	err := dtemu.Config{Groups: []dtemu.GroupConfig{{Name: "a"}, {Name: "a", ChatID: "c"}, {Name: "b", ChatID: "c", Members: []dtemu.Person{{Name: "x"}}}}}.Validate()
	for _, want := range []string{"client_id", "empty chat_id", "listed twice", "user_id are required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}
