package sqlite

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// boundOwner seeds a member bound with session key key.
func boundMember(tb testing.TB, s *Store, g *qunzhu.Group, name string, role qunzhu.Role, key string) *qunzhu.Member {
	tb.Helper()
	m := &qunzhu.Member{GroupID: g.ID, Name: name, Unit: "区委", Role: role, Bound: true,
		Identity: qunzhu.Identity{SessionKey: key, NickName: name, DisplayName: name}, BoundAt: t0}
	update(tb, s, func(tx qunzhu.Tx) error { return tx.CreateMember(m) })
	return m
}

func TestOwnedGroups_SameIdentityBoundAsOwner(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	cadres := mustGroup(t, s, "区委干部工作群")
	mayors := mustGroup(t, s, "副市长作业群")
	city := mustGroup(t, s, "城管工作群")
	street := mustGroup(t, s, "街道工作群")
	boundMember(t, s, cadres, "张书记", qunzhu.RoleOwner, "@zhang")
	boundMember(t, s, city, "张书记", qunzhu.RoleOwner, "@zhang")
	boundMember(t, s, mayors, "张书记", qunzhu.RoleAdmin, "@zhang")   // admin only: not his to broadcast to
	boundMember(t, s, street, "张书记", qunzhu.RoleOwner, "@someone") // same name, another person
	// Registered as owner but never bound: not proven.
	update(t, s, func(tx qunzhu.Tx) error {
		return tx.CreateMember(&qunzhu.Member{GroupID: mayors.ID, Name: "刘副部长", Role: qunzhu.RoleOwner})
	})

	tests := []struct {
		key  string
		want []string
	}{
		{"@zhang", []string{"区委干部工作群", "城管工作群"}},
		{"@someone", []string{"街道工作群"}},
		{"@nobody", nil},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		view(t, s, func(tx qunzhu.Tx) error {
			gs, err := tx.OwnedGroups(tt.key)
			for _, g := range gs {
				got = append(got, g.Name)
			}
			return err
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("OwnedGroups(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// newDraft stores a draft broadcast from author to targets.
func newDraft(t *testing.T, s *Store, author *qunzhu.Member, code string, targets ...int64) *qunzhu.Broadcast {
	t.Helper()
	b := &qunzhu.Broadcast{Code: code, ExpiresAt: t0.Add(10 * time.Minute), AuthorID: author.ID,
		AuthorName: author.Name, OriginGroupID: author.GroupID, Text: "端午节送粽子来喽，{群名}的同志们辛苦了", Targets: targets}
	update(t, s, func(tx qunzhu.Tx) error { return tx.CreateBroadcast(b) })
	return b
}

func getBroadcast(t *testing.T, s *Store, id int64) *qunzhu.Broadcast {
	t.Helper()
	var b *qunzhu.Broadcast
	view(t, s, func(tx qunzhu.Tx) (err error) {
		b, err = tx.BroadcastByID(id)
		return err
	})
	return b
}

func TestBroadcast_LifeCycle(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	a, b, c := mustGroup(t, s, "甲群"), mustGroup(t, s, "乙群"), mustGroup(t, s, "丙群")
	zhang := boundMember(t, s, a, "张书记", qunzhu.RoleOwner, "@zhang")

	d := newDraft(t, s, zhang, "123456", c.ID, a.ID, b.ID)
	got := getBroadcast(t, s, d.ID)
	if got.Status != qunzhu.BroadcastDraft || got.Code != "123456" || !got.ExpiresAt.Equal(t0.Add(10*time.Minute)) ||
		got.AuthorName != "张书记" || got.OriginGroupID != a.ID || !slices.Equal(got.Targets, []int64{c.ID, a.ID, b.ID}) {
		t.Fatalf("stored %+v", got)
	}

	// A live code is unique; a new draft must pick another.
	err := s.Update(t.Context(), func(tx qunzhu.Tx) error {
		return tx.CreateBroadcast(&qunzhu.Broadcast{Code: "123456", ExpiresAt: t0.Add(time.Hour),
			AuthorID: zhang.ID, OriginGroupID: a.ID, Text: "x", Targets: []int64{a.ID}})
	})
	if qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
		t.Fatalf("second live draft with the same code: %v, want conflict", err)
	}

	// Confirmed and scheduled: the code may be reused, and lookups by code
	// find the latest holder.
	got.Status, got.SendAt = qunzhu.BroadcastScheduled, t0.Add(time.Hour)
	update(t, s, func(tx qunzhu.Tx) error { return tx.UpdateBroadcast(got) })
	d2 := newDraft(t, s, zhang, "123456", a.ID)
	view(t, s, func(tx qunzhu.Tx) error {
		byCode, err := tx.BroadcastByCode("123456")
		if err != nil || byCode.ID != d2.ID {
			t.Errorf("BroadcastByCode = %v, %v; want #%d", byCode, err, d2.ID)
		}
		_, err = tx.BroadcastByCode("654321")
		if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("unknown code: %v", err)
		}
		return nil
	})

	// Due: only scheduled ones whose time has come.
	due := func(now time.Time) []int64 {
		var ids []int64
		view(t, s, func(tx qunzhu.Tx) error {
			bs, err := tx.DueBroadcasts(now, 10)
			for _, b := range bs {
				ids = append(ids, b.ID)
			}
			return err
		})
		return ids
	}
	if ids := due(t0.Add(59 * time.Minute)); len(ids) != 0 {
		t.Errorf("due before its time: %v", ids)
	}
	if ids := due(t0.Add(time.Hour)); !slices.Equal(ids, []int64{d.ID}) {
		t.Errorf("due at its time: %v, want [%d]", ids, d.ID)
	}

	got.Status, got.QueuedAt = qunzhu.BroadcastSending, t0.Add(time.Hour)
	update(t, s, func(tx qunzhu.Tx) error { return tx.UpdateBroadcast(got) })
	view(t, s, func(tx qunzhu.Tx) error {
		bs, err := tx.SendingBroadcasts(10)
		if err != nil || len(bs) != 1 || bs[0].ID != d.ID || !bs[0].QueuedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("SendingBroadcasts = %v, %v", bs, err)
		}
		list, err := tx.BroadcastsFrom(a.ID, 10)
		if err != nil || len(list) != 2 || list[0].ID != d2.ID || list[1].ID != d.ID {
			t.Errorf("BroadcastsFrom = %v, %v; want newest first", list, err)
		}
		return nil
	})
	if due(t0.Add(2*time.Hour)) != nil {
		t.Error("a sending broadcast is still due")
	}
}

func TestBroadcast_GreetingOccurrenceOncePerYear(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	a := mustGroup(t, s, "甲群")
	zhang := boundMember(t, s, a, "张书记", qunzhu.RoleOwner, "@zhang")
	g := &qunzhu.Greeting{Festival: "端午", Hour: 9, Text: "{节日}安康", AuthorID: zhang.ID, AuthorName: "张书记",
		OriginGroupID: a.ID, Targets: []int64{a.ID}, NextAt: t0, NextYear: 2026}
	update(t, s, func(tx qunzhu.Tx) error { return tx.CreateGreeting(g) })
	occ := func(year int) error {
		return s.Update(t.Context(), func(tx qunzhu.Tx) error {
			return tx.CreateBroadcast(&qunzhu.Broadcast{Status: qunzhu.BroadcastSending, AuthorID: zhang.ID,
				OriginGroupID: a.ID, Text: g.Text, Targets: g.Targets, GreetingID: g.ID, Year: year, Festival: "端午节"})
		})
	}
	if err := occ(2026); err != nil {
		t.Fatal(err)
	}
	if err := occ(2026); qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
		t.Errorf("second 2026 occurrence: %v, want conflict", err)
	}
	if err := occ(2027); err != nil {
		t.Errorf("2027 occurrence: %v", err)
	}
}

func TestBroadcastProgress_CountsOutboxRowsAndStops(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	ctx := context.Background()
	var groups []*qunzhu.Group
	for _, n := range []string{"甲群", "乙群", "丙群", "丁群", "戊群"} {
		groups = append(groups, mustGroup(t, s, n))
	}
	zhang := boundMember(t, s, groups[0], "张书记", qunzhu.RoleOwner, "@zhang")
	var ids []int64
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	b := newDraft(t, s, zhang, "111111", ids...)
	byID := map[int64]*qunzhu.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	msgs := b.OutMessages(byID, nil, t0)
	update(t, s, func(tx qunzhu.Tx) error {
		for _, m := range msgs {
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		// Someone else's row must not count.
		_, err := tx.Enqueue(&qunzhu.OutMessage{GroupID: groups[0].ID, Kind: qunzhu.KindReply, Text: "pong"})
		return err
	})
	if got, want := msgs[1].Text, "端午节送粽子来喽，乙群的同志们辛苦了"; got != want {
		t.Errorf("text for 乙群 = %q, want %q", got, want)
	}

	// 甲 sent, 乙 failed for good, 丙 retrying, 丁 and 戊 waiting.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.MarkSending(ctx, msgs[0].ID))
	must(s.MarkSent(ctx, msgs[0].ID))
	must(s.MarkFailed(ctx, msgs[1].ID, "qunzhu error: code=not_found message=找不到编号为 2 的群。"))
	must(s.MarkSending(ctx, msgs[2].ID))
	must(s.MarkRetry(ctx, msgs[2].ID, t0.Add(time.Minute), "group not available in this session", true))

	progress := func() qunzhu.BroadcastProgress {
		var p qunzhu.BroadcastProgress
		view(t, s, func(tx qunzhu.Tx) (err error) {
			p, err = tx.BroadcastProgress(b.ID)
			return err
		})
		return p
	}
	p := progress()
	if p.Total != 5 || p.Sent != 1 || p.Failed != 1 || p.Pending != 3 || p.Finished() {
		t.Errorf("progress = %+v", p)
	}
	var problems []string
	for _, pr := range p.Problems {
		problems = append(problems, pr.GroupName+":"+string(pr.Status))
	}
	if want := []string{"乙群:failed", "丙群:pending"}; !slices.Equal(problems, want) {
		t.Errorf("problems = %v, want %v", problems, want)
	}

	var stopped int
	update(t, s, func(tx qunzhu.Tx) (err error) {
		stopped, err = tx.StopBroadcast(b.ID)
		return err
	})
	if stopped != 3 {
		t.Errorf("stopped %d rows, want 3", stopped)
	}
	p = progress()
	if p.Sent != 1 || p.Failed != 4 || p.Pending != 0 || !p.Finished() {
		t.Errorf("progress after stop = %+v", p)
	}
	if err := s.MarkSending(ctx, msgs[3].ID); qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
		t.Errorf("the sender took a withdrawn row: %v", err)
	}
	if m := getOut(t, s, msgs[4].ID); m.LastError != qunzhu.BroadcastStopped {
		t.Errorf("withdrawn row's last error = %q", m.LastError)
	}
}

func TestGroupTags(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	a, b := mustGroup(t, s, "甲群"), mustGroup(t, s, "乙群")
	update(t, s, func(tx qunzhu.Tx) error {
		for _, x := range []struct {
			g   int64
			tag string
		}{{a.ID, "街道"}, {a.ID, "应急"}, {b.ID, "街道"}} {
			if added, err := tx.TagGroup(x.g, x.tag); err != nil || !added {
				t.Errorf("TagGroup(%d, %s) = %v, %v", x.g, x.tag, added, err)
			}
		}
		if added, err := tx.TagGroup(a.ID, "街道"); err != nil || added {
			t.Errorf("tagging twice = %v, %v; want not added", added, err)
		}
		if _, err := tx.TagGroup(999, "街道"); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("unknown group: %v", err)
		}
		return nil
	})
	view(t, s, func(tx qunzhu.Tx) error {
		if tags, _ := tx.GroupTags(a.ID); !slices.Equal(tags, []string{"应急", "街道"}) && !slices.Equal(tags, []string{"街道", "应急"}) {
			t.Errorf("GroupTags = %v", tags)
		}
		if ids, _ := tx.TaggedGroups("街道"); !slices.Equal(ids, []int64{a.ID, b.ID}) {
			t.Errorf("TaggedGroups(街道) = %v", ids)
		}
		return nil
	})
	update(t, s, func(tx qunzhu.Tx) error {
		if removed, err := tx.UntagGroup(a.ID, "街道"); err != nil || !removed {
			t.Errorf("UntagGroup = %v, %v", removed, err)
		}
		if removed, _ := tx.UntagGroup(a.ID, "街道"); removed {
			t.Error("untagged twice")
		}
		return nil
	})
	view(t, s, func(tx qunzhu.Tx) error {
		if ids, _ := tx.TaggedGroups("街道"); !slices.Equal(ids, []int64{b.ID}) {
			t.Errorf("TaggedGroups after untag = %v", ids)
		}
		return nil
	})
}

func TestGreetings(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	a, b := mustGroup(t, s, "甲群"), mustGroup(t, s, "乙群")
	zhang := boundMember(t, s, a, "张书记", qunzhu.RoleOwner, "@zhang")
	at := func(d string) time.Time {
		v, _ := time.Parse(time.DateOnly, d)
		return v.Add(time.Hour) // 09:00 in Beijing
	}
	mid := &qunzhu.Greeting{Festival: "中秋", Hour: 9, Text: "{节日}快乐", AuthorID: zhang.ID, AuthorName: "张书记",
		OriginGroupID: a.ID, Targets: []int64{b.ID, a.ID}, NextAt: at("2025-10-06"), NextYear: 2025}
	dragon := &qunzhu.Greeting{Festival: "端午", Hour: 9, Text: "{节日}安康", AuthorID: zhang.ID, AuthorName: "张书记",
		OriginGroupID: a.ID, Targets: []int64{a.ID}, NextAt: at("2025-05-31"), NextYear: 2025}
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.CreateGreeting(mid); err != nil {
			return err
		}
		return tx.CreateGreeting(dragon)
	})
	// One active greeting per author and festival.
	err := s.Update(t.Context(), func(tx qunzhu.Tx) error {
		return tx.CreateGreeting(&qunzhu.Greeting{Festival: "端午", Text: "又一条", AuthorID: zhang.ID,
			AuthorName: "张书记", OriginGroupID: a.ID, Targets: []int64{a.ID}, NextAt: t0, NextYear: 2025})
	})
	if qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
		t.Errorf("second 端午 greeting: %v, want conflict", err)
	}

	names := func(gs []*qunzhu.Greeting) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Festival)
		}
		return out
	}
	view(t, s, func(tx qunzhu.Tx) error {
		list, err := tx.GreetingsFrom(a.ID)
		if err != nil || !slices.Equal(names(list), []string{"端午", "中秋"}) {
			t.Errorf("GreetingsFrom = %v, %v; want soonest first", names(list), err)
		}
		got, err := tx.GreetingByID(mid.ID)
		if err != nil || !slices.Equal(got.Targets, []int64{b.ID, a.ID}) || !got.NextAt.Equal(mid.NextAt) || got.NextYear != 2025 {
			t.Errorf("GreetingByID = %+v, %v", got, err)
		}
		due, err := tx.DueGreetings(at("2025-05-31"), 10)
		if err != nil || !slices.Equal(names(due), []string{"端午"}) {
			t.Errorf("DueGreetings = %v, %v", names(due), err)
		}
		return nil
	})

	dragon.NextAt, dragon.NextYear, dragon.Targets = at("2026-06-19"), 2026, []int64{a.ID, b.ID}
	mid.Status = qunzhu.GreetingCancelled
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.UpdateGreeting(dragon); err != nil {
			return err
		}
		return tx.UpdateGreeting(mid)
	})
	view(t, s, func(tx qunzhu.Tx) error {
		if due, _ := tx.DueGreetings(at("2026-01-01"), 10); len(due) != 0 {
			t.Errorf("due after moving on = %v", names(due))
		}
		list, _ := tx.GreetingsFrom(a.ID)
		if !slices.Equal(names(list), []string{"端午"}) || !slices.Equal(list[0].Targets, []int64{a.ID, b.ID}) {
			t.Errorf("after update: %v", names(list))
		}
		return nil
	})
}

func TestBroadcastQueryPlans_UseIndexes(t *testing.T) {
	s := openTest(t, nil)
	tests := []struct {
		name, query string
		args        []any
		wantIndex   string
	}{
		{"DueBroadcasts", dueBroadcastsQuery, []any{0, 10}, "broadcasts_due"},
		{"SendingBroadcasts", sendingBroadcastsQuery, []any{10}, "broadcasts_sending"},
		{"BroadcastByCode", broadcastByCodeQuery, []any{"123456"}, "broadcasts_code"},
		{"DueGreetings", dueGreetingsQuery, []any{0, 10}, "greetings_due"},
		{"progress counts", progressCountQuery, []any{"broadcast:1"}, "outbox_ref"},
		{"progress problems", progressProblemsQuery, []any{"broadcast:1"}, "outbox_ref"},
		{"StopBroadcast", stopBroadcastQuery, []any{"x", 0, "broadcast:1"}, "outbox_ref"},
		{"OwnedGroups", ownedGroupsQuery, []any{"@zhang", "@zhang"}, "members_session_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, s, tt.query, tt.args...)
			if !strings.Contains(plan, tt.wantIndex) {
				t.Errorf("plan does not use %s:\n%s", tt.wantIndex, plan)
			}
			for _, line := range strings.Split(plan, "\n") {
				if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING") {
					t.Errorf("plan scans a whole table:\n%s", plan)
				}
			}
		})
	}
}
