// Package commands turns slash commands typed in a WeChat group into changes in
// the store and replies in the outbox. It holds the pure parser, an explicit
// router (no init(), no global registry: every command is registered by a call
// someone can read) and the built-in commands: /帮助, /ping, /成员 and /认证.
package commands

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Spec declares one command: its names, who may run it, one-line help and one
// example. Everything /帮助 shows comes from here, so a command cannot exist
// without saying who it is for and how to type it.
type Spec struct {
	// Name is the Chinese name without the slash, e.g. "帮助". A subcommand is
	// written with a space, "成员 添加", and gets its own role, help and handler.
	Name    string
	Aliases []string    // e.g. "help"; same form as Name
	MinRole qunzhu.Role // "" = anyone in a registered group, bound or not
	Summary string      // Chinese one-liner for /帮助
	Example string      // e.g. "/成员 添加 张三 单位=市城管委"
	Handle  HandlerFunc
	// ReadOnly marks a command that only reads (lists, details, statistics,
	// help): it runs in a read transaction on the read pool, and only its
	// reply is written, in a transaction of its own, so a slow list over
	// 100,000 tasks never holds the writer that webhooks and other commands
	// wait for. A write from a read-only handler fails (the read pool is
	// query_only), so a wrong mark shows at once in tests.
	ReadOnly bool
	// ReadOnlyWhen marks some forms of a command read-only ("/督办 23" shows,
	// "/督办 市城管委 …" assigns); nil means ReadOnly decides alone.
	ReadOnlyWhen func(Command) bool
	// Family is the heading /帮助 lists the command under ("督办", "交作业");
	// default the first word of Name. RegisterFamily sets it for a feature.
	Family string
	// Forms are the ways to call the command when they differ in who may:
	// "/督办 23" reads a task, "/督办 市城管委 …" assigns one. When set, help
	// shows them instead of Summary and Example, each with its own role, and
	// MinRole is the least of them.
	Forms []Form
	// Detail is more text for /帮助 <命令>, e.g. every accepted deadline form.
	Detail string
}

// readOnly reports whether cmd, resolved to s, only reads.
func (s *Spec) readOnly(cmd Command) bool {
	return s.ReadOnly || (s.ReadOnlyWhen != nil && s.ReadOnlyWhen(cmd))
}

// Form is one way to call a command, with who may use it that way. The
// handler checks the same role (e.g. Request.Require(form.MinRole, …)), so
// help never promises what the handler refuses.
type Form struct {
	Usage   string // e.g. "/督办 <对象> <事项> [期限]"
	MinRole qunzhu.Role
	Summary string
	Example string
}

// Request is what a handler sees: the transaction its changes and its reply
// share. Cmd.Name is the spec's canonical name and Args/Rest start after a
// subcommand word, so handlers never look at how the user spelled the command.
type Request struct {
	Ctx    context.Context
	Tx     qunzhu.Tx
	In     *qunzhu.Inbound
	Cmd    Command
	Now    time.Time // the transaction's time (the store's clock)
	Router *Router
	// At lists the members the reply mentions, for platforms with real
	// mentions; handlers add to it with Mention or MentionAll.
	At []qunzhu.At
}

// MentionAll records that the reply mentions ms (the text names them
// itself).
func (r *Request) MentionAll(ms []*qunzhu.Member) {
	for _, m := range ms {
		r.At = append(r.At, qunzhu.AtMember(m))
	}
}

// Mention writes "@甲\u2005@乙" for members, as the group shows them, and
// records them in At so DingTalk and WeCom notify them too.
func (r *Request) Mention(ms ...*qunzhu.Member) string {
	r.MentionAll(ms)
	return mentions(ms)
}

// Member returns the bound member who sent the command, or nil for a guest:
// the only identity a handler may base a permission on.
func (r *Request) Member() *qunzhu.Member { return boundMember(r.In) }

// HandlerFunc runs one command. The reply is committed with the handler's
// changes; "" means no reply. Returning an *qunzhu.Error rolls everything back
// and shows its Message to the user; any other error is logged and the user is
// told that something went wrong inside.
type HandlerFunc func(r *Request) (reply string, err error)

// Config holds what the router needs besides the store. The zero value works.
type Config struct {
	BotNames    []string      // names the bot is shown under, for "@群主助手 /ping"
	BindCodeTTL time.Duration // how long a /认证 code works; default 2h
	Logger      *slog.Logger  // default slog.Default()
	Random      io.Reader     // source for bind codes; default crypto/rand
	// Location is where deadlines and report cycles are read and shown;
	// default Asia/Shanghai.
	Location *time.Location
	// OnCommand, when set, is told each command's canonical name as it
	// arrives ("unknown" for a name no command has): the metrics' counter.
	OnCommand func(name string)
	// Limiter holds the per-sender command limits (Redis when configured, so
	// they hold across replicas and restarts); nil disables them.
	Limiter qunzhu.Limiter
	// MemberCommands and GuestCommands limit the commands one bound member,
	// and one guest, may send; zero values get the defaults.
	MemberCommands, GuestCommands qunzhu.Limit
}

// DefaultBindCodeTTL is long enough for the owner to hand the code on and
// short enough that a code that leaked is not useful for long.
const DefaultBindCodeTTL = 2 * time.Hour

// Router answers slash commands. It is safe for concurrent use; Register is
// meant for wiring time, before messages flow.
type Router struct {
	store qunzhu.Store
	cfg   Config

	mu     sync.RWMutex
	specs  []*Spec          // in registration order, which is the order of /帮助
	index  map[string]*Spec // normalised name or alias → spec
	attach map[string]AttachFunc
}

// NewRouter returns a router with the built-in commands registered (see
// routes.go). Features add theirs with Register from the wiring in cmd.
func NewRouter(store qunzhu.Store, cfg Config) *Router {
	if cfg.BindCodeTTL <= 0 {
		cfg.BindCodeTTL = DefaultBindCodeTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.Location == nil {
		cfg.Location = ChinaTime()
	}
	if cfg.MemberCommands.IsZero() {
		cfg.MemberCommands = DefaultMemberCommands
	}
	if cfg.GuestCommands.IsZero() {
		cfg.GuestCommands = DefaultGuestCommands
	}

	r := &Router{store: store, cfg: cfg, index: map[string]*Spec{}, attach: map[string]AttachFunc{}}
	registerBuiltins(r)
	return r
}

// Register adds a command. A missing name or handler, an unknown role or a name
// taken twice is a programming error and panics, like http.ServeMux does, so
// it shows at start-up rather than as a silently unreachable command.
func (r *Router) Register(s Spec) {
	s.Name = normName(s.Name)
	if s.Name == "" || s.Handle == nil {
		panic(fmt.Sprintf("commands: Register(%q) needs a name and a handler", s.Name))
	}
	if s.MinRole != "" && !s.MinRole.Valid() {
		panic(fmt.Sprintf("commands: /%s has unknown MinRole %q", s.Name, s.MinRole))
	}
	aliases := make([]string, 0, len(s.Aliases))
	for _, a := range s.Aliases {
		if a = normName(a); a != "" {
			aliases = append(aliases, a)
		}
	}
	s.Aliases = aliases

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range append([]string{s.Name}, aliases...) {
		if old, ok := r.index[k]; ok {
			panic(fmt.Sprintf("commands: /%s of %q is already taken by %q", k, s.Name, old.Name))
		}
	}
	spec := &s
	r.specs = append(r.specs, spec)
	for _, k := range append([]string{s.Name}, aliases...) {
		r.index[k] = spec
	}
}

// RegisterFamily registers a feature's commands under one /帮助 heading; a
// spec that names its own Family keeps it. Commands a feature adds later join
// its heading without anyone touching the help.
func (r *Router) RegisterFamily(family string, specs ...Spec) {
	for _, s := range specs {
		if s.Family == "" {
			s.Family = family
		}
		r.Register(s)
	}
}

// Specs returns the registered commands in registration order, for /帮助 and
// for documentation generated from the code.
func (r *Router) Specs() []Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Spec, len(r.specs))
	for i, s := range r.specs {
		out[i] = *s
	}
	return out
}

// errDuplicate rolls back a handler whose reply was already enqueued for the
// same inbound message: the platform delivered it twice.
var errDuplicate = errors.New("commands: message already answered")

// Handle answers one inbound group message. Chatter is ignored without
// touching the store. A command's changes and its reply commit in one
// transaction; a refused or failed command changes nothing and gets a short
// Chinese reply. Handle returns an error only when not even that reply could be
// written, so the caller may retry the message.
func (r *Router) Handle(ctx context.Context, in *qunzhu.Inbound) error {
	if in == nil || in.GroupID == 0 {
		return nil // unregistered groups get no answers
	}
	if in.IsImage {
		return r.handleImage(ctx, in)
	}
	if in.Link != nil {
		return r.rememberLink(ctx, in)
	}
	cmd, ok := Parse(in.Text, r.botNames(in)...)
	if !ok {
		var hint string
		if cmd, hint, ok = r.intent(in); !ok {
			if hint != "" {
				return r.replyError(ctx, in, qunzhu.Errorf(qunzhu.ENOTFOUND, "%s", hint), r.cfg.Logger)
			}
			return nil
		}
	}
	spec, cmd := r.resolve(cmd)
	// Never log the text or the args: they may hold a bind code.
	log := r.cfg.Logger.With(slog.Int64("group", in.GroupID),
		slog.String("command", cmd.Name), slog.String("msg_id", in.ID))
	if r.cfg.OnCommand != nil {
		if spec != nil {
			r.cfg.OnCommand(spec.Name)
		} else {
			r.cfg.OnCommand("unknown")
		}
	}
	if ok, err := r.admit(ctx, in, spec, log); !ok {
		return err
	}
	if in.Private && (spec == nil || spec.Name != "认证") {
		return r.replyError(ctx, in, qunzhu.Errorf(qunzhu.EINVALID,
			"私聊只能发送 /认证 <认证码>，其他命令请在群里发送。"), log)
	}
	if spec == nil {
		return r.replyError(ctx, in, r.unknownCommand(cmd.Name), log)
	}
	if err := authorize(in, spec); err != nil {
		return r.replyError(ctx, in, err, log)
	}

	var err error
	if spec.readOnly(cmd) {
		err = r.handleRead(ctx, in, spec, cmd)
	} else {
		err = r.store.Update(ctx, func(tx qunzhu.Tx) error {
			req := &Request{Ctx: ctx, Tx: tx, In: in, Cmd: cmd, Now: tx.Now(), Router: r}
			reply, err := run(spec, req)
			if err != nil || reply == "" {
				return err
			}
			msg := replyMessage(in, reply, req.Now)
			msg.At = append(msg.At, req.At...)
			dup, err := tx.Enqueue(msg)
			if err == nil && dup {
				return errDuplicate
			}
			return err
		})
	}
	switch {
	case err == nil:
		log.Debug("command handled")
		return nil
	case errors.Is(err, errDuplicate):
		log.Info("command already answered, changes rolled back")
		return nil
	}
	return r.replyError(ctx, in, err, log)
}

// handleRead runs a read-only command in View and writes only its reply.
func (r *Router) handleRead(ctx context.Context, in *qunzhu.Inbound, spec *Spec, cmd Command) error {
	var (
		reply string
		at    []qunzhu.At
	)
	if err := r.store.View(ctx, func(tx qunzhu.Tx) error {
		req := &Request{Ctx: ctx, Tx: tx, In: in, Cmd: cmd, Now: tx.Now(), Router: r}
		var err error
		reply, err = run(spec, req)
		at = req.At
		return err
	}); err != nil || reply == "" {
		return err
	}
	return r.store.Update(ctx, func(tx qunzhu.Tx) error {
		msg := replyMessage(in, reply, tx.Now())
		msg.At = append(msg.At, at...)
		_, err := tx.Enqueue(msg)
		return err // a duplicate was answered already: nothing else to undo
	})
}

// botNames are the names a leading "@name" of in may call the bot by: the
// configured ones, and, when WeChat says the bot was mentioned, the names
// mentioned in in, since the bot's nickname in a group (群昵称) may be one
// the configuration does not know.
func (r *Router) botNames(in *qunzhu.Inbound) []string {
	if !in.AtBot || len(in.Mentions) == 0 {
		return r.cfg.BotNames
	}
	return append(slices.Clip(r.cfg.BotNames), in.Mentions...)
}

// run calls the handler, turning a panic into an internal error (logged with
// its stack) so one faulty command cannot take the bot down with it.
func run(spec *Spec, req *Request) (reply string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in /%s: %v\n%s", spec.Name, p, debug.Stack())
		}
	}()
	return spec.Handle(req)
}

// replyError tells the sender why their command did nothing. An *qunzhu.Error's
// message is meant for them; anything else is logged and hidden behind a
// generic sentence, so internals never reach a group.
func (r *Router) replyError(ctx context.Context, in *qunzhu.Inbound, cause error, log *slog.Logger) error {
	text := "系统内部错误，请稍后再试。"
	var e *qunzhu.Error
	if errors.As(cause, &e) && e.Code != qunzhu.EINTERNAL {
		text = e.Message
		log.Debug("command refused", slog.String("code", e.Code))
	} else {
		log.Error("command failed", slog.Any("err", cause))
	}
	err := r.store.Update(ctx, func(tx qunzhu.Tx) error {
		_, err := tx.Enqueue(replyMessage(in, text, tx.Now()))
		return err
	})
	if err != nil {
		log.Error("cannot enqueue reply", slog.Any("err", err))
		return fmt.Errorf("commands: reply in group %d: %w", in.GroupID, err)
	}
	return nil
}

// replyMessage is the outbox row answering in: addressed to the sender (in
// the group, or privately for a private message), and deduplicated by the
// platform message id so a redelivered message is answered once. A guest's
// answer waits behind alerts and reminders: anyone can type commands, and no
// volume of them may delay an overdue notice.
func replyMessage(in *qunzhu.Inbound, text string, now time.Time) *qunzhu.OutMessage {
	m := &qunzhu.OutMessage{
		GroupID:   in.GroupID,
		Kind:      qunzhu.KindReply,
		Priority:  qunzhu.KindReply.DefaultPriority(),
		Text:      Mention(senderName(in)) + text,
		NotBefore: now,
	}
	if boundMember(in) == nil {
		m.Priority = qunzhu.PriorityGuestReply
	}
	if in.Sender.UserID != "" {
		// A real mention where the platform has them (DingTalk, WeCom).
		m.At = []qunzhu.At{{Name: senderName(in), UserID: in.Sender.UserID}}
	}
	if in.Private {
		m.Text, m.ToUser, m.At = text, in.Sender.SessionKey, nil
	}
	if in.ID != "" {
		m.DedupKey = "reply:" + in.ID
	}
	return m
}

// Mention writes "@name" the way WeChat clients do (followed by U+2005). The
// web protocol cannot send a real mention, so this is visible text that may not
// notify; it is still the convention people read as "this is for you".
func Mention(name string) string { return qunzhu.Mention(name) }

// senderName is the name the group shows for the sender, which is what a
// mention must match; the registered name is the fallback.
func senderName(in *qunzhu.Inbound) string {
	if n := in.Sender.Name(); n != "" {
		return n
	}
	if in.Member != nil {
		return in.Member.Name
	}
	return ""
}

// normName writes a command name or alias the way Parse produces names:
// without a slash, folded, lower-case, single spaces.
func normName(s string) string {
	s = strings.TrimLeft(trimSpace(s), "/／")
	return strings.ToLower(strings.Join(strings.Fields(foldString(s)), " "))
}
