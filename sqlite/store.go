// Package sqlite is qunzhu's Store over an embedded SQLite file (modernc.org/sqlite,
// pure Go, no cgo), so the service and its demo run from one binary with no
// database server. It is the only package that imports a SQL driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
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
// Writes are serialized on a single connection (MaxOpenConns=1) driven by one
// writer goroutine that commits in groups (writer.go): Update calls that arrive
// while a commit is on its way to the disk are run together in the next
// transaction, each in its own SAVEPOINT, and share one commit and one fsync.
// In-process writers therefore never meet SQLITE_BUSY; busy_timeout only
// matters for other processes. The write connection begins with BEGIN
// IMMEDIATE (_txlock=immediate), so a transaction holds the write lock from its
// first statement: a deferred transaction that read first and then tried to
// write could fail with SQLITE_BUSY_SNAPSHOT, which no busy_timeout retries,
// whenever another process wrote in between. WAL lets readers run beside the
// writer, so View and Due never wait for an Update.
//
// Because there is one writer, fn passed to Update must not call Update, the
// Outbox's Mark* methods or RecoverSending on the same store: it would wait,
// until its context ends, for the writer that runs fn. View and the reads are
// fine.
type Store struct {
	path  string
	write *sql.DB // exactly one connection, used by the writer goroutine only
	read  *sql.DB // read-only pool (query_only) for View, Due, NextDue, stats

	clock    qunzhu.Clock
	log      *slog.Logger
	enqueued chan struct{}
	accepted chan struct{}

	w         *writer
	readStmts readStmts
	groupsGen atomic.Uint64 // GroupsVersion
	files     *fileGuard
	fault     atomic.Pointer[fault] // set once the files changed under us or the disk failed
}

// Synchronous settings of Options.Synchronous, named after SQLite's.
const (
	// SyncFull makes every commit durable (an fsync of the WAL, one per
	// group of batches, see syncer.go) before its callers return: an
	// acknowledged write survives a power cut or an OS crash. The default.
	SyncFull = "FULL"
	// SyncNormal answers right after the commit and syncs only at
	// checkpoints: safe against a crash of the process, but a power cut or OS
	// crash may undo the last commits, which were already acknowledged.
	SyncNormal = "NORMAL"
)

// Options tune a store. The zero value is the safe default.
type Options struct {
	// Clock is the store's time; nil is the system clock. Tests pass a
	// *qunzhu.FakeClock to control every stored time.
	Clock qunzhu.Clock
	// Synchronous is SyncFull (default when empty) or SyncNormal.
	Synchronous string
	// Logger hears about a store that stopped accepting writes and why; nil
	// is slog.Default().
	Logger *slog.Logger
}

// Open opens (creating if needed) the SQLite database file at path, applies the
// embedded migrations and returns a ready store with the default options.
// clock may be nil for the system clock; tests pass a *qunzhu.FakeClock to
// control every stored time.
//
// path must be a file: ":memory:" would give the write and read pools two
// different databases.
func Open(ctx context.Context, path string, clock qunzhu.Clock) (*Store, error) {
	return OpenWith(ctx, path, Options{Clock: clock})
}

// OpenWith is Open with options. It refuses a database that lost its schema
// while its journal files are still there (see checkNearby): starting empty
// would hide that acknowledged data is gone.
func OpenWith(ctx context.Context, path string, opt Options) (*Store, error) {
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("open sqlite: path %q: need a plain file path", path)
	case strings.ContainsRune(path, '?'):
		return nil, fmt.Errorf("open sqlite: path %q must not contain '?'", path)
	}
	if opt.Clock == nil {
		opt.Clock = qunzhu.SystemClock{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	switch opt.Synchronous = strings.ToUpper(opt.Synchronous); opt.Synchronous {
	case "":
		opt.Synchronous = SyncFull
	case SyncFull, SyncNormal:
	default:
		return nil, fmt.Errorf("open sqlite: synchronous %q: want FULL or NORMAL", opt.Synchronous)
	}
	nearby := nearbyFiles(path)

	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	// Check and migrate through the write connection first: it creates the file
	// and turns on WAL before any reader opens it.
	if err := checkSchema(ctx, write, path, nearby); err != nil {
		write.Close()
		return nil, err
	}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The read connections are opened now and kept for the store's life: one
	// opened after the -wal file was deleted would read a different WAL from
	// the writer's (see fileGuard).
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxLifetime(0)
	read.SetConnMaxIdleTime(0)
	if err := warm(ctx, read, n); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: read pool: %w", path, err)
	}
	files, err := newFileGuard(path)
	if err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	s := &Store{
		path:     path,
		write:    write,
		read:     read,
		clock:    opt.Clock,
		log:      opt.Logger,
		enqueued: make(chan struct{}, 1),
		accepted: make(chan struct{}, 1),
		files:    files,
	}
	s.readStmts.init(read)
	if s.w, err = newWriter(ctx, s, newSyncer(s, opt.Synchronous == SyncNormal)); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	go s.w.run()
	return s, nil
}

// warm opens n connections of pool at once and returns them to it.
func warm(ctx context.Context, pool *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		// A query, not a ping: it makes the connection open the -wal now.
		var n int
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
			return err
		}
	}
	return nil
}

// walCheckpointPages is how many frames the -wal may hold before a commit
// checkpoints it. A group commit of webhook intake adds about ten frames,
// mostly the same hot pages (the journal's last leaf, its indexes' leaves),
// and a checkpoint copies each page once however often the -wal holds it, so
// checkpointing four times less often copies far fewer pages: measured with
// bench/webhook.sh (messages, 32 connections) it took 9 % of the CPU per
// request and raised throughput 6 %. 4000 keeps the -wal inside the first
// segment of its index in shared memory (4062 frames; a page lookup searches
// every segment), and in practice just under 16 MB on disk; 10000 measured
// worse than 4000, 2000 worse too.
const walCheckpointPages = 4000

// dsn builds the driver's connection string. Pragmas go in _pragma parameters so
// that every connection the pools open gets them, not only the first one.
// SQLite itself runs with synchronous=NORMAL: the syncer makes each commit
// durable before its callers return (Options.Synchronous FULL), off the
// write connection's critical path.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Savepoints (one per caller in a group commit) keep their undo pages in
	// memory instead of a temporary file written on every batch.
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		// A stray write in View fails loudly instead of racing the writer.
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// Only the writer commits, so only it checkpoints: every
		// walCheckpointPages frames instead of SQLite's 1000.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	}
	return path + "?" + q.Encode()
}

// Close stops the writer (answering what it queued) and closes both pools. It
// asks SQLite to refresh its planner statistics first, as SQLite recommends
// before closing a long-lived connection.
func (s *Store) Close() error {
	s.w.stop()
	var optErr error
	if s.fault.Load() == nil { // a store whose files changed writes nothing more
		_, optErr = s.write.Exec("PRAGMA optimize")
	}
	s.readStmts.close()
	err := errors.Join(s.read.Close(), s.write.Close())
	s.readStmts.wg.Wait() // their PrepareContext returned when the pool closed
	if err == nil && optErr != nil {
		// Not fatal for the data, but worth knowing.
		return fmt.Errorf("close sqlite: optimize: %w", optErr)
	}
	return err
}

// Ping checks that the store answers and that its files are still the ones it
// opened, for /readyz. It asks the read pool only so a long Update does not
// make the service look unready.
func (s *Store) Ping(ctx context.Context) error {
	select {
	case <-s.w.done:
		return fmt.Errorf("ping sqlite: %w", ErrClosed)
	default:
	}
	if err := s.checkFiles(); err != nil {
		return err
	}
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Update runs fn in a read-write transaction and commits if fn returns nil.
// fn's error is returned unchanged so *qunzhu.Error codes reach the caller.
// Concurrent calls share a transaction (writer.go), but each fn runs in its
// own savepoint: fn's error undoes fn's changes only, and Update returns only
// after the commit that holds fn's changes has reached the disk. After a
// commit in which fn enqueued a message, Enqueued is signalled.
func (s *Store) Update(ctx context.Context, fn func(qunzhu.Tx) error) error {
	return s.w.do(ctx, func(t *tx) error { return fn(t) })
}

// writeExec runs one statement in the writer's next batch, for the store's
// own writes that are not a qunzhu.Tx method: the write connection is the
// writer's alone.
func (s *Store) writeExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.w.do(ctx, func(t *tx) error {
		var err error
		res, err = t.exec(query, args...)
		return err
	})
	return res, err
}

// View runs fn in a read-only transaction on the read pool: one consistent
// snapshot that never waits for a writer.
func (s *Store) View(ctx context.Context, fn func(qunzhu.Tx) error) error {
	if err := s.faulted(); err != nil {
		return err // the files it would read are not the database any more
	}
	t, err := s.begin(ctx, s.read, true)
	if err != nil {
		return fmt.Errorf("begin view: %w", err)
	}
	defer t.tx.Rollback()
	return fn(t)
}

// GroupsVersion changes after every commit that added or renamed a group,
// so a cache of group lookups (the webhook intake's) knows when to forget.
func (s *Store) GroupsVersion() uint64 { return s.groupsGen.Load() }

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
	t := &tx{tx: sqlTx, q: sqlTx, ctx: ctx, now: s.now()}
	if readOnly {
		t.rs = &s.readStmts
	}
	return t, nil
}

// tx implements qunzhu.Tx. Its methods take no context (the interface has none),
// so it carries the one given to Update or View.
type tx struct {
	tx       *sql.Tx // View: the read transaction; nil in Update
	q        querier // what statements run on: tx, or the writer's connection
	b        *batch  // Update: the group commit this caller's fn runs in; nil in View
	ctx      context.Context
	now      time.Time
	enqueued bool       // Enqueue wrote a row; signal after commit
	accepted bool       // Accept wrote a journal entry; signal after commit
	rs       *readStmts // View: the read pool's prepared statements
	// groupsChanged: a group was added or renamed; GroupsVersion moves on
	// after the commit.
	groupsChanged bool
	// broken is set by a fn run without a savepoint (writeReq.bare) that
	// failed halfway: what it wrote cannot be undone alone, so the whole
	// batch is rolled back and every caller in it told so.
	broken error
}

// Now is the store clock's time, read once when the transaction began.
func (t *tx) Now() time.Time { return t.now }

// stmt returns the statement to run query with and its context. In an Update
// it is the writer's prepared statement when there is one (nil otherwise),
// run with the batch's context while the caller's is live: a cancellation in
// the middle of a statement interrupts SQLite, which may then roll back the
// whole transaction, other callers' work included. Once the caller's context
// has ended it is passed on, so the driver refuses the statement before
// running it and only this caller's savepoint is undone.
func (t *tx) stmt(query string) (*sql.Stmt, context.Context) {
	if t.b == nil {
		if t.rs != nil {
			if st := t.rs.get(query); st != nil {
				return t.tx.StmtContext(t.ctx, st), t.ctx
			}
		}
		return nil, t.ctx
	}
	if t.ctx.Err() != nil {
		return nil, t.ctx
	}
	return t.b.stmt(query), context.Background()
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	st, ctx := t.stmt(query)
	if st != nil {
		return st.ExecContext(ctx, args...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // as a *sql.Tx refuses it; the writer's connection would not
	}
	return t.q.ExecContext(ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	st, ctx := t.stmt(query)
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t.q.QueryContext(ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	st, ctx := t.stmt(query)
	if st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	// A done ctx fails in the driver, before the statement runs.
	return t.q.QueryRowContext(ctx, query, args...)
}

// querier runs statements: a *sql.Tx in View, the writer's *sql.Conn in
// Update (the writer begins and commits its transactions itself).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
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

// isForeignKey reports whether err is a FOREIGN KEY violation: a row that
// names a group (or task, member…) that does not exist.
func isForeignKey(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
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
