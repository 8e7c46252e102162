package sqlite

import (
	"slices"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// mustMember registers a member and returns it with its ID.
func mustMember(tb testing.TB, s *Store, groupID int64, name, unit string, role qunzhu.Role) *qunzhu.Member {
	tb.Helper()
	m := &qunzhu.Member{GroupID: groupID, Name: name, Unit: unit, Role: role}
	update(tb, s, func(tx qunzhu.Tx) error { return tx.CreateMember(m) })
	return m
}

func getMember(tb testing.TB, s *Store, id int64) *qunzhu.Member {
	tb.Helper()
	var m *qunzhu.Member
	view(tb, s, func(tx qunzhu.Tx) (err error) {
		m, err = tx.MemberByID(id)
		return err
	})
	return m
}

func TestMember_CreateAndFind(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "副市长工作群")

	m := &qunzhu.Member{GroupID: g.ID, Name: "张三", Unit: "成都市"} // Role "" → member
	update(t, s, func(tx qunzhu.Tx) error { return tx.CreateMember(m) })
	if m.ID == 0 || m.Role != qunzhu.RoleMember || !m.CreatedAt.Equal(t0) {
		t.Fatalf("after CreateMember: ID %d, Role %q, CreatedAt %v", m.ID, m.Role, m.CreatedAt)
	}

	view(t, s, func(tx qunzhu.Tx) error {
		byID, err := tx.MemberByID(m.ID)
		if err != nil {
			return err
		}
		byName, err := tx.MemberByName(g.ID, "张三")
		if err != nil {
			return err
		}
		for _, got := range []*qunzhu.Member{byID, byName} {
			if *got != *m {
				t.Errorf("found %+v, want %+v", got, m)
			}
		}
		return nil
	})
}

func TestMember_Errors(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	other := mustGroup(t, s, "市城管委工作群")
	mustMember(t, s, g.ID, "张三", "市城管委", qunzhu.RoleAdmin)
	lisi := mustMember(t, s, g.ID, "李四", "市水务局", qunzhu.RoleMember)

	tests := []struct {
		name    string
		fn      func(tx qunzhu.Tx) error
		code    string
		message string
	}{
		{"same name in group", func(tx qunzhu.Tx) error {
			return tx.CreateMember(&qunzhu.Member{GroupID: g.ID, Name: "张三", Role: qunzhu.RoleMember})
		}, qunzhu.ECONFLICT, "本群已登记成员「张三」。"},
		{"rename onto taken name", func(tx qunzhu.Tx) error {
			m := *lisi
			m.Name = "张三"
			return tx.UpdateMember(&m)
		}, qunzhu.ECONFLICT, "本群已登记成员「张三」。"},
		{"unknown group", func(tx qunzhu.Tx) error {
			return tx.CreateMember(&qunzhu.Member{GroupID: 999, Name: "王五"})
		}, qunzhu.ENOTFOUND, "找不到编号为 999 的群。"},
		{"empty name", func(tx qunzhu.Tx) error {
			return tx.CreateMember(&qunzhu.Member{GroupID: g.ID})
		}, qunzhu.EINVALID, "成员姓名不能为空。"},
		{"unknown role", func(tx qunzhu.Tx) error {
			return tx.CreateMember(&qunzhu.Member{GroupID: g.ID, Name: "王五", Role: "boss"})
		}, qunzhu.EINVALID, "不认识的角色「boss」，可用：群主、管理员、成员。"},
		{"unknown name", func(tx qunzhu.Tx) error {
			_, err := tx.MemberByName(g.ID, "王五")
			return err
		}, qunzhu.ENOTFOUND, "找不到成员「王五」。"},
		{"name from another group", func(tx qunzhu.Tx) error {
			_, err := tx.MemberByName(other.ID, "张三")
			return err
		}, qunzhu.ENOTFOUND, "找不到成员「张三」。"},
		{"update unknown", func(tx qunzhu.Tx) error {
			return tx.UpdateMember(&qunzhu.Member{ID: 999, Name: "王五", Role: qunzhu.RoleMember})
		}, qunzhu.ENOTFOUND, "找不到编号为 999 的成员。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, s.Update(t.Context(), tt.fn), tt.code, tt.message)
		})
	}

	// The same name in another group is another person.
	mustMember(t, s, other.ID, "张三", "市城管委", qunzhu.RoleMember)
}

func TestMember_Update(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部群")
	m := mustMember(t, s, g.ID, "张三", "市城管委", qunzhu.RoleMember)

	clock.Advance(time.Hour)
	m.Name, m.Unit, m.Role = "张三丰", "市水务局", qunzhu.RoleAdmin
	update(t, s, func(tx qunzhu.Tx) error { return tx.UpdateMember(m) })

	got := getMember(t, s, m.ID)
	if got.Name != "张三丰" || got.Unit != "市水务局" || got.Role != qunzhu.RoleAdmin {
		t.Errorf("after update: %q %q %q, want 张三丰 市水务局 admin", got.Name, got.Unit, got.Role)
	}
	if want := t0.Add(time.Hour); !got.UpdatedAt.Equal(want) || !m.UpdatedAt.Equal(want) {
		t.Errorf("UpdatedAt = %v (stored), %v (returned); want %v", got.UpdatedAt, m.UpdatedAt, want)
	}
}

func TestMember_Members(t *testing.T) {
	s := openTest(t, nil)
	g := mustGroup(t, s, "区委干部群")
	other := mustGroup(t, s, "其他群")
	for _, n := range []string{"张三", "李四", "王五"} {
		mustMember(t, s, g.ID, n, "", qunzhu.RoleMember)
	}
	mustMember(t, s, other.ID, "赵六", "", qunzhu.RoleMember)

	view(t, s, func(tx qunzhu.Tx) error {
		ms, err := tx.Members(g.ID)
		if err != nil {
			return err
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Name)
		}
		if want := []string{"张三", "李四", "王五"}; !slices.Equal(got, want) {
			t.Errorf("Members = %v, want %v", got, want)
		}
		none, err := tx.Members(999)
		if err != nil || len(none) != 0 {
			t.Errorf("Members(unknown group) = %v, %v; want none, nil", none, err)
		}
		return nil
	})
}

func TestMember_Bind(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "区委干部群")
	m := mustMember(t, s, g.ID, "张三", "市城管委", qunzhu.RoleMember)

	clock.Advance(time.Minute)
	id := qunzhu.Identity{SessionKey: "@abc", NickName: "老张", DisplayName: "张三", AttrStatus: 4096}
	update(t, s, func(tx qunzhu.Tx) error { return tx.BindMember(m.ID, id) })

	got := getMember(t, s, m.ID)
	want := t0.Add(time.Minute)
	if !got.Bound || got.Identity != id || !got.BoundAt.Equal(want) || !got.UpdatedAt.Equal(want) {
		t.Errorf("after BindMember: Bound %v, Identity %+v, BoundAt %v, UpdatedAt %v; want true, %+v, %v, %v",
			got.Bound, got.Identity, got.BoundAt, got.UpdatedAt, id, want, want)
	}

	// Another registration cannot take the same WeChat identity.
	lisi := mustMember(t, s, g.ID, "李四", "", qunzhu.RoleMember)
	err := s.Update(t.Context(), func(tx qunzhu.Tx) error { return tx.BindMember(lisi.ID, id) })
	checkError(t, err, qunzhu.ECONFLICT, "这个微信身份已经绑定了成员「张三」。")

	err = s.Update(t.Context(), func(tx qunzhu.Tx) error { return tx.BindMember(999, id) })
	checkError(t, err, qunzhu.ENOTFOUND, "找不到编号为 999 的成员。")
	err = s.Update(t.Context(), func(tx qunzhu.Tx) error { return tx.BindMember(lisi.ID, qunzhu.Identity{}) })
	checkError(t, err, qunzhu.EINVALID, "")
}

func TestMember_SessionKeys(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "区委干部群")
	other := mustGroup(t, s, "其他群")
	zhang := mustMember(t, s, g.ID, "张三", "", qunzhu.RoleOwner)
	li := mustMember(t, s, g.ID, "李四", "", qunzhu.RoleMember)
	wang := mustMember(t, s, g.ID, "王五", "", qunzhu.RoleMember) // never binds
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.BindMember(zhang.ID, qunzhu.Identity{SessionKey: "@z1", NickName: "老张"}); err != nil {
			return err
		}
		return tx.BindMember(li.ID, qunzhu.Identity{SessionKey: "@l1", NickName: "小李"})
	})

	// A new login: 张三 has a new key and renamed himself in the group; 李四 was
	// not found in this session.
	renamed := qunzhu.Identity{SessionKey: "@z2", NickName: "老张", DisplayName: "张三（城管）", AttrStatus: 7}
	update(t, s, func(tx qunzhu.Tx) error {
		return tx.SetSessionKeys(g.ID, map[int64]qunzhu.Identity{zhang.ID: renamed})
	})

	tests := []struct {
		name    string
		groupID int64
		key     string
		want    int64 // 0: ENOTFOUND
	}{
		{"new key", g.ID, "@z2", zhang.ID},
		{"old key of the same member", g.ID, "@z1", 0},
		{"unmapped member's old key", g.ID, "@l1", 0},
		{"empty key never matches unmapped members", g.ID, "", 0},
		{"key from another group", other.ID, "@z2", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx qunzhu.Tx) error {
				m, err := tx.MemberBySession(tt.groupID, tt.key)
				if tt.want == 0 {
					checkError(t, err, qunzhu.ENOTFOUND, "找不到成员：这个微信身份还没有在本群认证。")
					return nil
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.ID != tt.want {
					t.Errorf("MemberBySession(%q) = member %d, want %d", tt.key, m.ID, tt.want)
				}
				return nil
			})
		})
	}

	if got := getMember(t, s, zhang.ID); got.Identity != renamed || !got.Bound {
		t.Errorf("张三 after re-mapping: %+v bound %v, want %+v bound", got.Identity, got.Bound, renamed)
	}
	if got := getMember(t, s, li.ID); got.Identity.SessionKey != "" || !got.Bound || got.Identity.NickName != "小李" {
		t.Errorf("李四 after re-mapping: %+v bound %v, want unmapped, still bound, names kept", got.Identity, got.Bound)
	}

	// Keys only go to bound members of this group; the whole re-mapping fails
	// otherwise and nothing changes.
	for name, keys := range map[string]map[int64]qunzhu.Identity{
		"unbound member":       {zhang.ID: {SessionKey: "@z3"}, wang.ID: {SessionKey: "@w3"}},
		"unknown member":       {999: {SessionKey: "@x"}},
		"two members, one key": {zhang.ID: {SessionKey: "@same"}, li.ID: {SessionKey: "@same"}},
	} {
		if err := s.Update(t.Context(), func(tx qunzhu.Tx) error { return tx.SetSessionKeys(g.ID, keys) }); err == nil {
			t.Errorf("%s: SetSessionKeys succeeded, want an error", name)
		}
	}
	if got := getMember(t, s, zhang.ID); got.Identity.SessionKey != "@z2" {
		t.Errorf("after failed re-mappings 张三's key = %q, want @z2", got.Identity.SessionKey)
	}
	err := s.Update(t.Context(), func(tx qunzhu.Tx) error { return tx.SetSessionKeys(999, nil) })
	checkError(t, err, qunzhu.ENOTFOUND, "找不到编号为 999 的群。")
}
