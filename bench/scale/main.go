// Command scale fills a qunzhu store with open 督办 tasks and measures how
// the demo answers list and statistics commands over them, and how fast it
// accepts webhooks while lists run. bench/scale.sh drives it; see there.
//
//	scale fill -db DIR/qunzhu.db -group 区委干部工作群 -tasks 100000
//	scale measure -emu ADDR -http ADDR -secret S -group 区委干部工作群 -tasks 100000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/webhook"
)

// units are the ten bureaus the tasks are spread over.
var units = []string{"区城管执法局", "区房管局", "区市场监管局", "区生态环境局", "区住建委",
	"区交通委", "区水务局", "区卫健委", "区教育局", "区民政局"}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scale fill|measure [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "fill":
		err = fill(os.Args[2:])
	case "measure":
		err = measure(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// fill adds n open tasks to a group through the store's own CreateTask, a
// thousand per transaction: a third overdue, the rest due over the next
// months. Each task's ladder is marked as already walked to its last step,
// so the demo's scheduler does not spend the measurement posting catch-up
// notices (a separate concern, tested on its own).
func fill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	db := fs.String("db", "", "path of qunzhu.db")
	group := fs.String("group", "区委干部工作群", "group name")
	n := fs.Int("tasks", 20000, "open tasks to add")
	fs.Parse(args)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, *db, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Now()
	var g *qunzhu.Group
	err = store.Update(ctx, func(tx qunzhu.Tx) error {
		if g, err = tx.GroupByName(*group); err != nil {
			return err
		}
		for i, u := range units {
			m := &qunzhu.Member{GroupID: g.ID, Name: fmt.Sprintf("%s联络员%d", u, i), Unit: u}
			if err := tx.CreateMember(m); err != nil && qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	start := time.Now()
	const batch = 1000
	for done := 0; done < *n; done += batch {
		err := store.Update(ctx, func(tx qunzhu.Tx) error {
			for i := done; i < min(done+batch, *n); i++ {
				d := now.Add(time.Duration(i%4320) * 45 * time.Minute) // up to ~4.5 months ahead
				if i%3 == 0 {
					d = now.Add(-time.Duration(1+i%2000) * time.Hour) // overdue
				}
				task := &qunzhu.Task{GroupID: g.ID, Unit: units[i%len(units)], Deadline: d,
					Title: fmt.Sprintf("第%d号整改事项：人民路%d号占道经营", i+1, i%500)}
				if err := tx.CreateTask(task, qunzhu.TaskActor{Name: "张书记"}); err != nil {
					return err
				}
				if err := tx.RecordTaskSteps(task.ID, nil, "red", d.AddDate(1, 0, 0)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	fmt.Printf("filled %d tasks in %s\n", *n, time.Since(start).Round(time.Millisecond))
	return nil
}

// measure sends each command through the WeChat emulator as the group's
// owner and times it from the post to the bot's answer in the group, then
// posts signed webhooks while another client keeps listing, and times their
// acceptance.
func measure(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ExitOnError)
	emu := fs.String("emu", "127.0.0.1:8090", "emulator address")
	httpAddr := fs.String("http", "127.0.0.1:8080", "qunzhu address")
	secret := fs.String("secret", "", "the demo webhook source's secret")
	group := fs.String("group", "区委干部工作群", "group name")
	from := fs.String("from", "张书记", "who sends the commands")
	n := fs.Int("tasks", 0, "tasks in the store, for the RESULT lines")
	runs := fs.Int("runs", 30, "runs per command")
	fs.Parse(args)
	c := &client{emu: "http://" + *emu, group: url.PathEscape(*group), from: *from}
	if err := c.sync(); err != nil {
		return err
	}
	cmds := []struct{ name, text string }{
		{"/督办 列表", "/督办 列表"},
		{"/督办 列表 逾期", "/督办 列表 逾期"},
		{"/督办 列表 <单位>", "/督办 列表 " + units[3]},
		{"/督办 统计 全部", "/督办 统计 全部"},
		{"/督办 <编号>", "/督办 7"},
	}
	for _, cmd := range cmds {
		var ds []time.Duration
		for range *runs {
			d, err := c.ask(cmd.text)
			if err != nil {
				return fmt.Errorf("%s: %w", cmd.name, err)
			}
			ds = append(ds, d)
		}
		fmt.Printf("RESULT name=%s tasks=%d median_ms=%.1f p99_ms=%.1f\n",
			strings.ReplaceAll(cmd.name, " ", "_"), *n, ms(pct(ds, 50)), ms(pct(ds, 99)))
	}

	// Webhooks while lists run: one client lists without pause, another posts
	// signed messages one after another and times each 202.
	ctx, cancel := context.WithCancel(context.Background())
	var lists atomic.Int64
	var wg sync.WaitGroup
	lister := &client{emu: c.emu, group: c.group, from: *from, seq: c.seq}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := lister.ask("/督办 列表 逾期"); err == nil {
				lists.Add(1)
			}
		}
	}()
	var ds []time.Duration
	for i := range 300 {
		body, _ := json.Marshal(map[string]string{"group": *group, "text": fmt.Sprintf("压测告警 %d", i),
			"dedup_key": fmt.Sprintf("scale-%d-%d", time.Now().UnixNano(), i)})
		ts := time.Now().Unix()
		req, _ := http.NewRequest(http.MethodPost, "http://"+*httpAddr+"/api/v1/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.HeaderSource, "demo")
		req.Header.Set(webhook.HeaderTimestamp, fmt.Sprint(ts))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(*secret, ts, body))
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			cancel()
			return fmt.Errorf("webhook answered %s", resp.Status)
		}
		ds = append(ds, time.Since(t0))
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	fmt.Printf("RESULT name=webhook_during_lists tasks=%d p99_ms=%.1f median_ms=%.1f lists=%d\n",
		*n, ms(pct(ds, 99)), ms(pct(ds, 50)), lists.Load())
	return nil
}

// client speaks the emulator's control API for one group.
type client struct {
	emu, group, from string
	seq              int64
}

type emuMessage struct {
	Seq  int64  `json:"seq"`
	Bot  bool   `json:"bot"`
	Text string `json:"text"`
}

// sync skips the group's history.
func (c *client) sync() error {
	msgs, err := c.read(0, 0)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		c.seq = max(c.seq, m.Seq)
	}
	return nil
}

// ask posts text and waits for the bot's answer that mentions the sender.
func (c *client) ask(text string) (time.Duration, error) {
	body, _ := json.Marshal(map[string]string{"from": c.from, "text": text})
	t0 := time.Now()
	resp, err := http.Post(c.emu+"/_emu/groups/"+c.group+"/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	var posted struct{ Seq int64 }
	err = json.NewDecoder(resp.Body).Decode(&posted)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	after := posted.Seq
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := c.read(after, 5*time.Second)
		if err != nil {
			return 0, err
		}
		for _, m := range msgs {
			after = max(after, m.Seq)
			if m.Bot && strings.HasPrefix(m.Text, "@"+c.from) {
				c.seq = max(c.seq, after)
				return time.Since(t0), nil
			}
		}
	}
	return 0, errors.New("no answer within 30s")
}

func (c *client) read(after int64, wait time.Duration) ([]emuMessage, error) {
	u := fmt.Sprintf("%s/_emu/groups/%s/messages?after=%d", c.emu, c.group, after)
	if wait > 0 {
		u += "&wait=" + wait.String()
	}
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var msgs []emuMessage
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		return nil, err
	}
	return msgs, nil
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
