package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu"
)

// AttachFunc receives a picture that filled a slot the feature opened: the
// evidence after /办结, the photo after /交作业. It runs in the transaction
// that closes the slot; r.In is the picture message. The reply goes to the
// sender like a command's.
type AttachFunc func(r *Request, slot *qunzhu.AttachSlot, imageID int64) (reply string, err error)

// RegisterAttach names the feature that receives pictures for slots of kind.
// A kind registered twice is a programming error and panics.
func (r *Router) RegisterAttach(kind string, fn AttachFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.attach[kind]; ok || kind == "" || fn == nil {
		panic(fmt.Sprintf("commands: RegisterAttach(%q) twice, empty or nil", kind))
	}
	r.attach[kind] = fn
}

// ExpectPicture opens a slot so that the sender's next picture in this group,
// within d, goes to the feature registered for kind with ref.
func (r *Request) ExpectPicture(kind string, ref int64, d time.Duration) error {
	return r.ExpectPictures(kind, []int64{ref}, 1, d)
}

// ExpectPictures opens a slot for up to n pictures (WeChat sends a batch of
// photos as one message each) that all go to every row of refs: "/办结 3、11"
// followed by three photos gives both tasks the three photos.
func (r *Request) ExpectPictures(kind string, refs []int64, n int, d time.Duration) error {
	if len(refs) == 0 {
		return fmt.Errorf("commands: ExpectPictures(%q) without a row", kind)
	}
	return r.Tx.OpenAttachSlot(&qunzhu.AttachSlot{
		GroupID: r.In.GroupID, Sender: qunzhu.SenderKey(r.In), Kind: kind, RefID: refs[0],
		MoreRefs: refs[1:], Max: n, ExpiresAt: r.Now.Add(d),
	})
}

// Local is the request's time where the group lives (deadlines, cycles).
func (r *Request) Local() time.Time { return r.Now.In(r.Router.cfg.Location) }

// Location is where the router reads and shows times.
func (r *Router) Location() *time.Location { return r.cfg.Location }

// handleImage gives a picture to the feature whose slot it fills. Pictures
// nobody waits for are ignored without downloading them; the download happens
// outside any transaction.
func (r *Router) handleImage(ctx context.Context, in *qunzhu.Inbound) error {
	sender := qunzhu.SenderKey(in)
	var slot *qunzhu.AttachSlot
	err := r.store.View(ctx, func(tx qunzhu.Tx) (err error) {
		slot, err = tx.PeekAttachSlot(in.GroupID, sender)
		return err
	})
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	r.mu.RLock()
	fn := r.attach[slot.Kind]
	r.mu.RUnlock()
	log := r.cfg.Logger.With(slog.Int64("group", in.GroupID), slog.String("attach", slot.Kind), slog.String("msg_id", in.ID))
	if fn == nil {
		log.Error("picture slot of an unregistered kind; ignored")
		return nil
	}
	if in.Image == nil {
		return nil
	}
	data, err := in.Image(ctx)
	if err != nil {
		log.Warn("cannot download picture", slog.Any("err", err))
		return r.replyError(ctx, in, qunzhu.Errorf(qunzhu.EINVALID, "图片没有收到，请重新发送。"), log)
	}
	err = r.store.Update(ctx, func(tx qunzhu.Tx) error {
		slot, err := tx.TakeAttachSlot(in.GroupID, sender)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			return errSlotGone // filled or expired since the peek
		} else if err != nil {
			return err
		}
		imageID, err := tx.SaveImage(data)
		if err != nil {
			return err
		}
		req := &Request{Ctx: ctx, Tx: tx, In: in, Now: tx.Now(), Router: r}
		reply, err := runAttach(fn, req, slot, imageID)
		if err != nil || reply == "" {
			return err
		}
		dup, err := tx.Enqueue(replyMessage(in, reply, req.Now))
		if err == nil && dup {
			return errDuplicate
		}
		return err
	})
	if err == nil || errors.Is(err, errDuplicate) || errors.Is(err, errSlotGone) {
		return nil
	}
	return r.replyError(ctx, in, err, log)
}

// errSlotGone: the slot closed between the peek and the take; nothing to do.
var errSlotGone = errors.New("commands: attach slot gone")

func runAttach(fn AttachFunc, req *Request, slot *qunzhu.AttachSlot, imageID int64) (reply string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in picture handler %q: %v", slot.Kind, p)
		}
	}()
	return fn(req, slot, imageID)
}

var (
	chinaOnce sync.Once
	china     *time.Location
)

// ChinaTime is Asia/Shanghai, or a fixed UTC+8 zone where the time zone
// database is missing (the image embeds it with -tags timetzdata).
func ChinaTime() *time.Location {
	chinaOnce.Do(func() {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		china = loc
	})
	return china
}
