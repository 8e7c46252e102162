package sqlite

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// datasync makes f's bytes durable with fdatasync, as SQLite itself syncs
// the -wal on Linux: the data and the size, without the journal commit an
// fsync makes for the modification time every write changed.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

// startWriteback asks the kernel to start writing f's dirty pages now,
// without waiting for them. The writer calls it right after a commit, so the
// commit's frames are on their way to the disk while the syncer's fsync of
// the batch before is still in flight; the fsync that covers this commit
// then finds them written (or nearly) and only has to flush the disk's
// cache. It is a hint: durability still comes from datasync alone.
func startWriteback(f *os.File) {
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
