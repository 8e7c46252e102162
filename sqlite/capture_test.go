package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// TestAttachSlotTakesSeveral: a slot opened for three pictures for two rows
// hands out three, counted, then closes; pictures kept with a row are
// counted once each.
func TestAttachSlotTakesSeveral(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC))
	s, err := Open(context.Background(), t.TempDir()+"/q.db", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	update := func(fn func(qunzhu.Tx) error) {
		t.Helper()
		if err := s.Update(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	var gid int64
	update(func(tx qunzhu.Tx) error {
		g, err := tx.CreateGroup("区委干部工作群")
		gid = g.ID
		if err != nil {
			return err
		}
		return tx.OpenAttachSlot(&qunzhu.AttachSlot{GroupID: gid, Sender: "m:7", Kind: "task", RefID: 3,
			MoreRefs: []int64{11}, Max: 3, ExpiresAt: tx.Now().Add(2 * time.Minute)})
	})
	for want := 1; want <= 3; want++ {
		update(func(tx qunzhu.Tx) error {
			got, err := tx.TakeAttachSlot(gid, "m:7")
			if err != nil {
				return err
			}
			if got.Count != want || got.Max != 3 || len(got.Refs()) != 2 || got.Refs()[1] != 11 {
				t.Errorf("take %d = %+v", want, got)
			}
			return nil
		})
	}
	if err := s.Update(context.Background(), func(tx qunzhu.Tx) error {
		_, err := tx.TakeAttachSlot(gid, "m:7")
		return err
	}); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		t.Errorf("fourth take: %v, want ENOTFOUND", err)
	}

	update(func(tx qunzhu.Tx) error {
		a, err := tx.SaveImage([]byte("\x89PNG a"))
		if err != nil {
			return err
		}
		b, err := tx.SaveImage([]byte("\x89PNG b"))
		if err != nil {
			return err
		}
		for i, id := range []int64{a, b, a} {
			n, err := tx.AddRefImage("snapshot", 5, id)
			if err != nil {
				return err
			}
			if want := min(i+1, 2); n != want {
				t.Errorf("picture %d: count %d, want %d", i, n, want)
			}
		}
		ids, err := tx.RefImages("snapshot", 5)
		if err != nil || len(ids) != 2 || ids[0] != a || ids[1] != b {
			t.Errorf("RefImages = %v, %v; want [%d %d]", ids, err, a, b)
		}
		if ids, _ := tx.RefImages("report", 5); len(ids) != 0 {
			t.Errorf("another kind's pictures: %v", ids)
		}
		return nil
	})
}

// TestCapture: snapshots, the latest shared link and task origins.
func TestCapture(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC))
	s, err := Open(context.Background(), t.TempDir()+"/q.db", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(context.Background(), func(tx qunzhu.Tx) error {
		g, err := tx.CreateGroup("区委干部工作群")
		if err != nil {
			return err
		}
		one := &qunzhu.Snapshot{GroupID: g.ID, MemberID: 1, MemberName: "孙干事", Text: "井盖缺失", Place: "福州路"}
		two := &qunzhu.Snapshot{GroupID: g.ID, MemberID: 1, MemberName: "孙干事", Text: "占道经营"}
		for _, sn := range []*qunzhu.Snapshot{one, two} {
			if err := tx.CreateSnapshot(sn); err != nil {
				return err
			}
		}
		if err := tx.CreateSnapshot(&qunzhu.Snapshot{GroupID: g.ID}); qunzhu.ErrorCode(err) != qunzhu.EINVALID {
			t.Errorf("empty snapshot: %v", err)
		}
		if err := tx.SetSnapshotTask(one.ID, 42); err != nil {
			return err
		}
		if err := tx.SetSnapshotTask(one.ID, 43); qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
			t.Errorf("second task: %v, want ECONFLICT", err)
		}
		open, err := tx.Snapshots(g.ID, true, 10)
		if err != nil || len(open) != 1 || open[0].ID != two.ID {
			t.Errorf("open snapshots = %v, %v", open, err)
		}
		all, _ := tx.Snapshots(g.ID, false, 10)
		if len(all) != 2 || all[0].ID != two.ID || all[1].TaskID != 42 || all[1].Place != "福州路" {
			t.Errorf("all snapshots (newest first) = %+v", all)
		}

		link := &qunzhu.SharedLink{GroupID: g.ID, SenderName: "李局长", MessageID: "m-1",
			Link: qunzhu.Link{Title: "福州路违建", URL: "https://mp.weixin.qq.com/s/a"}}
		if err := tx.SaveSharedLink(link); err != nil {
			return err
		}
		if l, err := tx.LatestSharedLink(g.ID, tx.Now()); err != nil || l.Title != "福州路违建" || l.MessageID != "m-1" {
			t.Errorf("latest = %+v, %v", l, err)
		}
		if _, err := tx.LatestSharedLink(g.ID, tx.Now().Add(time.Second)); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("latest since later: %v", err)
		}
		if _, err := tx.SharedLinkByMessage(g.ID, "m-2"); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("by another message: %v", err)
		}
		if _, err := tx.SharedLinkByMessage(g.ID, ""); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("by no message: %v", err)
		}
		if err := tx.ForgetSharedLink(g.ID); err != nil {
			return err
		}
		if _, err := tx.SharedLinkByMessage(g.ID, "m-1"); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("after forget: %v", err)
		}

		if err := tx.SetTaskOrigin(&qunzhu.TaskOrigin{TaskID: 42, Kind: qunzhu.OriginSnapshot, RefID: one.ID, Text: "孙干事报告"}); err != nil {
			return err
		}
		if o, err := tx.TaskOrigin(42); err != nil || o.RefID != one.ID || o.Kind != qunzhu.OriginSnapshot {
			t.Errorf("origin = %+v, %v", o, err)
		}
		if _, err := tx.TaskOrigin(43); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("no origin: %v", err)
		}
		if _, err := tx.TicketByTask(42); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("no ticket: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
