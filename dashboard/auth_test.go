package dashboard_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignIn_TokenRequired(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	for _, path := range []string{"/ui/", "/ui/tasks", "/ui/tasks/1", "/ui/export/tasks.xlsx", "/ui/links", "/ui/chart/overdue.svg"} {
		if code, final, _ := b.get(path); code != 200 || final != "/ui/signin" {
			t.Errorf("GET %s signed out: %d at %s, want the sign-in form", path, code, final)
		}
	}
	for _, tok := range []string{"", "wrong", adminToken + "x", strings.ToUpper(adminToken)} {
		code, _, body := b.post("/ui/signin", url.Values{"token": {tok}})
		if code != 403 || !strings.Contains(body, "令牌不对") {
			t.Errorf("sign-in with %q: %d, want 403 and a Chinese refusal", tok, code)
		}
	}
	if _, final, _ := b.get("/ui/"); final != "/ui/signin" {
		t.Errorf("a refused sign-in signed in")
	}
	_, _, body := w.admin().get("/ui/")
	contains(t, "the admin's 概览", body, "区委干部工作群", "副市长作业群", "IT 管理员")
}

func TestSignIn_SessionExpires(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	w.wall.Advance(11 * time.Hour)
	if _, final, _ := b.get("/ui/"); final != "/ui/" {
		t.Fatalf("signed out after 11h")
	}
	w.wall.Advance(time.Hour)
	if _, final, _ := b.get("/ui/"); final != "/ui/signin" {
		t.Errorf("still signed in after 12h")
	}
}

func TestSignOut(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	if _, final, _ := b.post("/ui/signout", nil); final != "/ui/signin" {
		t.Fatalf("sign-out went to %s", final)
	}
	if _, final, _ := b.get("/ui/"); final != "/ui/signin" {
		t.Errorf("still signed in after signing out")
	}
}

// TestOwnerLink_SeesOnlyOwnGroups: 张书记's link never shows 刘副部长's
// group, its tasks, hand-ins, pictures, broadcasts or exports, and asking by
// number answers like a missing thing.
func TestOwnerLink_SeesOnlyOwnGroups(t *testing.T) {
	w := newWorld(t)
	zhang := w.owner("张书记")
	secrets := []string{"副市长作业群", "绵阳整改清单复核", "成都整改机密内容", "副市长群的机密群发", "成都市"}
	for _, path := range []string{"/ui/", "/ui/tasks", "/ui/tasks?status=open", "/ui/reports", "/ui/tickets", "/ui/broadcasts", "/ui/sessions", "/ui/chart/overdue.svg"} {
		code, _, body := zhang.get(path)
		if code != 200 {
			t.Errorf("GET %s: %d", path, code)
		}
		lacks(t, "张书记's "+path, body, secrets...)
	}
	_, _, body := zhang.get("/ui/")
	contains(t, "张书记's 概览", body, "区委干部工作群", "张书记（1 个群）")
	lacks(t, "张书记's menu", body, "群主链接")
	for _, path := range []string{
		fmt.Sprintf("/ui/tasks/%d", w.secret.ID),
		fmt.Sprintf("/ui/tasks?group=%d", w.mayors.ID),
		fmt.Sprintf("/ui/reports?group=%d", w.mayors.ID),
		fmt.Sprintf("/ui/submissions/%d", w.subMay.ID),
		fmt.Sprintf("/ui/export/tasks.xlsx?group=%d", w.mayors.ID),
		fmt.Sprintf("/ui/export/reports.xlsx?group=%d", w.mayors.ID),
		fmt.Sprintf("/ui/tasks/%d/images/%d", w.secret.ID, w.photo),
		"/ui/tasks/99999",
	} {
		code, _, body := zhang.get(path)
		if code != 404 || !strings.Contains(body, "没有权限查看") {
			t.Errorf("GET %s as 张书记: %d, want 404", path, code)
		}
		lacks(t, path, body, secrets...)
	}
	// A photo is served only through a task whose history holds it.
	if code, _, _ := zhang.get(fmt.Sprintf("/ui/tasks/%d/images/%d", w.water.ID, w.photo)); code != 404 {
		t.Errorf("photo through a task that does not hold it: %d, want 404", code)
	}
	if code, _, _ := zhang.get("/ui/links"); code != 403 {
		t.Errorf("an owner opened the links page: %d, want 403", code)
	}
	if code, _, _ := zhang.post("/ui/links", url.Values{"name": {"刘副部长"}}); code != 403 {
		t.Errorf("an owner made a link: %d, want 403", code)
	}

	liu := w.owner("刘副部长")
	_, _, body = liu.get("/ui/tasks")
	contains(t, "刘副部长's 台账", body, "绵阳整改清单复核")
	lacks(t, "刘副部长's 台账", body, "修复人民路路灯", "区委干部工作群")
}

// TestOwnerLink_DemotedOwnerLosesTheGroup: the groups are decided at every
// request, so an owner demoted after the link was made sees nothing more.
func TestOwnerLink_DemotedOwnerLosesTheGroup(t *testing.T) {
	w := newWorld(t)
	zhang := w.owner("张书记")
	w.demote("张书记")
	_, _, body := zhang.get("/ui/tasks")
	lacks(t, "a demoted owner's 台账", body, "修复人民路路灯")
	contains(t, "a demoted owner's 台账", body, "没有符合条件的督办")
}

func TestOwnerLink_ExpiredOrForgedRefused(t *testing.T) {
	w := newWorld(t)
	link := w.ownerLink("张书记")
	w.wall.Advance(24 * time.Hour)
	b := w.browser()
	code, _, body := b.get(link)
	if code != 403 || !strings.Contains(body, "已经过期") {
		t.Errorf("expired link: %d %.200s, want 403 saying it expired", code, body)
	}
	if _, final, _ := b.get("/ui/"); final != "/ui/signin" {
		t.Errorf("an expired link signed in")
	}
	fresh := w.ownerLink("张书记")
	for _, bad := range []string{
		strings.Replace(fresh, "t=e", "t=f", 1), // payload changed
		fresh[:len(fresh)-3],                    // signature cut
		"/ui/auth?t=",
		"/ui/auth?t=" + strings.Repeat("a", 5000),
	} {
		if code, _, _ := b.get(bad); code != 403 {
			t.Errorf("forged link %.60s…: %d, want 403", bad, code)
		}
	}
	// A sign-in cookie is not a link, and a link is not a cookie.
	if code, _, _ := b.get("/ui/download?" + strings.SplitN(fresh, "?", 2)[1]); code != 403 {
		t.Errorf("a sign-in link worked as a download link: %d", code)
	}
}
