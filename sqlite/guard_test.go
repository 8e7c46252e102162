package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

// openLogged opens a store at path whose log lands in buf.
func openLogged(t *testing.T, path string, buf *bytes.Buffer) *Store {
	t.Helper()
	s, err := OpenWith(t.Context(), path, Options{Logger: slog.New(slog.NewTextHandler(buf, nil))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// groupNames reopens the database at path and lists its groups.
func groupNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	s, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	names := map[string]bool{}
	view(t, s, func(tx qunzhu.Tx) error {
		gs, err := tx.Groups()
		for _, g := range gs {
			names[g.Name] = true
		}
		return err
	})
	return names
}

func checkUnavailable(t *testing.T, what string, err error, reason string) {
	t.Helper()
	if qunzhu.ErrorCode(err) != qunzhu.EUNAVAILABLE || !strings.Contains(qunzhu.ErrorMessage(err), reason) {
		t.Errorf("%s: %v, want EUNAVAILABLE saying %q", what, err, reason)
	}
}

// The -wal deleted or replaced under a running store: the commits it held
// are copied into the database file, writes and Ping then fail with the
// reason, the log says so, and a restart finds every acknowledged group.
func TestGuard_WALChangedUnderTheStore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, wal string, old []byte)
		reason string
	}{
		{"deleted", func(t *testing.T, wal string, _ []byte) {
			if err := os.Remove(wal); err != nil {
				t.Fatal(err)
			}
		}, "WAL file deleted"},
		{"replaced by an older copy", func(t *testing.T, wal string, old []byte) {
			tmp := wal + ".tmp"
			if err := os.WriteFile(tmp, old, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, wal); err != nil {
				t.Fatal(err)
			}
		}, "WAL file replaced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "qunzhu.db")
			var log bytes.Buffer
			s := openLogged(t, path, &log)
			defer s.Close()
			want := map[string]bool{}
			for i := range 5 {
				name := fmt.Sprintf("早的群%d", i)
				mustGroup(t, s, name)
				want[name] = true
			}
			old, err := os.ReadFile(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				name := fmt.Sprintf("晚的群%d", i)
				mustGroup(t, s, name)
				want[name] = true
			}

			tc.tamper(t, path+"-wal", old)
			// The next write notices after its commit and rescues it too; or
			// the store noticed first and refuses it.
			err = s.Update(t.Context(), createGroup("改动后的群"))
			if err == nil {
				want["改动后的群"] = true
			} else {
				checkUnavailable(t, "first Update after the change", err, tc.reason)
			}
			checkUnavailable(t, "Update", s.Update(t.Context(), createGroup("不该有的群")), tc.reason)
			checkUnavailable(t, "Ping", s.Ping(t.Context()), tc.reason)
			checkUnavailable(t, "MarkSent", s.MarkSent(t.Context(), 1), tc.reason)
			if !strings.Contains(log.String(), "stopped accepting writes") || !strings.Contains(log.String(), tc.reason) {
				t.Errorf("log does not say what happened:\n%s", log.String())
			}

			// What a kill -9 now would leave on disk (Close would checkpoint
			// and hide a loss).
			got := groupNames(t, crashImage(t, path))
			for name := range want {
				if !got[name] {
					t.Errorf("acknowledged group %s lost after restart", name)
				}
			}
			if got["不该有的群"] {
				t.Error("a refused write was stored")
			}
		})
	}
}

// The database file deleted or replaced: nothing written from then on can
// be kept, so every write is refused.
func TestGuard_DatabaseChangedUnderTheStore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, path string)
		reason string
	}{
		{"deleted", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, "database file deleted"},
		{"replaced", func(t *testing.T, path string) {
			if err := os.WriteFile(path+".new", nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path+".new", path); err != nil {
				t.Fatal(err)
			}
		}, "database file replaced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "qunzhu.db")
			var log bytes.Buffer
			s := openLogged(t, path, &log)
			defer s.Close()
			mustGroup(t, s, "区委干部群")
			tc.tamper(t, path)
			checkUnavailable(t, "Update", s.Update(t.Context(), createGroup("不该确认的群")), tc.reason)
			checkUnavailable(t, "Ping", s.Ping(t.Context()), tc.reason)
			if !strings.Contains(log.String(), tc.reason) {
				t.Errorf("log does not say what happened:\n%s", log.String())
			}
		})
	}
}

// Ping notices a change by itself, with no write to trip over it.
func TestGuard_PingNoticesAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qunzhu.db")
	var log bytes.Buffer
	s := openLogged(t, path, &log)
	defer s.Close()
	mustGroup(t, s, "区委干部群")
	if err := os.Remove(path + "-wal"); err != nil {
		t.Fatal(err)
	}
	checkUnavailable(t, "Ping", s.Ping(t.Context()), "WAL file deleted")
}

// crashImage copies the files of the open store at path to a new directory,
// as a crash would leave them, and returns the copy's database path.
func crashImage(t *testing.T, path string) string {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "qunzhu.db"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "qunzhu.db")
}

// Start-up refuses to begin empty where a database evidently was.
func TestOpen_RefusesALostDatabase(t *testing.T) {
	s := openTest(t, nil)
	mustGroup(t, s, "区委干部群")
	live := filepath.Join(filepath.Dir(s.path), "qunzhu.db")

	t.Run("database file gone, its -wal still there", func(t *testing.T) {
		path := crashImage(t, live)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		_, err := Open(context.Background(), path, nil)
		if err == nil || !strings.Contains(err.Error(), "refusing to start empty") {
			t.Fatalf("Open = %v, want a refusal", err)
		}
	})
	t.Run("tables but no migration table", func(t *testing.T) {
		path := crashImage(t, live)
		s2, err := Open(context.Background(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		update(t, s2, func(tx qunzhu.Tx) error {
			_, err := tx.(*sqliteTx).exec(`DROP TABLE schema_migrations`)
			return err
		})
		s2.Close()
		_, err = Open(context.Background(), path, nil)
		if err == nil || !strings.Contains(err.Error(), "no schema_migrations") {
			t.Fatalf("Open = %v, want a refusal", err)
		}
	})
	t.Run("a crash image opens with its data", func(t *testing.T) {
		if got := groupNames(t, crashImage(t, live)); !got["区委干部群"] {
			t.Errorf("groups %v, want 区委干部群", got)
		}
	})
}
