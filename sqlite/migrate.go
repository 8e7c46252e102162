package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
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
func migrate(ctx context.Context, db *sql.DB) error {
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
	}
	return nil
}

// migrateFile applies one migration unless it is recorded. The check is inside
// the (BEGIN IMMEDIATE) transaction so two processes opening the same file at
// once cannot both apply it.
func migrateFile(ctx context.Context, db *sql.DB, file string) error {
	name := path.Base(file) // recorded as "0001_init.sql"
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

	body, err := fs.ReadFile(migrationFS, file)
	if err != nil {
		return fmt.Errorf("migration %s: read: %w", name, err)
	}
	if _, err := dbtx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
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
