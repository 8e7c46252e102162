package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Durable acknowledgements without making the writer wait for the disk.
//
// With synchronous=FULL SQLite fsyncs the WAL inside COMMIT, and the one
// write connection can do nothing else meanwhile: on a disk where an fsync
// takes 5 ms, that caps the store at 200 transactions a second however many
// callers share each one. So the connections run with synchronous=NORMAL
// (commits are written to the WAL, checkpoints still sync) and the store
// makes each commit durable itself: the writer hands every committed batch
// to the syncer and starts the next one at once; the syncer fsyncs the -wal
// (one fsync covers every batch committed before it, from any descriptor:
// it flushes the file) and only then answers the batch's callers. A caller
// therefore returns exactly as it would with FULL, after its commit reached
// the disk, while the writer keeps the connection busy with the next batch.
//
// Other readers may see a batch in the few milliseconds between its commit
// and its fsync. Nothing leaves the process on such a read: every webhook
// answer and every reply waits for its own Update, and the sender takes a
// message with MarkSending, which is answered after a later fsync, which
// covers the commit that wrote the message.

// settled is a committed (or failed) batch waiting for the disk.
type settled struct {
	taken   []*writeReq
	results []writeRes
	sync    bool // something was committed: answer after the fsync
}

// syncer is the goroutine that makes batches durable and answers their
// callers, in commit order.
type syncer struct {
	s    *Store
	in   chan *settled
	done chan struct{}
	wal  *os.File // opened at the first sync; fsync flushes the file, whoever wrote it
	off  bool     // Options.Synchronous NORMAL: answer without an fsync
	// busy is true while an fsync is in flight; idle is signalled when one
	// ends. The writer keeps a batch open while the disk is busy.
	busy atomic.Bool
	idle chan struct{}
}

func newSyncer(s *Store, off bool) *syncer {
	return &syncer{s: s, in: make(chan *settled, maxBatch), done: make(chan struct{}), off: off, idle: make(chan struct{}, 1)}
}

func (y *syncer) run() {
	defer close(y.done)
	defer func() {
		if y.wal != nil {
			y.wal.Close()
		}
	}()
	for first := range y.in {
		pending := []*settled{first}
	drain:
		for {
			select {
			case b, ok := <-y.in:
				if !ok {
					break drain
				}
				pending = append(pending, b)
			default:
				break drain
			}
		}
		var err error
		for _, b := range pending {
			if b.sync && !y.off {
				y.busy.Store(true)
				err = y.fsync()
				y.busy.Store(false)
				select {
				case y.idle <- struct{}{}:
				default:
				}
				break
			}
		}
		for _, b := range pending {
			y.answer(b, err)
		}
	}
}

// fsync makes everything written to the -wal so far durable.
func (y *syncer) fsync() error {
	if y.wal == nil {
		f, err := os.Open(y.s.path + "-wal")
		if err != nil {
			return y.s.setFault("无法打开日志文件 (cannot open the WAL to sync it)", err)
		}
		// The -wal's name must survive a power cut too, not only its bytes.
		if d, err := os.Open(filepath.Dir(y.s.path)); err == nil {
			d.Sync()
			d.Close()
		}
		y.wal = f
	}
	if err := datasync(y.wal); err != nil {
		return y.s.setFault("日志文件写入磁盘失败 (fsync of the WAL failed)", fmt.Errorf("fsync %s-wal: %w", y.s.path, err))
	}
	return nil
}

// answer tells the batch's callers how it ended; syncErr fails the ones
// whose work was committed but could not be made durable.
func (y *syncer) answer(b *settled, syncErr error) {
	// The sender is woken before any caller returns, so a caller that saw its
	// Update return also finds the signal given.
	for i := range b.results {
		r := &b.results[i]
		if syncErr != nil && b.sync && r.err == nil && !r.panicked {
			r.err = syncErr
		}
		if r.enqueued && r.err == nil && !r.panicked {
			y.s.signalEnqueued()
		}
		if r.accepted && r.err == nil && !r.panicked {
			y.s.signalAccepted()
		}
	}
	for i, r := range b.taken {
		r.res <- b.results[i]
	}
}
