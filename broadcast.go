package qunzhu

import (
	"strconv"
	"strings"
	"time"
)

// BroadcastStatus is where a broadcast is in its life.
type BroadcastStatus string

// Broadcast statuses. A broadcast is previewed first and goes out only after
// its author confirms it: one careless /群发 must not reach fifty groups.
const (
	BroadcastDraft     BroadcastStatus = "draft"     // previewed, waiting for /确认 until ExpiresAt
	BroadcastScheduled BroadcastStatus = "scheduled" // confirmed, waiting for SendAt
	BroadcastSending   BroadcastStatus = "sending"   // its messages are in the outbox
	BroadcastDone      BroadcastStatus = "done"      // every group delivered or failed; reported
	BroadcastCancelled BroadcastStatus = "cancelled" // stopped by its author
	BroadcastExpired   BroadcastStatus = "expired"   // not confirmed in time, or missed its day
)

// Chinese is the status as the owner reads it in /群发 列表.
func (s BroadcastStatus) Chinese() string {
	switch s {
	case BroadcastDraft:
		return "待确认"
	case BroadcastScheduled:
		return "已定时"
	case BroadcastSending:
		return "发送中"
	case BroadcastDone:
		return "已完成"
	case BroadcastCancelled:
		return "已取消"
	case BroadcastExpired:
		return "已过期"
	}
	return string(s)
}

// Broadcast (群发) is one text, with an optional picture, that an owner sends to
// many groups at once: "端午节送粽子来喽" to every group they own. Its targets
// are fixed when it is previewed, so what the owner confirms is exactly what
// goes out. Each target becomes one outbox row of KindBroadcast, at the lowest
// priority and tagged with Ref(), so the broadcast never delays a reply, an
// alert or a reminder, and its delivery can be followed row by row.
type Broadcast struct {
	ID     int64
	Status BroadcastStatus
	// Code is what the author sends with /确认; it works until ExpiresAt.
	Code      string
	ExpiresAt time.Time

	// The author and the group where they typed /群发: progress and the final
	// report go there.
	AuthorID      int64 // the bound member who sent /群发 (a member of OriginGroupID)
	AuthorName    string
	OriginGroupID int64

	Tag     string  // the 标签 chosen with "/群发 到 <标签>"; "" for every owned group
	Text    string  // may hold {群名} (and {节日} for greetings), filled per group
	ImageID int64   // picture sent right after /群发; 0 for none
	Targets []int64 // group ids, fixed at the preview, in the order they are sent

	// SendAt is when a scheduled broadcast goes out; zero means at confirmation.
	SendAt time.Time

	// A festival greeting's yearly occurrence: which greeting and which year.
	// Zero for a broadcast typed with /群发.
	GreetingID int64
	Year       int
	Festival   string // the festival's full name for {节日}, e.g. "端午节"

	// ReportedDone is how many groups were delivered or failed when the author
	// was last told; ReportedAt when. Progress messages are spaced by them.
	ReportedDone int
	ReportedAt   time.Time

	CreatedAt  time.Time
	UpdatedAt  time.Time
	QueuedAt   time.Time // when its rows entered the outbox
	FinishedAt time.Time // done, cancelled or expired
}

// StatusAt is the status at now: a draft whose code has run out is expired even
// before anything wrote that down.
func (b *Broadcast) StatusAt(now time.Time) BroadcastStatus {
	if b.Status == BroadcastDraft && !now.Before(b.ExpiresAt) {
		return BroadcastExpired
	}
	return b.Status
}

// Ref tags the broadcast's outbox rows, so the sender's hooks and the progress
// count find them (through the outbox's ref index).
func (b *Broadcast) Ref() string { return BroadcastRef(b.ID) }

// BroadcastRef is the outbox Ref of broadcast id's rows: "broadcast:12".
func BroadcastRef(id int64) string { return "broadcast:" + strconv.FormatInt(id, 10) }

// ParseBroadcastRef reads the broadcast id back from an outbox Ref; ok is false
// for rows that belong to anything else.
func ParseBroadcastRef(ref string) (id int64, ok bool) {
	s, found := strings.CutPrefix(ref, "broadcast:")
	if !found {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// DedupKey makes the row for one group idempotent: a repeated queueing (a crash
// between two steps, a job run twice) never sends a group the same broadcast
// twice. A greeting's key names its year, so it goes out once a year.
func (b *Broadcast) DedupKey(groupID int64) string {
	g := strconv.FormatInt(groupID, 10)
	if b.GreetingID != 0 {
		return "greeting:" + strconv.FormatInt(b.GreetingID, 10) + ":" + strconv.Itoa(b.Year) + ":" + g
	}
	return "broadcast:" + strconv.FormatInt(b.ID, 10) + ":" + g
}

// OutMessages are the outbox rows that send b: one per target group, in target
// order, at broadcast priority, not before notBefore. Groups missing from
// groups (unregistered since the preview) are left out. image is the picture's
// bytes, nil for none.
func (b *Broadcast) OutMessages(groups map[int64]*Group, image []byte, notBefore time.Time) []*OutMessage {
	out := make([]*OutMessage, 0, len(b.Targets))
	for _, id := range b.Targets {
		g, ok := groups[id]
		if !ok {
			continue
		}
		out = append(out, &OutMessage{
			GroupID:   id,
			Kind:      KindBroadcast,
			Priority:  PriorityBroadcast,
			Text:      FillPlaceholders(b.Text, b.Festival, g.Name),
			Image:     image,
			DedupKey:  b.DedupKey(id),
			Ref:       b.Ref(),
			NotBefore: notBefore,
		})
	}
	return out
}

// QueueBroadcast puts b into the outbox, in tx: one row per target group that
// is still registered, with the picture, and marks b sending. It returns how
// many rows it wrote. Rows are idempotent by DedupKey, so queueing twice (a
// crash between a job's steps) writes nothing new.
func QueueBroadcast(tx Tx, b *Broadcast) (int, error) {
	now := tx.Now()
	groups := make(map[int64]*Group, len(b.Targets))
	for _, id := range b.Targets {
		g, err := tx.GroupByID(id)
		if ErrorCode(err) == ENOTFOUND {
			continue
		} else if err != nil {
			return 0, err
		}
		groups[id] = g
	}
	var image []byte
	if b.ImageID != 0 {
		img, err := tx.ImageByID(b.ImageID)
		if err != nil {
			return 0, err
		}
		image = img.Data
	}
	n := 0
	for _, m := range b.OutMessages(groups, image, now) {
		dup, err := tx.Enqueue(m)
		if err != nil {
			return 0, err
		}
		if !dup {
			n++
		}
	}
	b.Status, b.QueuedAt = BroadcastSending, now
	if n == 0 && len(groups) == 0 {
		b.Status, b.FinishedAt = BroadcastDone, now
	}
	return n, tx.UpdateBroadcast(b)
}

// FillPlaceholders writes the festival's name for {节日} and the group's name for
// {群名} (full-width braces too), so one greeting reads as written for each group.
func FillPlaceholders(text, festival, group string) string {
	pairs := []string{"{群名}", group, "｛群名｝", group}
	if festival != "" {
		pairs = append(pairs, "{节日}", festival, "｛节日｝", festival)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// BroadcastStopped is the LastError of the rows a cancelled broadcast
// withdrew before they were sent.
const BroadcastStopped = "已取消"

// BroadcastProgress is how far a broadcast's rows have gone, counted from the
// outbox, which is the truth about delivery.
type BroadcastProgress struct {
	Total   int // rows queued
	Sent    int
	Failed  int
	Pending int // pending or being sent
	// Problems are the failed rows and the pending ones that already failed
	// an attempt, with the reason, for the report.
	Problems []BroadcastProblem
}

// Done is how many groups are settled, delivered or failed.
func (p BroadcastProgress) Done() int { return p.Sent + p.Failed }

// Finished reports whether every queued row is settled.
func (p BroadcastProgress) Finished() bool { return p.Total > 0 && p.Pending == 0 }

// BroadcastProblem is one group a broadcast has not reached (yet), and why.
type BroadcastProblem struct {
	GroupID   int64
	GroupName string
	Status    OutStatus // failed, or pending while being retried
	LastError string    // the sender's last error, as recorded
}

// ProgressDue is the rule for telling the author how a broadcast goes: after
// every `every` more settled groups, or once `interval` passed since the last
// word, but never for nothing new and never for the last group (the final
// report says that). A zero every or interval turns that trigger off.
func ProgressDue(b *Broadcast, p BroadcastProgress, now time.Time, every int, interval time.Duration) bool {
	done := p.Done()
	if done == 0 || done <= b.ReportedDone || p.Finished() {
		return false
	}
	if every > 0 && done-b.ReportedDone >= every {
		return true
	}
	last := b.ReportedAt
	if last.IsZero() {
		last = b.QueuedAt
	}
	return interval > 0 && !now.Before(last.Add(interval))
}

// EstimateSendTime is how long n messages take at the account's pace: the
// first Burst go at once, then one per interval; the sender's random pause
// after each send (up to jitter, half on average) stretches gaps shorter than
// it. Other traffic and the daily cap can only make it longer.
func EstimateSendTime(n int, account Limit, jitter time.Duration) time.Duration {
	if n <= 1 {
		return 0
	}
	avgJitter := jitter / 2
	burst := max(account.Burst, 1)
	var d time.Duration
	for i := 2; i <= n; i++ {
		gap := avgJitter
		if !account.IsZero() && i > burst {
			gap = max(account.Interval(), avgJitter)
		}
		d += gap
	}
	return d
}

// BroadcastTx is the part of a transaction that keeps broadcasts, group tags
// and festival greetings.
type BroadcastTx interface {
	// OwnedGroups lists, by id, the groups in which the person behind
	// sessionKey is a bound owner: who a /群发 may reach. "" owns nothing.
	OwnedGroups(sessionKey string) ([]*Group, error)

	// CreateBroadcast stores b with its Targets and sets b.ID; a Code clashing
	// with a live draft's is ECONFLICT, as is a second occurrence of the same
	// greeting and year.
	CreateBroadcast(b *Broadcast) error
	// UpdateBroadcast saves status, code, picture, send time, progress marks
	// and times (never the targets).
	UpdateBroadcast(b *Broadcast) error
	BroadcastByID(id int64) (*Broadcast, error)
	// BroadcastByCode is the latest broadcast that was given code, whatever its
	// status, so an expired or used code gets an answer that says so.
	BroadcastByCode(code string) (*Broadcast, error)
	// BroadcastsFrom lists the latest broadcasts typed in a group, newest first.
	BroadcastsFrom(groupID int64, limit int) ([]*Broadcast, error)
	// DueBroadcasts are scheduled broadcasts whose SendAt has come, oldest first.
	DueBroadcasts(now time.Time, limit int) ([]*Broadcast, error)
	// SendingBroadcasts are the broadcasts still going out, oldest first.
	SendingBroadcasts(limit int) ([]*Broadcast, error)
	// BroadcastProgress counts broadcast id's outbox rows by outcome.
	BroadcastProgress(id int64) (BroadcastProgress, error)
	// StopBroadcast withdraws the broadcast's rows that are still pending
	// (they become failed, "已取消") and returns how many; rows already handed
	// to the platform are not stopped.
	StopBroadcast(id int64) (int, error)

	// TagGroup gives a group a 标签; added is false if it had it already.
	TagGroup(groupID int64, tag string) (added bool, err error)
	// UntagGroup removes a tag; removed is false if the group did not have it.
	UntagGroup(groupID int64, tag string) (removed bool, err error)
	// GroupTags are a group's tags, sorted.
	GroupTags(groupID int64) ([]string, error)
	// TaggedGroups are the ids of the groups with tag.
	TaggedGroups(tag string) ([]int64, error)

	GreetingTx
}
