package outbox_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/outbox"
)

// TestSenderKeepsAShareOfTheDailyCapForAlerts: replies, reminders and
// broadcasts stop at the cap minus the reserve; alerts go on up to the cap.
func TestSenderKeepsAShareOfTheDailyCapForAlerts(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 18, 10, 0, 0, 0, china))
	e := newEnvAt(t, clock)
	r := newRecorder()
	for i := range 12 {
		e.enqueue(t, e.group, qunzhu.KindReply, fmt.Sprintf("回复%d", i+1))
	}
	lim := fast()
	lim.Daily, lim.ReserveDaily = 10, 3
	startAt(t, e, r, clock, outbox.Config{Limits: lim, Location: china})
	e.waitSent(t, 7)
	time.Sleep(50 * time.Millisecond) // the reserve holds the other replies
	if got := len(r.texts()); got != 7 {
		t.Fatalf("sent %d replies, want 7 (cap 10 minus 3 reserved)", got)
	}
	for i := range 5 {
		e.enqueue(t, e.other, qunzhu.KindAlert, fmt.Sprintf("告警%d", i+1))
	}
	e.waitSent(t, 10)
	time.Sleep(50 * time.Millisecond)
	got := r.texts()
	if want := []string{"告警1", "告警2", "告警3"}; !equal(got[7:], want) {
		t.Fatalf("after the replies: %v, want %v and then nothing past the cap", got[7:], want)
	}
}

// TestSenderAlertTakesTheNextSlotBehindAStreamOfReplies: while replies flow
// steadily, an alert enqueued among them goes after at most the reply in
// flight, even though replies rank higher.
func TestSenderAlertTakesTheNextSlotBehindAStreamOfReplies(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	for i := range 40 {
		e.enqueue(t, e.group, qunzhu.KindReply, fmt.Sprintf("回复%d", i+1))
	}
	lim := outbox.Limits{
		Account: qunzhu.Limit{Rate: 1, Period: 20 * time.Millisecond, Burst: 1},
		Group:   qunzhu.Limit{Rate: 1000, Period: time.Second, Burst: 1000},
	}
	start(t, e, r, outbox.Config{Limits: lim})
	e.waitSent(t, 6)
	if err := e.store.Update(context.Background(), func(tx qunzhu.Tx) error {
		_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: e.group, Kind: qunzhu.KindWebhook, Text: "告警"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := len(r.texts()) // the alert is in the store from here on
	waitFor(t, "the alert", func() bool { return slices.Contains(r.texts(), "告警") })
	got := r.texts()
	at := slices.Index(got, "告警")
	if between := at - before; between > 1 {
		t.Fatalf("%d replies went between the alert's arrival and the alert: %v", between, strings.Join(got[before:at+1], " "))
	}
}
