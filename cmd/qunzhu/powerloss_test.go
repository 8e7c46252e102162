package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/qunzhu/qunzhu/sqlite"
)

// TestPowerLossKeepsAcknowledged simulates a power cut without trusting the
// process: the real binary runs under strace, which records from the kernel's
// side every write, truncate and fsync the process makes to its database
// files. After messages are acknowledged the process is killed, and the test
// rebuilds the files as a disk that lost power then would hold them: for
// each file, only what had been written before its last completed fsync
// began (a write still in the page cache is gone). Every acknowledged message
// must be in that database with sqlite_synchronous full; with normal, the
// same run must lose some (which shows the test can see a loss at all).
//
// Needs strace and ptrace (a container without CAP_SYS_PTRACE skips).
func TestPowerLossKeepsAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("power-loss test: builds the binary and traces it; skipped with -short")
	}
	skip := t.Skipf
	if testenv.RequireServices() {
		skip = t.Fatalf // CI installs strace: a skip there would hide the test
	}
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		skip("SKIP power-loss test: strace is not installed (Debian package strace)")
	}
	if out, err := exec.Command(straceBin, "-f", "-qq", "--seccomp-bpf", "-e", "trace=fsync", "true").CombinedOutput(); err != nil {
		skip("SKIP power-loss test: strace cannot trace here (no ptrace, or no seccomp filter): %v %s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "qunzhu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, emuURL := startEmulator(t, true)

	for _, tc := range []struct {
		sync     string
		wantLoss bool
	}{{"full", false}, {"normal", true}} {
		t.Run(tc.sync, func(t *testing.T) {
			data, work := t.TempDir(), t.TempDir()
			trace := filepath.Join(work, "trace.txt")
			c := &crashRun{t: t, bin: straceBin, emuURL: emuURL, data: data, http: freeAddr(t), logs: work,
				prefix: []string{"-f", "-qq", "--seccomp-bpf", "-y", "-xx", "-s", "1048576", "-o", trace,
					"-e", "trace=openat,pwrite64,write,pwritev,ftruncate,fsync,fdatasync,unlink,unlinkat,rename,renameat,renameat2", bin},
				env: []string{"QUNZHU_SQLITE_SYNCHRONOUS=" + tc.sync}}
			c.start()
			t.Cleanup(c.stop)

			var mu sync.Mutex
			var acked []string
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := w; i < 400; i += 8 {
						key := "power-" + strconv.Itoa(i)
						if status, _ := c.postOnce(cadres, fmt.Sprintf("断电测试 #%04d", i), key); status == http.StatusAccepted {
							mu.Lock()
							acked = append(acked, key)
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			c.killTracee()

			dir := t.TempDir()
			summary, err := replayDurable(trace, data, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("files: %s", summary)
			lost := lostMessages(t, filepath.Join(dir, "qunzhu.db"), acked)
			t.Logf("synchronous=%s: %d acknowledged, %d lost in the power cut", tc.sync, len(acked), lost)
			switch {
			case len(acked) < 100:
				t.Fatalf("only %d of 400 messages acknowledged", len(acked))
			case !tc.wantLoss && lost > 0:
				t.Errorf("%d acknowledged messages lost with synchronous=%s", lost, tc.sync)
			case tc.wantLoss && lost == 0:
				t.Errorf("synchronous=%s lost nothing: the simulated power cut is not biting", tc.sync)
			}
		})
	}
}

// killTracee SIGKILLs the process strace runs (killing strace would let it
// run on untraced) and waits for strace to end.
func (c *crashRun) killTracee() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd = nil
	c.mu.Unlock()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
	if err != nil || len(strings.Fields(string(b))) == 0 {
		c.t.Fatalf("no traced process under strace: %v", err)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		c.t.Fatal("strace did not end after its process was killed")
	}
}

// lostMessages counts the acknowledged keys that the database at path lacks.
func lostMessages(t *testing.T, path string, acked []string) int {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return len(acked) // the power cut took the database file itself
	}
	store, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Logf("the database left by the power cut does not open (%v): everything is lost", err)
		return len(acked)
	}
	defer store.Close()
	probe := errors.New("probe only")
	lost := 0
	for _, key := range acked {
		// Kept in the intake journal (applied or still to be applied at the
		// next start) or in the outbox.
		var journaled bool
		if err := store.View(context.Background(), func(tx qunzhu.Tx) error {
			_, err := tx.IntakeByKey(demoSource, "dedup:"+key)
			journaled = err == nil
			if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
				return nil
			}
			return err
		}); err != nil {
			t.Fatalf("journal probe %s: %v", key, err)
		}
		if journaled {
			continue
		}
		var dup bool
		err := store.Update(context.Background(), func(tx qunzhu.Tx) error {
			g, err := tx.GroupByName(cadres)
			if err != nil {
				return err
			}
			m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindWebhook, Text: "probe", DedupKey: "webhook:" + demoSource + ":" + key}
			if dup, err = tx.Enqueue(m); err != nil {
				return err
			}
			return probe
		})
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return len(acked) // not even the configured group survived
		} else if !errors.Is(err, probe) {
			t.Fatalf("probe %s: %v", key, err)
		}
		if !dup {
			lost++
		}
	}
	return lost
}

// A traced syscall line: pid, name, arguments, and the result (absent when
// unfinished). -xx writes every string as \xHH escapes.
var (
	traceLine = regexp.MustCompile(`^(\d+)\s+(\w+)\((.*?)(?:\) += (-?\d+).*| <unfinished \.\.\.>)$`)
	resumed   = regexp.MustCompile(`^(\d+)\s+<\.\.\. (\w+) resumed>(.*?)\) += (-?\d+).*$`)
	fdArg     = regexp.MustCompile(`^(\d+)<((?:\\x[0-9a-f]{2})*)>`)
	strArg    = regexp.MustCompile(`"((?:\\x[0-9a-f]{2})*)"(\.\.\.)?`)
)

// durableFile is one file as the disk holds it (durable) and as the page
// cache does (volatile).
type durableFile struct {
	volatile, durable []byte
	synced            bool
	writes, syncs     int
}

// replayDurable reads an strace log of the process that used dataDir and
// writes into outDir the database files as a power cut at the end of the
// log would have left them.
func replayDurable(trace, dataDir, outDir string) (string, error) {
	f, err := os.Open(trace)
	if err != nil {
		return "", err
	}
	defer f.Close()
	files := map[string]*durableFile{}
	file := func(path string) *durableFile {
		if files[path] == nil {
			files[path] = &durableFile{}
		}
		return files[path]
	}
	pending := map[string]string{}  // pid → the unfinished call's first half
	syncing := map[string][]byte{}  // pid → what an fsync in progress will make durable
	syncPath := map[string]string{} // pid → the file it syncs
	ours := func(p string) bool {
		return strings.HasPrefix(filepath.Base(p), "qunzhu.db") && filepath.Dir(p) == dataDir
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 16<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		var pid, name, args, ret string
		if m := resumed.FindStringSubmatch(line); m != nil {
			pid, name, args, ret = m[1], m[2], pending[m[1]]+m[3], m[4]
			delete(pending, pid)
		} else if m := traceLine.FindStringSubmatch(line); m != nil {
			pid, name, args, ret = m[1], m[2], m[3], m[4]
			if strings.HasSuffix(line, "<unfinished ...>") {
				pending[pid] = args
				if (name == "fsync" || name == "fdatasync") && ours(fdPath(args)) {
					// An fsync covers what was written before it began.
					p := fdPath(args)
					syncing[pid], syncPath[pid] = append([]byte(nil), file(p).volatile...), p
				}
				continue
			}
		} else {
			continue // signals, exits
		}
		if n, _ := strconv.Atoi(ret); n < 0 {
			continue
		}
		switch name {
		case "pwrite64":
			p := fdPath(args)
			if !ours(p) {
				continue
			}
			data, off, err := writeArgs(args)
			if err != nil {
				return "", fmt.Errorf("%w in: %.200s", err, line)
			}
			df := file(p)
			if end := off + len(data); end > len(df.volatile) {
				df.volatile = append(df.volatile, make([]byte, end-len(df.volatile))...)
			}
			copy(df.volatile[off:], data)
			df.writes++
		case "write", "pwritev":
			if ours(fdPath(args)) {
				return "", fmt.Errorf("unhandled %s to a database file: %.200s", name, line)
			}
		case "ftruncate":
			p := fdPath(args)
			if !ours(p) {
				continue
			}
			parts := strings.Split(args, ", ")
			size, _ := strconv.Atoi(parts[len(parts)-1])
			df := file(p)
			if size < len(df.volatile) {
				df.volatile = df.volatile[:size]
			} else {
				df.volatile = append(df.volatile, make([]byte, size-len(df.volatile))...)
			}
		case "fsync", "fdatasync":
			p := fdPath(args)
			if !ours(p) {
				continue
			}
			df := file(p)
			if snap, ok := syncing[pid]; ok && syncPath[pid] == p {
				df.durable = snap
				delete(syncing, pid)
			} else {
				df.durable = append([]byte(nil), df.volatile...)
			}
			df.synced = true
			df.syncs++
		case "rename", "renameat", "renameat2":
			for _, m := range strArg.FindAllStringSubmatch(args, -1) {
				if ours(unhex(m[1])) {
					return "", fmt.Errorf("unhandled rename of a database file: %.200s", line)
				}
			}
		case "openat":
			if strings.Contains(args, "O_TRUNC") {
				if m := fdArg.FindStringSubmatch(ret); m != nil {
					_ = m // O_TRUNC of a database file does not happen; checked below
				}
				if p := openPath(args); ours(p) {
					return "", fmt.Errorf("unhandled O_TRUNC open of %s", p)
				}
			}
		case "unlink", "unlinkat":
			if p := openPath(args); ours(p) {
				delete(files, p) // the name goes at once (optimistic: a lost unlink could only resurrect)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	var summary []string
	for p, df := range files {
		summary = append(summary, fmt.Sprintf("%s: %d writes, %d fsyncs, %d bytes written, %d on disk",
			filepath.Base(p), df.writes, df.syncs, len(df.volatile), len(df.durable)))
		if strings.HasSuffix(p, "-shm") || !df.synced {
			continue // the -shm is rebuilt; a file never synced may not exist after the cut
		}
		if err := os.WriteFile(filepath.Join(outDir, filepath.Base(p)), df.durable, 0o600); err != nil {
			return "", err
		}
	}
	return strings.Join(summary, "; "), nil
}

// fdPath is the path strace -y printed for a call's first argument.
func fdPath(args string) string {
	m := fdArg.FindStringSubmatch(args)
	if m == nil {
		return ""
	}
	return unhex(m[2])
}

// openPath is the path argument of openat or unlinkat (the first string).
func openPath(args string) string {
	m := strArg.FindStringSubmatch(args)
	if m == nil {
		return ""
	}
	return unhex(m[1])
}

// writeArgs decodes pwrite64(fd, "data", len, offset).
func writeArgs(args string) ([]byte, int, error) {
	loc := strArg.FindStringSubmatchIndex(args)
	if loc == nil {
		return nil, 0, errors.New("no data")
	}
	if loc[4] >= 0 {
		return nil, 0, errors.New("data cut short by strace -s")
	}
	data := []byte(unhex(args[loc[2]:loc[3]]))
	rest := strings.Split(strings.TrimPrefix(args[loc[1]:], ", "), ", ")
	if len(rest) != 2 {
		return nil, 0, errors.New("no offset")
	}
	off, err := strconv.Atoi(rest[1])
	return data, off, err
}

func unhex(s string) string {
	b, _ := hex.DecodeString(strings.ReplaceAll(s, `\x`, ""))
	return string(b)
}
