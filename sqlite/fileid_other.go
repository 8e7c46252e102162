//go:build !linux

package sqlite

import "os"

// fileID is a file's identity, compared with os.SameFile.
type fileID struct{ fi os.FileInfo }

func (a fileID) same(b fileID) bool { return os.SameFile(a.fi, b.fi) }

// identify returns the identity of the file at path.
func identify(path string) (fileID, error) {
	fi, err := os.Stat(path)
	return fileID{fi}, err
}
