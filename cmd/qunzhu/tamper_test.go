package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/webhook"
)

// TestTamperedWALAnswers503LosesNothing deletes, or replaces with an older
// copy, the -wal of the running binary's database while webhooks pour in.
// The server must stop acknowledging (503 with Retry-After, /readyz failing
// with the reason, the sender stopped, all in the log), and after a SIGKILL
// (no graceful close, which would checkpoint and hide a loss) every message
// it had acknowledged must be in the database the next start opens.
func TestTamperedWALAnswers503LosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("tamper test: builds the binary and kills it; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "qunzhu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, emuURL := startEmulator(t, true)

	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, wal string, old []byte)
		reason string
	}{
		{"deleted", func(t *testing.T, wal string, _ []byte) {
			if err := os.Remove(wal); err != nil {
				t.Fatal(err)
			}
		}, "WAL file deleted"},
		{"replaced", func(t *testing.T, wal string, old []byte) {
			if err := os.WriteFile(wal+".restore", old, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(wal+".restore", wal); err != nil {
				t.Fatal(err)
			}
		}, "WAL file replaced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &crashRun{t: t, bin: bin, emuURL: emuURL, data: t.TempDir(), http: freeAddr(t), logs: t.TempDir()}
			c.start()
			t.Cleanup(c.stop)
			wal := filepath.Join(c.data, "qunzhu.db-wal")

			var acked sync.Map // dedup key → true
			post := func(i int) (int, http.Header) {
				key := "tamper-" + strconv.Itoa(i)
				status, h := c.postOnce(cadres, fmt.Sprintf("篡改测试 #%04d", i), key)
				if status == http.StatusAccepted || status == http.StatusOK {
					acked.Store(key, true)
				}
				return status, h
			}
			postMany := func(from, n int) {
				var wg sync.WaitGroup
				for w := range 8 {
					wg.Go(func() {
						for i := from + w; i < from+n; i += 8 {
							if status, _ := post(i); status != http.StatusAccepted {
								t.Errorf("message %d before the change: status %d", i, status)
							}
						}
					})
				}
				wg.Wait()
			}
			postMany(0, 100)
			old, err := os.ReadFile(wal)
			if err != nil {
				t.Fatal(err)
			}
			postMany(100, 100)

			// Eight clients keep posting while the file changes under the server.
			stopPosting := make(chan struct{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			var retryAfter string
			for w := range 8 {
				wg.Go(func() {
					for i := 1000 + w; ; i += 8 {
						select {
						case <-stopPosting:
							return
						default:
						}
						status, h := post(i)
						mu.Lock()
						statuses[status]++
						if status == http.StatusServiceUnavailable {
							retryAfter = h.Get("Retry-After")
						}
						mu.Unlock()
					}
				})
			}
			waitUntil(t, "some messages accepted while posting", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return statuses[http.StatusAccepted] > 50
			})
			tc.tamper(t, wal, old)
			waitUntil(t, "webhooks answered 503", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return statuses[http.StatusServiceUnavailable] > 20
			})
			close(stopPosting)
			wg.Wait()
			t.Logf("answers while the -wal was %s: %v", tc.name, statuses)
			if retryAfter == "" {
				t.Error("503 without Retry-After")
			}
			for status := range statuses {
				if status != http.StatusAccepted && status != http.StatusServiceUnavailable {
					t.Errorf("%d answers with status %d, want only 202 then 503", statuses[status], status)
				}
			}

			resp, err := http.Get("http://" + c.http + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			var ready webhook.ReadyResponse
			_ = json.NewDecoder(resp.Body).Decode(&ready)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(ready.StoreReason, tc.reason) {
				t.Errorf("readyz: %d %+v, want 503 saying %q", resp.StatusCode, ready, tc.reason)
			}
			logPath := filepath.Join(c.logs, "run1.log")
			waitUntil(t, "the log to say the sender stopped", func() bool {
				b, _ := os.ReadFile(logPath)
				return strings.Contains(string(b), "sending stopped")
			})
			if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), tc.reason) {
				t.Errorf("the log does not say %q:\n%s", tc.reason, tail(string(b), 3000))
			}

			c.kill()
			c.mu.Lock()
			c.cmd = nil // nothing left for the cleanup to stop
			c.mu.Unlock()

			var keys []string
			acked.Range(func(k, _ any) bool { keys = append(keys, k.(string)); return true })
			if lost := lostMessages(t, filepath.Join(c.data, "qunzhu.db"), keys); lost > 0 {
				t.Errorf("%d of %d acknowledged messages lost after SIGKILL and restart", lost, len(keys))
			} else {
				t.Logf("%d acknowledged messages, none lost after SIGKILL and restart", len(keys))
			}
		})
	}
}

// postOnce posts one signed message and returns the status and headers.
func (c *crashRun) postOnce(group, text, key string) (int, http.Header) {
	client := &http.Client{Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]string{"group": group, "text": text, "dedup_key": key})
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.http+"/api/v1/messages", bytes.NewReader(body))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Qunzhu-Source", demoSource)
	req.Header.Set("X-Qunzhu-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Qunzhu-Signature", webhook.Sign(testSecret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}
