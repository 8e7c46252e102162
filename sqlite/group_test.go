package sqlite

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestGroup_CreateAndFind(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)

	g := mustGroup(t, s, "成都市整改工作群")
	if g.ID == 0 {
		t.Fatal("CreateGroup left ID 0")
	}
	if !g.CreatedAt.Equal(t0) || !g.UpdatedAt.Equal(t0) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v", g.CreatedAt, g.UpdatedAt, t0)
	}

	view(t, s, func(tx qunzhu.Tx) error {
		for _, find := range []func() (*qunzhu.Group, error){
			func() (*qunzhu.Group, error) { return tx.GroupByID(g.ID) },
			func() (*qunzhu.Group, error) { return tx.GroupByName("成都市整改工作群") },
		} {
			got, err := find()
			if err != nil {
				t.Fatal(err)
			}
			if *got != *g {
				t.Errorf("found %+v, want %+v", got, g)
			}
			if got.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
			}
		}
		return nil
	})
}

func TestGroup_Errors(t *testing.T) {
	s := openTest(t, nil)
	mustGroup(t, s, "区委干部群")
	other := mustGroup(t, s, "市城管委工作群")

	tests := []struct {
		name    string
		fn      func(tx qunzhu.Tx) error
		code    string
		message string
	}{
		{"duplicate name", func(tx qunzhu.Tx) error { _, err := tx.CreateGroup("区委干部群"); return err },
			qunzhu.ECONFLICT, "群「区委干部群」已经登记过了。"},
		{"empty name", func(tx qunzhu.Tx) error { _, err := tx.CreateGroup(""); return err },
			qunzhu.EINVALID, "群名不能为空。"},
		{"unknown name", func(tx qunzhu.Tx) error { _, err := tx.GroupByName("不存在的群"); return err },
			qunzhu.ENOTFOUND, "找不到群「不存在的群」。"},
		{"unknown id", func(tx qunzhu.Tx) error { _, err := tx.GroupByID(999); return err },
			qunzhu.ENOTFOUND, "找不到编号为 999 的群。"},
		{"rename onto taken name", func(tx qunzhu.Tx) error { return tx.RenameGroup(other.ID, "区委干部群") },
			qunzhu.ECONFLICT, "群「区委干部群」已经登记过了。"},
		{"rename unknown", func(tx qunzhu.Tx) error { return tx.RenameGroup(999, "新名字") },
			qunzhu.ENOTFOUND, "找不到编号为 999 的群。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(t.Context(), tt.fn)
			checkError(t, err, tt.code, tt.message)
		})
	}
}

func TestGroup_EnsureAndRename(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)

	var first *qunzhu.Group
	for i, wantCreated := range []bool{true, false} {
		update(t, s, func(tx qunzhu.Tx) error {
			g, created, err := tx.EnsureGroup("端午节问候群")
			if err != nil {
				return err
			}
			if created != wantCreated {
				t.Errorf("call %d: created = %v, want %v", i, created, wantCreated)
			}
			if first == nil {
				first = g
			} else if g.ID != first.ID {
				t.Errorf("call %d: ID = %d, want %d", i, g.ID, first.ID)
			}
			return nil
		})
	}

	clock.Advance(time.Minute)
	update(t, s, func(tx qunzhu.Tx) error { return tx.RenameGroup(first.ID, "端午节问候群（新）") })
	view(t, s, func(tx qunzhu.Tx) error {
		g, err := tx.GroupByID(first.ID)
		if err != nil {
			return err
		}
		if got, want := g.Name, "端午节问候群（新）"; got != want {
			t.Errorf("Name = %q, want %q", got, want)
		}
		if got, want := g.UpdatedAt, t0.Add(time.Minute); !got.Equal(want) {
			t.Errorf("UpdatedAt = %v, want %v", got, want)
		}
		if !g.CreatedAt.Equal(t0) {
			t.Errorf("CreatedAt = %v, want %v", g.CreatedAt, t0)
		}
		return nil
	})
}

func TestGroup_ListInRegistrationOrder(t *testing.T) {
	s := openTest(t, nil)
	names := []string{"乙群", "甲群", "丙群"}
	for _, n := range names {
		mustGroup(t, s, n)
	}
	view(t, s, func(tx qunzhu.Tx) error {
		gs, err := tx.Groups()
		if err != nil {
			return err
		}
		var got []string
		for _, g := range gs {
			got = append(got, g.Name)
		}
		if len(got) != len(names) {
			t.Fatalf("Groups() = %v, want %v", got, names)
		}
		for i := range names {
			if got[i] != names[i] {
				t.Errorf("Groups() = %v, want %v", got, names)
				break
			}
		}
		return nil
	})
}
