package bot_test

// Helpers for the tests that run the bot against the real openwechat library, the
// wxemu emulator and a real SQLite store. openwechat has data races of its own
// (Bot.Exit against its sync loop), so this package is tested without -race.

import (
	"bytes"
	"cmp"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/bot"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/wxemu"
)

const (
	botName  = "督办助手"
	cadres   = "城管委工作群"         // the registered group of most tests
	hotline  = "12345热线督办群"     // a second group
	zhang    = "张三"             // the owner, bound by Bootstrap
	li       = "李四"             // a registered member who never binds
	wang     = "王五"             // in WeChat, not registered
	waitLong = 10 * time.Second // upper bound for anything a test waits for
)

// world is one emulated WeChat account reached through a front, with cleanup
// that closes the emulator (releasing its long polls) before the HTTP server.
type world struct {
	emu   *wxemu.Server
	front *front
	url   string
}

func newWorld(t *testing.T, cfg wxemu.Config) *world {
	t.Helper()
	if cfg.Self.Name == "" {
		cfg.Self.Name = botName
	}
	if cfg.LongPoll == 0 {
		cfg.LongPoll = 2 * time.Second
	}
	emu := wxemu.New(cfg)
	f := &front{
		emu:    emu,
		pushes: make(chan struct{}, 16),
		syncs:  make(chan struct{}, 64),
		checks: make(chan struct{}, 64),
		held:   make(chan struct{}, 1),
	}
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		emu.Close()
		srv.Close()
	})
	return &world{emu: emu, front: f, url: srv.URL}
}

// defaultGroups: 张三, 李四 and 王五 in the registered group, 李四 and 赵六 in a
// second group.
func defaultGroups() []wxemu.GroupConfig {
	return []wxemu.GroupConfig{
		{Name: cadres, Members: []wxemu.Person{{Name: zhang}, {Name: li}, {Name: wang}}},
		{Name: hotline, Members: []wxemu.Person{{Name: li}, {Name: "赵六"}}},
	}
}

// front stands between openwechat and the emulator. It passes everything through
// and reports protocol events the tests wait on (a push login was offered, a
// webwxsync answered, a synccheck arrived). It can also produce situations the
// emulator itself refuses to: hold the next webwxbatchgetcontact (to freeze the
// bot in the middle of its re-mapping), and rename groups or members in what the
// bot sees, so that two groups or two members share a name, which real WeChat
// allows.
type front struct {
	emu http.Handler
	// rewrite, old-new pairs for strings.NewReplacer, edits the contact lists
	// the bot gets (webwxinit, webwxgetcontact, webwxbatchgetcontact).
	rewrite []string
	pushes  chan struct{} // after each webwxpushloginurl answer
	syncs   chan struct{} // after each webwxsync answer
	checks  chan struct{} // when a synccheck arrives (after the previous sync's messages were handled)
	held    chan struct{} // when a webwxbatchgetcontact is being held

	mu   sync.Mutex
	hold chan struct{} // if set, the next webwxbatchgetcontact waits until it is closed
}

// holdNextBatch makes the next webwxbatchgetcontact wait; close the returned
// channel to let it through.
func (f *front) holdNextBatch() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = make(chan struct{})
	return f.hold
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	endpoint := path.Base(r.URL.Path)
	if endpoint == "synccheck" {
		signal(f.checks)
	}
	if endpoint == "webwxbatchgetcontact" {
		f.mu.Lock()
		hold := f.hold
		f.hold = nil
		f.mu.Unlock()
		if hold != nil {
			f.held <- struct{}{}
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
	}
	switch {
	case len(f.rewrite) > 0 && (endpoint == "webwxinit" || endpoint == "webwxgetcontact" || endpoint == "webwxbatchgetcontact"):
		rec := httptest.NewRecorder()
		f.emu.ServeHTTP(rec, r)
		body := strings.NewReplacer(f.rewrite...).Replace(rec.Body.String())
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = io.WriteString(w, body)
	default:
		f.emu.ServeHTTP(w, r)
	}
	switch endpoint {
	case "webwxpushloginurl":
		signal(f.pushes)
	case "webwxsync":
		signal(f.syncs)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func drain(ch chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// newStore opens a real SQLite store in a temporary directory.
func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "qunzhu.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// register creates a group with members (name → role) and returns the ids.
func register(t *testing.T, st qunzhu.Store, group string, members map[string]qunzhu.Role) (groupID int64, ids map[string]int64) {
	t.Helper()
	ids = map[string]int64{}
	err := st.Update(context.Background(), func(tx qunzhu.Tx) error {
		g, err := tx.CreateGroup(group)
		if err != nil {
			return err
		}
		groupID = g.ID
		// Sorted so that member ids do not depend on map order.
		for _, name := range slices.Sorted(maps.Keys(members)) {
			m := &qunzhu.Member{GroupID: g.ID, Name: name, Unit: "市城管委", Role: members[name]}
			if err := tx.CreateMember(m); err != nil {
				return err
			}
			ids[name] = m.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return groupID, ids
}

func member(t *testing.T, st qunzhu.Store, id int64) *qunzhu.Member {
	t.Helper()
	var m *qunzhu.Member
	if err := st.View(context.Background(), func(tx qunzhu.Tx) (err error) {
		m, err = tx.MemberByID(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// bySession is the store's answer to "who is behind this session key".
func bySession(t *testing.T, st qunzhu.Store, groupID int64, key string) (*qunzhu.Member, error) {
	t.Helper()
	var m *qunzhu.Member
	err := st.View(context.Background(), func(tx qunzhu.Tx) (err error) {
		m, err = tx.MemberBySession(groupID, key)
		return err
	})
	return m, err
}

// running is one bot.Bot whose Run is in a goroutine.
type running struct {
	t *testing.T
	*bot.Bot
	dataDir string
	in      chan *qunzhu.Inbound
	cancel  context.CancelFunc
	done    chan error
	logs    *syncBuffer
	once    sync.Once

	mu     sync.Mutex
	states []qunzhu.SessionState // every state the bot went through, in order
}

// stateLog records the bot's state changes from its log: setState logs each
// one while holding the bot's lock, so unlike Changed, which wakes a watcher
// once for several quick changes, the log misses none.
type stateLog struct {
	slog.Handler
	r *running
}

func (h stateLog) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == "wechat session state" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "to" {
				h.r.record(qunzhu.SessionState(a.Value.String()))
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, rec)
}

func (h stateLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return stateLog{h.Handler.WithAttrs(attrs), h.r}
}

func (h stateLog) WithGroup(name string) slog.Handler {
	return stateLog{h.Handler.WithGroup(name), h.r}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// botOptions are what tests vary in bot.Config.
type botOptions struct {
	dataDir     string // "" for a new temporary directory
	bootstrap   map[string][]string
	pushTimeout time.Duration // 0: 5 s
}

// startBot creates a bot on w and runs it until the test ends (or stop).
func startBot(t *testing.T, w *world, st qunzhu.Store, opt botOptions) *running {
	t.Helper()
	if opt.dataDir == "" {
		opt.dataDir = t.TempDir()
	}
	r := &running{t: t, dataDir: opt.dataDir, in: make(chan *qunzhu.Inbound, 100), done: make(chan error, 1), logs: &syncBuffer{}}
	r.Bot = bot.New(st, bot.Config{
		DataDir:   opt.dataDir,
		Transport: wxemu.Transport(w.url),
		Handler: func(ctx context.Context, in *qunzhu.Inbound) {
			select {
			case r.in <- in:
			case <-ctx.Done():
			}
		},
		Bootstrap:   opt.bootstrap,
		PushTimeout: cmp.Or(opt.pushTimeout, 5*time.Second),
		RetryMax:    2 * time.Second,
		Logger:      slog.New(stateLog{slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}), r}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.record(r.State())
	go func() { r.done <- r.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *running) record(st qunzhu.SessionState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.states); n == 0 || r.states[n-1] != st {
		r.states = append(r.states, st)
	}
}

// seen returns the states recorded so far. It fails the test if none was
// recorded after the start, so that a changed log message cannot make
// "never showed a QR code" pass by itself.
func (r *running) seen() []qunzhu.SessionState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.states) < 2 {
		r.t.Errorf("no state change recorded from the bot's log (states %v)", r.states)
	}
	return slices.Clone(r.states)
}

// stop cancels Run and waits for it to return; the emulator must outlive it.
func (r *running) stop() {
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				r.t.Errorf("Run returned %v", err)
			}
		case <-time.After(waitLong):
			r.t.Errorf("Run did not return within %v of cancel", waitLong)
		}
		if got := r.State(); got != qunzhu.StateStopped {
			r.t.Errorf("state after Run returned = %q, want %q", got, qunzhu.StateStopped)
		}
		if r.t.Failed() {
			r.t.Logf("bot states seen: %v", r.seen())
			r.t.Logf("bot log:\n%s", r.logs)
		}
	})
}

// waitState waits, through Changed, until the bot is in state want.
func (r *running) waitState(want qunzhu.SessionState) {
	r.t.Helper()
	deadline := time.NewTimer(waitLong)
	defer deadline.Stop()
	for {
		changed := r.Changed()
		if r.State() == want {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			r.t.Fatalf("timed out waiting for state %q; state is %q, states seen %v", want, r.State(), r.seen())
		}
	}
}

// waitLeave waits, through Changed, until the bot is no longer in state from.
func (r *running) waitLeave(from qunzhu.SessionState) qunzhu.SessionState {
	r.t.Helper()
	deadline := time.NewTimer(waitLong)
	defer deadline.Stop()
	for {
		changed := r.Changed()
		if st := r.State(); st != from {
			return st
		}
		select {
		case <-changed:
		case <-deadline.C:
			r.t.Fatalf("timed out waiting to leave state %q", from)
		}
	}
}

// next returns the next inbound message the handler got.
func (r *running) next() *qunzhu.Inbound {
	r.t.Helper()
	select {
	case in := <-r.in:
		return in
	case <-time.After(waitLong):
		r.t.Fatalf("timed out waiting for an inbound message")
		panic("unreachable")
	}
}

// loginByQR plays the phone for a QR login and waits until the bot is online.
func (r *running) loginByQR(w *world) {
	r.t.Helper()
	r.waitState(qunzhu.StateWaitingScan)
	if err := w.emu.Scan(); err != nil {
		r.t.Fatal(err)
	}
	r.waitState(qunzhu.StateLoggingIn)
	if err := w.emu.Confirm(); err != nil {
		r.t.Fatal(err)
	}
	r.waitState(qunzhu.StateOnline)
}

// post sends a text into a group as a member, failing the test on error.
func post(t *testing.T, w *world, group, from, text string) {
	t.Helper()
	if err := w.emu.Post(group, from, text); err != nil {
		t.Fatalf("post %q by %s in %s: %v", text, from, group, err)
	}
}

// attrOf returns the AttrStatus the emulator gives a member of a group.
func attrOf(t *testing.T, w *world, group, name string) int64 {
	t.Helper()
	for _, g := range w.emu.Groups() {
		if g.Name != group {
			continue
		}
		for _, p := range g.Members {
			if p.Name == name {
				return p.AttrStatus
			}
		}
	}
	t.Fatalf("no member %q in emulated group %q", name, group)
	return 0
}

// testPNG returns a small real PNG whose pixels depend on seed.
func testPNG(t *testing.T, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{R: seed, G: uint8(x * 30), B: uint8(y * 30), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// botMessages returns what the bot sent into a group after seq.
func botMessages(t *testing.T, w *world, group string, after int64) []wxemu.Message {
	t.Helper()
	all, err := w.emu.Messages(group, after)
	if err != nil {
		t.Fatal(err)
	}
	var out []wxemu.Message
	for _, m := range all {
		if m.Bot {
			out = append(out, m)
		}
	}
	return out
}

// lastSeq is the seq of the last message in a group, to read only newer ones.
func lastSeq(t *testing.T, w *world, group string) int64 {
	t.Helper()
	all, err := w.emu.Messages(group, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Seq
}

func isNotFound(err error) bool {
	return err != nil && qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND
}

// timeAfter is the deadline for waiting on a channel.
func timeAfter() <-chan time.Time { return time.After(waitLong) }

// timeAfterShort is long enough for a message that would arrive to arrive.
func timeAfterShort() <-chan time.Time { return time.After(time.Second) }
