package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestClaimInbound_OncePerMessageAndTakesOverStaleClaims(t *testing.T) {
	clock := qunzhu.NewFakeClock(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	s := openTest(t, clock)
	claim := func(p qunzhu.Platform, id string) bool {
		var fresh bool
		update(t, s, func(tx qunzhu.Tx) error {
			var err error
			fresh, err = tx.ClaimInbound(p, id, time.Minute)
			return err
		})
		return fresh
	}
	if !claim(qunzhu.PlatformDingTalk, "m1") {
		t.Fatal("first delivery not fresh")
	}
	if claim(qunzhu.PlatformDingTalk, "m1") {
		t.Error("second delivery while the first is at work is fresh")
	}
	if !claim(qunzhu.PlatformWeCom, "m1") {
		t.Error("the same id on another platform is not fresh")
	}
	// A claim left by a crash is taken over after the stale time...
	clock.Advance(2 * time.Minute)
	if !claim(qunzhu.PlatformDingTalk, "m1") {
		t.Error("a stale claim was not taken over")
	}
	// ...but a finished message is never handled again.
	update(t, s, func(tx qunzhu.Tx) error { return tx.FinishInbound(qunzhu.PlatformDingTalk, "m1") })
	clock.Advance(time.Hour)
	if claim(qunzhu.PlatformDingTalk, "m1") {
		t.Error("a finished message is fresh again")
	}
	// Pruned after a week, the id is new again (no platform redelivers that late).
	clock.Advance(8 * 24 * time.Hour)
	if !claim(qunzhu.PlatformDingTalk, "m1") {
		t.Error("week-old id not pruned")
	}
}

func TestOwnedGroups_PersonKeyLinksPlatforms(t *testing.T) {
	s := openTest(t, nil)
	wx := mustGroup(t, s, "区委干部工作群")
	dt := mustPlatformGroup(t, s, qunzhu.PlatformDingTalk, "cidA==", "城管工作群")
	other := mustPlatformGroup(t, s, qunzhu.PlatformDingTalk, "cidB==", "别人的群")
	update(t, s, func(tx qunzhu.Tx) error {
		wxOwner := &qunzhu.Member{GroupID: wx.ID, Name: "张书记", Unit: "区委", Role: qunzhu.RoleOwner,
			Bound: true, Identity: qunzhu.Identity{SessionKey: "@abc"}}
		dtOwner := &qunzhu.Member{GroupID: dt.ID, Name: "张书记", Unit: "区委", Role: qunzhu.RoleOwner,
			Bound: true, Identity: qunzhu.Identity{SessionKey: "zhangsj", UserID: "zhangsj"}}
		// Same name, no person key: a namesake is never linked.
		namesake := &qunzhu.Member{GroupID: other.ID, Name: "张书记", Unit: "区委", Role: qunzhu.RoleOwner,
			Bound: true, Identity: qunzhu.Identity{SessionKey: "zhang2", UserID: "zhang2"}}
		for _, m := range []*qunzhu.Member{wxOwner, dtOwner, namesake} {
			if err := tx.CreateMember(m); err != nil {
				return err
			}
		}
		if err := tx.SetPerson(wxOwner.ID, "zhang"); err != nil {
			return err
		}
		return tx.SetPerson(dtOwner.ID, "zhang")
	})
	for _, key := range []string{"@abc", "zhangsj"} {
		var got []*qunzhu.Group
		view(t, s, func(tx qunzhu.Tx) error {
			var err error
			got, err = tx.OwnedGroups(key)
			return err
		})
		if len(got) != 2 || got[0].ID != wx.ID || got[1].ID != dt.ID {
			t.Errorf("OwnedGroups(%s) = %v, want the WeChat and the DingTalk group", key, got)
		}
	}
	update(t, s, func(tx qunzhu.Tx) error {
		err := tx.SetPerson(9999, "x")
		if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("SetPerson(unknown) = %v", err)
		}
		return nil
	})
}

func TestDueOn_OnlyThePlatformsGroups(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, nil)
	wx := mustGroup(t, s, "微信群")
	var dt *qunzhu.Group
	update(t, s, func(tx qunzhu.Tx) error {
		var err error
		dt, err = tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cidA==", "钉钉群")
		return err
	})
	now := s.now()
	update(t, s, func(tx qunzhu.Tx) error {
		for _, g := range []int64{wx.ID, dt.ID, dt.ID} {
			if _, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g, Kind: qunzhu.KindReply, Text: "x", NotBefore: now}); err != nil {
				return err
			}
		}
		return nil
	})
	due, err := s.DueOn(ctx, qunzhu.PlatformDingTalk, now, 10)
	if err != nil || len(due) != 2 || due[0].GroupID != dt.ID || due[0].Platform != qunzhu.PlatformDingTalk {
		t.Fatalf("DueOn(dingtalk) = %v, %v", due, err)
	}
	if due, _ := s.DueOn(ctx, qunzhu.PlatformWeCom, now, 10); len(due) != 0 {
		t.Errorf("DueOn(wecom) = %v", due)
	}
	// A lane's reserve looks for its own platform's alerts only.
	update(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: dt.ID, Kind: qunzhu.KindAlert, Text: "告警", NotBefore: now})
		return err
	})
	if alerts, err := s.DueAlertsOn(ctx, qunzhu.PlatformDingTalk, now, 10); err != nil || len(alerts) != 1 || alerts[0].GroupID != dt.ID {
		t.Errorf("DueAlertsOn(dingtalk) = %v, %v", alerts, err)
	}
	if alerts, _ := s.DueAlertsOn(ctx, qunzhu.PlatformWeChat, now, 10); len(alerts) != 0 {
		t.Errorf("DueAlertsOn(wechat) found another platform's alert: %v", alerts)
	}
	if next, ok, err := s.NextDueOn(ctx, qunzhu.PlatformWeChat); err != nil || !ok || !next.Equal(now) {
		t.Errorf("NextDueOn(wechat) = %v %v %v", next, ok, err)
	}
	if _, ok, _ := s.NextDueOn(ctx, qunzhu.PlatformWeCom); ok {
		t.Error("NextDueOn(wecom) found a message")
	}
	if err := s.MarkSending(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[qunzhu.Platform]int{qunzhu.PlatformDingTalk: 1, qunzhu.PlatformWeChat: 0} {
		if n, err := s.SentSinceOn(ctx, p, now.Add(-time.Hour)); err != nil || n != want {
			t.Errorf("SentSinceOn(%s) = %d, %v; want %d", p, n, err, want)
		}
	}
}
