package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// t0 is the fake clock's start: a Friday morning in Beijing time, so tests also
// show that stored times come back as the same instant in UTC.
var t0 = time.Date(2025, 5, 30, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// openTest opens a store in a fresh file under t.TempDir, closed at cleanup.
func openTest(tb testing.TB, clock qunzhu.Clock) *Store {
	tb.Helper()
	s, err := Open(context.Background(), filepath.Join(tb.TempDir(), "qunzhu.db"), clock)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func update(tb testing.TB, s *Store, fn func(qunzhu.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

func view(tb testing.TB, s *Store, fn func(qunzhu.Tx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// mustGroup registers a group and returns it.
func mustGroup(tb testing.TB, s *Store, name string) *qunzhu.Group {
	tb.Helper()
	var g *qunzhu.Group
	update(tb, s, func(tx qunzhu.Tx) (err error) {
		g, err = tx.CreateGroup(name)
		return err
	})
	return g
}

// mustPlatformGroup registers a group of platform p with its chat id.
func mustPlatformGroup(tb testing.TB, s *Store, p qunzhu.Platform, chatID, name string) *qunzhu.Group {
	tb.Helper()
	var g *qunzhu.Group
	update(tb, s, func(tx qunzhu.Tx) (err error) {
		g, err = tx.CreatePlatformGroup(p, chatID, name)
		return err
	})
	return g
}

// checkError fails unless err is a *qunzhu.Error with this code and message.
func checkError(tb testing.TB, err error, code, msg string) {
	tb.Helper()
	var e *qunzhu.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err = %v, want *qunzhu.Error %s %q", err, code, msg)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		tb.Fatalf("err = %s %q, want %s %q", e.Code, e.Message, code, msg)
	}
}

func TestOpen_RejectsNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(context.Background(), path, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error, want one", path)
		}
	}
}

func TestOpen_PragmasOnEveryConnection(t *testing.T) {
	s := openTest(t, nil)
	ctx := context.Background()

	// Hold several read connections at once so the pool must open more than one:
	// pragmas set only on the first connection would show up here.
	conns := map[string]*sql.Conn{}
	for i := range 3 {
		c, err := s.read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[fmt.Sprintf("read#%d", i)] = c
	}
	conns["write"] = s.w.conn // the writer holds the write pool's one connection

	tests := []struct {
		pragma    string
		want      string
		wantWrite string // when the write connection differs
	}{
		{pragma: "journal_mode", want: "wal"},
		{pragma: "foreign_keys", want: "1"},
		{pragma: "busy_timeout", want: "5000"},
		{pragma: "synchronous", want: "1"}, // NORMAL: the syncer fsyncs each group commit
		{pragma: "query_only", want: "1", wantWrite: "0"},
		// Only the writer commits; the readers keep SQLite's default.
		{pragma: "wal_autocheckpoint", want: "1000", wantWrite: fmt.Sprint(walCheckpointPages)},
	}
	for _, tt := range tests {
		for name, c := range conns {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, tt.pragma, err)
			}
			want := tt.want
			if name == "write" && tt.wantWrite != "" {
				want = tt.wantWrite
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %q, want %q", name, tt.pragma, got, want)
			}
		}
	}
}

func TestView_IsReadOnly(t *testing.T) {
	s := openTest(t, nil)
	err := s.View(context.Background(), func(tx qunzhu.Tx) error {
		_, err := tx.CreateGroup("市城管委工作群")
		return err
	})
	if err == nil {
		t.Fatal("CreateGroup in View succeeded, want an error")
	}
	view(t, s, func(tx qunzhu.Tx) error {
		gs, err := tx.Groups()
		if got := len(gs); err != nil || got != 0 {
			t.Errorf("Groups() = %d groups, %v; want 0, nil", got, err)
		}
		return nil
	})
}

func TestUpdate_RollsBackOnError(t *testing.T) {
	s := openTest(t, nil)
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx qunzhu.Tx) error {
		if _, err := tx.CreateGroup("区委干部群"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v, want %v unchanged", err, boom)
	}
	view(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.GroupByName("区委干部群")
		checkError(t, err, qunzhu.ENOTFOUND, "找不到群「区委干部群」。")
		return nil
	})
}

func TestTx_NowIsStoreClockInUTC(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0.Add(1234567 * time.Nanosecond))
	s := openTest(t, clock)
	update(t, s, func(tx qunzhu.Tx) error {
		first := tx.Now()
		clock.Advance(time.Hour)
		if got := tx.Now(); !got.Equal(first) {
			t.Errorf("Now() moved within a transaction: %v then %v", first, got)
		}
		if want := t0.Add(time.Millisecond); !first.Equal(want) || first.Location() != time.UTC {
			t.Errorf("Now() = %v, want %v in UTC (cut to milliseconds)", first, want.UTC())
		}
		return nil
	})
}

func TestPing(t *testing.T) {
	s := openTest(t, nil)
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
