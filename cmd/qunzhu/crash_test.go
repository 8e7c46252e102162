package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/wxemu"
)

// TestCrashKillsLoseNothing is the crash-safety promise, tested on the real
// binary: queue 2,000 messages through the signed webhook API while the
// process is killed with SIGKILL at random points five times and restarted
// each time on the same data directory; every message must reach WeChat, and
// a kill may repeat at most the one message that was in flight.
//
// The emulator runs here in the test process, not inside the demo
// (`qunzhu demo --emu-url`), so it outlives the kills and its history is the
// one record of what WeChat got. QUNZHU_CRASH_MESSAGES and QUNZHU_CRASH_KILLS
// scale it (bench/crash.sh runs a bigger one); -short skips it.
func TestCrashKillsLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds the binary and kills it; skipped with -short")
	}
	total, kills := envInt(t, "QUNZHU_CRASH_MESSAGES", 2000), envInt(t, "QUNZHU_CRASH_KILLS", 5)
	bin := filepath.Join(t.TempDir(), "qunzhu")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	emu, emuURL := startEmulator(t, true)
	c := &crashRun{t: t, bin: bin, emuURL: emuURL, data: t.TempDir(), http: freeAddr(t), dtAddr: freeAddr(t), logs: cmp.Or(os.Getenv("QUNZHU_CRASH_LOGS"), t.TempDir())}
	c.start()
	t.Cleanup(c.stop)

	groups := []string{cadres, "副市长作业群", "城管工作群"}
	texts := make([]string, total)
	for i := range texts {
		texts[i] = fmt.Sprintf("崩溃测试 #%04d：12345热线工单超期，请市城管委处理。", i)
	}
	intake := make(chan error, 1)
	go func() { intake <- c.queue(groups, texts) }()

	// Kill at random points spread over the whole run. The first kill lands
	// while the webhook API is taking the messages in (a random number of
	// them accepted), so a 2xx answered just before a kill is tested too;
	// kill k ≥ 1 lands when a random number of messages within the k-th of
	// `kills` equal slices has been delivered, so the backlog and the tail
	// are hit alike, not only the first seconds.
	var boundaries []int64 // the emulator's last seq when each killed process was dead
	for k := range kills {
		what, lo, hi := "delivered", total*k/kills, total*(k+1)/kills
		count := func() int { return delivered(t, emu, groups) }
		if k == 0 {
			what, lo, hi = "accepted", total/10, total*9/10
			count = func() int { return int(c.accepted.Load()) }
		}
		target := lo + rand.IntN(max(hi-lo, 1))
		waitUntil(t, fmt.Sprintf("%d messages %s", target, what), func() bool { return count() >= target })
		c.kill()
		boundaries = append(boundaries, lastSeqAll(t, emu, groups))
		t.Logf("kill %d with %d of %d accepted and %d delivered (aimed at %d %s), emulator seq %d",
			k+1, c.accepted.Load(), total, delivered(t, emu, groups), target, what, boundaries[k])
		c.start()
	}
	if err := <-intake; err != nil {
		t.Fatal(err)
	}

	// Wait for the last run to deliver everything.
	waitUntil(t, "every message delivered", func() bool { return delivered(t, emu, groups) >= total })
	c.stop()

	got := botTexts(t, emu, groups)
	bySeqs := map[string][]int64{}
	for _, m := range got {
		bySeqs[m.Text] = append(bySeqs[m.Text], m.Seq)
	}
	repeats := make([]int, kills+1) // per run: run r follows kill r
	for _, text := range texts {
		seqs := bySeqs[text]
		if len(seqs) == 0 {
			t.Errorf("lost: %q", text)
			continue
		}
		for _, seq := range seqs[1:] {
			run, _ := slices.BinarySearch(boundaries, seq)
			repeats[run]++
		}
	}
	t.Logf("crash test: %d messages queued, %d kills: %d delivered, %d unique, repeats after each kill %v",
		total, kills, len(got), len(bySeqs), repeats[1:])
	if len(bySeqs) != total {
		t.Errorf("unique messages delivered = %d, want %d", len(bySeqs), total)
	}
	if repeats[0] != 0 {
		t.Errorf("%d repeats before any kill, want 0", repeats[0])
	}
	for k, n := range repeats[1:] {
		if n > 1 {
			t.Errorf("kill %d: %d repeats, want at most the one message in flight", k+1, n)
		}
	}
}

// crashRun is the real binary, started and killed over one data directory.
type crashRun struct {
	t      *testing.T
	bin    string
	emuURL string
	data   string
	http   string
	dtAddr string // the demo's DingTalk emulator, restarted with each run
	logs   string
	prefix []string // arguments before "demo" (bin is then a wrapper, e.g. strace, and prefix ends with qunzhu)
	env    []string // added to the environment

	accepted atomic.Int64 // messages the webhook API has answered 202 or 200

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	runs int
}

func (c *crashRun) start() {
	c.t.Helper()
	c.mu.Lock()
	c.runs++
	logPath := filepath.Join(c.logs, fmt.Sprintf("run%d.log", c.runs))
	c.mu.Unlock()
	logFile, err := os.Create(logPath)
	if err != nil {
		c.t.Fatal(err)
	}
	args := append(append([]string(nil), c.prefix...), "demo", "--http", c.http, "--emu-url", c.emuURL,
		"--dingtalk-emu", c.dtAddr, "--data", c.data)
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(),
		"QUNZHU_DEMO_SECRET="+testSecret,
		// ~13 s for 2,000 messages, so that the kills, spread over the
		// run by the number delivered, land while messages are being sent.
		"QUNZHU_LIMITS_ACCOUNT=150/1s,10",
		"QUNZHU_LIMITS_GROUP=1000/1s,1000",
		"QUNZHU_LIMITS_DAILY=100000",
		"QUNZHU_LIMITS_JITTER=0s",
		"QUNZHU_LOG_LEVEL=info",
	)
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for {
		var r struct{ WeChat string }
		if resp, err := http.Get("http://" + c.http + "/readyz"); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if r.WeChat == "online" {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			c.t.Fatalf("run %d did not log in within 30 s:\n%s", c.runs, tail(string(b), 4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits until the process is gone, and a moment more
// for the emulator to finish a request the process had sent.
func (c *crashRun) kill() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	_ = cmd.Process.Kill()
	<-done
	time.Sleep(50 * time.Millisecond)
}

// stop ends the last run gracefully (SIGTERM) and shows its log on failure.
func (c *crashRun) stop() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.t.Errorf("qunzhu did not stop within 20 s of SIGTERM")
		_ = cmd.Process.Kill()
		<-done
	}
	if c.t.Failed() {
		b, _ := os.ReadFile(filepath.Join(c.logs, fmt.Sprintf("run%d.log", c.runs)))
		c.t.Logf("last run's log:\n%s", tail(string(b), 6000))
	}
}

// queue posts every text through the signed webhook API from four clients at
// once (faster than the bot sends, so kills also find a backlog), retrying a
// request the kill cut off with the same dedup key until it is answered
// queued (202) or duplicate (200: stored before the kill).
func (c *crashRun) queue(groups, texts []string) error {
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := c.post(groups[i%len(groups)], texts[i], i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range texts {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// post sends message i until it is accepted.
func (c *crashRun) post(group, text string, i int) error {
	for try := 0; try < 2000; try++ {
		status, _ := c.postOnce(group, text, "crash-"+strconv.Itoa(i))
		switch {
		case status == 0:
			time.Sleep(20 * time.Millisecond) // killed: wait for the restart
		case status == http.StatusAccepted || status == http.StatusOK:
			c.accepted.Add(1)
			return nil
		case status == http.StatusTooManyRequests || status >= 500:
			time.Sleep(50 * time.Millisecond)
		default:
			return fmt.Errorf("message %d: status %d", i, status)
		}
	}
	return fmt.Errorf("message %d: never accepted", i)
}

// botTexts is everything the bot sent to groups, in seq order.
func botTexts(t *testing.T, emu *wxemu.Server, groups []string) []wxemu.Message {
	t.Helper()
	var out []wxemu.Message
	for _, g := range groups {
		ms, err := emu.Messages(g, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Bot && strings.HasPrefix(m.Text, "崩溃测试 #") {
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b wxemu.Message) int { return int(a.Seq - b.Seq) })
	return out
}

// delivered is how many distinct crash messages reached the emulator.
func delivered(t *testing.T, emu *wxemu.Server, groups []string) int {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range botTexts(t, emu, groups) {
		seen[m.Text] = true
	}
	return len(seen)
}

// waitUntil polls cond every 5 ms, for at most 2 minutes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 2 minutes for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lastSeqAll(t *testing.T, emu *wxemu.Server, groups []string) int64 {
	t.Helper()
	var last int64
	for _, g := range groups {
		ms, err := emu.Messages(g, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) > 0 {
			last = max(last, ms[len(ms)-1].Seq)
		}
	}
	return last
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
