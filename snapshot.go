package qunzhu

import (
	"strconv"
	"time"
)

// Problems that reach a group other than by /督办: a 随手拍 (snapshot) a
// member reports with photos, and an article someone shares into the group.
// Both can become tasks; the task keeps where it came from (TaskOrigin).

// Link is an article or web page shared into a group: WeChat's app message
// (公众号文章, type 5), later DingTalk and WeCom link messages.
type Link struct {
	Title       string
	URL         string
	Description string
}

// SharedLink is the latest link shared into a group, kept so that a /督办
// sent right after it can take the article as its subject.
type SharedLink struct {
	GroupID    int64
	SenderName string
	// MessageID is the platform id of the message that shared it, so a reply
	// quoting the article finds it however late it comes.
	MessageID string
	Link
	At time.Time
}

// Snapshot (随手拍) is a problem a member saw and reported with a description,
// where it is, and pictures; the owner lists them and turns one into a task.
type Snapshot struct {
	ID         int64
	GroupID    int64
	MemberID   int64
	MemberName string
	Unit       string
	Text       string // what the member saw
	Place      string // where, as they wrote it; may be empty
	TaskID     int64  // the task made from it, 0 while none
	CreatedAt  time.Time
}

// Number is how people write the snapshot's number: "随手拍3".
func (s *Snapshot) Number() string { return "随手拍" + strconv.FormatInt(s.ID, 10) }

// Origin kinds of TaskOrigin.
const (
	OriginSnapshot = "snapshot" // 随手拍
	OriginArticle  = "article"  // a shared article
)

// TaskOrigin is what a task was made from in the group, shown in its detail:
// the article (title and link) or the 随手拍 (its text and pictures).
type TaskOrigin struct {
	TaskID int64
	Kind   string // OriginSnapshot or OriginArticle
	RefID  int64  // the snapshot's id; 0 for an article
	Title  string
	URL    string
	Text   string
}

// CaptureTx is the part of a transaction that keeps snapshots, shared links
// and the origins of tasks.
type CaptureTx interface {
	// CreateSnapshot stores s and sets its ID.
	CreateSnapshot(s *Snapshot) error
	SnapshotByID(id int64) (*Snapshot, error)
	// Snapshots lists a group's snapshots, newest first; open only those not
	// yet made into a task.
	Snapshots(groupID int64, open bool, limit int) ([]*Snapshot, error)
	// SetSnapshotTask records the task made from a snapshot; ECONFLICT if it
	// already has one.
	SetSnapshotTask(id, taskID int64) error

	// SaveSharedLink remembers l as the latest link shared in its group.
	SaveSharedLink(l *SharedLink) error
	// LatestSharedLink is the group's latest link shared at or after since;
	// ENOTFOUND if none.
	LatestSharedLink(groupID int64, since time.Time) (*SharedLink, error)
	// SharedLinkByMessage is the group's latest link if the message messageID
	// shared it; ENOTFOUND otherwise.
	SharedLinkByMessage(groupID int64, messageID string) (*SharedLink, error)
	// ForgetSharedLink drops the group's latest link once a task used it.
	ForgetSharedLink(groupID int64) error

	SetTaskOrigin(o *TaskOrigin) error
	// TaskOrigin is what the task was made from; ENOTFOUND for a task typed
	// in the group or made by a webhook.
	TaskOrigin(taskID int64) (*TaskOrigin, error)
}
