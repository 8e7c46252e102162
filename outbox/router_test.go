package outbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/ratelimit"
)

// dingTalkGroup adds a DingTalk group to e.
func (e *env) dingTalkGroup(t *testing.T, chatID string) int64 {
	t.Helper()
	var id int64
	if err := e.store.Update(context.Background(), func(tx qunzhu.Tx) error {
		g, err := tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, chatID, "钉钉"+chatID)
		id = g.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func startRouter(t *testing.T, e *env, lanes ...outbox.Lane) *outbox.Router {
	t.Helper()
	for i := range lanes {
		if lanes[i].Config.Poll == 0 {
			lanes[i].Config.Poll = 10 * time.Millisecond
		}
	}
	r, err := outbox.NewRouter(e.store, ratelimit.NewLocal(nil), nil, nil, lanes...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { cancel(); <-done }) })
	return r
}

func TestRouter_WeChatOutageHoldsOnlyWeChatGroups(t *testing.T) {
	e := newEnv(t)
	dt := e.dingTalkGroup(t, "cidA==")
	wx, ding := newRecorder(), newRecorder()
	wx.setState(qunzhu.StateBanned)
	r := startRouter(t, e,
		outbox.Lane{Platform: qunzhu.PlatformWeChat, Messenger: wx, Config: outbox.Config{Limits: fast()}},
		outbox.Lane{Platform: qunzhu.PlatformDingTalk, Messenger: ding, Config: outbox.Config{Limits: fast()}})

	e.enqueue(t, e.group, qunzhu.KindReply, "微信回复")
	e.enqueue(t, dt, qunzhu.KindReply, "钉钉回复")
	waitFor(t, "the DingTalk reply", func() bool { return equal(ding.texts(), []string{"钉钉回复"}) })
	if got := wx.texts(); len(got) != 0 {
		t.Fatalf("WeChat sent while banned: %v", got)
	}
	states := r.States()
	if states[qunzhu.PlatformWeChat] != qunzhu.StateBanned || states[qunzhu.PlatformDingTalk] != qunzhu.StateOnline {
		t.Errorf("States = %v", states)
	}
	// A later DingTalk message is woken by the enqueue, not a poll: the
	// WeChat lane must not swallow the one store signal.
	e.enqueue(t, dt, qunzhu.KindReply, "钉钉二")
	waitFor(t, "the second DingTalk reply", func() bool { return len(ding.texts()) == 2 })

	wx.setState(qunzhu.StateOnline)
	waitFor(t, "the WeChat reply after login", func() bool { return equal(wx.texts(), []string{"微信回复"}) })
	if got := ding.texts(); len(got) != 2 {
		t.Errorf("DingTalk got WeChat's message: %v", got)
	}
}

func TestRouter_ThrottleBacksOffOnePlatformOnly(t *testing.T) {
	e := newEnv(t)
	dt := e.dingTalkGroup(t, "cidA==")
	wx, ding := newRecorder(), newRecorder()
	var once sync.Once
	ding.fail = func(m *qunzhu.OutMessage) error {
		var err error
		once.Do(func() { err = qunzhu.ErrThrottled })
		return err
	}
	r := startRouter(t, e,
		outbox.Lane{Platform: qunzhu.PlatformWeChat, Messenger: wx, Config: outbox.Config{Limits: fast()}},
		outbox.Lane{Platform: qunzhu.PlatformDingTalk, Messenger: ding, Config: outbox.Config{Limits: fast(), ThrottleBackoff: time.Hour}})
	e.enqueue(t, dt, qunzhu.KindReply, "钉钉")
	waitFor(t, "the DingTalk lane to back off", func() bool { return !r.Sender(qunzhu.PlatformDingTalk).ThrottledUntil().IsZero() })
	e.enqueue(t, e.group, qunzhu.KindReply, "微信")
	waitFor(t, "WeChat to keep sending", func() bool { return equal(wx.texts(), []string{"微信"}) })
	if !r.Sender(qunzhu.PlatformWeChat).ThrottledUntil().IsZero() {
		t.Error("WeChat throttled by DingTalk's rate limit")
	}
	if got := ding.texts(); len(got) != 0 {
		t.Errorf("DingTalk sent during its back-off: %v", got)
	}
}

func TestRouter_RefusesBadLanesAndRoutesSend(t *testing.T) {
	e := newEnv(t)
	wx := newRecorder()
	for _, lanes := range [][]outbox.Lane{
		{{Platform: "feishu", Messenger: wx}},
		{{Platform: qunzhu.PlatformWeChat}},
		{{Platform: qunzhu.PlatformWeChat, Messenger: wx}, {Platform: qunzhu.PlatformWeChat, Messenger: wx}},
	} {
		if _, err := outbox.NewRouter(e.store, nil, nil, nil, lanes...); err == nil {
			t.Errorf("NewRouter(%v) accepted", lanes)
		}
	}
	r, err := outbox.NewRouter(e.store, nil, nil, nil, outbox.Lane{Platform: qunzhu.PlatformWeChat, Messenger: wx})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Send(context.Background(), &qunzhu.OutMessage{Platform: qunzhu.PlatformDingTalk, Text: "x"}); !errors.Is(err, qunzhu.ErrOffline) {
		t.Errorf("Send to an unconfigured platform = %v, want ErrOffline", err)
	}
	if err := r.Send(context.Background(), &qunzhu.OutMessage{Platform: qunzhu.PlatformWeChat, Text: "x"}); err != nil || !equal(wx.texts(), []string{"x"}) {
		t.Errorf("Send to WeChat = %v, %v", err, wx.texts())
	}
}
