package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// Group commit. One goroutine owns the write connection. Update hands it a
// request and waits; the writer begins a transaction, runs the first request's
// fn in a SAVEPOINT, then the fn of every request that arrived meanwhile, each
// in its own SAVEPOINT, and commits them all at once; the syncer (syncer.go)
// answers them once that commit is on disk. Callers that queue while a batch
// runs share the next one instead of paying for a transaction each. A fn that
// fails is rolled back to its savepoint and nothing else is undone; every
// caller returns after the commit that holds its work reached the disk, so a
// caller never acknowledges a change that may still be lost.
const (
	// maxBatch bounds how many callers share one transaction.
	maxBatch = 256
	// batchBudget closes a batch that has run this long, even when more
	// callers wait: they go into the next one, so a slow caller delays the
	// others by at most one batch.
	batchBudget = 10 * time.Millisecond
	// maxStmts bounds the prepared statements the writer keeps.
	maxStmts = 512
	// fileCheckEvery is how often an idle writer checks that its files are
	// still the ones it opened.
	fileCheckEvery = time.Second
)

// ErrClosed answers writes after Close.
var ErrClosed = errors.New("sqlite: database is closed")

// writeReq is one Update (or one Outbox mark) waiting for the writer.
type writeReq struct {
	ctx context.Context
	fn  func(*tx) error
	res chan writeRes // buffered: the writer never blocks on a caller
	// bare runs fn without a savepoint: fn's statements are each atomic and
	// what a failed fn leaves behind is harmless (Accept: a skipped number),
	// or fn sets tx.broken and the whole batch is rolled back. It saves the
	// two savepoint statements on the hottest path.
	bare bool
}

// writeRes is what the caller learns after the commit.
type writeRes struct {
	err      error
	panicked bool
	pv       any // fn's panic, raised again in the caller's goroutine
	enqueued bool
	accepted bool // fn accepted a journal entry: wake the applier
	groups   bool // fn added or renamed a group (tx.groupsChanged)
}

// writer is the goroutine that owns the write connection.
type writer struct {
	s *Store
	y *syncer // answers committed batches once they are on disk
	// conn is the write pool's one connection, held for the store's life;
	// begin, commit and rollback are prepared on it. The writer runs its
	// transactions with them rather than through a *sql.Tx, which would
	// parse BEGIN and COMMIT and start a goroutine for every batch.
	conn                    *sql.Conn
	begin, commit, rollback *sql.Stmt
	reqs                    chan *writeReq
	poke                    chan struct{} // Ping saw the files change: check now
	quit                    chan struct{}
	done                    chan struct{} // closed when run returns; every taken request is answered
	stmts                   map[string]*sql.Stmt
	seen                    map[string]int // queries seen in batches but not prepared yet
	// batches counts the transactions begun, for tests and the benchmark.
	batches atomic.Uint64
	// budget is batchBudget; tests lengthen it to make batches predictable.
	budget time.Duration
	// ids are outbox numbers reserved a block at a time for Accept (see
	// tx.reserveOutbox); only the writer goroutine touches them.
	ids *idBlock
	// wal is the writer's own descriptor of the -wal, to start the writeback
	// of each commit (startWriteback); nil until the first commit.
	wal *os.File
}

func newWriter(ctx context.Context, s *Store, y *syncer) (*writer, error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("write connection: %w", err)
	}
	var stmts [3]*sql.Stmt
	for i, q := range []string{"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"} {
		if stmts[i], err = conn.PrepareContext(ctx, q); err != nil {
			for _, st := range stmts[:i] {
				st.Close()
			}
			conn.Close()
			return nil, fmt.Errorf("prepare %s: %w", q, err)
		}
	}
	return &writer{
		s:        s,
		y:        y,
		conn:     conn,
		begin:    stmts[0],
		commit:   stmts[1],
		rollback: stmts[2],
		reqs:     make(chan *writeReq, maxBatch),
		poke:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		stmts:    map[string]*sql.Stmt{},
		seen:     map[string]int{},
		budget:   batchBudget,
	}, nil
}

// do runs fn in the next batch and returns after its commit. A panic in fn is
// raised again here, after fn's savepoint was rolled back.
func (w *writer) do(ctx context.Context, fn func(*tx) error) error {
	return w.submit(&writeReq{ctx: ctx, fn: fn, res: make(chan writeRes, 1)})
}

// doBare is do without the savepoint (see writeReq.bare).
func (w *writer) doBare(ctx context.Context, fn func(*tx) error) error {
	return w.submit(&writeReq{ctx: ctx, fn: fn, res: make(chan writeRes, 1), bare: true})
}

func (w *writer) submit(r *writeReq) error {
	ctx := r.ctx
	if err := w.s.faulted(); err != nil {
		return err
	}
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		return fmt.Errorf("begin update: %w", ctx.Err())
	case <-w.done:
		return ErrClosed
	}
	// The caller waits for the answer even if ctx ends: fn may be in a batch
	// that is committing, and the caller must learn whether it was kept.
	var res writeRes
	select {
	case res = <-r.res:
	case <-w.done:
		select {
		case res = <-r.res:
		default: // queued after the writer stopped: never taken
			return ErrClosed
		}
	}
	if res.panicked {
		panic(res.pv)
	}
	return res.err
}

// stop ends run after the batch in progress and answers what is still queued.
func (w *writer) stop() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.done
	for _, st := range w.stmts {
		st.Close()
	}
	w.begin.Close()
	w.commit.Close()
	w.rollback.Close()
	w.conn.Close() // back to the write pool, for Close's last statements
	if w.wal != nil {
		w.wal.Close()
	}
}

func (w *writer) run() {
	defer func() {
		// Every batch handed to the syncer is answered before done closes.
		close(w.y.in)
		<-w.y.done
		close(w.done)
	}()
	go w.y.run()
	tick := time.NewTicker(fileCheckEvery)
	defer tick.Stop()
	for {
		select {
		case r := <-w.reqs:
			w.batch(r)
		case <-tick.C:
			w.s.guardFiles()
		case <-w.poke:
			w.s.guardFiles()
		case <-w.quit:
			for {
				select {
				case r := <-w.reqs:
					r.res <- writeRes{err: ErrClosed}
				default:
					return
				}
			}
		}
	}
}

// batch is one group commit: the transaction the writer began on its
// connection.
type batch struct {
	seq uint64 // the writer's batch number, from 1
	w   *writer
}

// stmt returns the writer's prepared statement for query, nil when query has
// none yet: it is prepared after the commit once it has been seen twice, so
// queries built with literal values (which never repeat) do not fill the
// cache.
func (b *batch) stmt(query string) *sql.Stmt {
	if st, ok := b.w.stmts[query]; ok {
		return st
	}
	if len(b.w.seen) < 4*maxStmts {
		b.w.seen[query]++
	}
	return nil
}

// batch runs first and whoever queued behind it in one transaction.
func (w *writer) batch(first *writeReq) {
	taken := []*writeReq{first}
	results := make([]writeRes, 0, 8)
	w.s.guardFiles() // a change seen now refuses the batch before it writes
	if err := w.s.faulted(); err != nil {
		w.y.in <- &settled{taken: taken, results: []writeRes{{err: err}}}
		return
	}
	start := time.Now()
	if _, err := w.begin.Exec(); err != nil {
		w.y.in <- &settled{taken: taken, results: []writeRes{{err: w.s.classify(fmt.Errorf("begin update: %w", err))}}}
		return
	}
	b := &batch{seq: w.batches.Add(1), w: w}
	var broken error // the transaction itself failed: nothing of it can commit
	for r := first; ; {
		res, err := b.run(r)
		results = append(results, res)
		if err != nil {
			broken = err
			break
		}
		if len(taken) >= maxBatch || time.Since(start) >= w.budget {
			break
		}
		if next := w.next(start); next != nil {
			r = next
			taken = append(taken, r)
			continue
		}
		break
	}

	if broken == nil {
		if _, err := w.commit.Exec(); err != nil {
			broken = fmt.Errorf("commit update: %w", err)
			w.rollback.Exec() // a failed COMMIT may leave the transaction open
		} else if err := w.s.guardFiles(); err != nil {
			// The commit went to files that are no longer the database's.
			broken = err
		} else {
			w.startWriteback()
		}
	} else {
		w.rollback.Exec() // fails harmlessly if SQLite already rolled back
	}
	for _, r := range results {
		if r.groups {
			w.s.groupsGen.Add(1)
			break
		}
	}
	if broken != nil {
		w.ids = nil // numbers reserved in this batch were rolled back with it
	}
	if broken != nil {
		broken = w.s.classify(broken)
	}

	kept := false
	for i := range results {
		if broken != nil && results[i].err == nil && !results[i].panicked {
			results[i].err = broken
		}
		kept = kept || (results[i].err == nil && !results[i].panicked)
	}
	// The syncer answers once the commit is on disk; meanwhile this goroutine
	// goes on with the next batch. That batch need not hurry from now on, not
	// only once the syncer has woken and begun this commit's fsync: until
	// that fsync ends nothing it commits can be acknowledged (next).
	if kept && !w.y.off {
		w.y.busy.Store(true)
	}
	w.y.in <- &settled{taken: taken, results: results, sync: kept}
	w.prepareSeen()
}

// startWriteback starts writing the commit's WAL frames to the disk (see
// startWriteback in datasync_linux.go) when the syncer will fsync them.
func (w *writer) startWriteback() {
	if w.y.off {
		return
	}
	if w.wal == nil {
		f, err := os.Open(w.s.path + "-wal")
		if err != nil {
			return // only a hint; the syncer reports a -wal it cannot open
		}
		w.wal = f
	}
	startWriteback(w.wal)
}

// next returns the next caller to add to the batch begun at start, or nil
// when the batch should commit now. A caller already waiting is taken. With
// none waiting, the batch commits at once if the disk is idle; while the
// syncer's fsync is in flight there is no hurry, since nothing committed now
// can be acknowledged before the next fsync starts, so the batch stays open
// for callers arriving meanwhile until that fsync ends (or the budget does):
// the same callers then share fewer, larger transactions, at no cost in
// latency.
func (w *writer) next(start time.Time) *writeReq {
	select {
	case r := <-w.reqs:
		return r
	default:
	}
	select {
	case <-w.y.idle: // a stale signal; busy says how it is now
	default:
	}
	if !w.y.busy.Load() {
		return nil
	}
	wait := time.NewTimer(w.budget - time.Since(start))
	defer wait.Stop()
	select {
	case r := <-w.reqs:
		return r
	case <-w.y.idle:
	case <-wait.C:
	}
	return nil
}

// exec runs one of the batch's own statements (the savepoints), prepared
// like the callers' statements once they repeat.
func (b *batch) exec(query string) (sql.Result, error) {
	if st := b.stmt(query); st != nil {
		return st.ExecContext(context.Background())
	}
	return b.w.conn.ExecContext(context.Background(), query)
}

// run runs one caller's fn in a savepoint. The error returned is the
// transaction's own failure (a savepoint that could not be released or rolled
// back), which ends the batch; fn's error is in the result.
func (b *batch) run(r *writeReq) (writeRes, error) {
	if err := r.ctx.Err(); err != nil {
		return writeRes{err: fmt.Errorf("begin update: %w", err)}, nil
	}
	if r.bare {
		t := &tx{q: b.w.conn, b: b, ctx: r.ctx, now: b.w.s.now()}
		res := call(r.fn, t)
		if t.broken != nil {
			return writeRes{err: t.broken}, t.broken
		}
		res.enqueued, res.accepted, res.groups = t.enqueued, t.accepted, t.groupsChanged
		return res, nil
	}
	if _, err := b.exec("SAVEPOINT caller"); err != nil {
		return writeRes{err: fmt.Errorf("begin update: %w", err)}, fmt.Errorf("savepoint: %w", err)
	}
	t := &tx{q: b.w.conn, b: b, ctx: r.ctx, now: b.w.s.now()}
	res := call(r.fn, t)
	res.groups = t.groupsChanged
	if res.err == nil && !res.panicked {
		if _, err := b.exec("RELEASE caller"); err != nil {
			return res, fmt.Errorf("release savepoint: %w", err)
		}
		res.enqueued, res.accepted = t.enqueued, t.accepted
		return res, nil
	}
	if _, err := b.exec("ROLLBACK TO caller"); err != nil {
		return res, fmt.Errorf("roll back savepoint: %w", err)
	}
	if _, err := b.exec("RELEASE caller"); err != nil {
		return res, fmt.Errorf("release savepoint: %w", err)
	}
	return res, nil
}

// call runs fn, catching a panic so the writer survives it and the caller
// sees it.
func call(fn func(*tx) error, t *tx) (res writeRes) {
	defer func() {
		if pv := recover(); pv != nil {
			res = writeRes{panicked: true, pv: pv}
		}
	}()
	return writeRes{err: fn(t)}
}

// prepareSeen prepares, between batches while the connection is free, the
// queries that batches ran twice or more without a prepared statement.
func (w *writer) prepareSeen() {
	for q, n := range w.seen {
		if n < 2 {
			continue
		}
		delete(w.seen, q)
		if len(w.stmts) >= maxStmts {
			continue
		}
		st, err := w.conn.PrepareContext(context.Background(), q)
		if err != nil {
			continue // it runs unprepared, as before
		}
		w.stmts[q] = st
	}
	if len(w.seen) >= 4*maxStmts {
		clear(w.seen)
	}
}
