package schedule_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/outbox"
	"github.com/qunzhu/qunzhu/ratelimit"
	"github.com/qunzhu/qunzhu/schedule"
)

// gate is a Messenger that records what the real sender hands it, and holds
// the first broadcast message until the test lets it go.
type gate struct {
	mu      sync.Mutex
	texts   []string
	first   chan struct{} // closed when the first broadcast message is being sent
	release chan struct{}
	once    sync.Once
	done    chan struct{} // closed when want messages were sent
	want    int
}

func (g *gate) State() qunzhu.SessionState { return qunzhu.StateOnline }

func (g *gate) Send(ctx context.Context, m *qunzhu.OutMessage) error {
	if m.Kind == qunzhu.KindBroadcast {
		g.once.Do(func() {
			close(g.first)
			<-g.release
		})
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.texts = append(g.texts, m.Text)
	if len(g.texts) == g.want {
		close(g.done)
	}
	return nil
}

func (g *gate) sent() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.texts...)
}

// TestBroadcastNeverDelaysRepliesAlertsOrReminders runs the real outbox
// sender over the SQLite store. While the first of ten broadcast rows is being
// sent, a reply, an alert and a reminder are enqueued: all three go out
// before the nine remaining broadcast rows, and the author's final report
// (reply priority, from the Delivered hook) comes last.
func TestBroadcastNeverDelaysRepliesAlertsOrReminders(t *testing.T) {
	e := newBcEnv(t, time.Now(), 10, schedule.BroadcastConfig{ProgressEvery: 100, ProgressInterval: time.Hour})
	e.broadcast(qunzhu.BroadcastSending, time.Time{}, "端午节送粽子来喽")

	g := &gate{first: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{}), want: 14}
	fast := qunzhu.Limit{Rate: 1000, Period: time.Second, Burst: 1000}
	sender := outbox.NewSender(e.store, g, ratelimit.NewLocal(nil), nil, nil, outbox.Config{
		Limits:    outbox.Limits{Account: fast, Group: fast},
		Poll:      10 * time.Millisecond,
		Delivered: e.job.Delivered,
		Failed:    e.job.Failed,
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = sender.Run(ctx)
	}()
	defer func() { cancel(); <-stopped }()

	select {
	case <-g.first:
	case <-time.After(10 * time.Second):
		t.Fatal("the sender never started the broadcast")
	}
	e.update(func(tx qunzhu.Tx) error {
		for _, m := range []*qunzhu.OutMessage{
			{GroupID: e.groups[3].ID, Kind: qunzhu.KindReminder, Text: "提醒：周五前交作业"},
			{GroupID: e.groups[2].ID, Kind: qunzhu.KindAlert, Text: "告警：12345工单超期"},
			{GroupID: e.groups[1].ID, Kind: qunzhu.KindReply, Text: "回复：pong"},
		} {
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	})
	close(g.release)
	select {
	case <-g.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("sent only %q", g.sent())
	}

	got := g.sent()
	want := []string{"端午节送粽子来喽", "回复：pong", "告警：12345工单超期", "提醒：周五前交作业"}
	for range 9 {
		want = append(want, "端午节送粽子来喽")
	}
	if strings.Join(got[:13], "|") != strings.Join(want, "|") {
		t.Errorf("order =\n%q\nwant\n%q", got[:13], want)
	}
	if !strings.Contains(got[13], "群发（编号1）已完成：10个群全部送达") {
		t.Errorf("last message %q, want the final report", got[13])
	}
}
