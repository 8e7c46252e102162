package outbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// capNoticeScan bounds how many waiting messages are read to find the groups
// that wait; the notice is a courtesy, not an inventory.
const capNoticeScan = 1000

// CapNotices tells the owners of each group whose messages are held by the
// daily cap, once per local day, that the rest follows after resume: one
// KindNotice per group, mentioning its bound owners, deduplicated by day and
// group so a restart the same day repeats nothing. Groups without a bound
// owner get no notice (there is nobody to tell).
func CapNotices(ctx context.Context, store qunzhu.Store, now, resume time.Time, loc *time.Location) error {
	if loc == nil {
		loc = time.Local
	}
	waiting, err := store.Due(ctx, now, capNoticeScan)
	if err != nil {
		return err
	}
	held := map[int64]int{}
	var order []int64
	for _, m := range waiting {
		if m.Kind == qunzhu.KindNotice {
			continue
		}
		if held[m.GroupID] == 0 {
			order = append(order, m.GroupID)
		}
		held[m.GroupID]++
	}
	if len(order) == 0 {
		return nil
	}
	day := now.In(loc).Format(time.DateOnly)
	at := resume.In(loc)
	return store.Update(ctx, func(tx qunzhu.Tx) error {
		for _, gid := range order {
			members, err := tx.Members(gid)
			if err != nil {
				return err
			}
			var owners []string
			for _, m := range members {
				if m.Bound && m.Role == qunzhu.RoleOwner {
					owners = append(owners, qunzhu.Mention(m.Name))
				}
			}
			if len(owners) == 0 {
				continue
			}
			more := fmt.Sprintf("%d条", held[gid])
			if held[gid] >= capNoticeScan {
				more = "不少于" + more
			}
			text := fmt.Sprintf("%s【发送提醒】今天机器人的发送量已达每日上限，为保护账号，本群还有%s消息将在%d月%d日%02d:%02d后按顺序继续发送，不会丢失。",
				strings.Join(owners, ""), more, at.Month(), at.Day(), at.Hour(), at.Minute())
			if _, err := tx.Enqueue(&qunzhu.OutMessage{
				GroupID: gid, Kind: qunzhu.KindNotice, Text: text,
				DedupKey: fmt.Sprintf("dailycap:%s:%d", day, gid),
			}); err != nil {
				return err
			}
		}
		return nil
	})
}
