package bot

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// sessionFile is openwechat's hot-login storage, kept in the data directory.
// Unlike openwechat's own file storage it writes with mode 0600 (the file holds
// session cookies, which are credentials) and replaces the file atomically, so
// a crash mid-write never leaves a truncated session behind.
type sessionFile struct {
	path string

	mu     sync.Mutex
	reader io.Reader
}

func newSessionFile(path string) *sessionFile { return &sessionFile{path: path} }

// exists reports whether a saved session is there to try a hot login with.
func (f *sessionFile) exists() bool {
	st, err := os.Stat(f.path)
	return err == nil && st.Size() > 0
}

// remove forgets the saved session once it is known to be useless.
func (f *sessionFile) remove() error {
	err := os.Remove(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Read serves the whole saved session; openwechat decodes it once per login.
func (f *sessionFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reader == nil {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return 0, err
		}
		f.reader = bytes.NewReader(b)
	}
	return f.reader.Read(p)
}

// Write replaces the saved session. openwechat writes one JSON document per call.
func (f *sessionFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, ".session-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return 0, err
	}
	if _, err := tmp.Write(p); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return 0, err
	}
	return len(p), nil
}
