package wecom_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/wecom"
	"github.com/qunzhu/qunzhu/wecomemu"
)

// These tests run the adapter against the emulator, which encrypts, signs and
// checks as WeCom does with its own crypto, over a real SQLite store.

const (
	testToken  = "qunzhuTestToken"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testKey    = "robot-key-0123456789"
	testGroup  = "城管企微群"
	testChat   = "wrkSFfCgAAxxxxTESTCHAT"
)

type rig struct {
	t       *testing.T
	store   *sqlite.Store
	dbPath  string
	emu     *wecomemu.Server
	adapter *wecom.Adapter
	group   *qunzhu.Group
	cbURL   string

	mu  sync.Mutex
	ins []*qunzhu.Inbound
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, dbPath: filepath.Join(t.TempDir(), "qunzhu.db")}
	var err error
	if r.store, err = sqlite.Open(context.Background(), r.dbPath, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	err = r.store.Update(context.Background(), func(tx qunzhu.Tx) error {
		if r.group, err = tx.CreatePlatformGroup(qunzhu.PlatformWeCom, testChat, testGroup); err != nil {
			return err
		}
		if err := tx.CreateMember(&qunzhu.Member{GroupID: r.group.ID, Name: "张三", Role: qunzhu.RoleOwner, Bound: true,
			Identity: qunzhu.Identity{SessionKey: "zhangsan", UserID: "zhangsan", DisplayName: "张三"}}); err != nil {
			return err
		}
		return tx.CreateMember(&qunzhu.Member{GroupID: r.group.ID, Name: "李四", Bound: true,
			Identity: qunzhu.Identity{SessionKey: "lisi", UserID: "lisi", DisplayName: "李四"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	r.emu = wecomemu.New(wecomemu.Config{Token: testToken, EncodingAESKey: testAESKey, BotID: "aibot1", RobotName: "群主助手",
		Groups: []wecomemu.GroupConfig{{Name: testGroup, ChatID: testChat, WebhookKey: testKey,
			Members: []wecomemu.Person{{Name: "张三", UserID: "zhangsan"}, {Name: "路人", UserID: "luren"}}}}})
	emuSrv := httptest.NewServer(r.emu)
	t.Cleanup(emuSrv.Close)
	r.emu.SetBaseURL(emuSrv.URL)
	r.adapter, err = wecom.New(wecom.Config{Token: testToken, EncodingAESKey: testAESKey, BotID: "aibot1",
		Robots: map[string]string{testChat: testKey}, APIBase: emuSrv.URL, Store: r.store, Inbox: r.store,
		Handler: func(_ context.Context, in *qunzhu.Inbound) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.ins = append(r.ins, in)
		}})
	if err != nil {
		t.Fatal(err)
	}
	cb := httptest.NewServer(r.adapter.CallbackHandler())
	t.Cleanup(cb.Close)
	r.cbURL = cb.URL + "/wecom/callback"
	r.emu.SetCallbackURL(r.cbURL)
	return r
}

func (r *rig) inbounds() []*qunzhu.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*qunzhu.Inbound(nil), r.ins...)
}

func (r *rig) post(from, text string, img []byte) *wecomemu.PostResult {
	r.t.Helper()
	res, err := r.emu.Post(context.Background(), testGroup, from, text, img)
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

// rows counts a table's rows straight from the database file.
func (r *rig) rows(table string) int {
	r.t.Helper()
	db, err := sql.Open("sqlite", r.dbPath)
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) robotMessages(after int64) []wecomemu.Message {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ms, err := r.emu.WaitMessages(ctx, testGroup, after)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []wecomemu.Message
	for _, m := range ms {
		if m.Bot {
			out = append(out, m)
		}
	}
	return out
}

// A poster who writes the @ themselves gets it once, as a WeCom client shows it.
func TestEmulatorWritesTheMentionOnce(t *testing.T) {
	r := newRig(t)
	r.post("张三", "@群主助手 /ping", nil)
	ins := r.inbounds()
	if len(ins) != 1 || ins[0].Text != "@群主助手 /ping" || len(ins[0].Mentions) != 1 {
		t.Fatalf("inbound %+v", ins)
	}
}

func TestCallbackIsHandledOnceWithTheSendersIdentity(t *testing.T) {
	r := newRig(t)
	if err := r.emu.Inject("redeliver", 1); err != nil {
		t.Fatal(err)
	}
	res := r.post("张三", "/ping", nil)
	if res.Deliveries != 2 || res.CallbackStatus != http.StatusOK {
		t.Fatalf("post = %+v, want 2 deliveries answered 200", res)
	}
	ins := r.inbounds()
	if len(ins) != 1 {
		t.Fatalf("handler got %d messages, want 1 (the redelivery is dropped)", len(ins))
	}
	in := ins[0]
	if in.Platform != qunzhu.PlatformWeCom || in.GroupID != r.group.ID || in.ID != res.MsgID || !in.AtBot {
		t.Errorf("inbound = %+v", in)
	}
	if in.Member == nil || in.Member.Name != "张三" || in.Sender.UserID != "zhangsan" || in.Sender.SessionKey != "zhangsan" {
		t.Errorf("sender = %+v, member %+v", in.Sender, in.Member)
	}
	if in.Text != "@群主助手 /ping" || len(in.Mentions) != 1 || in.Mentions[0] != "群主助手" {
		t.Errorf("text %q mentions %q", in.Text, in.Mentions)
	}

	r.post("路人", "/ping", nil)
	if ins := r.inbounds(); len(ins) != 2 || ins[1].Member != nil || ins[1].Sender.UserID != "luren" {
		t.Errorf("an unregistered sender: %+v", ins[len(ins)-1])
	}
}

// TestBadCallbacksChangeNothing: a wrong signature, a broken body or a key
// that is not the robot's is refused, the handler never runs, and no row is
// written.
func TestBadCallbacksChangeNothing(t *testing.T) {
	r := newRig(t)
	if err := r.emu.Inject("bad_signature", 1); err != nil {
		t.Fatal(err)
	}
	if res := r.post("张三", "/ping", nil); res.CallbackStatus != http.StatusForbidden {
		t.Errorf("bad signature answered %d, want 403", res.CallbackStatus)
	}
	for name, body := range map[string]string{"not JSON": "<xml/>", "no encrypt": `{}`, "huge": `{"encrypt":"` + strings.Repeat("A", 2<<20) + `"}`} {
		resp, err := http.Post(r.cbURL+"?msg_signature=x&timestamp=1&nonce=2", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 4 {
			t.Errorf("%s: status %d, want 4xx", name, resp.StatusCode)
		}
	}
	// Signed with the right token but sealed with another key.
	other := wecomemu.New(wecomemu.Config{Token: testToken, EncodingAESKey: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", RobotName: "x",
		CallbackURL: r.cbURL, Groups: []wecomemu.GroupConfig{{Name: testGroup, ChatID: testChat, WebhookKey: "k", Members: []wecomemu.Person{{Name: "张三", UserID: "zhangsan"}}}}})
	if res, err := other.Post(context.Background(), testGroup, "张三", "/ping", nil); err != nil || res.CallbackStatus != http.StatusBadRequest {
		t.Errorf("other key: %+v, %v; want 400", res, err)
	}
	// A correctly signed callback, but two days old: a replay.
	c, _ := wecom.NewCrypto(testToken, testAESKey, "")
	enc, _ := c.Encrypt([]byte(`{"msgid":"old1","aibotid":"aibot1","chatid":"`+testChat+`","chattype":"group","msgtype":"text","text":{"content":"@群主助手 /ping"},"from":{"userid":"zhangsan"}}`), nil)
	old := strconv.FormatInt(time.Now().Add(-48*time.Hour).Unix(), 10)
	resp, err := http.Post(r.cbURL+"?msg_signature="+c.Sign(old, "n1", enc)+"&timestamp="+old+"&nonce=n1", "application/json",
		strings.NewReader(`{"encrypt":"`+enc+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("stale callback: %d, want 403", resp.StatusCode)
	}
	resp, err = http.Get(r.cbURL + "?msg_signature=bad&timestamp=1&nonce=2&echostr=abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("URL check with a bad signature: %d, want 403", resp.StatusCode)
	}
	if n := len(r.inbounds()); n != 0 {
		t.Errorf("handler ran %d times", n)
	}
	for _, table := range []string{"wecom_inbound", "outbox", "members"} {
		want := map[string]int{"members": 2}[table]
		if n := r.rows(table); n != want {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}
	if err := r.emu.VerifyURL(context.Background()); err != nil {
		t.Errorf("URL check with the right signature: %v", err)
	}
	// The stale callback, signed now, is taken: it was refused for its age only.
	now := strconv.FormatInt(time.Now().Unix(), 10)
	resp, err = http.Post(r.cbURL+"?msg_signature="+c.Sign(now, "n1", enc)+"&timestamp="+now+"&nonce=n1", "application/json",
		strings.NewReader(`{"encrypt":"`+enc+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(r.inbounds()) != 1 {
		t.Errorf("fresh callback: %d, %d handled; want 200 and 1", resp.StatusCode, len(r.inbounds()))
	}
}

// TestReplyUsesResponseURLOnceThenTheRobot: the first send of a reply quotes
// the question through response_url; a repeat goes through the group robot
// with a real mention of the userid the text names.
func TestReplyUsesResponseURLOnceThenTheRobot(t *testing.T) {
	r := newRig(t)
	res := r.post("张三", "/ping", nil)
	m := &qunzhu.OutMessage{GroupID: r.group.ID, Kind: qunzhu.KindReply, DedupKey: "reply:" + res.MsgID, Text: qunzhu.Mention("张三") + "pong"}
	ctx := context.Background()
	if err := r.adapter.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := r.robotMessages(res.Seq)
	if len(got) != 1 || got[0].Via != "response_url" || got[0].Type != "markdown" || !strings.HasSuffix(got[0].Text, "pong") {
		t.Fatalf("first reply: %+v", got)
	}
	if err := r.adapter.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	got = r.robotMessages(got[0].Seq)
	if len(got) != 1 || got[0].Via != "webhook" || got[0].Type != "text" || len(got[0].Mentions) != 1 || got[0].Mentions[0] != "zhangsan" {
		t.Fatalf("second send: %+v", got)
	}
	// A reply naming someone else (a 督办 assignee) goes through the robot,
	// which notifies both for real, even while its response_url is fresh.
	res2 := r.post("张三", "/督办 @李四 事项", nil)
	if err := r.adapter.Send(ctx, &qunzhu.OutMessage{GroupID: r.group.ID, Kind: qunzhu.KindReply, DedupKey: "reply:" + res2.MsgID,
		Text: qunzhu.Mention("张三") + "【督办#1】事项 " + qunzhu.Mention("李四")}); err != nil {
		t.Fatal(err)
	}
	got = r.robotMessages(res2.Seq)
	if len(got) != 1 || got[0].Via != "webhook" || strings.Join(got[0].Mentions, ",") != "zhangsan,lisi" {
		t.Fatalf("reply naming another: %+v", got)
	}
	// A feature's At list wins over names in the text.
	at := &qunzhu.OutMessage{GroupID: r.group.ID, Kind: qunzhu.KindReminder, Text: "提醒", At: []qunzhu.At{{Name: "路人", UserID: "luren"}}}
	if err := r.adapter.Send(ctx, at); err != nil {
		t.Fatal(err)
	}
	if got = r.robotMessages(got[0].Seq); len(got) != 1 || len(got[0].Mentions) != 1 || got[0].Mentions[0] != "luren" {
		t.Fatalf("At list: %+v", got)
	}
}

// TestSendMapsWeComErrors: the errcodes that matter become the sender's
// errors, and no error shows the robot key.
func TestSendMapsWeComErrors(t *testing.T) {
	r := newRig(t)
	m := &qunzhu.OutMessage{GroupID: r.group.ID, Kind: qunzhu.KindAlert, Text: "告警"}
	for fault, want := range map[string]error{"rate_limit": qunzhu.ErrThrottled, "invalid_key": qunzhu.ErrGroupUnavailable, "server_error": nil} {
		if err := r.emu.Inject(fault, 1); err != nil {
			t.Fatal(err)
		}
		err := r.adapter.Send(context.Background(), m)
		switch {
		case err == nil:
			t.Errorf("%s: no error", fault)
		case want != nil && !errors.Is(err, want):
			t.Errorf("%s: %v, want %v", fault, err, want)
		case want == nil && (errors.Is(err, qunzhu.ErrThrottled) || errors.Is(err, qunzhu.ErrGroupUnavailable)):
			t.Errorf("%s: %v, want a plain retry", fault, err)
		}
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Errorf("%s: error shows the key: %v", fault, err)
		}
	}
	// The emulator's own limit: the 21st message in a minute is refused.
	var err error
	for i := 0; i < 21 && err == nil; i++ {
		err = r.adapter.Send(context.Background(), m)
	}
	if !errors.Is(err, qunzhu.ErrThrottled) {
		t.Errorf("21 sends in a minute: %v, want ErrThrottled", err)
	}
}

func TestLongTextIsSplitAndPicturesArrive(t *testing.T) {
	r := newRig(t)
	long := strings.Repeat("整改进度汇报第一行内容。\n", 200) // ~7 KB
	if err := r.adapter.Send(context.Background(), &qunzhu.OutMessage{GroupID: r.group.ID, Kind: qunzhu.KindBroadcast, Text: long}); err != nil {
		t.Fatal(err)
	}
	got := r.robotMessages(0)
	var joined strings.Builder
	for _, m := range got {
		if len(m.Text) > 2048 || !utf8.ValidString(m.Text) {
			t.Errorf("part of %d bytes", len(m.Text))
		}
		joined.WriteString(m.Text + "\n")
	}
	if len(got) < 4 || joined.String() != long { // each part loses the line end it was cut at
		t.Errorf("%d parts do not add up to the text", len(got))
	}

	img := bytes.Repeat([]byte("PNGDATA"), 3000)
	res := r.post("张三", "/交作业 本周进度", img)
	ins := r.inbounds()
	if len(ins) != 2 || ins[0].IsImage || !ins[1].IsImage || ins[1].ID != res.MsgID+"#2" {
		t.Fatalf("mixed message: %+v", ins)
	}
	b, err := ins[1].Image(context.Background())
	if err != nil || !bytes.Equal(b, img) {
		t.Errorf("picture: %d bytes, %v", len(b), err)
	}
}
