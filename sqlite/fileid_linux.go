package sqlite

import (
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"
)

// fileID is a file's identity: the device and inode it is, whatever its name.
type fileID struct{ dev, ino uint64 }

func (a fileID) same(b fileID) bool { return a == b }

// identify returns the identity of the file at path.
//
// It asks statx for the inode only, never for the times. On Linux 6.13 and
// later a stat that reads a file's ctime or mtime (os.Stat does) makes the
// kernel give the file's next write a fine-grained timestamp, so the inode
// changes on every write instead of once a clock tick; the guard checks the
// -wal after every commit, so each commit would then dirty the -wal's inode,
// and on a file system without a journal each fdatasync of the -wal would
// write that inode to disk as well: one more disk round trip and one more
// wake-up of the syncing thread on every durable acknowledgement.
func identify(path string) (fileID, error) {
	var st unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, path, unix.AT_STATX_SYNC_AS_STAT, unix.STATX_INO, &st)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		// A kernel or sandbox without statx.
		var s unix.Stat_t
		if err := unix.Stat(path, &s); err != nil {
			return fileID{}, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		return fileID{dev: s.Dev, ino: s.Ino}, nil
	}
	if err != nil {
		return fileID{}, &fs.PathError{Op: "statx", Path: path, Err: err}
	}
	return fileID{dev: unix.Mkdev(st.Dev_major, st.Dev_minor), ino: st.Ino}, nil
}
