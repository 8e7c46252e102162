package bot_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/wxemu"
)

// TestGroupRenameFollowed: a rename seen in the group (WeChat's system notice)
// updates the stored name, so the next login finds the group under its new
// name and messages keep flowing both ways.
func TestGroupRenameFollowed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	groupID, _, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)

	const renamed = "区委干部工作群（2027）"
	if err := w.emu.RenameGroup(cadres, renamed); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLong)
	for {
		var name string
		if err := st.View(t.Context(), func(tx qunzhu.Tx) error {
			g, err := tx.GroupByID(groupID)
			if err == nil {
				name = g.Name
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if name == renamed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored group name = %q, want %q after the rename notice", name, renamed)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A new login (new UserNames) must find the group by its new name.
	if err := w.emu.Expire(); err != nil {
		t.Fatal(err)
	}
	r.waitLeave(qunzhu.StateOnline)
	r.waitState(qunzhu.StateOnline)
	post(t, w, renamed, zhang, "改名后还能收到吗")
	if in := r.next(); in.GroupID != groupID || in.GroupName != renamed {
		t.Fatalf("inbound after re-login: group %d %q, want %d %q", in.GroupID, in.GroupName, groupID, renamed)
	}
	if err := r.Send(t.Context(), &qunzhu.OutMessage{GroupID: groupID, Kind: qunzhu.KindReply, Text: "能收到"}); err != nil {
		t.Fatalf("send after rename and re-login: %v", err)
	}
}
