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
type readStmts struct {
	mu    sync.Mutex
	db    *sql.DB
	stmts map[string]*sql.Stmt
	seen  map[string]int
}

func (r *readStmts) init(db *sql.DB) {
	r.db, r.stmts, r.seen = db, map[string]*sql.Stmt{}, map[string]int{}
}

// get returns the prepared statement for query, nil while it has none.
func (r *readStmts) get(ctx context.Context, query string) *sql.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db == nil {
		return nil
	}
	if st, ok := r.stmts[query]; ok {
		return st
	}
	if len(r.stmts) >= maxStmts {
		return nil
	}
	if r.seen[query]++; r.seen[query] < 2 {
		if len(r.seen) >= 4*maxStmts {
			clear(r.seen)
		}
		return nil
	}
	delete(r.seen, query)
	st, err := r.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // it runs unprepared, as before
	}
	r.stmts[query] = st
	return st
}

// close closes every statement; later gets return nil.
func (r *readStmts) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.stmts {
		st.Close()
	}
	r.db, r.stmts = nil, nil
}
