package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/qunzhu/qunzhu"
)

func TestMigrate_IdempotentOnReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "qunzhu.db")
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations = %v, %v; want some", files, err)
	}

	for round := range 3 {
		s, err := Open(ctx, path, nil)
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		var got int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&got); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if want := len(files); got != want {
			t.Errorf("round %d: schema_migrations has %d rows, want %d", round, got, want)
		}
		if round == 0 {
			mustGroup(t, s, "副市长工作群")
		}
		// Data written in the first round survives every reopen.
		view(t, s, func(tx qunzhu.Tx) error {
			if _, err := tx.GroupByName("副市长工作群"); err != nil {
				t.Errorf("round %d: GroupByName: %v", round, err)
			}
			return nil
		})
		if err := s.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
	}
}

func TestMigrate_RecordsFileNames(t *testing.T) {
	s := openTest(t, nil)
	var got string
	err := s.read.QueryRowContext(context.Background(),
		`SELECT name FROM schema_migrations ORDER BY name LIMIT 1`).Scan(&got)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0001_init.sql"; got != want {
		t.Errorf("first migration recorded as %q, want %q", got, want)
	}
}

// oldDatabase creates a database file as the release whose last migration
// was last left it, runs the statements in it, and returns its path: the
// start of a test that upgrades it with Open.
func oldDatabase(t *testing.T, last string, stmts ...string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := migrateUntil(ctx, db, last); err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}
