package dashboard_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/dashboard"
	"github.com/qunzhu/qunzhu/sqlite"
	"github.com/qunzhu/qunzhu/xlsx"
)

const adminToken = "admin-token-0123456789abcdef"

// t0 is Monday 23 November 2026, 09:00 in Beijing.
var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

// world is a store filled the way the features fill it, and a dashboard over it.
type world struct {
	t       testing.TB
	store   *sqlite.Store
	clock   *qunzhu.FakeClock // the store's (domain) clock
	wall    *qunzhu.FakeClock // the dashboard's clock for sign-in expiry
	dash    *dashboard.Dashboard
	srv     *httptest.Server
	cadres  *qunzhu.Group // 区委干部工作群, owned by 张书记
	mayors  *qunzhu.Group // 副市长作业群, owned by 刘副部长
	lamp    *qunzhu.Task  // cadres, overdue, with a photo
	water   *qunzhu.Task  // cadres, closed on time
	hotline *qunzhu.Task  // cadres, from a 12345 ticket
	secret  *qunzhu.Task  // mayors: 张书记 must never see it
	photo   int64
	state   qunzhu.SessionState // the chat session the dashboard reports
	subOK   *qunzhu.Submission
	subLate *qunzhu.Submission
	subMay  *qunzhu.Submission // mayors' hand-in
}

func pngBytes(t testing.TB, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, clock: qunzhu.NewFakeClock(t0), wall: qunzhu.NewFakeClock(t0), state: qunzhu.StateOnline}
	var err error
	w.store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"), w.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.store.Close() })
	day := 24 * time.Hour
	var cycle1, cycle2 *qunzhu.ReportCycle
	w.update(func(tx qunzhu.Tx) error {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		w.cadres, _, err = tx.EnsureGroup("区委干部工作群")
		must(err)
		w.mayors, _, err = tx.EnsureGroup("副市长作业群")
		must(err)
		zhang := &qunzhu.Member{GroupID: w.cadres.ID, Name: "张书记", Unit: "区委", Role: qunzhu.RoleOwner}
		li := &qunzhu.Member{GroupID: w.cadres.ID, Name: "李局长", Unit: "市城管委", Role: qunzhu.RoleMember}
		liu := &qunzhu.Member{GroupID: w.mayors.ID, Name: "刘副部长", Unit: "省委组织部", Role: qunzhu.RoleOwner}
		cd := &qunzhu.Member{GroupID: w.mayors.ID, Name: "成都王市长", Unit: "成都市", Role: qunzhu.RoleMember}
		for _, m := range []*qunzhu.Member{zhang, li, liu, cd} {
			must(tx.CreateMember(m))
		}
		w.lamp = &qunzhu.Task{GroupID: w.cadres.ID, Title: "修复人民路路灯", Unit: "市城管委", AssigneeIDs: []int64{li.ID}, Deadline: t0.Add(3 * day)}
		w.water = &qunzhu.Task{GroupID: w.cadres.ID, Title: "疏通中山路下水道", Unit: "市水务局", Deadline: t0.Add(day)}
		w.hotline = &qunzhu.Task{GroupID: w.cadres.ID, Title: "12345 工单 GD-7 噪音扰民", Unit: "区环保局", Deadline: t0.Add(2 * day),
			Source: qunzhu.TaskSourceHotline, ExternalID: "GD-7"}
		w.secret = &qunzhu.Task{GroupID: w.mayors.ID, Title: "绵阳整改清单复核", Unit: "成都市", Deadline: t0.Add(day)}
		for _, task := range []*qunzhu.Task{w.lamp, w.water, w.hotline, w.secret} {
			must(tx.CreateTask(task, qunzhu.MemberActor(zhang)))
		}
		_, err = tx.ProgressTask(w.lamp.ID, qunzhu.MemberActor(li), "已联系施工队，明天进场")
		must(err)
		w.photo, err = tx.SaveImage(pngBytes(t, color.RGBA{200, 30, 30, 255}))
		must(err)
		_, err = tx.AttachTaskEvidence(w.lamp.ID, qunzhu.MemberActor(li), w.photo)
		must(err)
		must(tx.SaveTicket(&qunzhu.Ticket{Source: "hotline-12345", TicketID: "GD-7", Unit: "区环保局", District: "黄浦区",
			Title: "市民13812345678反映夜间施工噪音", Status: qunzhu.TicketOverdue, OverdueMinutes: 180, TaskID: w.hotline.ID}))
		for _, u := range []string{"市城管委", "市水务局"} {
			_, err = tx.AddRosterUnit(w.cadres.ID, u)
			must(err)
		}
		_, err = tx.AddRosterUnit(w.mayors.ID, "成都市")
		must(err)
		cycle1 = &qunzhu.ReportCycle{GroupID: w.cadres.ID, Deadline: t0.Add(4 * day), Nominal: t0.Add(4 * day), LabelKind: qunzhu.LabelWeek}
		cycle2 = &qunzhu.ReportCycle{GroupID: w.cadres.ID, Deadline: t0.Add(11 * day), Nominal: t0.Add(11 * day), LabelKind: qunzhu.LabelWeek}
		must(tx.CreateReportCycle(cycle1))
		must(tx.CreateReportCycle(cycle2))
		mc := &qunzhu.ReportCycle{GroupID: w.mayors.ID, Deadline: t0.Add(4 * day), Nominal: t0.Add(4 * day), LabelKind: qunzhu.LabelWeek}
		must(tx.CreateReportCycle(mc))
		w.subOK = &qunzhu.Submission{GroupID: w.cadres.ID, CycleID: cycle1.ID, Unit: "市城管委", MemberID: li.ID, MemberName: "李局长",
			Content: "本周完成路灯整改3处", ImageID: w.photo, SubmittedAt: t0.Add(day)}
		w.subLate = &qunzhu.Submission{GroupID: w.cadres.ID, CycleID: cycle2.ID, Unit: "市水务局", MemberName: "赵处长",
			Content: "下水道疏通完毕", SubmittedAt: t0.Add(12 * day)}
		w.subMay = &qunzhu.Submission{GroupID: w.mayors.ID, CycleID: mc.ID, Unit: "成都市", MemberID: cd.ID, MemberName: "成都王市长",
			Content: "成都整改机密内容", SubmittedAt: t0.Add(day)}
		for _, s := range []*qunzhu.Submission{w.subOK, w.subLate, w.subMay} {
			must(tx.AddSubmission(s))
		}
		must(tx.CreateBroadcast(&qunzhu.Broadcast{Status: qunzhu.BroadcastSending, AuthorID: zhang.ID, AuthorName: "张书记",
			OriginGroupID: w.cadres.ID, Text: "端午节送粽子来喽", Targets: []int64{w.cadres.ID}}))
		must(tx.CreateBroadcast(&qunzhu.Broadcast{Status: qunzhu.BroadcastSending, AuthorID: liu.ID, AuthorName: "刘副部长",
			OriginGroupID: w.mayors.ID, Text: "副市长群的机密群发", Targets: []int64{w.mayors.ID}}))
		return nil
	})
	w.clock.Set(t0.Add(12 * time.Hour))
	w.update(func(tx qunzhu.Tx) error {
		if _, err := tx.FinishTask(w.water.ID, qunzhu.SystemActor("赵处长"), "已疏通"); err != nil {
			return err
		}
		_, err := tx.CloseTask(w.water.ID, qunzhu.SystemActor("张书记"), "")
		return err
	})
	w.clock.Set(t0.Add(13 * day)) // Saturday 5 December: the lamp is 10 days overdue
	w.dash = dashboard.New(dashboard.Config{
		Store: w.store, Exporter: xlsx.Exporter{}, AdminToken: adminToken, Key: bytes.Repeat([]byte{7}, 32),
		Clock: w.wall, DailyCap: 500, LoginURL: "/login?token=" + adminToken, LoginQRURL: "/login/qr.png?token=" + adminToken,
		Sessions: func() []dashboard.Session {
			return []dashboard.Session{{Platform: "wechat", State: w.state, Since: t0}}
		},
	})
	w.srv = httptest.NewServer(w.dash)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) update(fn func(qunzhu.Tx) error) {
	w.t.Helper()
	if err := w.store.Update(context.Background(), fn); err != nil {
		w.t.Fatal(err)
	}
}

// browser is one person's browser: a cookie jar over the test server.
type browser struct {
	w *world
	c *http.Client
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, c: &http.Client{Jar: jar}}
}

// get fetches path and returns the status, the final path and the body.
func (b *browser) get(path string) (int, string, string) {
	b.w.t.Helper()
	resp, err := b.c.Get(b.w.srv.URL + path)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.w.t.Helper()
	resp, err := b.c.PostForm(b.w.srv.URL+path, form)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(body)
}

// admin signs in with the login token.
func (w *world) admin() *browser {
	b := w.browser()
	if code, path, body := b.post("/ui/signin", url.Values{"token": {adminToken}}); code != 200 || path != "/ui/" {
		w.t.Fatalf("admin sign-in: %d %s %.300s", code, path, body)
	}
	return b
}

// ownerLink has the admin make an owner's sign-in link on the links page.
func (w *world) ownerLink(name string) string {
	w.t.Helper()
	_, _, body := w.admin().post("/ui/links", url.Values{"name": {name}})
	i := strings.Index(body, `id="owner-link">`)
	if i < 0 {
		w.t.Fatalf("no link on the page:\n%s", body)
	}
	rest := body[i+len(`id="owner-link">`):]
	link := strings.ReplaceAll(rest[:strings.Index(rest, "<")], "&amp;", "&")
	if !strings.HasPrefix(link, w.srv.URL+"/ui/auth?t=") {
		w.t.Fatalf("link %q is not a sign-in link on this server", link)
	}
	return strings.TrimPrefix(link, w.srv.URL)
}

// owner signs in with their link.
func (w *world) owner(name string) *browser {
	b := w.browser()
	if code, path, body := b.get(w.ownerLink(name)); code != 200 || path != "/ui/" {
		w.t.Fatalf("owner sign-in: %d %s %.300s", code, path, body)
	}
	return b
}

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("%s lacks %q", what, want)
		}
	}
}

func lacks(t *testing.T, what, body string, bads ...string) {
	t.Helper()
	for _, bad := range bads {
		if strings.Contains(body, bad) {
			t.Errorf("%s shows %q, which it must not", what, bad)
		}
	}
}

// demote makes every owner row named name a plain member.
func (w *world) demote(name string) {
	w.update(func(tx qunzhu.Tx) error {
		for _, g := range []*qunzhu.Group{w.cadres, w.mayors} {
			m, err := tx.MemberByName(g.ID, name)
			if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			m.Role = qunzhu.RoleMember
			if err := tx.UpdateMember(m); err != nil {
				return err
			}
		}
		return nil
	})
}
