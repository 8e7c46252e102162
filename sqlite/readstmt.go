package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts are the read pool's prepared statements. Preparing costs a
// query on modernc's SQLite about as much as running it (a webhook's group
// lookup, a page's counts), so a query that View runs repeatedly is
// prepared once, on the pool; database/sql then prepares it once on each
// read connection and reuses it. Like the writer's cache, a query is
// prepared the second time it is seen, so queries built with literal values
// (which never repeat) stay out, and the cache is bounded.
//
// The preparing happens in a goroutine of its own, never in the View that
// asked: preparing on the pool needs a free read connection, and a View
// holds one for its transaction, so Views that waited for their statement
// while every connection was held by such Views would wait for each other
// forever (32 hotline requests did, until their clients gave up). Until the
// statement is ready, the query runs unprepared, as the first time.
type readStmts struct {
	mu        sync.Mutex
	db        *sql.DB
	stmts     map[string]*sql.Stmt
	seen      map[string]int
	preparing map[string]bool
	wg        sync.WaitGroup // the preparing goroutines, for close
}

func (r *readStmts) init(db *sql.DB) {
	r.db, r.stmts, r.seen, r.preparing = db, map[string]*sql.Stmt{}, map[string]int{}, map[string]bool{}
}

// get returns the prepared statement for query, nil while it has none.
func (r *readStmts) get(query string) *sql.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db == nil {
		return nil
	}
	if st, ok := r.stmts[query]; ok {
		return st
	}
	if r.preparing[query] || len(r.stmts)+len(r.preparing) >= maxStmts {
		return nil
	}
	if r.seen[query]++; r.seen[query] < 2 {
		if len(r.seen) >= 4*maxStmts {
			clear(r.seen)
		}
		return nil
	}
	delete(r.seen, query)
	r.preparing[query] = true
	r.wg.Add(1)
	go r.prepare(r.db, query)
	return nil
}

// prepare prepares query on the pool once a connection is free.
func (r *readStmts) prepare(db *sql.DB, query string) {
	defer r.wg.Done()
	st, err := db.PrepareContext(context.Background(), query)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db == nil { // closed meanwhile
		if err == nil {
			st.Close()
		}
		return
	}
	delete(r.preparing, query)
	if err == nil {
		r.stmts[query] = st
	} // else it keeps running unprepared
}

// close closes every statement; later gets return nil. A statement still
// being prepared is closed by its goroutine, which ends once a connection is
// free or the pool is closed: wait for them after closing the pool.
func (r *readStmts) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.stmts {
		st.Close()
	}
	r.db, r.stmts = nil, nil
}
