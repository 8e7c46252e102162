package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestDemoDashboardMetricsAndExport is the newcomer's path: the demo prints
// the dashboard URL and a token; signing in with it shows the task just
// assigned in the group; /导出 answers with a link to a workbook holding it;
// /metrics wants the token and counts what happened.
func TestDemoDashboardMetricsAndExport(t *testing.T) {
	d := startDemo(t, nil)
	out := d.stdout.String()
	token := regexpFind(t, `登录令牌 login token:\s+([0-9a-f]{24})`, out)
	if !strings.Contains(out, d.http+"/ui/") {
		t.Fatalf("the demo does not print the dashboard URL:\n%s", out)
	}
	d.taskBind("李局长", "市城管委")
	number, _ := d.taskAssign("/督办 市城管委 修复人民路路灯 限期3天")

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(d.http+"/ui/signin", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	get := func(c *http.Client, u string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := get(c, d.http+"/ui/tasks")
	if code != 200 || !strings.Contains(page, "修复人民路路灯") || !strings.Contains(page, "#"+number) {
		t.Errorf("督办台账 after sign-in: %d, lacks task #%s", code, number)
	}
	if code, page := get(c, d.http+"/ui/"); !strings.Contains(page, "区委干部工作群") || !strings.Contains(page, "在线") {
		t.Errorf("概览: %d %.300s", code, page)
	}

	reply := d.taskAsk("张书记", "/导出 督办 本月")
	link := regexp.MustCompile(`(http://\S+/ui/download\?t=\S+)`).FindStringSubmatch(reply)
	if link == nil {
		t.Fatalf("/导出 reply %q has no download link", reply)
	}
	code, body := get(http.DefaultClient, link[1])
	if code != 200 {
		t.Fatalf("download: %d %.200s", code, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("download is not a workbook: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("督办台账", "C2"); v != "修复人民路路灯" {
		t.Errorf("督办台账.xlsx C2 = %q", v)
	}

	if code, _ := get(http.DefaultClient, d.http+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}
	code, metrics := get(http.DefaultClient, d.http+"/metrics", "Authorization", "Bearer "+token)
	for _, want := range []string{`qunzhu_commands_total{command="督办"} 1`, `qunzhu_commands_total{command="导出"} 1`,
		`qunzhu_session_state{platform="wechat",state="online"} 1`, `qunzhu_messages_sent_total{kind="reply",platform="wechat",priority="reply"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
}
