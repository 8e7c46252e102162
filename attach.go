package qunzhu

import (
	"strconv"
	"time"
)

// AttachSlot is a short window in which the next picture a person sends into a
// group belongs to something they just did: the evidence after /办结, the photo
// of a report after /交作业, the picture of a /群发. A command opens the slot;
// the router hands the picture to the feature registered for the slot's Kind.
type AttachSlot struct {
	ID      int64
	GroupID int64
	Sender  string // SenderKey of the person who may fill the slot
	Kind    string // which feature receives the picture, e.g. "task"
	RefID   int64  // the feature's row, e.g. the task id
	// MoreRefs are further rows the same pictures belong to: "/办结 3、11"
	// with one photo of both sites.
	MoreRefs []int64
	// Max is how many pictures the slot takes before it closes (0 means 1);
	// Count is how many it took, including the one being handed over.
	Max       int
	Count     int
	ExpiresAt time.Time
}

// MaxPictures is how many pictures one message of WeChat's can carry, and so
// how many one command accepts after it.
const MaxPictures = 9

// Refs is RefID followed by MoreRefs.
func (s *AttachSlot) Refs() []int64 { return append([]int64{s.RefID}, s.MoreRefs...) }

// SenderKey identifies a sender for attachment slots: the bound member when
// there is one (stable across logins), else the session identity.
func SenderKey(in *Inbound) string {
	if in.Member != nil && in.Member.Bound {
		return "m:" + strconv.FormatInt(in.Member.ID, 10)
	}
	return "s:" + in.Sender.SessionKey
}

// Image is a stored picture, referenced by id from the rows that use it.
type Image struct {
	ID        int64
	Data      []byte
	SHA256    string
	CreatedAt time.Time
}

// AttachTx is the part of a transaction that keeps slots and pictures.
type AttachTx interface {
	// OpenAttachSlot opens s, replacing an open slot of the same sender in the group.
	OpenAttachSlot(s *AttachSlot) error
	// PeekAttachSlot returns the sender's open, unexpired slot, ENOTFOUND if none.
	PeekAttachSlot(groupID int64, sender string) (*AttachSlot, error)
	// TakeAttachSlot is PeekAttachSlot that also counts one picture into the
	// slot (Count is its number, from 1) and closes the slot when it is full.
	TakeAttachSlot(groupID int64, sender string) (*AttachSlot, error)
	// AddRefImage keeps one more picture with a feature's row (kind as the
	// slot kinds, e.g. "report", "snapshot") and returns how many it has now;
	// the same picture twice is kept once.
	AddRefImage(kind string, refID, imageID int64) (int, error)
	// RefImages are the pictures kept with a row, oldest first.
	RefImages(kind string, refID int64) ([]int64, error)
	// SaveImage stores a picture (identical bytes are stored once) and returns its id.
	SaveImage(data []byte) (int64, error)
	ImageByID(id int64) (*Image, error)
}
