package outbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/outbox"
)

// TestDailyCapTellsTheOwnersOnceInTheGroup: at the cap, the owners of the group
// whose messages wait get one notice (the only message the cap lets through);
// the other group, without a bound owner, gets none; a second call the same
// day (a restart) repeats nothing; the held messages go after midnight.
func TestDailyCapTellsTheOwnersOnceInTheGroup(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 18, 23, 0, 0, 0, china))
	e := newEnvAt(t, clock)
	ctx := context.Background()
	if err := e.store.Update(ctx, func(tx qunzhu.Tx) error {
		return tx.CreateMember(&qunzhu.Member{GroupID: e.group, Name: "张书记", Unit: "区委", Role: qunzhu.RoleOwner,
			Bound: true, Identity: qunzhu.Identity{SessionKey: "@zhang", DisplayName: "张书记"}})
	}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"一", "二", "三", "四"} {
		e.enqueue(t, e.group, qunzhu.KindAlert, text)
	}
	e.enqueue(t, e.other, qunzhu.KindAlert, "无群主的群")
	r := newRecorder()
	lim := fast()
	lim.Daily = 3
	calls := 0
	hook := func(ctx context.Context, sent int, resume time.Time) {
		calls++
		for range 2 { // the second is what a restart the same day would do
			if err := outbox.CapNotices(ctx, e.store, clock.Now(), resume, china); err != nil {
				t.Errorf("CapNotices: %v", err)
			}
		}
	}
	startAt(t, e, r, clock, outbox.Config{Limits: lim, Location: china, DailyCapReached: hook})

	e.waitSent(t, 4)
	time.Sleep(50 * time.Millisecond) // held: nothing more may go out today
	got := r.texts()
	if len(got) != 4 || !equal(got[:3], []string{"一", "二", "三"}) {
		t.Fatalf("sent today = %q, want 一, 二, 三 and the owners' notice", got)
	}
	want := qunzhu.Mention("张书记") + "【发送提醒】"
	if !strings.HasPrefix(got[3], want) || !strings.Contains(got[3], "本群还有1条消息") || !strings.Contains(got[3], "6月19日00:00") {
		t.Fatalf("notice = %q, want it to start with %q, count 1 waiting and name 6月19日00:00", got[3], want)
	}
	if calls != 1 {
		t.Fatalf("DailyCapReached ran %d times, want once a day", calls)
	}

	clock.Set(time.Date(2026, 6, 19, 0, 0, 1, 0, china))
	waitFor(t, "the held messages after midnight", func() bool { return len(r.texts()) == 6 })
	if got := r.texts()[4:]; !equal(got, []string{"四", "无群主的群"}) {
		t.Fatalf("sent after midnight = %q", got)
	}
}
