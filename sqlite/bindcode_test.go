package sqlite

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

const bindCodeGone = "认证码无效或已过期，请向群主索取新的认证码。"

func TestBindCode_Expiry(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration // clock moves this much after the code is made
		ok      bool
	}{
		{"just made", 0, true},
		{"one millisecond before expiry", 10*time.Minute - time.Millisecond, true},
		{"at expiry", 10 * time.Minute, false},
		{"a day later", 24 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := qunzhu.NewFakeClock(t0)
			s := openTest(t, clock)
			g := mustGroup(t, s, "区委干部群")
			m := mustMember(t, s, g.ID, "张三", "", qunzhu.RoleMember)
			c := &qunzhu.BindCode{Code: "482913", MemberID: m.ID, ExpiresAt: t0.Add(10 * time.Minute)}
			update(t, s, func(tx qunzhu.Tx) error { return tx.CreateBindCode(c) })

			clock.Advance(tt.advance)
			var got *qunzhu.BindCode
			err := s.Update(t.Context(), func(tx qunzhu.Tx) (err error) {
				got, err = tx.TakeBindCode("482913")
				return err
			})
			if !tt.ok {
				checkError(t, err, qunzhu.ENOTFOUND, bindCodeGone)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Code != c.Code || got.MemberID != m.ID || !got.ExpiresAt.Equal(c.ExpiresAt) {
				t.Errorf("TakeBindCode = %+v, want %+v", got, c)
			}
			// A code works once.
			err = s.Update(t.Context(), func(tx qunzhu.Tx) error {
				_, err := tx.TakeBindCode("482913")
				return err
			})
			checkError(t, err, qunzhu.ENOTFOUND, bindCodeGone)
		})
	}
}

func TestBindCode_Errors(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "区委干部群")
	zhang := mustMember(t, s, g.ID, "张三", "", qunzhu.RoleMember)
	li := mustMember(t, s, g.ID, "李四", "", qunzhu.RoleMember)
	later := t0.Add(time.Hour)
	update(t, s, func(tx qunzhu.Tx) error {
		return tx.CreateBindCode(&qunzhu.BindCode{Code: "111111", MemberID: zhang.ID, ExpiresAt: later})
	})

	tests := []struct {
		name    string
		fn      func(tx qunzhu.Tx) error
		code    string
		message string
	}{
		{"unknown code", func(tx qunzhu.Tx) error { _, err := tx.TakeBindCode("000000"); return err },
			qunzhu.ENOTFOUND, bindCodeGone},
		{"live code of another member", func(tx qunzhu.Tx) error {
			return tx.CreateBindCode(&qunzhu.BindCode{Code: "111111", MemberID: li.ID, ExpiresAt: later})
		}, qunzhu.ECONFLICT, "认证码重复，请重新生成。"},
		{"unknown member", func(tx qunzhu.Tx) error {
			return tx.CreateBindCode(&qunzhu.BindCode{Code: "222222", MemberID: 999, ExpiresAt: later})
		}, qunzhu.ENOTFOUND, "找不到编号为 999 的成员。"},
		{"no expiry", func(tx qunzhu.Tx) error {
			return tx.CreateBindCode(&qunzhu.BindCode{Code: "222222", MemberID: li.ID})
		}, qunzhu.EINVALID, "认证码必须有有效期。"},
		{"empty code", func(tx qunzhu.Tx) error {
			return tx.CreateBindCode(&qunzhu.BindCode{MemberID: li.ID, ExpiresAt: later})
		}, qunzhu.EINVALID, "认证码不能为空。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, s.Update(t.Context(), tt.fn), tt.code, tt.message)
		})
	}
}

func TestBindCode_NewCodeReplacesOld(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部群")
	m := mustMember(t, s, g.ID, "张三", "", qunzhu.RoleMember)
	li := mustMember(t, s, g.ID, "李四", "", qunzhu.RoleMember)

	update(t, s, func(tx qunzhu.Tx) error {
		return tx.CreateBindCode(&qunzhu.BindCode{Code: "111111", MemberID: m.ID, ExpiresAt: t0.Add(time.Minute)})
	})
	update(t, s, func(tx qunzhu.Tx) error {
		return tx.CreateBindCode(&qunzhu.BindCode{Code: "222222", MemberID: m.ID, ExpiresAt: t0.Add(time.Hour)})
	})
	err := s.Update(t.Context(), func(tx qunzhu.Tx) error { _, err := tx.TakeBindCode("111111"); return err })
	checkError(t, err, qunzhu.ENOTFOUND, bindCodeGone)

	// Once 222222 has expired it no longer blocks another member from drawing it.
	clock.Advance(2 * time.Hour)
	update(t, s, func(tx qunzhu.Tx) error {
		return tx.CreateBindCode(&qunzhu.BindCode{Code: "222222", MemberID: li.ID, ExpiresAt: clock.Now().Add(time.Hour)})
	})
	update(t, s, func(tx qunzhu.Tx) error {
		c, err := tx.TakeBindCode("222222")
		if err != nil {
			return err
		}
		if c.MemberID != li.ID {
			t.Errorf("code 222222 belongs to member %d, want 李四 (%d)", c.MemberID, li.ID)
		}
		return nil
	})
}
