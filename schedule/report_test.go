package schedule_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/festival"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/qunzhu/qunzhu/ratelimit"
	"github.com/qunzhu/qunzhu/schedule"
	"github.com/qunzhu/qunzhu/sqlite"
)

var reportZone = commands.ChinaTime()

// reportMonday is 23 November 2026, 09:00 in Chengdu; that week's Friday deadline
// is 27 November 18:00 (第48周), the reminder two hours before.
var (
	reportMonday = time.Date(2026, 11, 23, 9, 0, 0, 0, reportZone)
	reportFriday = time.Date(2026, 11, 27, 18, 0, 0, 0, reportZone)
)

// reportWorld is one group with a weekly cycle, a roster of three cities and
// a bound vice-mayor for each, on a real SQLite store and a fake clock.
type reportWorld struct {
	t       *testing.T
	path    string
	store   *sqlite.Store
	clock   *qunzhu.FakeClock
	limiter qunzhu.Limiter
	group   *qunzhu.Group
	members map[string]*qunzhu.Member // by unit
	cal     qunzhu.ReportCalendar
	seen    int64 // outbox rows already looked at
}

func newReportWorld(t *testing.T, limiter qunzhu.Limiter, clock *qunzhu.FakeClock) *reportWorld {
	t.Helper()
	w := &reportWorld{t: t, path: filepath.Join(t.TempDir(), "qunzhu.db"), clock: clock, limiter: limiter,
		members: map[string]*qunzhu.Member{},
		cal:     qunzhu.ReportCalendar{Location: reportZone, Holidays: festival.StatutoryHolidays{}, MoveHolidays: true}}
	w.open()
	w.update(func(tx qunzhu.Tx) (err error) {
		if w.group, err = tx.CreateGroup("副市长作业群"); err != nil {
			return err
		}
		for _, unit := range []string{"成都市", "绵阳市", "德阳市"} {
			m := &qunzhu.Member{GroupID: w.group.ID, Name: unit + "副市长", Unit: unit, Role: qunzhu.RoleMember, Bound: true,
				Identity: qunzhu.Identity{SessionKey: "@" + unit, DisplayName: unit + "副市长"}, BoundAt: reportMonday}
			if err := tx.CreateMember(m); err != nil {
				return err
			}
			w.members[unit] = m
			if _, err := tx.AddRosterUnit(w.group.ID, unit); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

func (w *reportWorld) open() {
	s, err := sqlite.Open(context.Background(), w.path, w.clock)
	if err != nil {
		w.t.Fatal(err)
	}
	w.store = s
	w.t.Cleanup(func() { s.Close() })
}

// restart closes the store and opens it again, as a restarted process would.
func (w *reportWorld) restart() {
	w.store.Close()
	w.open()
}

func (w *reportWorld) update(fn func(tx qunzhu.Tx) error) {
	w.t.Helper()
	if err := w.store.Update(context.Background(), fn); err != nil {
		w.t.Fatal(err)
	}
}

// setCycle sets the group's schedule as /作业 设置 does.
func (w *reportWorld) setCycle(text string, remind time.Duration) {
	w.t.Helper()
	rule, err := commands.ParseCycle(text, w.clock.Now().In(reportZone))
	if err != nil {
		w.t.Fatal(err)
	}
	w.update(func(tx qunzhu.Tx) error {
		s := &qunzhu.ReportSchedule{GroupID: w.group.ID, Rule: rule, RemindBefore: remind}
		if err := tx.SetReportSchedule(s); err != nil {
			return err
		}
		_, err := qunzhu.EnsureReportCycles(tx, s, w.cal, tx.Now())
		return err
	})
}

// handIn records a report for unit in the current cycle.
func (w *reportWorld) handIn(unit, content string) {
	w.t.Helper()
	w.update(func(tx qunzhu.Tx) error {
		s, err := tx.ReportSchedule(w.group.ID)
		if err != nil {
			return err
		}
		c, err := qunzhu.EnsureReportCycles(tx, s, w.cal, tx.Now())
		if err != nil {
			return err
		}
		m := w.members[unit]
		return tx.AddSubmission(&qunzhu.Submission{GroupID: w.group.ID, CycleID: c.ID, Unit: unit,
			MemberID: m.ID, MemberName: m.Name, Content: content})
	})
}

// job is a fresh job, as after a restart.
func (w *reportWorld) job() *schedule.ReportJob {
	return schedule.NewReportJob(w.store, w.limiter, schedule.ReportJobConfig{
		Calendar: w.cal,
		Texts:    commands.NewReports(commands.ReportConfig{Calendar: w.cal}),
	})
}

// runAt moves the clock to t, runs the job and returns what it enqueued.
func (w *reportWorld) runAt(t time.Time) []*qunzhu.OutMessage {
	w.t.Helper()
	w.clock.Set(t)
	if err := w.job().Run(context.Background(), t); err != nil {
		w.t.Fatalf("Run at %v: %v", t, err)
	}
	return w.newMessages()
}

// newMessages returns the outbox rows written since the last call.
func (w *reportWorld) newMessages() []*qunzhu.OutMessage {
	w.t.Helper()
	var out []*qunzhu.OutMessage
	for id := w.seen + 1; ; id++ {
		m, err := w.store.OutMessage(context.Background(), id)
		if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
			break
		} else if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, m)
		w.seen = id
	}
	return out
}

func outTexts(ms []*qunzhu.OutMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// TestReportJob_ReminderAndSummaryOnce walks a week: nothing before the
// reminder time, one reminder naming the missing unit with its member
// mentioned, one summary at the deadline, and nothing repeated by more ticks
// or by a restart.
func TestReportJob_ReminderAndSummaryOnce(t *testing.T) {
	w := newReportWorld(t, ratelimit.NewLocal(nil), qunzhu.NewFakeClock(reportMonday))
	w.setCycle("每周五18:00", 2*time.Hour)
	w.clock.Set(reportFriday.Add(-26 * time.Hour))
	w.handIn("成都市", "完成整改3项")
	w.clock.Advance(time.Hour)
	w.handIn("绵阳市", "完成整改1项")
	w.clock.Advance(time.Hour)
	w.handIn("绵阳市", "完成整改2项（更正）")

	if ms := w.runAt(reportFriday.Add(-2*time.Hour - time.Minute)); len(ms) != 0 {
		t.Fatalf("before the reminder time: %q", outTexts(ms))
	}
	ms := w.runAt(reportFriday.Add(-2 * time.Hour))
	wantReminder := "【交作业提醒】第48周作业今天18:00截止，还有1个单位未交（已交 2/3）：\n" +
		"德阳市 @德阳市副市长\u2005\n请发送：/交作业 <内容>，图片可在2分钟内接着发。"
	if len(ms) != 1 || ms[0].Text != wantReminder {
		t.Fatalf("at the reminder time: %q, want one %q", outTexts(ms), wantReminder)
	}
	if m := ms[0]; m.Kind != qunzhu.KindReminder || m.Priority != qunzhu.PriorityReminder ||
		m.DedupKey != fmt.Sprintf("report:%d:20261127T1800:reminder", w.group.ID) {
		t.Errorf("reminder row = kind %s priority %d dedup %q", m.Kind, m.Priority, m.DedupKey)
	}
	if ms := w.runAt(reportFriday.Add(-time.Hour)); len(ms) != 0 {
		t.Fatalf("a second tick repeated: %q", outTexts(ms))
	}
	w.restart()
	if ms := w.runAt(reportFriday.Add(-30 * time.Minute)); len(ms) != 0 {
		t.Fatalf("a restart repeated: %q", outTexts(ms))
	}

	ms = w.runAt(reportFriday.Add(10 * time.Second))
	wantSummary := "【交作业汇总】第48周作业已截止（11月27日（周五）18:00）：已交 2/3\n" +
		"1. 成都市 11月26日 16:00\n2. 绵阳市 11月26日 17:00（第2版）\n未交：德阳市\n现在交的记为迟交：/交作业 <内容>"
	if len(ms) != 1 || ms[0].Text != wantSummary {
		t.Fatalf("at the deadline: %q, want one %q", outTexts(ms), wantSummary)
	}
	w.restart()
	if ms := w.runAt(reportFriday.Add(time.Hour)); len(ms) != 0 {
		t.Fatalf("the summary repeated after a restart: %q", outTexts(ms))
	}

	// The next cycle exists and has its own reminder, a week later.
	if ms := w.runAt(reportFriday.AddDate(0, 0, 7).Add(-2 * time.Hour)); len(ms) != 1 || !strings.Contains(ms[0].Text, "第49周作业今天18:00截止，还有3个单位未交") {
		t.Fatalf("next week's reminder: %q", outTexts(ms))
	}
}

// TestReportJob_EveryoneInNoReminder: a cycle with nothing missing gets no
// reminder and a summary that says so.
func TestReportJob_EveryoneInNoReminder(t *testing.T) {
	w := newReportWorld(t, ratelimit.NewLocal(nil), qunzhu.NewFakeClock(reportMonday))
	w.setCycle("每周五18:00", 2*time.Hour)
	for _, u := range []string{"德阳市", "成都市", "绵阳市"} {
		w.handIn(u, "完成")
		w.clock.Advance(time.Minute)
	}
	if ms := w.runAt(reportFriday.Add(-time.Hour)); len(ms) != 0 {
		t.Fatalf("reminder with nothing missing: %q", outTexts(ms))
	}
	ms := w.runAt(reportFriday)
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "已交 3/3\n1. 德阳市 11月23日 09:00\n2. 成都市") || !strings.HasSuffix(ms[0].Text, "全部已交，辛苦了。") {
		t.Fatalf("summary: %q", outTexts(ms))
	}
}

// TestReportJob_PersonLimit: a member reminded within the last two hours is
// named without the @, with the in-process limiter and with real Redis.
func TestReportJob_PersonLimit(t *testing.T) {
	clock := qunzhu.NewFakeClock(reportMonday)
	limiters := map[string]func(t *testing.T) qunzhu.Limiter{
		"local": func(*testing.T) qunzhu.Limiter { return ratelimit.NewLocal(clock) },
		"redis": func(t *testing.T) qunzhu.Limiter {
			opt, err := redis.ParseURL(testenv.RedisURL(t))
			if err != nil {
				t.Fatal(err)
			}
			c := redis.NewClient(opt)
			t.Cleanup(func() { c.Close() })
			return ratelimit.NewRedis(c, fmt.Sprintf("qunzhu:test:report:%d:", time.Now().UnixNano()))
		},
	}
	for name, newLimiter := range limiters {
		t.Run(name, func(t *testing.T) {
			clock.Set(reportMonday)
			w := newReportWorld(t, newLimiter(t), clock)
			w.setCycle("每周五18:00", 2*time.Hour)
			w.handIn("成都市", "完成")
			// Another reminder mentioned 德阳市副市长 a moment ago.
			clock.Set(reportFriday.Add(-2*time.Hour - time.Minute))
			key := schedule.PersonLimitKey(w.members["德阳市"].ID, 0)
			if res, err := w.limiter.Allow(context.Background(), key, schedule.DefaultPersonLimits()[0]); err != nil || !res.Allowed {
				t.Fatalf("first Allow = %+v, %v", res, err)
			}
			ms := w.runAt(reportFriday.Add(-2 * time.Hour))
			want := "还有2个单位未交（已交 1/3）：\n绵阳市 @绵阳市副市长\u2005\n德阳市 德阳市副市长\n"
			if len(ms) != 1 || !strings.Contains(ms[0].Text, want) {
				t.Fatalf("reminder: %q, want it to contain %q", outTexts(ms), want)
			}
		})
	}
}

// TestReportJob_CatchUpAfterDowntime: after three weeks down, the missed
// cycles exist (so statistics count them) but only the latest summary is
// posted, and no stale reminder.
func TestReportJob_CatchUpAfterDowntime(t *testing.T) {
	w := newReportWorld(t, ratelimit.NewLocal(nil), qunzhu.NewFakeClock(reportMonday))
	w.setCycle("每周五18:00", 2*time.Hour)
	w.handIn("成都市", "完成")
	back := reportFriday.AddDate(0, 0, 14).Add(time.Hour) // Friday 11 December, 19:00
	ms := w.runAt(back)
	if len(ms) != 1 || !strings.HasPrefix(ms[0].Text, "【交作业汇总】第50周作业已截止（12月11日（周五）18:00）：已交 0/3") {
		t.Fatalf("after downtime: %q, want the one summary of 第50周", outTexts(ms))
	}
	var n int
	if err := w.store.View(context.Background(), func(tx qunzhu.Tx) error {
		cs, err := tx.ReportCycles(w.group.ID, back.AddDate(0, 0, 7), 10)
		n = len(cs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 4 { // 第48, 49, 50 closed and 第51 open
		t.Errorf("cycles = %d, want 4", n)
	}
	if ms := w.runAt(back.Add(time.Minute)); len(ms) != 0 {
		t.Fatalf("repeated: %q", outTexts(ms))
	}
}

// TestReportJob_NoRosterNoMessages: a cycle nobody must hand in for is closed
// silently.
func TestReportJob_NoRosterNoMessages(t *testing.T) {
	w := newReportWorld(t, ratelimit.NewLocal(nil), qunzhu.NewFakeClock(reportMonday))
	w.update(func(tx qunzhu.Tx) error {
		for _, u := range []string{"成都市", "绵阳市", "德阳市"} {
			if _, err := tx.RemoveRosterUnit(w.group.ID, u); err != nil {
				return err
			}
		}
		return nil
	})
	w.setCycle("每周五18:00", 2*time.Hour)
	if ms := w.runAt(reportFriday.Add(-time.Hour)); len(ms) != 0 {
		t.Fatalf("reminder: %q", outTexts(ms))
	}
	if ms := w.runAt(reportFriday); len(ms) != 0 {
		t.Fatalf("summary: %q", outTexts(ms))
	}
}

// TestReportJob_UnitWithoutMembersIsStillNamed: a unit on the roster whose
// people have not bound yet is missing like any other.
func TestReportJob_UnitWithoutMembersIsStillNamed(t *testing.T) {
	w := newReportWorld(t, ratelimit.NewLocal(nil), qunzhu.NewFakeClock(reportMonday))
	w.update(func(tx qunzhu.Tx) error {
		_, err := tx.AddRosterUnit(w.group.ID, "广元市")
		return err
	})
	w.setCycle("每周五18:00", 2*time.Hour)
	for _, u := range []string{"成都市", "绵阳市", "德阳市"} {
		w.handIn(u, "完成")
	}
	ms := w.runAt(reportFriday.Add(-2 * time.Hour))
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "还有1个单位未交（已交 3/4）：\n广元市（还没有已认证的成员）\n") {
		t.Fatalf("reminder: %q", outTexts(ms))
	}
	ms = w.runAt(reportFriday)
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "已交 3/4") || !strings.Contains(ms[0].Text, "未交：广元市") {
		t.Fatalf("summary: %q", outTexts(ms))
	}
}

// TestReportJob_ReminderWaitsOutTheNight: a reminder due at 06:00 (a Monday
// 09:00 deadline, three hours before) goes out at 08:00, once; one whose
// night ends after the deadline is skipped for the summary.
func TestReportJob_ReminderWaitsOutTheNight(t *testing.T) {
	w := newReportWorld(t, ratelimit.NewLocal(nil), qunzhu.NewFakeClock(reportFriday.Add(time.Hour)))
	w.setCycle("每周一09:00", 3*time.Hour)
	night := qunzhu.QuietHours{Night: true, From: 22 * time.Hour, To: 8 * time.Hour}
	job := schedule.NewReportJob(w.store, w.limiter, schedule.ReportJobConfig{Calendar: w.cal, Quiet: night,
		Texts: commands.NewReports(commands.ReportConfig{Calendar: w.cal})})
	run := func(at time.Time) []*qunzhu.OutMessage {
		w.clock.Set(at)
		if err := job.Run(context.Background(), at); err != nil {
			t.Fatal(err)
		}
		return w.newMessages()
	}
	monday := reportMonday.AddDate(0, 0, 7) // 30 November, 09:00
	if ms := run(monday.Add(-3 * time.Hour)); len(ms) != 0 {
		t.Fatalf("reminded at 06:00: %q", outTexts(ms))
	}
	if ms := run(monday.Add(-time.Hour - time.Minute)); len(ms) != 0 {
		t.Fatalf("reminded at 07:59: %q", outTexts(ms))
	}
	ms := run(monday.Add(-time.Hour))
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "交作业") {
		t.Fatalf("at 08:00: %q, want the reminder", outTexts(ms))
	}
	if ms := run(monday.Add(-time.Hour + time.Minute)); len(ms) != 0 {
		t.Errorf("repeated: %q", outTexts(ms))
	}

	// A 07:30 deadline reminded at 05:30: the night ends after it, skipped.
	w2 := newReportWorld(t, ratelimit.NewLocal(nil), qunzhu.NewFakeClock(reportFriday.Add(time.Hour)))
	w2.setCycle("每周一07:30", 2*time.Hour)
	job2 := schedule.NewReportJob(w2.store, w2.limiter, schedule.ReportJobConfig{Calendar: w2.cal, Quiet: night,
		Texts: commands.NewReports(commands.ReportConfig{Calendar: w2.cal})})
	w2.clock.Set(monday.Add(-3*time.Hour - 30*time.Minute))
	if err := job2.Run(context.Background(), w2.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if ms := w2.newMessages(); len(ms) != 0 {
		t.Errorf("reminded in the night: %q", outTexts(ms))
	}
	w2.clock.Set(monday.Add(-90*time.Minute + time.Minute)) // 07:31
	if err := job2.Run(context.Background(), w2.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if ms := w2.newMessages(); len(ms) != 1 || !strings.HasPrefix(ms[0].Text, "【交作业汇总】") {
		t.Errorf("after the deadline: %q, want the summary only", outTexts(ms))
	}
}
