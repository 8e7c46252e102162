package sqlite

import (
	"os"
	"syscall"
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
