package sqlite

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

func TestGroup_PlatformGroups(t *testing.T) {
	s := openTest(t, nil)
	wx := mustGroup(t, s, "城管工作群")
	var dt, dt2, wc *qunzhu.Group
	update(t, s, func(tx qunzhu.Tx) error {
		var err error
		if dt, err = tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cidA==", "城管工作群"); err != nil {
			return err
		}
		// Two DingTalk groups may share a name: the conversation id tells them apart.
		if dt2, err = tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cidB==", "城管工作群"); err != nil {
			return err
		}
		wc, err = tx.CreatePlatformGroup(qunzhu.PlatformWeCom, "wrkSFfCgAA", "应急值班群")
		return err
	})
	if dt.Platform != qunzhu.PlatformDingTalk || dt.ChatID != "cidA==" || wx.Platform != qunzhu.PlatformWeChat {
		t.Fatalf("created %+v and %+v", dt, wx)
	}

	view(t, s, func(tx qunzhu.Tx) error {
		g, err := tx.GroupByChatID(qunzhu.PlatformDingTalk, "cidB==")
		if err != nil || g.ID != dt2.ID {
			t.Errorf("GroupByChatID = %+v, %v; want #%d", g, err, dt2.ID)
		}
		if _, err := tx.GroupByChatID(qunzhu.PlatformWeCom, "cidB=="); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("a DingTalk id found on WeCom: %v", err)
		}
		// The name alone is ambiguous and the error names the forms to use.
		_, err = tx.GroupByName("城管工作群")
		checkError(t, err, qunzhu.ECONFLICT, "有多个群叫「城管工作群」，请写明是哪一个：微信:城管工作群、钉钉:城管工作群（编号 2）、钉钉:城管工作群（编号 3）。")
		if g, err := tx.GroupByPlatformName(qunzhu.PlatformWeChat, "城管工作群"); err != nil || g.ID != wx.ID {
			t.Errorf("GroupByPlatformName(wechat) = %+v, %v", g, err)
		}
		_, err = tx.GroupByPlatformName(qunzhu.PlatformDingTalk, "城管工作群")
		if qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
			t.Errorf("two DingTalk groups by name: %v, want ECONFLICT", err)
		}
		if g, err := tx.GroupByName("应急值班群"); err != nil || g.ID != wc.ID || g.Platform != qunzhu.PlatformWeCom {
			t.Errorf("unique name = %+v, %v", g, err)
		}
		return nil
	})

	// Ensure finds by id and records a new name; the WeChat name stays unique.
	update(t, s, func(tx qunzhu.Tx) error {
		g, created, err := tx.EnsurePlatformGroup(qunzhu.PlatformWeCom, "wrkSFfCgAA", "应急值班二群")
		if err != nil || created || g.ID != wc.ID || g.Name != "应急值班二群" {
			t.Errorf("Ensure existing = %+v, %v, %v", g, created, err)
		}
		if _, err := tx.CreateGroup("城管工作群"); qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
			t.Errorf("second WeChat group with the name: %v, want ECONFLICT", err)
		}
		return nil
	})
}

func TestGroup_PlatformErrors(t *testing.T) {
	s := openTest(t, nil)
	update(t, s, func(tx qunzhu.Tx) error {
		_, err := tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "", "没有编号的群")
		checkError(t, err, qunzhu.EINVALID, "钉钉群「没有编号的群」缺少群编号（chat_id）。")
		_, err = tx.CreatePlatformGroup(qunzhu.PlatformWeChat, "x", "微信群")
		checkError(t, err, qunzhu.EINVALID, "微信群没有稳定的群编号，只按群名登记。")
		_, err = tx.CreatePlatformGroup("feishu", "x", "飞书群")
		checkError(t, err, qunzhu.EINVALID, "不认识的平台「feishu」，可用：wechat、dingtalk、wecom。")
		if _, err := tx.CreatePlatformGroup(qunzhu.PlatformWeCom, "c1", "群一"); err != nil {
			return err
		}
		_, err = tx.CreatePlatformGroup(qunzhu.PlatformWeCom, "c1", "群二")
		checkError(t, err, qunzhu.ECONFLICT, "企业微信群 c1 已经登记过了。")
		return nil
	})
}

func TestMember_ByUserID(t *testing.T) {
	s := openTest(t, nil)
	var g *qunzhu.Group
	update(t, s, func(tx qunzhu.Tx) error {
		var err error
		g, err = tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cid1", "区委干部群")
		if err != nil {
			return err
		}
		m := &qunzhu.Member{GroupID: g.ID, Name: "李局长", Unit: "市城管委",
			Bound: true, Identity: qunzhu.Identity{SessionKey: "staff001", UserID: "staff001"}}
		if err := tx.CreateMember(m); err != nil {
			return err
		}
		dup := &qunzhu.Member{GroupID: g.ID, Name: "李局长二号", Identity: qunzhu.Identity{UserID: "staff001"}}
		checkError(t, tx.CreateMember(dup), qunzhu.ECONFLICT, "这个账号已经登记为成员「李局长」。")
		return nil
	})
	view(t, s, func(tx qunzhu.Tx) error {
		m, err := tx.MemberByUserID(g.ID, "staff001")
		if err != nil || m.Name != "李局长" || m.Identity.UserID != "staff001" {
			t.Errorf("MemberByUserID = %+v, %v", m, err)
		}
		if m, err := tx.MemberBySession(g.ID, "staff001"); err != nil || m.Name != "李局长" {
			t.Errorf("MemberBySession with the user id = %+v, %v", m, err)
		}
		if _, err := tx.MemberByUserID(g.ID, ""); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("empty user id matched: %v", err)
		}
		return nil
	})
}

func TestOutbox_MentionsRoundTrip(t *testing.T) {
	s := openTest(t, nil)
	var g *qunzhu.Group
	update(t, s, func(tx qunzhu.Tx) error {
		var err error
		g, err = tx.CreatePlatformGroup(qunzhu.PlatformWeCom, "wrk1", "值班群")
		return err
	})
	m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert,
		Text: qunzhu.Mention("李局长") + "请处理", At: []qunzhu.At{{Name: "李局长", UserID: "lijuzhang"}, {Name: "王主任"}}}
	enqueue(t, s, m)
	got := getOut(t, s, m.ID)
	if len(got.At) != 2 || got.At[0] != (qunzhu.At{Name: "李局长", UserID: "lijuzhang"}) || got.At[1].Name != "王主任" {
		t.Errorf("At = %+v", got.At)
	}
	if got.Platform != qunzhu.PlatformWeCom {
		t.Errorf("Platform = %q, want wecom", got.Platform)
	}
	due, err := s.Due(context.Background(), got.NotBefore, 10)
	if err != nil || len(due) != 1 || due[0].Platform != qunzhu.PlatformWeCom {
		t.Errorf("Due = %+v, %v; want the message with its platform", due, err)
	}
}

// TestMigrate_PlatformsUpgradeKeepsData builds a database as release 0007 left
// it, with rows that reference groups, and upgrades it: the groups table is
// rebuilt under foreign keys off, every reference still holds, and foreign
// keys are back on afterwards.
func TestMigrate_PlatformsUpgradeKeepsData(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t, "0007_delivery.sql",
		`INSERT INTO "groups" (name, created_at, updated_at) VALUES ('区委干部群', 1, 1), ('作业群', 2, 2)`,
		`INSERT INTO members (group_id, name, role, created_at, updated_at) VALUES (2, '张书记', 'owner', 1, 1)`,
		`INSERT INTO outbox (status, priority, not_before, group_id, kind, created_at, updated_at, text)
			VALUES ('pending', 10, 1, 2, 'reply', 1, 1, 'pong')`,
	)

	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	view(t, s, func(tx qunzhu.Tx) error {
		g, err := tx.GroupByName("作业群")
		if err != nil || g.ID != 2 || g.Platform != qunzhu.PlatformWeChat {
			t.Errorf("upgraded group = %+v, %v", g, err)
		}
		if m, err := tx.MemberByName(2, "张书记"); err != nil || m.GroupID != 2 {
			t.Errorf("member after upgrade = %+v, %v", m, err)
		}
		return nil
	})
	if got := getOut(t, s, 1); got.GroupID != 2 || got.Platform != qunzhu.PlatformWeChat {
		t.Errorf("outbox row after upgrade = %+v", got)
	}
	// Foreign keys hold again: a member of a group that does not exist is refused.
	err = s.Update(ctx, func(qtx qunzhu.Tx) error {
		_, err := qtx.(*tx).exec(`INSERT INTO members (group_id, name, role, created_at, updated_at)
			VALUES (99, '无群之人', 'member', 1, 1)`)
		return err
	})
	if err == nil {
		t.Error("foreign keys are off after the upgrade")
	}
	// New ids continue after the old ones.
	update(t, s, func(tx qunzhu.Tx) error {
		g, err := tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cid", "新群")
		if err == nil && g.ID != 3 {
			t.Errorf("new group id = %d, want 3", g.ID)
		}
		return err
	})
}

func TestFindGroup(t *testing.T) {
	s := openTest(t, nil)
	wx := mustGroup(t, s, "城管工作群")
	digits := mustGroup(t, s, "2024")
	var dt *qunzhu.Group
	update(t, s, func(tx qunzhu.Tx) error {
		var err error
		dt, err = tx.CreatePlatformGroup(qunzhu.PlatformDingTalk, "cid", "城管工作群")
		return err
	})
	view(t, s, func(tx qunzhu.Tx) error {
		for ref, want := range map[string]int64{
			"钉钉:城管工作群":       dt.ID,
			"dingtalk:城管工作群": dt.ID,
			"微信:城管工作群":       wx.ID,
			"1":              wx.ID,
			"2024":           digits.ID,
		} {
			if g, err := qunzhu.FindGroup(tx, ref); err != nil || g.ID != want {
				t.Errorf("FindGroup(%q) = %+v, %v; want #%d", ref, g, err, want)
			}
		}
		if _, err := qunzhu.FindGroup(tx, "城管工作群"); qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
			t.Errorf("ambiguous name: %v, want ECONFLICT", err)
		}
		if _, err := qunzhu.FindGroup(tx, "企业微信:城管工作群"); qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
			t.Errorf("no WeCom group: %v, want ENOTFOUND", err)
		}
		return nil
	})
}

// Each lane reads its own platform's queue; Due, DueAlerts and NextDue
// merge the lanes in the outbox's order (priority, then id) and keep the
// first n.
func TestOutbox_DueByPlatform(t *testing.T) {
	ctx := context.Background()
	clock := qunzhu.NewFakeClock(time.Date(2025, 5, 30, 9, 0, 0, 0, time.UTC))
	s := openTest(t, clock)
	wx := mustGroup(t, s, "区委干部群")
	dt := mustPlatformGroup(t, s, qunzhu.PlatformDingTalk, "cid1", "城管钉钉群")
	wc := mustPlatformGroup(t, s, qunzhu.PlatformWeCom, "wrk1", "值班群")
	now := clock.Now()
	add := func(g *qunzhu.Group, kind qunzhu.MessageKind, prio qunzhu.Priority, notBefore time.Time) int64 {
		m := &qunzhu.OutMessage{GroupID: g.ID, Kind: kind, Priority: prio, NotBefore: notBefore, Text: "消息"}
		enqueue(t, s, m)
		return m.ID
	}
	w1 := add(wx, qunzhu.KindReminder, 30, now)
	d1 := add(dt, qunzhu.KindAlert, 5, now)
	w2 := add(wx, qunzhu.KindAlert, 5, now)
	c1 := add(wc, qunzhu.KindReminder, 20, now)
	add(dt, qunzhu.KindReminder, 1, now.Add(time.Hour)) // not due yet
	d2 := add(dt, qunzhu.KindReminder, 30, now)

	ids := func(ms []*qunzhu.OutMessage) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	due, err := s.Due(ctx, now, 10)
	if want := []int64{d1, w2, c1, w1, d2}; err != nil || !slices.Equal(ids(due), want) {
		t.Errorf("Due = %v, %v; want %v", ids(due), err, want)
	}
	if due, err := s.Due(ctx, now, 3); err != nil || !slices.Equal(ids(due), []int64{d1, w2, c1}) {
		t.Errorf("Due(3) = %v, %v", ids(due), err)
	}
	if due, err := s.DueOn(ctx, qunzhu.PlatformDingTalk, now, 10); err != nil || !slices.Equal(ids(due), []int64{d1, d2}) {
		t.Errorf("DueOn(dingtalk) = %v, %v", ids(due), err)
	}
	for _, m := range due {
		if want := map[int64]qunzhu.Platform{d1: qunzhu.PlatformDingTalk, w2: qunzhu.PlatformWeChat,
			c1: qunzhu.PlatformWeCom, w1: qunzhu.PlatformWeChat, d2: qunzhu.PlatformDingTalk}[m.ID]; m.Platform != want {
			t.Errorf("message %d: platform %q, want %q", m.ID, m.Platform, want)
		}
	}
	if alerts, err := s.DueAlerts(ctx, now, 10); err != nil || !slices.Equal(ids(alerts), []int64{d1, w2}) {
		t.Errorf("DueAlerts = %v, %v", ids(alerts), err)
	}
	if next, ok, err := s.NextDue(ctx); err != nil || !ok || !next.Equal(now) {
		t.Errorf("NextDue = %v, %v, %v; want %v", next, ok, err, now)
	}
	if next, ok, err := s.NextDueOn(ctx, qunzhu.PlatformWeCom); err != nil || !ok || !next.Equal(now) {
		t.Errorf("NextDueOn(wecom) = %v, %v, %v", next, ok, err)
	}
}

// TestMigrate_OutboxPlatformBackfill upgrades a database as release 0016
// left it: every outbox row gets its group's platform, so the lanes'
// indexes find the messages queued before the upgrade.
func TestMigrate_OutboxPlatformBackfill(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t, "0016_intake_journal.sql",
		`INSERT INTO "groups" (id, platform, chat_id, name, created_at, updated_at)
			VALUES (1, 'wechat', '', '区委干部群', 1, 1), (2, 'dingtalk', 'cid1', '城管钉钉群', 1, 1)`,
		`INSERT INTO outbox (status, priority, not_before, group_id, kind, created_at, updated_at, text)
			VALUES ('pending', 10, 1, 2, 'reply', 1, 1, '钉钉'), ('pending', 10, 1, 1, 'reply', 1, 1, '微信'),
			('sent', 10, 1, 2, 'reply', 1, 1, '已发')`,
	)

	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	for id, want := range map[int64]qunzhu.Platform{1: qunzhu.PlatformDingTalk, 2: qunzhu.PlatformWeChat, 3: qunzhu.PlatformDingTalk} {
		if got := getOut(t, s, id); got.Platform != want {
			t.Errorf("outbox %d after upgrade: platform %q, want %q", id, got.Platform, want)
		}
	}
	due, err := s.DueOn(ctx, qunzhu.PlatformDingTalk, time.UnixMilli(2), 10)
	if err != nil || len(due) != 1 || due[0].Text != "钉钉" {
		t.Errorf("DueOn(dingtalk) after upgrade = %+v, %v", due, err)
	}
}

// TestMigrate_IntakeLean upgrades a journal as release 0017 left it: the
// entries keep their ids, keys and reserved numbers, the table loses its
// AUTOINCREMENT counter and its trigger, a duplicate is still a duplicate,
// and a new entry's id and task number follow the old ones.
func TestMigrate_IntakeLean(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t, "0017_outbox_platform.sql",
		`INSERT INTO intake (id, source, kind, key, payload, accepted_at, outbox_id, task_id, applied_at)
			VALUES (7, 'hotline', 'hotline', 'ticket:A:overdue', NULL, 1, 0, 41, 2),
			       (9, 'hotline', 'hotline', 'ticket:B:overdue', x'7b7d', 3, 0, 42, NULL)`,
		`UPDATE sqlite_sequence SET seq = 42 WHERE name = 'tasks'`,
	)
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()

	var schema string
	var triggers, counters int
	err = s.read.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'intake'`).Scan(&schema)
	if err == nil {
		err = s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'intake'`).Scan(&triggers)
	}
	if err == nil {
		err = s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_sequence WHERE name = 'intake'`).Scan(&counters)
	}
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToUpper(schema), "AUTOINCREMENT") || triggers != 0 || counters != 0 {
		t.Errorf("intake after upgrade: AUTOINCREMENT in %q, %d triggers, %d counters; want none", schema, triggers, counters)
	}

	view(t, s, func(tx qunzhu.Tx) error {
		e, err := tx.IntakeByKey("hotline", "ticket:B:overdue")
		if err != nil || e.ID != 9 || e.TaskID != 42 || string(e.Payload) != "{}" || !e.AppliedAt.IsZero() {
			t.Errorf("pending entry after upgrade = %+v, %v", e, err)
		}
		return nil
	})
	if b := backlog(t, s); b.Pending != 1 {
		t.Errorf("pending after upgrade = %d, want 1", b.Pending)
	}
	dup := &qunzhu.IntakeEntry{Source: "hotline", Kind: "hotline", Key: "ticket:A:overdue", Payload: []byte(`{}`), ReserveTask: true}
	if !accept(t, s, dup) || dup.ID != 7 || dup.TaskID != 41 {
		t.Errorf("old key again after upgrade: %+v, want a duplicate of entry 7, task 41", dup)
	}
	fresh := &qunzhu.IntakeEntry{Source: "hotline", Kind: "hotline", Key: "ticket:C:overdue", Payload: []byte(`{}`), ReserveTask: true}
	if accept(t, s, fresh) || fresh.ID != 10 || fresh.TaskID != 43 {
		t.Errorf("new entry after upgrade: id %d, task %d; want 10 and 43", fresh.ID, fresh.TaskID)
	}
}
