package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// 随手拍 (snapshot): any member who sees a problem — a missing manhole cover,
// a stall blocking the pavement — reports it in the group with a description,
// where it is, and photos. The owner lists what came in and turns one into a
// 督办 task with "/督办 随手拍3 <对象> [期限]".

// AttachSnapshot is the picture slot kind of 随手拍.
const AttachSnapshot = "snapshot"

// FamilySnapshot is the /帮助 heading of 随手拍.
const FamilySnapshot = "随手拍"

const (
	exampleSnapshot     = "/随手拍 福州路河南路口井盖缺失 地点=福州路河南路口"
	exampleSnapshotList = "/随手拍 列表"
	exampleSnapshotTask = "/督办 随手拍3 区城管执法局 限期3天"
	maxSnapshotList     = 15
	maxSnapshotRunes    = 300
)

// Snapshots holds the 随手拍 commands.
type Snapshots struct {
	// PictureWindow is how long after /随手拍 pictures are taken (2 minutes).
	PictureWindow time.Duration
	// ListRole may list snapshots (admins and owners by default).
	ListRole qunzhu.Role
}

// Register adds the 随手拍 commands and their picture handler to r.
func (ss *Snapshots) Register(r *Router) {
	if ss.PictureWindow <= 0 {
		ss.PictureWindow = 2 * time.Minute
	}
	if !ss.ListRole.Valid() {
		ss.ListRole = qunzhu.RoleAdmin
	}
	r.RegisterFamily(FamilySnapshot,
		Spec{Name: "随手拍", MinRole: qunzhu.RoleMember, Handle: ss.handleReport,
			Summary: fmt.Sprintf("报告看到的问题，写清内容和地点，接着发照片（最多%d张）", qunzhu.MaxPictures),
			Example: exampleSnapshot},
		Spec{Name: "随手拍 列表", MinRole: ss.ListRole, Handle: ss.handleList,
			Summary: "查看还没转为督办的随手拍；用 /督办 随手拍<编号> <对象> [期限] 转为督办",
			Example: exampleSnapshotList},
	)
	r.RegisterAttach(AttachSnapshot, ss.attachPicture)
}

// handleReport is /随手拍 <描述> [地点=…]: the problem, when and where, from
// a bound member; pictures follow.
func (ss *Snapshots) handleReport(req *Request) (string, error) {
	text, place := snapshotText(req.Cmd.Rest)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上看到的问题和地点，再接着发照片。例：%s", exampleSnapshot)
	case n > maxSnapshotRunes:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "内容太长了（最多%d个字），请写要点。例：%s", maxSnapshotRunes, exampleSnapshot)
	}
	m := req.Member()
	s := &qunzhu.Snapshot{GroupID: req.In.GroupID, MemberID: m.ID, MemberName: m.Name, Unit: m.Unit,
		Text: text, Place: place}
	if err := req.Tx.CreateSnapshot(s); err != nil {
		return "", err
	}
	if err := req.ExpectPictures(AttachSnapshot, []int64{s.ID}, qunzhu.MaxPictures, ss.PictureWindow); err != nil {
		return "", err
	}
	where := ""
	if place != "" {
		where = "，地点：" + place
	}
	return fmt.Sprintf("已记录%s（%s%s）：%s。请在%s内接着发现场照片（最多%d张）。",
		s.Number(), qunzhu.FormatWhen(req.Local(), req.Local()), where, text,
		chineseDuration(ss.PictureWindow), qunzhu.MaxPictures), nil
}

// snapshotText splits "地点=…"/"地点：…"/"位置：…" off the description; the
// place runs to the end of the text.
func snapshotText(rest string) (text, place string) {
	rest = trimSpace(rest)
	for _, key := range []string{"地点", "位置", "地址"} {
		for _, sep := range []string{"=", "＝", ":", "：", " "} {
			if i := strings.Index(rest, key+sep); i >= 0 {
				place = trimSpace(strings.TrimLeft(trimSpace(rest[i+len(key+sep):]), "=＝:："))
				text = strings.TrimRight(trimSpace(rest[:i]), "，,；;。")
				if place != "" {
					return text, place
				}
			}
		}
	}
	return rest, ""
}

// attachPicture keeps a picture sent after /随手拍 with it.
func (ss *Snapshots) attachPicture(req *Request, slot *qunzhu.AttachSlot, imageID int64) (string, error) {
	if _, err := req.Tx.AddRefImage(AttachSnapshot, slot.RefID, imageID); err != nil {
		return "", err
	}
	return fmt.Sprintf("已收到随手拍%d的照片（第%d张）。", slot.RefID, slot.Count), nil
}

// handleList is /随手拍 列表: what came in and is not a task yet, newest first.
func (ss *Snapshots) handleList(req *Request) (string, error) {
	list, err := req.Tx.Snapshots(req.In.GroupID, true, maxSnapshotList+1)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "还没有待处理的随手拍。成员报告问题：" + exampleSnapshot, nil
	}
	now := req.Local()
	var b strings.Builder
	b.WriteString("待处理的随手拍（新的在前）：")
	for i, s := range list {
		if i == maxSnapshotList {
			fmt.Fprintf(&b, "\n只显示最近%d条。", maxSnapshotList)
			break
		}
		pics, err := req.Tx.RefImages(AttachSnapshot, s.ID)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n%s %s｜%s %s", s.Number(), s.Text, s.MemberName, qunzhu.FormatWhen(s.CreatedAt, now))
		if s.Place != "" {
			fmt.Fprintf(&b, "｜%s", s.Place)
		}
		if len(pics) > 0 {
			fmt.Fprintf(&b, "｜照片%d张", len(pics))
		}
	}
	fmt.Fprintf(&b, "\n转为督办：%s", exampleSnapshotTask)
	return b.String(), nil
}

// snapshotNumber reads "随手拍3" (or "随手拍#3", "随手拍 3" glued by the
// caller) as a snapshot id.
func snapshotNumber(word string) (int64, bool) {
	rest, ok := strings.CutPrefix(foldString(word), "随手拍")
	if !ok {
		return 0, false
	}
	rest = strings.TrimPrefix(rest, "#")
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}
