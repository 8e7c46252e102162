package schedule_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/schedule"
	"github.com/qunzhu/qunzhu/sqlite"
)

var cst = time.FixedZone("CST", 8*3600)

// bcEnv is a store on a fake clock with groups owned by 张书记.
type bcEnv struct {
	t      *testing.T
	clock  *qunzhu.FakeClock
	store  *sqlite.Store
	job    *schedule.Broadcasts
	groups []*qunzhu.Group
	author *qunzhu.Member
}

func newBcEnv(t *testing.T, start time.Time, nGroups int, cfg schedule.BroadcastConfig) *bcEnv {
	t.Helper()
	clock := qunzhu.NewFakeClock(start)
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "q.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &bcEnv{t: t, clock: clock, store: store}
	e.update(func(tx qunzhu.Tx) error {
		for i := range nGroups {
			name := "区委干部工作群"
			if i > 0 {
				name = fmt.Sprintf("第%d街道工作群", i)
			}
			g, err := tx.CreateGroup(name)
			if err != nil {
				return err
			}
			e.groups = append(e.groups, g)
			m := &qunzhu.Member{GroupID: g.ID, Name: "张书记", Unit: "区委", Role: qunzhu.RoleOwner, Bound: true,
				Identity: qunzhu.Identity{SessionKey: "@zhang", DisplayName: "张书记"}}
			if err := tx.CreateMember(m); err != nil {
				return err
			}
			if i == 0 {
				e.author = m
			}
		}
		return nil
	})
	if cfg.Calendar == nil {
		cfg.Calendar = festival.New(cst)
	}
	cfg.Location = cst
	e.job = schedule.NewBroadcasts(store, cfg)
	return e
}

func (e *bcEnv) update(fn func(qunzhu.Tx) error) {
	e.t.Helper()
	if err := e.store.Update(e.t.Context(), fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *bcEnv) run() {
	e.t.Helper()
	if err := e.job.Run(e.t.Context(), e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *bcEnv) targets() []int64 {
	var ids []int64
	for _, g := range e.groups {
		ids = append(ids, g.ID)
	}
	return ids
}

// broadcast stores a broadcast in status st (scheduled at sendAt, or queued
// at once when st is sending).
func (e *bcEnv) broadcast(st qunzhu.BroadcastStatus, sendAt time.Time, text string) *qunzhu.Broadcast {
	e.t.Helper()
	b := &qunzhu.Broadcast{Status: st, ExpiresAt: e.clock.Now(), AuthorID: e.author.ID, AuthorName: "张书记",
		OriginGroupID: e.groups[0].ID, Text: text, Targets: e.targets(), SendAt: sendAt}
	e.update(func(tx qunzhu.Tx) error {
		if err := tx.CreateBroadcast(b); err != nil {
			return err
		}
		if st == qunzhu.BroadcastSending {
			_, err := qunzhu.QueueBroadcast(tx, b)
			return err
		}
		return nil
	})
	return b
}

// due returns the pending rows due now, without taking them.
func (e *bcEnv) due() []*qunzhu.OutMessage {
	e.t.Helper()
	ms, err := e.store.Due(e.t.Context(), e.clock.Now(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}

// deliver marks m sent, as the sender does, and calls the Delivered hook.
func (e *bcEnv) deliver(m *qunzhu.OutMessage) {
	e.t.Helper()
	ctx := e.t.Context()
	if err := e.store.MarkSending(ctx, m.ID); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.MarkSent(ctx, m.ID); err != nil {
		e.t.Fatal(err)
	}
	e.job.Delivered(ctx, m)
}

// notes drains and returns the texts of the messages to the author (not the
// broadcast rows), marking them sent.
func (e *bcEnv) notes() []string {
	e.t.Helper()
	var out []string
	for _, m := range e.due() {
		if m.Kind == qunzhu.KindBroadcast {
			continue
		}
		if m.GroupID != e.groups[0].ID || m.Priority != qunzhu.PriorityReply || !strings.HasPrefix(m.Text, "@张书记\u2005") {
			e.t.Errorf("note %+v: want a reply-priority message to 张书记 in the group he typed in", m)
		}
		out = append(out, strings.TrimPrefix(m.Text, "@张书记\u2005"))
		e.deliver(m)
	}
	return out
}

func (e *bcEnv) rows(kind qunzhu.MessageKind) []*qunzhu.OutMessage {
	var out []*qunzhu.OutMessage
	for _, m := range e.due() {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func (e *bcEnv) get(id int64) *qunzhu.Broadcast {
	e.t.Helper()
	var b *qunzhu.Broadcast
	if err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		b, err = tx.BroadcastByID(id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return b
}

var monday = time.Date(2026, 6, 15, 10, 0, 0, 0, cst)

func TestScheduledBroadcastGoesOutAtItsTimeOnce(t *testing.T) {
	e := newBcEnv(t, monday, 3, schedule.BroadcastConfig{})
	at := monday.Add(23 * time.Hour) // Tuesday 09:00
	b := e.broadcast(qunzhu.BroadcastScheduled, at, "端午节放假通知")

	e.clock.Set(at.Add(-time.Second))
	e.run()
	if rows := e.rows(qunzhu.KindBroadcast); len(rows) != 0 {
		t.Fatalf("%d rows a second early", len(rows))
	}
	e.clock.Set(at)
	e.run()
	e.run() // a second tick at the same moment changes nothing
	rows := e.rows(qunzhu.KindBroadcast)
	if len(rows) != 3 || rows[0].Ref != b.Ref() {
		t.Fatalf("rows at send time = %d", len(rows))
	}
	if got := e.notes(); !slices.Equal(got, []string{"定时群发（编号1）开始发送，共3个群。"}) {
		t.Errorf("notes = %q", got)
	}
	if got := e.get(b.ID); got.Status != qunzhu.BroadcastSending || !got.QueuedAt.Equal(at) {
		t.Errorf("after queueing: %s queued %v", got.Status, got.QueuedAt)
	}
}

func TestScheduledBroadcastCancelledOrMissedIsNotSent(t *testing.T) {
	e := newBcEnv(t, monday, 2, schedule.BroadcastConfig{})
	at := monday.Add(time.Hour)
	cancelled := e.broadcast(qunzhu.BroadcastScheduled, at, "取消了的")
	cancelled.Status = qunzhu.BroadcastCancelled
	e.update(func(tx qunzhu.Tx) error { return tx.UpdateBroadcast(cancelled) })
	missed := e.broadcast(qunzhu.BroadcastScheduled, at, "错过了的")

	// The service was down from 10:00 until 17:01, past the 6 h limit.
	e.clock.Set(at.Add(6*time.Hour + time.Minute))
	e.run()
	if rows := e.rows(qunzhu.KindBroadcast); len(rows) != 0 {
		t.Fatalf("%d rows sent late or cancelled", len(rows))
	}
	if got := e.notes(); len(got) != 1 || got[0] != "定时群发（编号2）原定6月15日（周一）11:00发出，服务停机错过了，已作废，没有发出。需要的话请重新 /群发。" {
		t.Errorf("notes = %q", got)
	}
	if st := e.get(missed.ID).Status; st != qunzhu.BroadcastExpired {
		t.Errorf("missed broadcast status %s", st)
	}
}

// TestProgressEveryNGroupsAndFinalReport: 25 groups, progress every 10: the
// author hears "已发送 10/25", "已发送 20/25" and the final report — not a
// message per group.
func TestProgressEveryNGroupsAndFinalReport(t *testing.T) {
	e := newBcEnv(t, monday, 25, schedule.BroadcastConfig{ProgressEvery: 10, ProgressInterval: time.Hour})
	b := e.broadcast(qunzhu.BroadcastSending, time.Time{}, "国庆节值班安排")
	var notes []string
	for i, m := range e.rows(qunzhu.KindBroadcast) {
		e.clock.Advance(3 * time.Second)
		if i == 12 {
			// 第12街道工作群 is gone for good.
			if err := e.store.MarkSending(t.Context(), m.ID); err != nil {
				t.Fatal(err)
			}
			err := qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的群。", m.GroupID)
			if err := e.store.MarkFailed(t.Context(), m.ID, err.Error()); err != nil {
				t.Fatal(err)
			}
			e.job.Failed(t.Context(), m, err)
		} else {
			e.deliver(m)
		}
		notes = append(notes, e.notes()...)
	}
	want := []string{
		"群发（编号1）已发送 10/25",
		"群发（编号1）已发送 19/25，1个群没发出",
		"群发（编号1）已完成：送达 24/25 个群，用时1分钟；1个群没有发出：\n第12街道工作群：找不到编号为 13 的群。",
	}
	if !slices.Equal(notes, want) {
		t.Errorf("notes =\n%q\nwant\n%q", notes, want)
	}
	if got := e.get(b.ID); got.Status != qunzhu.BroadcastDone || got.ReportedDone != 25 {
		t.Errorf("after the report: %s, reported %d", got.Status, got.ReportedDone)
	}
	e.run() // the job finds nothing more to say
	if got := e.notes(); len(got) != 0 {
		t.Errorf("notes after done = %q", got)
	}
}

func TestProgressAfterIntervalAndAllDelivered(t *testing.T) {
	e := newBcEnv(t, monday, 4, schedule.BroadcastConfig{ProgressEvery: 100, ProgressInterval: 5 * time.Minute})
	e.broadcast(qunzhu.BroadcastSending, time.Time{}, "中秋节快乐")
	rows := e.rows(qunzhu.KindBroadcast)
	e.clock.Advance(time.Minute)
	e.deliver(rows[0])
	if got := e.notes(); len(got) != 0 {
		t.Errorf("progress after 1 minute: %q", got)
	}
	e.clock.Advance(4 * time.Minute)
	e.deliver(rows[1])
	if got := e.notes(); !slices.Equal(got, []string{"群发（编号1）已发送 2/4"}) {
		t.Errorf("progress after 5 minutes: %q", got)
	}
	e.clock.Advance(time.Minute)
	e.deliver(rows[2])
	e.deliver(rows[3])
	if got := e.notes(); !slices.Equal(got, []string{"群发（编号1）已完成：4个群全部送达，用时6分钟。"}) {
		t.Errorf("report: %q", got)
	}
}

// TestRunFollowsWhatTheHooksMissed: a crash between MarkSent and the hook
// loses the hook; the job's sweep reports anyway, and says about groups that
// keep failing once.
func TestRunFollowsWhatTheHooksMissed(t *testing.T) {
	e := newBcEnv(t, monday, 3, schedule.BroadcastConfig{StallAfter: 30 * time.Minute, ProgressEvery: 100, ProgressInterval: 24 * time.Hour})
	b := e.broadcast(qunzhu.BroadcastSending, time.Time{}, "防汛通知")
	rows := e.rows(qunzhu.KindBroadcast)
	ctx := t.Context()
	for _, m := range rows[:2] {
		_ = e.store.MarkSending(ctx, m.ID)
		_ = e.store.MarkSent(ctx, m.ID) // no hook
	}
	stuck := rows[2]
	_ = e.store.MarkSending(ctx, stuck.ID)
	_ = e.store.MarkRetry(ctx, stuck.ID, e.clock.Now().Add(time.Hour), qunzhu.ErrGroupUnavailable.Error(), true)

	e.clock.Advance(29 * time.Minute)
	e.run()
	if got := e.notes(); len(got) != 0 {
		t.Errorf("notes before the stall limit: %q", got)
	}
	e.clock.Advance(time.Minute)
	e.run()
	e.run()
	want := "群发（编号1）已发送 2/3，这1个群一直发不出去，会继续重试：\n第2街道工作群：这次登录的微信里找不到这个群（可能改了群名，或机器人不在群里了）\n不需要了请发送：/群发 取消 1"
	if got := e.notes(); !slices.Equal(got, []string{want}) {
		t.Errorf("stall notes = %q", got)
	}

	e.clock.Advance(time.Hour)
	_ = e.store.MarkSending(ctx, stuck.ID)
	_ = e.store.MarkSent(ctx, stuck.ID)
	e.run()
	if got := e.notes(); len(got) != 1 || !strings.HasPrefix(got[0], "群发（编号1）已完成：3个群全部送达") {
		t.Errorf("report from the sweep = %q", got)
	}
	if st := e.get(b.ID).Status; st != qunzhu.BroadcastDone {
		t.Errorf("status %s", st)
	}
}

// greeting stores a greeting for festival at 09:00, next due as the calendar says.
func (e *bcEnv) greeting(festivalName, text string) *qunzhu.Greeting {
	e.t.Helper()
	cal := festival.New(cst)
	next, year, _ := qunzhu.NextFestivalTime(cal, festivalName, 9, 0, e.clock.Now())
	g := &qunzhu.Greeting{Festival: festivalName, Hour: 9, Text: text, AuthorID: e.author.ID, AuthorName: "张书记",
		OriginGroupID: e.groups[0].ID, Targets: e.targets(), NextAt: next, NextYear: year}
	e.update(func(tx qunzhu.Tx) error { return tx.CreateGreeting(g) })
	return g
}

func (e *bcEnv) getGreeting(id int64) *qunzhu.Greeting {
	e.t.Helper()
	var g *qunzhu.Greeting
	if err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		g, err = tx.GreetingByID(id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// TestGreetingGoesOutOncePerYear: 端午 2026 is 06-19. The greeting goes out
// at 09:00 that day with {节日} and {群名} filled per group, once, even when
// the job runs again, restarts, or finds the greeting moved back by a crash;
// then it waits for 端午 2027 (06-09).
func TestGreetingGoesOutOncePerYear(t *testing.T) {
	e := newBcEnv(t, time.Date(2026, 6, 1, 12, 0, 0, 0, cst), 2, schedule.BroadcastConfig{})
	g := e.greeting("端午", "{节日}安康！{群名}的同志们辛苦了")
	if want := time.Date(2026, 6, 19, 9, 0, 0, 0, cst); !g.NextAt.Equal(want) || g.NextYear != 2026 {
		t.Fatalf("next = %v (%d), want %v", g.NextAt, g.NextYear, want)
	}
	e.clock.Set(g.NextAt.Add(-time.Minute))
	e.run()
	if rows := e.rows(qunzhu.KindBroadcast); len(rows) != 0 {
		t.Fatalf("%d rows a minute early", len(rows))
	}
	e.clock.Set(g.NextAt)
	e.run()
	e.run()
	schedule.NewBroadcasts(e.store, schedule.BroadcastConfig{Calendar: festival.New(cst)}).Run(t.Context(), e.clock.Now())
	rows := e.rows(qunzhu.KindBroadcast)
	if len(rows) != 2 {
		t.Fatalf("rows = %d, want 2", len(rows))
	}
	for i, m := range rows {
		want := fmt.Sprintf("端午节安康！%s的同志们辛苦了", e.groups[i].Name)
		if m.Text != want || m.DedupKey != fmt.Sprintf("greeting:%d:2026:%d", g.ID, e.groups[i].ID) || m.Priority != qunzhu.PriorityBroadcast {
			t.Errorf("row %d: %q key %q priority %d", i, m.Text, m.DedupKey, m.Priority)
		}
	}
	after := e.getGreeting(g.ID)
	if want := time.Date(2027, 6, 9, 9, 0, 0, 0, cst); !after.NextAt.Equal(want) || after.NextYear != 2027 {
		t.Errorf("next after sending = %v (%d), want %v (2027)", after.NextAt, after.NextYear, want)
	}

	// As if a crash had left the greeting pointing at 2026 again.
	after.NextAt, after.NextYear = g.NextAt, 2026
	e.update(func(tx qunzhu.Tx) error { return tx.UpdateGreeting(after) })
	e.run()
	if got := len(e.rows(qunzhu.KindBroadcast)); got != 2 {
		t.Errorf("rows after a repeated 2026 run = %d, want still 2", got)
	}
	if again := e.getGreeting(g.ID); again.NextYear != 2027 {
		t.Errorf("next year after the repeat = %d", again.NextYear)
	}
	for _, m := range rows {
		e.deliver(m)
	}
	if got := e.notes(); len(got) != 1 || !strings.HasPrefix(got[0], "2026年端午节祝福（群发编号1）已完成：2个群全部送达") {
		t.Errorf("greeting report = %q", got)
	}
}

func TestGreetingMissedItsDayIsSkipped(t *testing.T) {
	e := newBcEnv(t, time.Date(2026, 9, 1, 12, 0, 0, 0, cst), 2, schedule.BroadcastConfig{})
	g := e.greeting("中秋", "{节日}快乐")
	// 中秋 2026 is 09-25; the service comes back on the 26th.
	e.clock.Set(time.Date(2026, 9, 26, 10, 0, 0, 0, cst))
	e.run()
	if rows := e.rows(qunzhu.KindBroadcast); len(rows) != 0 {
		t.Fatalf("%d late greeting rows", len(rows))
	}
	if got := e.notes(); !slices.Equal(got, []string{"2026年中秋节祝福原定9月25日（周五）09:00发出，服务停机错过了，今年没有发出。"}) {
		t.Errorf("notes = %q", got)
	}
	// 中秋 2027 is 09-15.
	if after := e.getGreeting(g.ID); !after.NextAt.Equal(time.Date(2027, 9, 15, 9, 0, 0, 0, cst)) {
		t.Errorf("next = %v", after.NextAt)
	}
	e.run()
	if got := e.notes(); len(got) != 0 {
		t.Errorf("told twice: %q", got)
	}
}

func TestFailureReason(t *testing.T) {
	tests := []struct{ in, want string }{
		{qunzhu.BroadcastStopped, "已取消"},
		{"qunzhu error: code=not_found message=找不到编号为 9 的群。", "找不到编号为 9 的群。"},
		{qunzhu.ErrOffline.Error(), "微信掉线，等重新登录"},
		{"wechat: ret=1101", "发送出错（wechat: ret=1101）"},
		{"", "原因不明"},
	}
	for _, tt := range tests {
		if got := schedule.FailureReason(tt.in); got != tt.want {
			t.Errorf("FailureReason(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
