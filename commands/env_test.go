package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/sqlite"
)

// botName is the name the test bot is shown under in groups.
const botName = "群主助手"

// start is a Monday morning in Chengdu, when work groups are busiest.
var start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*60*60))

// env is one bot in front of a real SQLite store in a temporary directory, with
// a fake clock, and one registered group with a bound owner.
type env struct {
	t      *testing.T
	store  *sqlite.Store
	clock  *qunzhu.FakeClock
	router *commands.Router
	group  *qunzhu.Group
	owner  qunzhu.Identity
	seq    int
	// privates are the private messages sent() drained (one-time codes for
	// the owner who asked), newest last.
	privates []*qunzhu.OutMessage
	// wasBound says, per session key, whether the sender was a bound member
	// when they last sent: their reply's priority depends on it.
	wasBound map[string]bool
}

func newEnv(t *testing.T) *env {
	return newEnvLogger(t, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func newEnvLogger(t *testing.T, log *slog.Logger) *env {
	t.Helper()
	clock := qunzhu.NewFakeClock(start)
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "qunzhu.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{t: t, store: store, clock: clock}
	e.router = commands.NewRouter(store, commands.Config{BotNames: []string{botName}, Logger: log})
	e.group = e.createGroup("成都市城市管理工作群")
	e.owner = e.boundMember(e.group, "王书记", "市委", qunzhu.RoleOwner)
	return e
}

// createGroup registers a group the way the config file or /绑定 will.
func (e *env) createGroup(name string) *qunzhu.Group {
	e.t.Helper()
	var g *qunzhu.Group
	err := e.store.Update(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		g, err = tx.CreateGroup(name)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// boundMember seeds an already bound member (as the config file does for owners)
// and returns the identity they speak with.
func (e *env) boundMember(g *qunzhu.Group, name, unit string, role qunzhu.Role) qunzhu.Identity {
	e.t.Helper()
	id := person(name)
	err := e.store.Update(e.t.Context(), func(tx qunzhu.Tx) error {
		return tx.CreateMember(&qunzhu.Member{GroupID: g.ID, Name: name, Unit: unit, Role: role,
			Bound: true, Identity: id, BoundAt: start})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// person is a WeChat user whose group display name is name.
func person(name string) qunzhu.Identity {
	return qunzhu.Identity{SessionKey: fmt.Sprintf("@%x", name), NickName: "微信用户", DisplayName: name}
}

// send delivers text from sender in the env's group, with a fresh message id.
func (e *env) send(sender qunzhu.Identity, text string) {
	e.t.Helper()
	e.seq++
	e.sendIn(e.group, fmt.Sprintf("msg-%d", e.seq), sender, text)
}

// sendIn delivers a message the way the bot adapter will: our group id, and the
// sender's bound member looked up by session key (nil if none).
func (e *env) sendIn(g *qunzhu.Group, msgID string, sender qunzhu.Identity, text string) {
	e.t.Helper()
	in := &qunzhu.Inbound{ID: msgID, GroupID: g.ID, GroupName: g.Name, Sender: sender,
		Text: text, At: e.clock.Now()}
	err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) error {
		m, err := tx.MemberBySession(g.ID, sender.SessionKey)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return nil
		}
		in.Member = m
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if g.ID == e.group.ID {
		if e.wasBound == nil {
			e.wasBound = map[string]bool{}
		}
		e.wasBound[sender.SessionKey] = in.Member != nil && in.Member.Bound
	}
	if err := e.router.Handle(e.t.Context(), in); err != nil {
		e.t.Fatalf("Handle(%q): %v", text, err)
	}
}

// sent drains the outbox as the sender would and returns what it would send.
func (e *env) sent() []*qunzhu.OutMessage {
	e.t.Helper()
	ctx := e.t.Context()
	msgs, err := e.store.Due(ctx, e.clock.Now(), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	group := msgs[:0:0]
	for _, m := range msgs {
		if err := e.store.MarkSending(ctx, m.ID); err != nil {
			e.t.Fatal(err)
		}
		if err := e.store.MarkSent(ctx, m.ID); err != nil {
			e.t.Fatal(err)
		}
		if m.Private() {
			e.privates = append(e.privates, m)
		} else {
			group = append(group, m)
		}
	}
	return group
}

// reply returns the text of the one reply the last messages caused, checking
// that it is a reply to the env's group addressed to sender.
func (e *env) reply(sender qunzhu.Identity) string {
	e.t.Helper()
	msgs := e.sent()
	if got, want := len(msgs), 1; got != want {
		e.t.Fatalf("outbox rows = %d, want %d: %v", got, want, texts(msgs))
	}
	m := msgs[0]
	if got, want := m.Kind, qunzhu.KindReply; got != want {
		e.t.Errorf("Kind = %q, want %q", got, want)
	}
	want := qunzhu.PriorityGuestReply
	if e.wasBound[sender.SessionKey] {
		want = qunzhu.PriorityReply
	}
	if got := m.Priority; got != want {
		e.t.Errorf("Priority = %d, want %d (sent as a bound member: %v)", got, want, e.wasBound[sender.SessionKey])
	}
	prefix := commands.Mention(sender.Name())
	text, ok := strings.CutPrefix(m.Text, prefix)
	if !ok {
		e.t.Fatalf("reply %q does not start with %q", m.Text, prefix)
	}
	return text
}

// noReply checks that nothing was enqueued.
func (e *env) noReply() {
	e.t.Helper()
	if msgs := e.sent(); len(msgs) != 0 {
		e.t.Fatalf("outbox rows = %d, want none: %v", len(msgs), texts(msgs))
	}
}

// member returns the stored member by name, nil if there is none.
func (e *env) member(g *qunzhu.Group, name string) *qunzhu.Member {
	e.t.Helper()
	var m *qunzhu.Member
	err := e.store.View(e.t.Context(), func(tx qunzhu.Tx) (err error) {
		m, err = tx.MemberByName(g.ID, name)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return nil
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

var codeInPrivate = regexp.MustCompile(`的认证码：(\d{6})\n`)

// code returns the bind code of the newest private message, which must be
// addressed to the member who asked for it, and forgets the message.
func (e *env) code() string {
	e.t.Helper()
	if len(e.privates) == 0 {
		e.t.Fatalf("no private message with a bind code")
	}
	last := e.privates[len(e.privates)-1]
	e.privates = e.privates[:len(e.privates)-1]
	m := codeInPrivate.FindStringSubmatch(last.Text)
	if m == nil {
		e.t.Fatalf("no bind code in private message %q", last.Text)
	}
	return m[1]
}

func texts(msgs []*qunzhu.OutMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}
