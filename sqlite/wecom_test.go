package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// TestWeComInbox: a callback is handled once, its response_url is used once
// and only while fresh, and old rows are pruned.
func TestWeComInbox(t *testing.T) {
	ctx := context.Background()
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)

	handled, err := s.ReceiveWeCom(ctx, "m1", "wrc1", "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=x")
	if err != nil || handled {
		t.Fatalf("first receive = %v, %v; want false, nil", handled, err)
	}
	// Redelivered before it was handled (the first try was cut off): handle again.
	if handled, _ := s.ReceiveWeCom(ctx, "m1", "wrc1", "other"); handled {
		t.Fatal("unhandled message reported handled")
	}
	if err := s.HandledWeCom(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if handled, _ := s.ReceiveWeCom(ctx, "m1", "wrc1", "other"); !handled {
		t.Fatal("handled message not recognised when redelivered")
	}

	u, ok, err := s.WeComResponseURL(ctx, "m1", t0.Add(-time.Minute))
	if err != nil || !ok || u != "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=x" {
		t.Fatalf("response url = %q, %v, %v; want the first one", u, ok, err)
	}
	if _, ok, _ := s.WeComResponseURL(ctx, "m1", t0.Add(time.Minute)); ok {
		t.Error("a response url received before since is offered")
	}
	if err := s.UsedWeComResponseURL(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.WeComResponseURL(ctx, "m1", t0.Add(-time.Minute)); ok {
		t.Error("a used response url is offered again")
	}

	clock.Advance(8 * 24 * time.Hour)
	if _, err := s.ReceiveWeCom(ctx, "m2", "wrc1", ""); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneWeCom(ctx, clock.Now().Add(-7*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want 1", n, err)
	}
	if handled, _ := s.ReceiveWeCom(ctx, "m2", "wrc1", ""); handled {
		t.Error("the recent row was pruned or marked")
	}
	if _, err := s.ReceiveWeCom(ctx, "", "wrc1", ""); err == nil {
		t.Error("empty msgid accepted")
	}
}
