package sqlite

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// TestFailBindCodes: a wrong attempt in a group counts against every live
// code of that group only; the third destroys them, and a code of another
// group is untouched.
func TestFailBindCodes(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	a, b := mustGroup(t, s, "甲群"), mustGroup(t, s, "乙群")
	ma := mustMember(t, s, a.ID, "张三", "", qunzhu.RoleMember)
	mb := mustMember(t, s, b.ID, "李四", "", qunzhu.RoleMember)
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.CreateBindCode(&qunzhu.BindCode{Code: "111111", MemberID: ma.ID, ExpiresAt: t0.Add(time.Hour), IssuedBy: 7}); err != nil {
			return err
		}
		return tx.CreateBindCode(&qunzhu.BindCode{Code: "222222", MemberID: mb.ID, ExpiresAt: t0.Add(time.Hour)})
	})
	for i, want := range []int{0, 0, 1} {
		var destroyed int
		update(t, s, func(tx qunzhu.Tx) (err error) {
			destroyed, err = tx.FailBindCodes(a.ID, qunzhu.BindCodeMaxFailures)
			return err
		})
		if destroyed != want {
			t.Fatalf("failure %d destroyed %d codes, want %d", i+1, destroyed, want)
		}
		if i == 1 {
			view(t, s, func(tx qunzhu.Tx) error {
				c, err := tx.FindBindCode("111111")
				if err != nil {
					return err
				}
				if c.Failures != 2 || c.IssuedBy != 7 {
					t.Errorf("code after two failures = %+v, want Failures 2, IssuedBy 7", c)
				}
				return nil
			})
		}
	}
	view(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.FindBindCode("111111")
		checkError(t, err, qunzhu.ENOTFOUND, bindCodeGone)
		if c, err := tx.FindBindCode("222222"); err != nil || c.Failures != 0 {
			t.Errorf("other group's code = %+v, %v; want it live with no failures", c, err)
		}
		return nil
	})
	// Every group's codes, for attempts made where no group is known.
	update(t, s, func(tx qunzhu.Tx) error {
		for range qunzhu.BindCodeMaxFailures {
			if _, err := tx.FailBindCodes(0, qunzhu.BindCodeMaxFailures); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.FindBindCode("222222")
		checkError(t, err, qunzhu.ENOTFOUND, bindCodeGone)
		return nil
	})
}

// TestBindCodesOnPageAndUnbind: an undelivered code is listed for the login
// page until it is used; unbinding forgets the identity and the code.
func TestBindCodesOnPageAndUnbind(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "甲群")
	m := mustMember(t, s, g.ID, "张三", "", qunzhu.RoleAdmin)
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.BindMember(m.ID, qunzhu.Identity{SessionKey: "@a", NickName: "张三", AttrStatus: 9}); err != nil {
			return err
		}
		if err := tx.CreateBindCode(&qunzhu.BindCode{Code: "333333", MemberID: m.ID, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.ShowBindCodeOnPage(m.ID)
	})
	view(t, s, func(tx qunzhu.Tx) error {
		codes, err := tx.BindCodesOnPage()
		if err != nil || len(codes) != 1 || codes[0].Code != "333333" || !codes[0].OnPage {
			t.Errorf("BindCodesOnPage = %+v, %v; want the one code", codes, err)
		}
		return nil
	})
	update(t, s, func(tx qunzhu.Tx) error { return tx.UnbindMember(m.ID) })
	view(t, s, func(tx qunzhu.Tx) error {
		got, err := tx.MemberByID(m.ID)
		if err != nil {
			return err
		}
		if got.Bound || got.Identity != (qunzhu.Identity{}) {
			t.Errorf("after unbind: bound %v identity %+v, want unbound and empty", got.Bound, got.Identity)
		}
		if codes, _ := tx.BindCodesOnPage(); len(codes) != 0 {
			t.Errorf("after unbind the page still lists %+v", codes)
		}
		if _, err := tx.MemberBySession(g.ID, "@a"); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("MemberBySession after unbind: err %v, want ENOTFOUND", err)
		}
		return nil
	})
}

// TestBootstrapRecordedOnce and private messages survive the round trip.
func TestBootstrapRecordedAndPrivateMessages(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "甲群")
	other := mustGroup(t, s, "乙群")
	m := mustMember(t, s, g.ID, "张三", "", qunzhu.RoleOwner)
	update(t, s, func(tx qunzhu.Tx) error {
		if done, err := tx.Bootstrapped(g.ID); err != nil || done {
			t.Errorf("Bootstrapped before = %v, %v; want false", done, err)
		}
		for range 2 {
			if err := tx.MarkBootstrapped(g.ID); err != nil {
				return err
			}
		}
		if done, err := tx.Bootstrapped(g.ID); err != nil || !done {
			t.Errorf("Bootstrapped after = %v, %v; want true", done, err)
		}
		if done, _ := tx.Bootstrapped(other.ID); done {
			t.Errorf("another group counts as bootstrapped")
		}
		msg := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "私信", ToMember: m.ID}
		if _, err := tx.Enqueue(msg); err != nil {
			return err
		}
		if _, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindReply, Text: "回复", ToUser: "@x"}); err != nil {
			return err
		}
		_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: other.ID, Kind: qunzhu.KindReply, Text: "错群", ToMember: m.ID})
		if qunzhu.ErrorCode(err) != qunzhu.EINVALID {
			t.Errorf("a private message to a member of another group: err %v, want EINVALID", err)
		}
		return nil
	})
	due, err := s.Due(t.Context(), t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].ToMember != m.ID || due[1].ToUser != "@x" || !due[0].Private() || !due[1].Private() {
		t.Fatalf("due = %+v, want the two private messages", due)
	}
}
