package sqlite

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// enqueue writes one message in its own Update and returns whether it was a duplicate.
func enqueue(tb testing.TB, s *Store, m *qunzhu.OutMessage) bool {
	tb.Helper()
	var dup bool
	update(tb, s, func(tx qunzhu.Tx) (err error) {
		dup, err = tx.Enqueue(m)
		return err
	})
	return dup
}

func getOut(tb testing.TB, s *Store, id int64) *qunzhu.OutMessage {
	tb.Helper()
	m, err := s.OutMessage(context.Background(), id)
	if err != nil {
		tb.Fatalf("OutMessage(%d): %v", id, err)
	}
	return m
}

// drain empties the Enqueued channel and reports whether it held a signal.
func drain(s *Store) bool {
	select {
	case <-s.Enqueued():
		return true
	default:
		return false
	}
}

func stats(tb testing.TB, s *Store) qunzhu.OutboxStats {
	tb.Helper()
	st, err := s.OutboxStats(context.Background())
	if err != nil {
		tb.Fatalf("OutboxStats: %v", err)
	}
	return st
}

func TestEnqueue_FillsDefaultsAndRoundTrips(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "区委干部群")

	tests := []struct {
		name string
		in   qunzhu.OutMessage
		want qunzhu.OutMessage // ID, GroupID, CreatedAt, UpdatedAt are filled in below
	}{
		{"reply with defaults",
			qunzhu.OutMessage{Kind: qunzhu.KindReply, Text: "收到，已登记。"},
			qunzhu.OutMessage{Kind: qunzhu.KindReply, Text: "收到，已登记。",
				Priority: qunzhu.PriorityReply, NotBefore: t0, Status: qunzhu.OutPending}},
		{"broadcast with picture, priority and time kept",
			qunzhu.OutMessage{Kind: qunzhu.KindBroadcast, Image: []byte{0x89, 'P', 'N', 'G'},
				Priority: 5, NotBefore: t0.Add(time.Hour), DedupKey: "greeting:2025-05-31"},
			qunzhu.OutMessage{Kind: qunzhu.KindBroadcast, Image: []byte{0x89, 'P', 'N', 'G'},
				Priority: 5, NotBefore: t0.Add(time.Hour), DedupKey: "greeting:2025-05-31",
				Status: qunzhu.OutPending}},
		{"life-cycle fields reset",
			qunzhu.OutMessage{Kind: qunzhu.KindWebhook, Text: "12345 工单超期", Status: qunzhu.OutSent,
				Attempts: 3, LastError: "old", SentAt: t0},
			qunzhu.OutMessage{Kind: qunzhu.KindWebhook, Text: "12345 工单超期",
				Priority: qunzhu.PriorityAlert, NotBefore: t0, Status: qunzhu.OutPending}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.in
			m.GroupID = g.ID
			if dup := enqueue(t, s, &m); dup {
				t.Fatal("dup = true for a new message")
			}
			want := tt.want
			want.ID, want.GroupID, want.CreatedAt, want.UpdatedAt = m.ID, g.ID, t0, t0
			if m.ID == 0 {
				t.Fatal("Enqueue left ID 0")
			}
			got := getOut(t, s, m.ID)
			if got.Platform != qunzhu.PlatformWeChat {
				t.Errorf("read back with platform %q, want the group's (wechat)", got.Platform)
			}
			got.Platform = "" // filled on read only
			if !sameOut(got, &want) {
				t.Errorf("stored\n %+v\nwant\n %+v", got, want)
			}
			if !sameOut(&m, &want) {
				t.Errorf("Enqueue left m as\n %+v\nwant\n %+v", m, want)
			}
		})
	}
}

// sameOut compares messages with time.Time.Equal semantics.
func sameOut(a, b *qunzhu.OutMessage) bool {
	x, y := *a, *b
	for _, p := range []struct{ a, b *time.Time }{
		{&x.NotBefore, &y.NotBefore}, {&x.CreatedAt, &y.CreatedAt},
		{&x.UpdatedAt, &y.UpdatedAt}, {&x.SentAt, &y.SentAt},
	} {
		if !p.a.Equal(*p.b) {
			return false
		}
		*p.a, *p.b = time.Time{}, time.Time{}
	}
	return reflect.DeepEqual(x, y)
}

func TestEnqueue_Invalid(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	tests := []struct {
		name    string
		m       qunzhu.OutMessage
		code    string
		message string
	}{
		{"no group", qunzhu.OutMessage{Kind: qunzhu.KindReply, Text: "x"},
			qunzhu.EINVALID, "消息没有指定群。"},
		{"unknown group", qunzhu.OutMessage{GroupID: 999, Kind: qunzhu.KindReply, Text: "x"},
			qunzhu.ENOTFOUND, "找不到编号为 999 的群。"},
		{"no content", qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply},
			qunzhu.EINVALID, "消息内容为空：文字和图片至少要有一样。"},
		{"no kind", qunzhu.OutMessage{GroupID: g.ID, Text: "x"},
			qunzhu.EINVALID, "消息没有指定类型。"},
	}
	drain(s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(t.Context(), func(tx qunzhu.Tx) error { _, err := tx.Enqueue(&tt.m); return err })
			checkError(t, err, tt.code, tt.message)
		})
	}
	if got := stats(t, s).Pending; got != 0 {
		t.Errorf("after invalid enqueues: %d pending, want 0", got)
	}
	if drain(s) {
		t.Error("invalid enqueues signalled Enqueued")
	}
}

func TestEnqueue_Dedup(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "区委干部群")
	newMsg := func() *qunzhu.OutMessage {
		return &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindWebhook, Text: "工单 A123 已超期",
			DedupKey: "hotline:A123:overdue"}
	}

	first := newMsg()
	if enqueue(t, s, first) || !drain(s) {
		t.Fatal("first enqueue: want dup false and a signal")
	}

	// Again in a later transaction, even after the first was sent, and twice in one.
	second := newMsg()
	if !enqueue(t, s, second) || second.ID != first.ID {
		t.Errorf("second enqueue: ID %d, want dup of %d", second.ID, first.ID)
	}
	if drain(s) {
		t.Error("a duplicate signalled Enqueued")
	}
	ctx := t.Context()
	if err := s.MarkSending(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx qunzhu.Tx) error {
		for range 2 {
			m := newMsg()
			if dup, err := tx.Enqueue(m); err != nil || !dup || m.ID != first.ID {
				t.Errorf("enqueue after send: dup %v, ID %d, err %v; want true, %d, nil", dup, m.ID, err, first.ID)
			}
		}
		// Messages without a key are never duplicates of each other.
		for range 2 {
			if dup, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "好"}); err != nil || dup {
				t.Errorf("keyless enqueue: dup %v, err %v; want false, nil", dup, err)
			}
		}
		return nil
	})
	if got, want := stats(t, s), (qunzhu.OutboxStats{Pending: 2, Sent: 1, OldestPending: t0.UTC()}); got != want {
		t.Errorf("OutboxStats = %+v, want %+v", got, want)
	}
}

func TestUpdate_RollbackEnqueuesNothing(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	drain(s)
	boom := errors.New("handler failed after enqueue")
	err := s.Update(t.Context(), func(tx qunzhu.Tx) error {
		if _, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "已销号",
			DedupKey: "task:7:closed"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v, want %v", err, boom)
	}
	if drain(s) {
		t.Error("a rolled-back Update signalled Enqueued")
	}
	if got := stats(t, s); got != (qunzhu.OutboxStats{}) {
		t.Errorf("OutboxStats after rollback = %+v, want all zero", got)
	}
	// The key is free again: the rolled-back row never existed.
	if dup := enqueue(t, s, &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "已销号",
		DedupKey: "task:7:closed"}); dup {
		t.Error("key of a rolled-back message reported as duplicate")
	}
}

func TestEnqueued_SignalsAfterCommitWithoutBlocking(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	if drain(s) {
		t.Fatal("signalled before anything was enqueued")
	}
	// Three commits with nobody listening must not block; one wake-up is kept.
	for range 3 {
		enqueue(t, s, &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReminder, Text: "请交作业"})
	}
	if !drain(s) {
		t.Fatal("no signal after committed enqueues")
	}
	if drain(s) {
		t.Error("more than one buffered signal")
	}
	// An Update that enqueues nothing does not signal.
	mustGroup(t, s, "另一个群")
	if drain(s) {
		t.Error("an Update without Enqueue signalled")
	}
}
