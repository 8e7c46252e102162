package commands

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Tasks made from something already in the group: "/督办 随手拍3 区城管执法局
// 限期3天" takes the 随手拍's description, and a "/督办 区城管执法局 周五" sent
// within ArticleWindow of an article shared into the group, or quoting it (the
// group's latest article, however late), takes the article's title and keeps
// its link. The task remembers where it came from
// (qunzhu.TaskOrigin), and its detail shows it, like the complaint of a
// hotline task.

// ArticleWindow is how long after an article is shared a /督办 without a
// subject takes it.
const ArticleWindow = 2 * time.Minute

// maxComplaintRunes bounds the complaint shown in a hotline task's detail.
const maxComplaintRunes = 200

// takeSnapshotArg reads "随手拍3" (or "随手拍 3") at the start of text: the
// snapshot must be this group's and not a task yet.
func (ts *Tasks) takeSnapshotArg(req *Request, text string) (*qunzhu.Snapshot, string, error) {
	word, rest := splitWord(text)
	if word == "随手拍" {
		next, after := splitWord(rest)
		word, rest = word+next, after
	}
	id, ok := snapshotNumber(word)
	if !ok {
		return nil, text, nil
	}
	s, err := req.Tx.SnapshotByID(id)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND || (err == nil && s.GroupID != req.In.GroupID) {
		return nil, "", qunzhu.Errorf(qunzhu.ENOTFOUND, "本群没有随手拍%d。查看：%s", id, exampleSnapshotList)
	} else if err != nil {
		return nil, "", err
	}
	if s.TaskID != 0 {
		return nil, "", qunzhu.Errorf(qunzhu.ECONFLICT, "随手拍%d已经转为督办#%d。查看：/督办 %d", id, s.TaskID, s.TaskID)
	}
	if rest == "" {
		return nil, "", qunzhu.Errorf(qunzhu.EINVALID, "请写上督办对象。例：%s", exampleSnapshotTask)
	}
	return s, rest, nil
}

// subject completes a /督办's title: from the 随手拍 it names (what was typed
// after the deadline is added), or, when nothing was typed, from the article
// shared in the group within ArticleWindow. origin is nil for a typed task.
func (ts *Tasks) subject(req *Request, snap *qunzhu.Snapshot, title string) (*qunzhu.TaskOrigin, string, error) {
	if snap != nil {
		t := snap.Text
		if title != "" {
			t += "：" + title
		}
		text := fmt.Sprintf("%s报告于%s", snap.MemberName, qunzhu.FormatWhen(snap.CreatedAt, req.Local()))
		if snap.Place != "" {
			text += "，地点：" + snap.Place
		}
		return &qunzhu.TaskOrigin{Kind: qunzhu.OriginSnapshot, RefID: snap.ID, Title: snap.Text, Text: text}, t, nil
	}
	if title != "" {
		return nil, title, nil
	}
	link, err := req.Tx.SharedLinkByMessage(req.In.GroupID, req.In.QuotedID) // a reply to the article
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		link, err = req.Tx.LatestSharedLink(req.In.GroupID, req.Now.Add(-ArticleWindow))
	}
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return nil, "", nil
	} else if err != nil {
		return nil, "", err
	}
	t := link.Title
	if utf8.RuneCountInString(t) > maxTaskTextRunes {
		t = string([]rune(t)[:maxTaskTextRunes])
	}
	return &qunzhu.TaskOrigin{Kind: qunzhu.OriginArticle, Title: link.Title, URL: link.URL,
		Text: link.SenderName}, t, nil
}

// keepOrigin records where task came from and returns the card's line for it.
func (ts *Tasks) keepOrigin(req *Request, task *qunzhu.Task, o *qunzhu.TaskOrigin) (string, error) {
	if o == nil {
		return "", nil
	}
	o.TaskID = task.ID
	if err := req.Tx.SetTaskOrigin(o); err != nil {
		return "", err
	}
	switch o.Kind {
	case qunzhu.OriginSnapshot:
		if err := req.Tx.SetSnapshotTask(o.RefID, task.ID); err != nil {
			return "", err
		}
		return fmt.Sprintf("\n来源：随手拍%d（%s）", o.RefID, o.Text), nil
	case qunzhu.OriginArticle:
		if err := req.Tx.ForgetSharedLink(req.In.GroupID); err != nil {
			return "", err
		}
		return "\n原文：" + o.URL, nil
	}
	return "", nil
}

// originDetail is what the detail of a task shows about where it came from:
// the article and its link, the 随手拍 and its photos, or the citizen's
// complaint of a hotline ticket (masked, as everything posted in a group).
func (ts *Tasks) originDetail(req *Request, task *qunzhu.Task) (string, error) {
	var b strings.Builder
	o, err := req.Tx.TaskOrigin(task.ID)
	switch {
	case err == nil && o.Kind == qunzhu.OriginArticle:
		fmt.Fprintf(&b, "\n原文：《%s》%s", o.Title, o.URL)
	case err == nil && o.Kind == qunzhu.OriginSnapshot:
		pics, err := req.Tx.RefImages(AttachSnapshot, o.RefID)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n来源：随手拍%d，%s", o.RefID, o.Text)
		if len(pics) > 0 {
			fmt.Fprintf(&b, "，照片%d张", len(pics))
		}
	case err != nil && qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND:
		return "", err
	}
	if task.Source == qunzhu.TaskSourceHotline {
		tk, err := req.Tx.TicketByTask(task.ID)
		if err == nil && strings.TrimSpace(tk.Content) != "" {
			c := []rune(qunzhu.MaskPII(strings.TrimSpace(tk.Content)))
			if len(c) > maxComplaintRunes {
				c = append(c[:maxComplaintRunes], '…')
			}
			fmt.Fprintf(&b, "\n诉求：%s", string(c))
		} else if err != nil && qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			return "", err
		}
	}
	return b.String(), nil
}
