package sqlite

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Every read connection held by a View that runs a query for the second time
// (the moment it gets prepared): preparing must not wait for a connection
// those Views hold. It did, and the Views waited for each other until their
// contexts ended.
func TestReadStatementsPreparedWhileEveryConnectionIsHeld(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "区委干部群")
	n := max(4, runtime.NumCPU()) // the read pool's size (Open)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var inside sync.WaitGroup
	inside.Add(n)
	errs := make(chan error, n)
	for range n {
		go func() {
			errs <- s.View(ctx, func(tx qunzhu.Tx) error {
				inside.Done()
				inside.Wait() // every connection is now held by one of us
				for range 3 {
					if _, err := tx.GroupByID(g.ID); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("View with every read connection held: %v", err)
		}
	}

	// The statement is prepared once a connection is free, and used.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.readStmts.mu.Lock()
		prepared, pending := len(s.readStmts.stmts), len(s.readStmts.preparing)
		s.readStmts.mu.Unlock()
		if prepared > 0 && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the Views ended: %d statements prepared, %d still preparing", prepared, pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
	view(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.GroupByID(g.ID)
		return err
	})
}
