package commands

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// handleConfirm (/确认 <code>) sends a previewed broadcast, or schedules it.
// Only its author may, and only within the confirmation window: a code read
// by the whole group must not let anyone else speak in fifty groups.
func (bs *Broadcasts) handleConfirm(req *Request) (string, error) {
	code := strings.Join(req.Cmd.Args, "")
	switch {
	case code == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上群发预览里的确认码。例：%s", exampleConfirm)
	case !isBindCode(code):
		return "", qunzhu.Errorf(qunzhu.EINVALID, "确认码是6位数字。例：%s", exampleConfirm)
	}
	b, err := req.Tx.BroadcastByCode(code)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "确认码 %s 不存在，请核对群发预览里的确认码。", code)
	} else if err != nil {
		return "", err
	}
	if b.AuthorID != req.Member().ID {
		return "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有发起人%s可以确认这次群发（编号%d）。", b.AuthorName, b.ID)
	}
	switch b.StatusAt(req.Now) {
	case qunzhu.BroadcastDraft:
	case qunzhu.BroadcastExpired:
		return "", qunzhu.Errorf(qunzhu.EINVALID,
			"确认码 %s 已过期（%s内有效），这次群发（编号%d）没有发出。请重新发送：/群发 %s",
			code, chineseDuration(bs.cfg.ConfirmWindow), b.ID, snippet(b.Text, 30))
	case qunzhu.BroadcastCancelled:
		return "", qunzhu.Errorf(qunzhu.ECONFLICT, "群发（编号%d）已经取消了。", b.ID)
	default:
		return "", qunzhu.Errorf(qunzhu.ECONFLICT, "群发（编号%d）已经确认过了，现在%s。查看：/群发 列表", b.ID, b.Status.Chinese())
	}

	if !b.SendAt.IsZero() && b.SendAt.After(req.Now) {
		b.Status = qunzhu.BroadcastScheduled
		if err := req.Tx.UpdateBroadcast(b); err != nil {
			return "", err
		}
		return fmt.Sprintf("已确认定时群发（编号%d）：%s发往%d个群%s。取消：/群发 取消 %d",
			b.ID, qunzhu.FormatWhen(b.SendAt, req.Local()), len(b.Targets), withPicture(b), b.ID), nil
	}
	n, err := qunzhu.QueueBroadcast(req.Tx, b)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("已确认，开始群发（编号%d）：%d个群%s，预计%s。进度和结果会在本群告诉你；要停下：/群发 取消 %d",
		b.ID, n, withPicture(b), bs.estimate(n), b.ID), nil
}

// withPicture notes the picture in confirmations.
func withPicture(b *qunzhu.Broadcast) string {
	if b.ImageID != 0 {
		return "（带图片）"
	}
	return ""
}

// handleBroadcastList (/群发 列表) shows the latest broadcasts typed in this
// group with where each one is.
func (bs *Broadcasts) handleBroadcastList(req *Request) (string, error) {
	list, err := req.Tx.BroadcastsFrom(req.In.GroupID, 10)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "本群还没有发起过群发。例：" + exampleBroadcast, nil
	}
	var s strings.Builder
	s.WriteString("本群最近的群发：")
	var live int64 // the newest that can still be cancelled, for the hint
	for _, b := range list {
		st := b.StatusAt(req.Now)
		if live == 0 && (st == qunzhu.BroadcastDraft || st == qunzhu.BroadcastScheduled || st == qunzhu.BroadcastSending) {
			live = b.ID
		}
		fmt.Fprintf(&s, "\n#%d %s", b.ID, st.Chinese())
		switch st {
		case qunzhu.BroadcastDraft:
			exp := b.ExpiresAt.In(req.Router.Location())
			fmt.Fprintf(&s, "（%02d:%02d前确认有效）", exp.Hour(), exp.Minute())
		case qunzhu.BroadcastScheduled:
			fmt.Fprintf(&s, " %s", qunzhu.FormatWhen(b.SendAt, req.Local()))
		case qunzhu.BroadcastSending, qunzhu.BroadcastDone, qunzhu.BroadcastCancelled:
			if b.QueuedAt.IsZero() {
				break
			}
			p, err := req.Tx.BroadcastProgress(b.ID)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&s, " 已发送%d/%d", p.Sent, p.Total)
			if n := p.Failed; n > 0 {
				fmt.Fprintf(&s, "，未发出%d", n)
			}
		}
		if b.GreetingID != 0 {
			fmt.Fprintf(&s, "，%d年%s祝福", b.Year, b.Festival)
		} else {
			fmt.Fprintf(&s, "，%d个群", len(b.Targets))
		}
		fmt.Fprintf(&s, "：%s", snippet(b.Text, 20))
	}
	if live != 0 {
		fmt.Fprintf(&s, "\n取消：/群发 取消 %d", live)
	}
	return s.String(), nil
}

// handleBroadcastCancel (/群发 取消 <编号>) stops a broadcast before or while it
// goes out. Rows already handed to WeChat cannot be taken back; the rest are
// withdrawn and the reply says how far it got.
func (bs *Broadcasts) handleBroadcastCancel(req *Request) (string, error) {
	id, err := numberArg(req.Cmd.Args, "群发编号", exampleCancel)
	if err != nil {
		return "", err
	}
	b, err := req.Tx.BroadcastByID(id)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND || (err == nil && b.OriginGroupID != req.In.GroupID) {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "本群没有编号为%d的群发。查看：/群发 列表", id)
	} else if err != nil {
		return "", err
	}
	if b.AuthorID != req.Member().ID {
		return "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有发起人%s可以取消这次群发（编号%d）。", b.AuthorName, b.ID)
	}
	st := b.StatusAt(req.Now)
	switch st {
	case qunzhu.BroadcastDraft, qunzhu.BroadcastScheduled, qunzhu.BroadcastSending:
	default:
		return "", qunzhu.Errorf(qunzhu.ECONFLICT, "群发（编号%d）%s，不用取消。", b.ID, st.Chinese())
	}
	stopped := 0
	if st == qunzhu.BroadcastSending {
		if stopped, err = req.Tx.StopBroadcast(b.ID); err != nil {
			return "", err
		}
	}
	b.Status, b.FinishedAt = qunzhu.BroadcastCancelled, req.Now
	if err := req.Tx.UpdateBroadcast(b); err != nil {
		return "", err
	}
	if st != qunzhu.BroadcastSending {
		return fmt.Sprintf("已取消群发（编号%d），没有发出。", b.ID), nil
	}
	p, err := req.Tx.BroadcastProgress(b.ID)
	if err != nil {
		return "", err
	}
	// Rows being sent right now still go out: they count as sent.
	return fmt.Sprintf("已取消群发（编号%d）：已经发出的%d个群收不回，其余%d个群不再发送。",
		b.ID, p.Total-p.Failed, stopped), nil
}

// numberArg reads the one number a command like "/群发 取消 3" takes; "#3",
// "3号" and "编号3" work too.
func numberArg(args []string, what, example string) (int64, error) {
	if len(args) == 0 {
		return 0, qunzhu.Errorf(qunzhu.EINVALID, "请写上%s。例：%s", what, example)
	}
	s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(args[0], "#"), "编号"), "号")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || len(args) > 1 {
		return 0, qunzhu.Errorf(qunzhu.EINVALID, "%s是一个数字。例：%s", what, example)
	}
	return n, nil
}

// AttachBroadcastPicture takes the picture sent right after /群发 into the
// draft it belongs to; register it for AttachBroadcast.
func (bs *Broadcasts) AttachBroadcastPicture(r *Request, slot *qunzhu.AttachSlot, imageID int64) (string, error) {
	b, err := r.Tx.BroadcastByID(slot.RefID)
	if err != nil {
		return "", err
	}
	if st := b.StatusAt(r.Now); st != qunzhu.BroadcastDraft {
		return fmt.Sprintf("群发（编号%d）%s，这张图片没有附上。", b.ID, st.Chinese()), nil
	}
	b.ImageID = imageID
	if err := r.Tx.UpdateBroadcast(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("图片已附到群发（编号%d），会跟在文字后面发出。确认发出：/确认 %s", b.ID, b.Code), nil
}
