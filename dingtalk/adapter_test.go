package dingtalk_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/dingtalk"
	"github.com/qunzhu/qunzhu/dtemu"
	"github.com/qunzhu/qunzhu/sqlite"
)

const (
	clientID = "dingemuappkey"
	secret   = "emu-secret-0123456789abcdef"
	chatID   = "cidCHENGGUAN=="
)

// world is the real SDK and adapter against the emulator, over a real store.
type world struct {
	emu     *dtemu.Server
	url     string
	store   *sqlite.Store
	group   *qunzhu.Group
	a       *dingtalk.Adapter
	logs    *syncBuffer
	mu      sync.Mutex
	got     []*qunzhu.Inbound
	arrived chan *qunzhu.Inbound
	slow    time.Duration // the handler takes this long
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newWorld(t *testing.T, mod func(*dtemu.Config, *dingtalk.Config)) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{arrived: make(chan *qunzhu.Inbound, 100), logs: &syncBuffer{}}
	ecfg := dtemu.Config{ClientID: clientID, ClientSecret: secret, Groups: []dtemu.GroupConfig{{
		Name: "城管工作群", ChatID: chatID,
		Members: []dtemu.Person{{Name: "周局长", UserID: "zhouju"}, {Name: "吴科长", UserID: "wukz"}},
	}}}
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w.store = store
	if err := store.Update(ctx, func(tx qunzhu.Tx) error {
		g, err := tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, chatID, "城管工作群")
		if err != nil {
			return err
		}
		w.group = g
		return tx.CreateMember(&qunzhu.Member{GroupID: g.ID, Name: "周局长", Unit: "市城管委", Role: qunzhu.RoleOwner,
			Bound: true, Identity: qunzhu.Identity{SessionKey: "zhouju", UserID: "zhouju"}})
	}); err != nil {
		t.Fatal(err)
	}
	dcfg := dingtalk.Config{
		ClientID: clientID, ClientSecret: secret, Store: store,
		Logger: slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Handler: func(ctx context.Context, in *qunzhu.Inbound) {
			w.mu.Lock()
			w.got = append(w.got, in)
			slow := w.slow
			w.mu.Unlock()
			time.Sleep(slow) // a slow command, so the gateway's redelivery overlaps it
			w.arrived <- in
		},
	}
	if mod != nil {
		mod(&ecfg, &dcfg)
	}
	w.emu = dtemu.New(ecfg)
	srv := httptest.NewServer(w.emu)
	t.Cleanup(srv.Close)
	t.Cleanup(w.emu.Close)
	w.url = srv.URL
	dcfg.OpenAPIHost, dcfg.OAPIHost = srv.URL, srv.URL
	w.a, err = dingtalk.New(dcfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.a.Run(runCtx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

func (w *world) waitOnline(t *testing.T) {
	t.Helper()
	waitFor(t, "the robot online", func() bool { return w.a.State() == qunzhu.StateOnline })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a reconnection takes ~12 s
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *world) post(t *testing.T, from, text string, img []byte) string {
	t.Helper()
	_, id, err := w.emu.Post("城管工作群", from, text, img)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *world) next(t *testing.T) *qunzhu.Inbound {
	t.Helper()
	select {
	case in := <-w.arrived:
		return in
	case <-time.After(15 * time.Second):
		t.Fatal("no inbound message")
	}
	return nil
}

func (w *world) robotMessages(t *testing.T) []dtemu.Message {
	t.Helper()
	all, err := w.emu.Messages("城管工作群", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []dtemu.Message
	for _, m := range all {
		if m.Bot {
			out = append(out, m)
		}
	}
	return out
}

func TestInbound_TextWithMentionsThroughTheRealSDK(t *testing.T) {
	w := newWorld(t, nil)
	w.waitOnline(t)
	id := w.post(t, "周局长", "@群主助手 /成员 添加 @吴科长 单位=执法队", nil)
	in := w.next(t)
	if in.ID != id || in.Platform != qunzhu.PlatformDingTalk || in.GroupID != w.group.ID || !in.AtBot {
		t.Fatalf("inbound = %+v", in)
	}
	if strings.Contains(in.Text, "@群主助手") || !strings.Contains(in.Text, "/成员 添加 @吴科长") {
		t.Errorf("text = %q", in.Text)
	}
	if len(in.MentionIDs) != 1 || in.MentionIDs[0] != "wukz" || len(in.Mentions) != 1 || in.Mentions[0] != "吴科长" {
		t.Errorf("mentions = %v / %v", in.Mentions, in.MentionIDs)
	}
	if in.Sender.UserID != "zhouju" || in.Member == nil || in.Member.Name != "周局长" {
		t.Errorf("sender = %+v, member %+v", in.Sender, in.Member)
	}
	// A message that does not @ the robot never reaches it.
	w.post(t, "吴科长", "收到", nil)
	w.post(t, "吴科长", "@群主助手 /ping", nil)
	if in := w.next(t); in.Member != nil || in.Sender.UserID != "wukz" || strings.TrimSpace(in.Text) != "/ping" {
		t.Errorf("second inbound = %+v", in)
	}
}

func TestInbound_RedeliveredMessageHandledOnce(t *testing.T) {
	w := newWorld(t, func(e *dtemu.Config, _ *dingtalk.Config) { e.Redeliver = 100 * time.Millisecond })
	w.waitOnline(t)
	w.mu.Lock()
	w.slow = 400 * time.Millisecond // the gateway redelivers while the handler works
	w.mu.Unlock()
	id := w.post(t, "周局长", "@群主助手 /ping", nil)
	w.next(t)
	waitFor(t, "the ack", func() bool { return w.emu.Stats().Pending == 0 })
	if st := w.emu.Stats(); st.Redelivered == 0 {
		t.Fatalf("the emulator never redelivered: %+v", st)
	}
	// Delivered again after the ack, as the gateway may do.
	if err := w.emu.Redeliver(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "acks of every delivery", func() bool { return w.emu.Acks(id) >= 1+w.emu.Stats().Redelivered })
	w.mu.Lock()
	n := len(w.got)
	w.mu.Unlock()
	if n != 1 {
		t.Errorf("handled %d times, want once", n)
	}
}

func TestSend_SessionWebhookThenGroupSendWhenExpired(t *testing.T) {
	w := newWorld(t, nil)
	w.waitOnline(t)
	ctx := context.Background()
	w.post(t, "周局长", "@群主助手 /ping", nil)
	w.next(t)
	reply := &qunzhu.OutMessage{GroupID: w.group.ID, Kind: qunzhu.KindReply, Text: qunzhu.Mention("周局长") + "pong",
		At: []qunzhu.At{{Name: "周局长", UserID: "zhouju"}}}
	if err := w.a.Send(ctx, reply); err != nil {
		t.Fatal(err)
	}
	got := w.robotMessages(t)
	if len(got) != 1 || got[0].Via != "session" || len(got[0].AtUserIDs) != 1 || got[0].AtUserIDs[0] != "zhouju" ||
		!strings.Contains(got[0].Text, "@zhouju") || !strings.Contains(got[0].Text, "pong") {
		t.Fatalf("robot messages = %+v", got)
	}
	// The webhook expires early: the reply still arrives, by group send.
	w.emu.ExpireSessions()
	if err := w.a.Send(ctx, reply); err != nil {
		t.Fatal(err)
	}
	// A reminder (not a reply, no mention) always goes by group send.
	if err := w.a.Send(ctx, &qunzhu.OutMessage{GroupID: w.group.ID, Kind: qunzhu.KindReminder, Text: "提醒"}); err != nil {
		t.Fatal(err)
	}
	got = w.robotMessages(t)
	if len(got) != 3 || got[1].Via != "openapi" || got[2].Via != "openapi" || got[2].Text != "提醒" {
		t.Fatalf("after expiry = %+v", got)
	}
}

func TestSend_TokenRefreshedThrottleAndFailureMapped(t *testing.T) {
	w := newWorld(t, nil)
	w.waitOnline(t)
	ctx := context.Background()
	msg := &qunzhu.OutMessage{GroupID: w.group.ID, Kind: qunzhu.KindAlert, Text: "告警"}
	if err := w.a.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	w.emu.ExpireTokens()
	if err := w.a.Send(ctx, msg); err != nil {
		t.Fatalf("send after the token expired: %v", err)
	}
	if st := w.emu.Stats(); st.TokensIssued != 2 || st.GroupSends != 2 {
		t.Errorf("stats = %+v, want a second token and two sends", st)
	}
	action(t, w, `{"action":"throttle","count":1}`)
	if err := w.a.Send(ctx, msg); !errors.Is(err, qunzhu.ErrThrottled) {
		t.Errorf("throttled send = %v, want ErrThrottled", err)
	}
	action(t, w, `{"action":"fail","count":1}`)
	err := w.a.Send(ctx, msg)
	if err == nil || errors.Is(err, qunzhu.ErrThrottled) || errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("5xx send = %v, want a plain (retried) error", err)
	}
	// Unknown group id on DingTalk: the robot is not in it.
	var other *qunzhu.Group
	if err := w.store.Update(ctx, func(tx qunzhu.Tx) error {
		var err error
		other, err = tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cidGONE==", "已解散的群")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.a.Send(ctx, &qunzhu.OutMessage{GroupID: other.ID, Kind: qunzhu.KindAlert, Text: "x"}); !errors.Is(err, qunzhu.ErrGroupUnavailable) {
		t.Errorf("send to a group without the robot = %v", err)
	}
	if strings.Contains(w.logs.String(), secret) {
		t.Error("the client secret reached the log")
	}
}

func TestInbound_PictureDownloadedWithToken(t *testing.T) {
	w := newWorld(t, nil)
	w.waitOnline(t)
	pic := []byte("\x89PNG fake picture")
	w.post(t, "周局长", "", pic)
	in := w.next(t)
	if !in.IsImage || in.Image == nil {
		t.Fatalf("inbound = %+v", in)
	}
	b, err := in.Image(context.Background())
	if err != nil || !bytes.Equal(b, pic) {
		t.Errorf("picture = %q, %v", b, err)
	}
}

func TestRun_ReconnectsAfterTheStreamDrops(t *testing.T) {
	w := newWorld(t, nil)
	w.waitOnline(t)
	action(t, w, `{"action":"drop"}`)
	waitFor(t, "the stream to be dropped", func() bool { return w.emu.Stats().Connections == 0 })
	// Posted while disconnected: kept by the gateway, delivered on reconnect.
	w.post(t, "周局长", "@群主助手 /ping", nil)
	if in := w.next(t); strings.TrimSpace(in.Text) != "/ping" {
		t.Errorf("after reconnect = %+v", in)
	}
	if st := w.emu.Stats(); st.Opens < 2 {
		t.Errorf("opens = %d, want a reconnection", st.Opens)
	}
}

func TestRun_BadCredentialsStayOfflineWithoutLeakingTheSecret(t *testing.T) {
	w := newWorld(t, func(_ *dtemu.Config, d *dingtalk.Config) { d.ClientSecret = "wrong-secret-value-42" })
	waitFor(t, "offline", func() bool { return w.a.State() == qunzhu.StateOffline })
	err := w.a.Send(context.Background(), &qunzhu.OutMessage{GroupID: w.group.ID, Kind: qunzhu.KindAlert, Text: "x"})
	if !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("send while offline = %v", err)
	}
	if strings.Contains(w.logs.String(), "wrong-secret-value-42") {
		t.Errorf("secret in the log:\n%s", w.logs.String())
	}
}

func action(t *testing.T, w *world, body string) {
	t.Helper()
	resp, err := httpPost(w.url+"/_emu/session", body)
	if err != nil || resp != 200 {
		t.Fatalf("action %s: %d %v", body, resp, err)
	}
}

// TestRun_SurvivesAPongThatNeverComes: the gateway stops answering pings (a
// network stall). The SDK v0.9.1 panics in a goroutine here and kills the
// process; the pinned version reconnects, and messages flow again.
func TestRun_SurvivesAPongThatNeverComes(t *testing.T) {
	w := newWorld(t, func(_ *dtemu.Config, d *dingtalk.Config) { d.KeepAlive = 3 * time.Second })
	w.waitOnline(t)
	action(t, w, `{"action":"withhold_pong"}`)
	waitFor(t, "a reconnection after the missed pong", func() bool { return w.emu.Stats().Opens >= 2 })
	action(t, w, `{"action":"answer_pong"}`)
	w.post(t, "周局长", "@群主助手 /ping", nil)
	if in := w.next(t); strings.TrimSpace(in.Text) != "/ping" {
		t.Errorf("after the stall = %+v", in)
	}
}

// TestInbound_UnregisteredGroupIgnoredButAcked: a group the robot was added
// to but nobody registered gets no answer; its messages are acknowledged (not
// redelivered forever) and its chat id is logged for the owner to copy.
func TestInbound_UnregisteredGroupIgnoredButAcked(t *testing.T) {
	w := newWorld(t, func(e *dtemu.Config, _ *dingtalk.Config) {
		e.Groups = append(e.Groups, dtemu.GroupConfig{Name: "新建群", ChatID: "cidNEW==",
			Members: []dtemu.Person{{Name: "周局长", UserID: "zhouju"}}})
	})
	w.waitOnline(t)
	if _, _, err := w.emu.Post("新建群", "周局长", "@群主助手 /ping", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ack", func() bool { st := w.emu.Stats(); return st.Acks >= 1 && st.Pending == 0 })
	if !strings.Contains(w.logs.String(), `chat_id="cidNEW=="`) {
		t.Errorf("the chat id is not logged:\n%s", w.logs.String())
	}
	w.post(t, "周局长", "@群主助手 /ping", nil)
	if in := w.next(t); in.GroupID != w.group.ID {
		t.Errorf("first handled message = %+v, want the registered group's", in)
	}
}

func TestSend_PictureUploadedThenSent(t *testing.T) {
	w := newWorld(t, nil)
	w.waitOnline(t)
	ctx := context.Background()
	pic := []byte("\x89PNG a broadcast picture")
	sum := md5.Sum(pic)
	if err := w.a.Send(ctx, &qunzhu.OutMessage{GroupID: w.group.ID, Kind: qunzhu.KindBroadcast, Text: "端午安康", Image: pic}); err != nil {
		t.Fatal(err)
	}
	// A picture alone, with the token expired: the upload refreshes it.
	w.emu.ExpireTokens()
	if err := w.a.Send(ctx, &qunzhu.OutMessage{GroupID: w.group.ID, Kind: qunzhu.KindBroadcast, Image: pic}); err != nil {
		t.Fatal(err)
	}
	got := w.robotMessages(t)
	if len(got) != 3 || got[0].Text != "端午安康" || got[1].Type != "picture" || got[2].Type != "picture" ||
		got[1].ImageMD5 != hex.EncodeToString(sum[:]) || got[2].ImageMD5 != got[1].ImageMD5 {
		t.Fatalf("robot messages = %+v", got)
	}
}
