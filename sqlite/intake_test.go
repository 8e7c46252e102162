package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestReplay_RememberExpireAndPrune(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	key := "replay:hotline:abc"
	update(t, s, func(tx qunzhu.Tx) error {
		if _, seen, err := tx.Replayed(key); err != nil || seen {
			t.Fatalf("Replayed before remember = %v, %v; want unseen", seen, err)
		}
		return tx.RememberRequest(key, 42, t0.Add(5*time.Minute))
	})
	update(t, s, func(tx qunzhu.Tx) error {
		id, seen, err := tx.Replayed(key)
		if err != nil || !seen || id != 42 {
			t.Fatalf("Replayed = %d, %v, %v; want 42, true", id, seen, err)
		}
		// Remembering again inside the window keeps the first result.
		return tx.RememberRequest(key, 7, t0.Add(10*time.Minute))
	})
	update(t, s, func(tx qunzhu.Tx) error {
		if id, _, _ := tx.Replayed(key); id != 42 {
			t.Errorf("result after a second remember = %d, want 42", id)
		}
		return nil
	})

	clock.Advance(6 * time.Minute)
	update(t, s, func(tx qunzhu.Tx) error {
		if _, seen, _ := tx.Replayed(key); seen {
			t.Errorf("an expired key is still seen")
		}
		// An expired key is replaced, not refused.
		if err := tx.RememberRequest(key, 9, clock.Now().Add(5*time.Minute)); err != nil {
			t.Fatalf("RememberRequest over an expired key: %v", err)
		}
		if id, _, _ := tx.Replayed(key); id != 9 {
			t.Errorf("result after replacing = %d, want 9", id)
		}
		return tx.RememberRequest("replay:hotline:old", 1, t0.Add(time.Minute))
	})
	update(t, s, func(tx qunzhu.Tx) error {
		n, err := tx.PruneReplays(clock.Now(), 100)
		if err != nil || n != 1 {
			t.Errorf("PruneReplays = %d, %v; want 1 (only the expired one)", n, err)
		}
		return nil
	})
}

func TestMemberContacts(t *testing.T) {
	s := openTest(t, qunzhu.NewFakeClock(t0))
	g := mustGroup(t, s, "城管工作群")
	other := mustGroup(t, s, "区委干部群")
	var zhou, wu, stranger *qunzhu.Member
	update(t, s, func(tx qunzhu.Tx) error {
		zhou = &qunzhu.Member{GroupID: g.ID, Name: "周局长", Unit: "市城管委", Bound: true, Identity: qunzhu.Identity{SessionKey: "@z"}}
		wu = &qunzhu.Member{GroupID: g.ID, Name: "吴科长", Unit: "市城管委"} // registered, not bound
		stranger = &qunzhu.Member{GroupID: other.ID, Name: "周局长", Bound: true, Identity: qunzhu.Identity{SessionKey: "@z2"}}
		for _, m := range []*qunzhu.Member{zhou, wu, stranger} {
			if err := tx.CreateMember(m); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			m           *qunzhu.Member
			kind, value string
		}{
			{zhou, qunzhu.ContactMobile, "+86 138-0013-8000"},
			{zhou, qunzhu.ContactMobile, "13800138000"}, // the same, again
			{zhou, qunzhu.ContactWeCom, "zhouju"},
			{zhou, qunzhu.ContactDingTalk, "user123"},
			{wu, qunzhu.ContactMobile, "13912345678"},
			{stranger, qunzhu.ContactMobile, "13800138000"},
		} {
			if err := tx.AddMemberContact(c.m.ID, c.kind, c.value); err != nil {
				t.Fatalf("AddMemberContact(%s, %s, %s): %v", c.m.Name, c.kind, c.value, err)
			}
		}
		return nil
	})
	update(t, s, func(tx qunzhu.Tx) error {
		tests := []struct {
			kind, value string
			want        string // member names, comma-separated
		}{
			{qunzhu.ContactMobile, "13800138000", "周局长"},
			{qunzhu.ContactMobile, "8613800138000", "周局长"},
			{qunzhu.ContactMobile, "１３８００１３８０００", "周局长"},
			{qunzhu.ContactWeCom, "zhouju", "周局长"},
			{qunzhu.ContactDingTalk, "user123", "周局长"},
			{qunzhu.ContactWeCom, "user123", ""},      // another system's id
			{qunzhu.ContactMobile, "13912345678", ""}, // not bound: no mention
			{qunzhu.ContactMobile, "not a phone", ""},
		}
		for _, tt := range tests {
			ms, err := tx.MembersByContact(g.ID, tt.kind, tt.value)
			if err != nil {
				t.Fatalf("MembersByContact: %v", err)
			}
			var names []string
			for _, m := range ms {
				names = append(names, m.Name)
				if m.GroupID != g.ID {
					t.Errorf("member %d of group %d, want group %d", m.ID, m.GroupID, g.ID)
				}
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("MembersByContact(%s, %q) = %q, want %q", tt.kind, tt.value, got, tt.want)
			}
		}
		checkError(t, tx.AddMemberContact(zhou.ID, qunzhu.ContactMobile, "12345"), qunzhu.EINVALID, "")
		checkError(t, tx.AddMemberContact(zhou.ID, "qq", "10001"), qunzhu.EINVALID, "")
		checkError(t, tx.AddMemberContact(99999, qunzhu.ContactWeCom, "x"), qunzhu.ENOTFOUND, "")
		return nil
	})
}

func TestTickets_SaveAndEvents(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	deadline := t0.Add(-26 * time.Hour)
	tk := &qunzhu.Ticket{Source: "hotline", TicketID: "2025060100123", Unit: "市城管委", District: "黄浦区",
		Title: "夜间施工噪音扰民", Content: "市民王女士反映…", CitizenPhone: "13800138000",
		Deadline: deadline, Status: qunzhu.TicketOverdue}
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.SaveTicket(tk); err != nil {
			return err
		}
		ev := &qunzhu.TicketEventRecord{TicketRow: tk.ID, Event: qunzhu.TicketOverdue, Body: `{"event":"overdue"}`}
		if dup, err := tx.RecordTicketEvent(ev); err != nil || dup {
			t.Fatalf("first event: dup=%v err=%v", dup, err)
		}
		if dup, err := tx.RecordTicketEvent(ev); err != nil || !dup {
			t.Fatalf("same event again: dup=%v err=%v, want dup", dup, err)
		}
		upd := &qunzhu.TicketEventRecord{TicketRow: tk.ID, Event: qunzhu.TicketUpdated, Key: "1:aa"}
		if dup, err := tx.RecordTicketEvent(upd); err != nil || dup {
			t.Fatalf("an update: dup=%v err=%v", dup, err)
		}
		upd2 := &qunzhu.TicketEventRecord{TicketRow: tk.ID, Event: qunzhu.TicketUpdated, Key: "2:bb"}
		if dup, err := tx.RecordTicketEvent(upd2); err != nil || dup {
			t.Fatalf("another update: dup=%v err=%v", dup, err)
		}
		return nil
	})
	firstID := tk.ID
	clock.Advance(time.Hour)
	update(t, s, func(tx qunzhu.Tx) error {
		tk2 := &qunzhu.Ticket{Source: "hotline", TicketID: "2025060100123", Unit: "市城管委", Status: qunzhu.TicketClosed, TaskID: 7}
		if err := tx.SaveTicket(tk2); err != nil {
			return err
		}
		if tk2.ID != firstID || !tk2.CreatedAt.Equal(tk.CreatedAt) {
			t.Errorf("saved again: id %d created %v, want id %d created %v", tk2.ID, tk2.CreatedAt, firstID, tk.CreatedAt)
		}
		got, err := tx.TicketByNumber("hotline", "2025060100123")
		if err != nil {
			return err
		}
		if got.Status != qunzhu.TicketClosed || got.TaskID != 7 || !got.UpdatedAt.Equal(clock.Now().Truncate(time.Millisecond)) {
			t.Errorf("ticket = %+v", got)
		}
		_, err = tx.TicketByNumber("other-source", "2025060100123")
		checkError(t, err, qunzhu.ENOTFOUND, "")
		return nil
	})
}

func TestDigests(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	s := openTest(t, clock)
	g := mustGroup(t, s, "城管工作群")
	var tickets []*qunzhu.Ticket
	update(t, s, func(tx qunzhu.Tx) error {
		for _, id := range []string{"A1", "A2", "A3"} {
			tk := &qunzhu.Ticket{Source: "hotline", TicketID: id, Unit: "市城管委", Status: qunzhu.TicketOverdue}
			if err := tx.SaveTicket(tk); err != nil {
				return err
			}
			tickets = append(tickets, tk)
		}
		return nil
	})
	due := t0.Add(30 * time.Second)
	d := &qunzhu.Digest{Source: "hotline", GroupID: g.ID, Unit: "市城管委", DueAt: due}
	update(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.OpenDigest(g.ID, "市城管委", clock.Now())
		checkError(t, err, qunzhu.ENOTFOUND, "")
		if err := tx.CreateDigest(d, &qunzhu.OutMessage{Kind: qunzhu.KindAlert, Text: "1 件"}); err != nil {
			return err
		}
		return tx.AddDigestTicket(d, tickets[0].ID)
	})
	first := getOut(t, s, d.OutboxID)
	if !first.NotBefore.Equal(due) || first.Ref != digestRef(d.ID) {
		t.Errorf("digest message not_before %v ref %q, want %v %q", first.NotBefore, first.Ref, due, digestRef(d.ID))
	}

	clock.Advance(10 * time.Second)
	update(t, s, func(tx qunzhu.Tx) error {
		open, err := tx.OpenDigest(g.ID, "市城管委", clock.Now())
		if err != nil {
			return err
		}
		if open.ID != d.ID || open.Tickets != 1 {
			t.Fatalf("open digest = %+v, want id %d with 1 ticket", open, d.ID)
		}
		if err := tx.AddDigestTicket(open, tickets[1].ID); err != nil {
			return err
		}
		if err := tx.AddDigestTicket(open, tickets[1].ID); err != nil { // twice counts once
			return err
		}
		ok, err := tx.ReviseDigest(open, &qunzhu.OutMessage{Kind: qunzhu.KindAlert, Text: "2 件"})
		if err != nil || !ok {
			t.Fatalf("ReviseDigest = %v, %v", ok, err)
		}
		*d = *open
		return nil
	})
	if d.Tickets != 2 {
		t.Errorf("tickets = %d, want 2", d.Tickets)
	}
	if _, err := s.OutMessage(context.Background(), first.ID); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		t.Errorf("the replaced message still exists: %v", err)
	}
	if got := getOut(t, s, d.OutboxID); got.Text != "2 件" || !got.NotBefore.Equal(due) {
		t.Errorf("revised message = %q due %v, want %q due %v", got.Text, got.NotBefore, "2 件", due)
	}
	update(t, s, func(tx qunzhu.Tx) error {
		ds, err := tx.DigestsOfTicket(tickets[1].ID, clock.Now())
		if err != nil || len(ds) != 1 || ds[0].ID != d.ID {
			t.Errorf("DigestsOfTicket = %v, %v; want the digest", ds, err)
		}
		got, err := tx.DigestTickets(d.ID, 10)
		if err != nil || len(got) != 2 || got[0].TicketID != "A1" || got[1].TicketID != "A2" {
			t.Errorf("DigestTickets = %v, %v; want A1, A2", got, err)
		}
		return nil
	})

	// Once the sender has taken the message, the digest is closed: revising
	// changes nothing, and the next ticket starts a new digest.
	if err := s.MarkSending(context.Background(), d.OutboxID); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.OpenDigest(g.ID, "市城管委", clock.Now())
		checkError(t, err, qunzhu.ENOTFOUND, "")
		ok, err := tx.ReviseDigest(d, &qunzhu.OutMessage{Kind: qunzhu.KindAlert, Text: "3 件"})
		if err != nil || ok {
			t.Errorf("ReviseDigest of a taken message = %v, %v; want false", ok, err)
		}
		return nil
	})

	// Withdrawing: every ticket of a pending digest was closed.
	d2 := &qunzhu.Digest{Source: "hotline", GroupID: g.ID, Unit: "市城管委", DueAt: clock.Now().Add(30 * time.Second)}
	update(t, s, func(tx qunzhu.Tx) error {
		if err := tx.CreateDigest(d2, &qunzhu.OutMessage{Kind: qunzhu.KindAlert, Text: "1 件"}); err != nil {
			return err
		}
		if err := tx.AddDigestTicket(d2, tickets[2].ID); err != nil {
			return err
		}
		if err := tx.RemoveDigestTicket(d2, tickets[2].ID); err != nil {
			return err
		}
		if d2.Tickets != 0 {
			t.Errorf("tickets after remove = %d, want 0", d2.Tickets)
		}
		ok, err := tx.ReviseDigest(d2, nil)
		if err != nil || !ok {
			t.Errorf("withdraw = %v, %v", ok, err)
		}
		_, err = tx.OpenDigest(g.ID, "市城管委", clock.Now())
		checkError(t, err, qunzhu.ENOTFOUND, "")
		return nil
	})
}

// The sweeps and lookups of the intake read through their indexes, so a long
// history of tickets and replay keys does not slow them down.
func TestIntakeQueryPlans(t *testing.T) {
	s := openTest(t, nil)
	tests := []struct {
		name, query, wantIndex string
		args                   []any
	}{
		{"PruneReplays", pruneReplaysQuery, "webhook_replays_expiry", []any{0, 100}},
		{"OpenDigest", openDigestQuery, "hotline_digests_open", []any{1, "市城管委", 0}},
		{"MembersByContact", `SELECT ` + prefixed("m.", memberColumns) + ` FROM member_contacts c
			JOIN members m ON m.id = c.member_id
			WHERE c.kind = ? AND c.value = ? AND m.group_id = ? AND m.bound = 1`, "member_contacts_value", []any{"mobile", "13800138000", 1}},
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

// A digest's message is an outbox row from the moment its first ticket is
// accepted: a crash (here: closing and reopening the file) before the window
// ends loses nothing, and the message goes out when it is due.
func TestDigestSurvivesRestart(t *testing.T) {
	clock := qunzhu.NewFakeClock(t0)
	path := filepath.Join(t.TempDir(), "qunzhu.db")
	s, err := Open(context.Background(), path, clock)
	if err != nil {
		t.Fatal(err)
	}
	g := mustGroup(t, s, "城管工作群")
	d := &qunzhu.Digest{Source: "hotline", GroupID: g.ID, Unit: "市城管委", DueAt: t0.Add(30 * time.Second)}
	update(t, s, func(tx qunzhu.Tx) error {
		tk := &qunzhu.Ticket{Source: "hotline", TicketID: "X-1", Unit: "市城管委", Status: qunzhu.TicketOverdue}
		if err := tx.SaveTicket(tk); err != nil {
			return err
		}
		if err := tx.CreateDigest(d, &qunzhu.OutMessage{Kind: qunzhu.KindAlert, Text: "超期工单 X-1"}); err != nil {
			return err
		}
		return tx.AddDigestTicket(d, tk.ID)
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(context.Background(), path, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if due, _ := s.Due(context.Background(), t0.Add(29*time.Second), 10); len(due) != 0 {
		t.Errorf("due before the window ends: %d messages", len(due))
	}
	due, err := s.Due(context.Background(), t0.Add(30*time.Second), 10)
	if err != nil || len(due) != 1 || due[0].Text != "超期工单 X-1" || due[0].ID != d.OutboxID {
		t.Fatalf("due after restart = %+v, %v; want the digest's message", due, err)
	}
}
