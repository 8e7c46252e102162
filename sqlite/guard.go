package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A store must never acknowledge a write it cannot keep. Two things can take
// the ground from under it while it runs: its files are deleted or replaced
// (a clean-up script, a restore copied over a live database, an operator who
// "removes the stale -wal"), or the disk fails (read-only remount, full, I/O
// errors). SQLite notices neither reliably: its connections keep writing into
// an unlinked -wal, and the next start replays nothing, or someone else's
// frames. So the store watches its files (fileGuard, after every commit and
// every second) and classifies disk errors, and on either it enters a fault:
// every write and Ping answer EUNAVAILABLE with the reason, the log says what
// happened, and it stays so until the operator restarts the service.

// fault is why the store stopped accepting writes.
type fault struct {
	reason string
	at     time.Time
}

// errUnavailable is the error every write and Ping return once f is set.
func (f *fault) err() error {
	return qunzhu.Errorf(qunzhu.EUNAVAILABLE, "数据库不可用，已暂停接收：%s (store unavailable: %s)", f.reason, f.reason)
}

// faulted returns the fault's error, nil while the store is healthy.
func (s *Store) faulted() error {
	if f := s.fault.Load(); f != nil {
		return f.err()
	}
	return nil
}

// setFault records the first fault and logs it; later ones are the same
// trouble seen again.
func (s *Store) setFault(reason string, cause error) error {
	f := &fault{reason: reason, at: time.Now()}
	if s.fault.CompareAndSwap(nil, f) {
		attrs := []any{slog.String("path", s.path), slog.String("reason", reason)}
		if cause != nil {
			attrs = append(attrs, slog.String("error", cause.Error()))
		}
		s.log.Error("sqlite: store stopped accepting writes; restart after fixing the files", attrs...)
	}
	return s.fault.Load().err()
}

// classify turns a disk-level SQLite error into a fault; other errors pass
// unchanged.
func (s *Store) classify(err error) error {
	var e *sqlite.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	var reason string
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_READONLY:
		reason = "磁盘或数据库文件只读 (read-only)"
	case sqlite3.SQLITE_FULL:
		reason = "磁盘已满 (disk full)"
	case sqlite3.SQLITE_IOERR:
		reason = "磁盘读写错误 (I/O error)"
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		reason = "数据库文件损坏 (corrupt)"
	case sqlite3.SQLITE_CANTOPEN:
		reason = "无法打开数据库文件 (cannot open)"
	default:
		return err
	}
	return s.setFault(reason, err)
}

// fileGuard remembers which files the store opened, by identity (device and
// inode), not by name.
type fileGuard struct {
	mu     sync.Mutex
	path   string
	db     fileID
	wal    fileID
	hasWAL bool // false until the -wal exists
}

func newFileGuard(path string) (*fileGuard, error) {
	db, err := identify(path)
	if err != nil {
		return nil, fmt.Errorf("stat database: %w", err)
	}
	g := &fileGuard{path: path, db: db}
	if wal, err := identify(path + "-wal"); err == nil {
		g.wal, g.hasWAL = wal, true
	}
	return g, nil
}

// check returns what changed: the database file (gone or another file now),
// or the -wal (deleted, or another file now); "" when nothing did.
func (g *fileGuard) check() (dbChanged, walChanged string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	name := filepath.Base(g.path)
	db, err := identify(g.path)
	switch {
	case err != nil:
		return fmt.Sprintf("数据库文件 %s 被删除 (database file deleted)", name), ""
	case !db.same(g.db):
		return fmt.Sprintf("数据库文件 %s 被替换 (database file replaced)", name), ""
	}
	wal, err := identify(g.path + "-wal")
	switch {
	case !g.hasWAL && err == nil:
		g.wal, g.hasWAL = wal, true // first seen: SQLite created it
	case g.hasWAL && err != nil:
		return "", fmt.Sprintf("日志文件 %s-wal 被删除 (WAL file deleted)", name)
	case g.hasWAL && !wal.same(g.wal):
		return "", fmt.Sprintf("日志文件 %s-wal 被替换 (WAL file replaced)", name)
	}
	return "", ""
}

// checkFiles is Ping's check: it reports a change at once and leaves the
// rescue to the writer.
func (s *Store) checkFiles() error {
	if err := s.faulted(); err != nil {
		return err
	}
	if db, wal := s.files.check(); db != "" || wal != "" {
		select {
		case s.w.poke <- struct{}{}:
		default:
		}
		return qunzhu.Errorf(qunzhu.EUNAVAILABLE, "数据库不可用，已暂停接收：%s%s (store unavailable)", db, wal)
	}
	return nil
}

// guardFiles runs on the writer goroutine, between transactions or right
// after a commit. When the -wal was deleted or replaced while the database
// file is intact, the commits since the last checkpoint live only in the
// -wal the connections still hold open: a checkpoint copies them into the
// database file (and syncs it), so nothing acknowledged is lost, and a
// replacing file is moved aside so the next start does not replay foreign
// frames over the rescued pages. It returns nil when the files are fine or
// when everything committed is safe in the database file after the rescue.
func (s *Store) guardFiles() error {
	if s.fault.Load() != nil {
		return nil // handled when the fault was set
	}
	db, wal := s.files.check()
	switch {
	case db != "":
		return s.setFault(db, nil)
	case wal == "":
		return nil
	}
	err := s.rescueWAL()
	if err != nil {
		s.setFault(wal, err)
		return fmt.Errorf("rescue after %s: %w", wal, err)
	}
	s.setFault(wal, nil)
	s.log.Error("sqlite: every commit was copied from the lost -wal into the database file; nothing acknowledged is lost",
		slog.String("path", s.path))
	return nil
}

// rescueWAL checkpoints the -wal the write connection holds into the database
// file and moves a file that replaced the -wal aside.
func (s *Store) rescueWAL() error {
	var busy, logFrames, done int
	err := s.w.conn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: blocked by a reader (%d of %d frames)", done, logFrames)
	}
	if _, err := os.Stat(s.path + "-wal"); err == nil {
		aside := fmt.Sprintf("%s-wal.foreign-%d", s.path, time.Now().Unix())
		if err := os.Rename(s.path+"-wal", aside); err != nil {
			return fmt.Errorf("move the replacing -wal aside: %w", err)
		}
		s.log.Error("sqlite: moved the file that replaced the -wal aside", slog.String("to", aside))
	}
	return nil
}

// nearbyFiles lists the journal files of the database at path that exist
// before it is opened: a crashed or running store leaves its -wal, -shm or
// -journal beside the database.
func nearbyFiles(path string) []string {
	var out []string
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if fi, err := os.Stat(path + suffix); err == nil && fi.Mode().IsRegular() {
			out = append(out, filepath.Base(path+suffix))
		}
	}
	return out
}

// checkSchema refuses to start on a database without its migration table when
// it cannot be a new one: journal files lay beside it, or it holds other
// tables. That is a database whose file was deleted or replaced (its data
// still in a -wal, or elsewhere); migrating it would start the service empty
// and the loss would go unnoticed.
func checkSchema(ctx context.Context, db *sql.DB, path string, nearby []string) error {
	var migrations, others int
	err := db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE name = 'schema_migrations'),
		count(*) FILTER (WHERE name <> 'schema_migrations')
		FROM sqlite_master WHERE type = 'table'`).Scan(&migrations, &others)
	if err != nil {
		return fmt.Errorf("open sqlite %s: read schema: %w", path, err)
	}
	switch {
	case migrations > 0:
		return nil
	case others > 0:
		return fmt.Errorf("open sqlite %s: it has %d tables but no schema_migrations: not a qunzhu database, or a damaged one; refusing to start on it", path, others)
	case len(nearby) > 0:
		return fmt.Errorf("open sqlite %s: the database is empty (no schema_migrations) but %v lie beside it: its file was deleted or replaced and its data may be elsewhere; refusing to start empty (restore the database, or move those files aside to start afresh)", path, nearby)
	}
	return nil
}
