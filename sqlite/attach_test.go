package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestAttachSlotLifeCycle(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC))
	s, err := Open(context.Background(), t.TempDir()+"/q.db", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var gid int64
	update := func(fn func(qunzhu.Tx) error) error { return s.Update(ctx, fn) }
	if err := update(func(tx qunzhu.Tx) error {
		g, err := tx.CreateGroup("副市长作业群")
		gid = g.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	open := func(kind string, ref int64) {
		t.Helper()
		if err := update(func(tx qunzhu.Tx) error {
			return tx.OpenAttachSlot(&qunzhu.AttachSlot{GroupID: gid, Sender: "m:7", Kind: kind, RefID: ref, ExpiresAt: tx.Now().Add(2 * time.Minute)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	take := func() (*qunzhu.AttachSlot, error) {
		var got *qunzhu.AttachSlot
		err := update(func(tx qunzhu.Tx) (err error) {
			got, err = tx.TakeAttachSlot(gid, "m:7")
			return err
		})
		return got, err
	}

	open("task", 1)
	open("report", 9) // replaces the first: only the latest command gets the picture
	got, err := take()
	if err != nil || got.Kind != "report" || got.RefID != 9 {
		t.Fatalf("take = %+v, %v; want report 9", got, err)
	}
	if _, err := take(); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		t.Fatalf("second take: err = %v, want ENOTFOUND (one picture fills a slot)", err)
	}

	open("task", 2)
	clock.Advance(2 * time.Minute)
	if _, err := take(); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		t.Fatalf("take after expiry: err = %v, want ENOTFOUND", err)
	}
}

func TestSaveImageStoresContentOnce(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir()+"/q.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var a, b, c int64
	if err := s.Update(context.Background(), func(tx qunzhu.Tx) (err error) {
		if a, err = tx.SaveImage([]byte("png-1")); err != nil {
			return err
		}
		if b, err = tx.SaveImage([]byte("png-1")); err != nil {
			return err
		}
		c, err = tx.SaveImage([]byte("png-2"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if a != b || a == c {
		t.Fatalf("ids %d %d %d: same bytes must share an id, different bytes must not", a, b, c)
	}
	if err := s.View(context.Background(), func(tx qunzhu.Tx) error {
		img, err := tx.ImageByID(c)
		if err != nil {
			return err
		}
		if string(img.Data) != "png-2" {
			t.Errorf("data = %q, want png-2", img.Data)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
