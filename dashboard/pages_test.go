package dashboard_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

func TestOverview(t *testing.T) {
	w := newWorld(t)
	_, _, body := w.admin().get("/ui/")
	contains(t, "概览", body,
		"微信账号", "在线", // the session
		"今日已发<b>0 / 500</b>",
		// 区委干部工作群: lamp and hotline open and overdue, water closed on time.
		`<td>区委干部工作群</td><td class="num">2</td><td class="num bad">2</td>`,
		"100%（1/1）",
		`<td>副市长作业群</td><td class="num">1</td><td class="num bad">1</td>`,
		`src="/ui/chart/overdue.svg"`, `src="/ui/chart/weekly.svg"`,
		"2026-12-06 09:00")
}

func TestCharts(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	resp, err := b.c.Get(w.srv.URL + "/ui/chart/overdue.svg")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
		t.Errorf("chart type %q", ct)
	}
	_, _, svg := b.get("/ui/chart/overdue.svg")
	contains(t, "overdue chart", svg, "<svg", "<title>市城管委：1</title>", "<title>区环保局：1</title>", "<title>成都市：1</title>")
	lacks(t, "overdue chart", svg, "市水务局") // closed on time
	_, _, svg = b.get("/ui/chart/weekly.svg")
	// Four tasks assigned in the week of 11-23, one closed that week.
	contains(t, "weekly chart", svg, "<polyline", "11-23 新交办：4", "11-23 销号：1", "11-30 新交办：0")
}

func TestTasksPage_FiltersAndHistory(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	_, _, body := b.get("/ui/tasks")
	contains(t, "台账", body, "修复人民路路灯", "疏通中山路下水道", "绵阳整改清单复核", "已联系施工队，明天进场", "已销号", `class="num bad">10</td>`)
	_, _, body = b.get("/ui/tasks?unit=" + "市城管委")
	contains(t, "台账 市城管委", body, "修复人民路路灯", "共 1 条")
	_, _, body = b.get("/ui/tasks?overdue=1")
	contains(t, "台账 逾期", body, "修复人民路路灯", "噪音扰民", "绵阳整改清单复核", "共 3 条")
	lacks(t, "台账 逾期", body, "疏通中山路下水道")
	_, _, body = b.get("/ui/tasks?status=closed")
	contains(t, "台账 已销号", body, "疏通中山路下水道", "共 1 条")
	_, _, body = b.get(fmt.Sprintf("/ui/tasks?group=%d&status=open", w.cadres.ID))
	contains(t, "台账 filtered", body, `href="/ui/export/tasks.xlsx?group=`+fmt.Sprint(w.cadres.ID)+`&amp;status=open"`)
	for _, bad := range []string{"/ui/tasks?status=deleted", "/ui/tasks?unit=" + strings.Repeat("长", 51)} {
		if code, _, body := b.get(bad); code != 400 || !strings.Contains(body, "输入有误") {
			t.Errorf("GET %.40s: %d, want 400", bad, code)
		}
	}

	_, _, body = b.get(fmt.Sprintf("/ui/tasks/%d", w.lamp.ID))
	contains(t, "督办详情", body, "修复人民路路灯", "李局长", "张书记", "派发", "李局长</b> 进展：已联系施工队，明天进场", "办结照片",
		fmt.Sprintf(`src="/ui/tasks/%d/images/%d"`, w.lamp.ID, w.photo), "<td class=\"bad\">10</td>")
	resp, err := b.c.Get(fmt.Sprintf("%s/ui/tasks/%d/images/%d", w.srv.URL, w.lamp.ID, w.photo))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("photo: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	_, _, body = b.get(fmt.Sprintf("/ui/tasks/%d", w.hotline.ID))
	contains(t, "hotline task", body, "12345 工单 GD-7", "138****5678")
	lacks(t, "hotline task", body, "13812345678")
}

func TestReportsPage_MatrixAndHandIn(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	_, _, body := b.get(fmt.Sprintf("/ui/reports?group=%d", w.cadres.ID))
	contains(t, "作业", body, "<th>市城管委</th>", "<th>市水务局</th>",
		fmt.Sprintf(`<td class="matrix c-按时"><a href="/ui/submissions/%d">按时</a></td>`, w.subOK.ID),
		fmt.Sprintf(`<td class="matrix c-迟交"><a href="/ui/submissions/%d">迟交</a></td>`, w.subLate.ID),
		`<td class="matrix c-未交">未交</td>`)
	_, _, body = b.get(fmt.Sprintf("/ui/submissions/%d", w.subOK.ID))
	contains(t, "作业内容", body, "本周完成路灯整改3处", "李局长", fmt.Sprintf(`src="/ui/submissions/%d/image"`, w.subOK.ID))
	_, _, body = b.get(fmt.Sprintf("/ui/submissions/%d", w.subLate.ID))
	contains(t, "迟交作业", body, "下水道疏通完毕", "迟交")
	if code, _, _ := b.get(fmt.Sprintf("/ui/submissions/%d/image", w.subLate.ID)); code != 404 {
		t.Errorf("a hand-in without a picture served one: %d", code)
	}
	if code, _, body := b.get("/ui/reports?n=0"); code != 400 || !strings.Contains(body, "期数") {
		t.Errorf("n=0: %d", code)
	}
}

func TestTicketsBroadcastsSessions(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	_, _, body := b.get("/ui/tickets")
	contains(t, "热线工单", body, "GD-7", "区环保局", "黄浦区", "市民138****5678反映夜间施工噪音", "3h0m0s", "超期",
		fmt.Sprintf(`href="/ui/tasks/%d"`, w.hotline.ID))
	lacks(t, "热线工单", body, "13812345678")
	_, _, body = b.get("/ui/broadcasts")
	contains(t, "群发", body, "端午节送粽子来喽", "副市长群的机密群发", "张书记（区委干部工作群）")
	_, _, body = b.get("/ui/sessions")
	contains(t, "登录 (IT)", body, "在线（online）", `href="/login?token=`+adminToken+`"`)
	_, _, body = w.owner("张书记").get("/ui/sessions")
	contains(t, "登录 (owner)", body, "在线（online）", "扫码登录由 IT 管理员负责")
	lacks(t, "登录 (owner)", body, adminToken)
}

func TestSessionsPage_QRWhileWaiting(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	_, _, body := b.get("/ui/sessions")
	lacks(t, "登录 while online", body, "qr.png", `http-equiv="refresh"`)
	w.state = qunzhu.StateWaitingScan
	_, _, body = b.get("/ui/sessions")
	contains(t, "登录 while waiting", body, "等待扫码", `src="/login/qr.png?token=`+adminToken+`"`, `<meta http-equiv="refresh" content="10">`)
	_, _, body = w.owner("张书记").get("/ui/sessions")
	contains(t, "an owner's 登录 while waiting", body, "等待扫码")
	lacks(t, "an owner's 登录 while waiting", body, "qr.png", adminToken)
	_, _, body = b.get("/ui/")
	contains(t, "概览 while waiting", body, `<b class="bad">等待扫码</b>`)
}

func TestPages_Headers(t *testing.T) {
	w := newWorld(t)
	b := w.admin()
	resp, err := b.c.Get(w.srv.URL + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if code, _, body := b.get("/ui/nothing-here"); code != http.StatusNotFound || !strings.Contains(body, "没有这个页面") {
		t.Errorf("unknown page: %d", code)
	}
	if code, _, body := b.get("/ui/static/style.css"); code != 200 || !strings.Contains(body, "font-family") {
		t.Errorf("stylesheet: %d", code)
	}
}
