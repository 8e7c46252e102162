//go:build !linux

package sqlite

import "os"

// datasync is fsync where fdatasync is not available.
func datasync(f *os.File) error { return f.Sync() }

// startWriteback does nothing where sync_file_range is not available.
func startWriteback(*os.File) {}
