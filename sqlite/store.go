// Package sqlite is qunzhu's Store over an embedded SQLite file (modernc.org/sqlite,
// pure Go, no cgo), so the service and its demo run from one binary with no
// database server. It is the only package that imports a SQL driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Compile-time checks that the store keeps the root package's contract.
var (
	_ qunzhu.Store = (*Store)(nil)
	_ qunzhu.Tx    = (*tx)(nil)
)

// busyTimeout is how long a connection waits for a lock held by another process
// (a backup, the sqlite3 shell) or a checkpoint before it reports SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Store is qunzhu's state in one SQLite file. It keeps two pools over the same
// file: one connection that does every write, and a pool of read-only
// connections for View and the sender's reads.
//
// Writes are serialized on a single connection (MaxOpenConns=1) rather than
// relying on BEGIN IMMEDIATE across a pool, because then in-process writers queue
// in database/sql, in Go, honouring their contexts, and never meet SQLITE_BUSY at
// all; busy_timeout only matters for other processes. The write connection still
// begins with BEGIN IMMEDIATE (_txlock=immediate), so a transaction holds the
// write lock from its first statement: a deferred transaction that read first and
// then tried to write could fail with SQLITE_BUSY_SNAPSHOT, which no busy_timeout
// retries, whenever another process wrote in between. WAL lets readers run beside
// the writer, so View and Due never wait for an Update.
//
// Because there is one write connection, fn passed to Update must not call
// Update, the Outbox's Mark* methods or RecoverSending on the same store: it
// would wait, until its context ends, for the connection fn holds. View and
// the reads are fine.
type Store struct {
	write *sql.DB // exactly one connection; every write goes through it
	read  *sql.DB // read-only pool (query_only) for View, Due, NextDue, stats

	clock    qunzhu.Clock
	enqueued chan struct{}
}

// Open opens (creating if needed) the SQLite database file at path, applies the
// embedded migrations and returns a ready store. clock may be nil for the system
// clock; tests pass a *qunzhu.FakeClock to control every stored time.
//
// path must be a file: ":memory:" would give the write and read pools two
// different databases.
func Open(ctx context.Context, path string, clock qunzhu.Clock) (*Store, error) {
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("open sqlite: path %q: need a plain file path", path)
	case strings.ContainsRune(path, '?'):
		return nil, fmt.Errorf("open sqlite: path %q must not contain '?'", path)
	}
	if clock == nil {
		clock = qunzhu.SystemClock{}
	}

	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	// Migrate through the write connection first: it creates the file and turns
	// on WAL before any reader opens it.
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: read pool: %w", path, err)
	}

	return &Store{
		write:    write,
		read:     read,
		clock:    clock,
		enqueued: make(chan struct{}, 1),
	}, nil
}

// dsn builds the driver's connection string. Pragmas go in _pragma parameters so
// that every connection the pools open gets them, not only the first one.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		// A stray write in View fails loudly instead of racing the writer.
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Close closes both pools. It asks SQLite to refresh its planner statistics
// first, as SQLite recommends before closing a long-lived connection.
func (s *Store) Close() error {
	_, optErr := s.write.Exec("PRAGMA optimize")
	err := errors.Join(s.read.Close(), s.write.Close())
	if err == nil && optErr != nil {
		// Not fatal for the data, but worth knowing.
		return fmt.Errorf("close sqlite: optimize: %w", optErr)
	}
	return err
}

// Ping checks that the store answers, for /readyz. It asks the read pool only so
// a long Update does not make the service look unready.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Update runs fn in a read-write transaction on the write connection and commits
// if fn returns nil. fn's error is returned unchanged so *qunzhu.Error codes reach
// the caller. After a commit in which fn enqueued a message, Enqueued is signalled.
func (s *Store) Update(ctx context.Context, fn func(qunzhu.Tx) error) error {
	t, err := s.begin(ctx, s.write, false)
	if err != nil {
		return fmt.Errorf("begin update: %w", err)
	}
	defer t.tx.Rollback() // no-op after Commit; also runs if fn panics

	if err := fn(t); err != nil {
		return err
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit update: %w", err)
	}
	if t.enqueued {
		s.signalEnqueued()
	}
	return nil
}

// View runs fn in a read-only transaction on the read pool: one consistent
// snapshot that never waits for a writer.
func (s *Store) View(ctx context.Context, fn func(qunzhu.Tx) error) error {
	t, err := s.begin(ctx, s.read, true)
	if err != nil {
		return fmt.Errorf("begin view: %w", err)
	}
	defer t.tx.Rollback()
	return fn(t)
}

// Enqueued is signalled, without blocking, after every commit that wrote at
// least one outbox row, so the sender wakes up instead of polling.
func (s *Store) Enqueued() <-chan struct{} { return s.enqueued }

func (s *Store) signalEnqueued() {
	select {
	case s.enqueued <- struct{}{}:
	default: // a wake-up is already pending; the sender will see every row
	}
}

// now is the store clock's time cut to the milliseconds that are stored, so a
// value returned by a write equals the value read back later.
func (s *Store) now() time.Time {
	return time.UnixMilli(s.clock.Now().UnixMilli()).UTC()
}

func (s *Store) begin(ctx context.Context, db *sql.DB, readOnly bool) (*tx, error) {
	sqlTx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	return &tx{tx: sqlTx, ctx: ctx, now: s.now()}, nil
}

// tx implements qunzhu.Tx. Its methods take no context (the interface has none),
// so it carries the one given to Update or View.
type tx struct {
	tx       *sql.Tx
	ctx      context.Context
	now      time.Time
	enqueued bool // Enqueue wrote a row; signal after commit
}

// Now is the store clock's time, read once when the transaction began.
func (t *tx) Now() time.Time { return t.now }

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// Times are stored as INTEGER unix milliseconds UTC: numeric ordering is time
// ordering, and the zero time.Time is stored as NULL ("never").

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMs(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMs(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMs(v.Int64)
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation, which the
// callers turn into ECONFLICT with a sentence for the user.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// rowsAffected returns the count of rows a statement changed.
func rowsAffected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// collect reads every row of a query with scan; what names the rows in
// errors ("select tasks: …", "scan tasks: …"). It closes rows.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error), what string) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("select %s: %w", what, err)
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", what, err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select %s: %w", what, err)
	}
	return list, nil
}
