package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// migrationFS holds the schema as numbered SQL files (0001_init.sql, …). They are
// embedded so the binary carries its schema and a fresh file needs no tool.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate applies, in name order, every embedded migration not yet recorded in
// schema_migrations. Each runs in its own transaction together with its record,
// so a failure leaves the database at the last complete version and the next
// Open retries from there. Reopening an up-to-date database changes nothing.
func migrate(ctx context.Context, db *sql.DB) error { return migrateUntil(ctx, db, "") }

// migrateUntil is migrate stopping after the file named last ("" for all), so
// a test can build a database as an older release left it and upgrade it.
func migrateUntil(ctx context.Context, db *sql.DB, last string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}

	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := migrateFile(ctx, db, name); err != nil {
			return err
		}
		if last != "" && path.Base(name) == last {
			break
		}
	}
	return nil
}

// fkOffMarker, as a migration's first line, makes the runner apply it with
// foreign keys off and check them before the commit: SQLite's documented way
// to rebuild a table that other tables reference. db must have exactly one
// connection (the store's write pool), since the pragma is per connection and
// has no effect inside a transaction.
const fkOffMarker = "-- qunzhu:foreign_keys_off"

// migrateFile applies one migration unless it is recorded. The check is inside
// the (BEGIN IMMEDIATE) transaction so two processes opening the same file at
// once cannot both apply it.
func migrateFile(ctx context.Context, db *sql.DB, file string) error {
	name := path.Base(file) // recorded as "0001_init.sql"
	body, err := fs.ReadFile(migrationFS, file)
	if err != nil {
		return fmt.Errorf("migration %s: read: %w", name, err)
	}
	if strings.HasPrefix(string(body), fkOffMarker) {
		if _, err := db.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return fmt.Errorf("migration %s: foreign keys off: %w", name, err)
		}
		defer db.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	}
	dbtx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", name, err)
	}
	defer dbtx.Rollback()

	var n int
	if err := dbtx.QueryRowContext(ctx,
		`SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: check: %w", name, err)
	}
	if n > 0 {
		return nil
	}

	if _, err := dbtx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if strings.HasPrefix(string(body), fkOffMarker) {
		rows, err := dbtx.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return fmt.Errorf("migration %s: foreign key check: %w", name, err)
		}
		bad := rows.Next()
		rows.Close()
		if bad {
			return fmt.Errorf("migration %s: foreign key check found dangling references", name)
		}
	}
	if _, err := dbtx.ExecContext(ctx,
		`INSERT INTO schema_migrations (name, applied_at) VALUES (?, strftime('%s', 'now') * 1000)`,
		name); err != nil {
		return fmt.Errorf("migration %s: record: %w", name, err)
	}
	if err := dbtx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", name, err)
	}
	return nil
}
