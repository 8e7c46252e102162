package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/qunzhu/qunzhu/internal/testenv"
)

// screenshotDir is where the browser test leaves its screenshots: CI keeps
// bench/results/ as an artifact; QUNZHU_SCREENSHOTS overrides it.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("QUNZHU_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "bench", "results", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser_SignInPagesAndExport drives the dashboard in headless
// Chromium, the way IT staff use it: sign in with the token, open 概览,
// 督办台账 and 作业, and click 导出 Excel; the file the browser saved is
// opened and checked, and each page is kept as a screenshot.
func TestBrowser_SignInPagesAndExport(t *testing.T) {
	exe := testenv.Program(t, "chromium", "chromium", "chromium-browser", "google-chrome")
	w := newWorld(t)
	shots, downloads := screenshotDir(t), t.TempDir()

	alloc, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	shoot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// Signed out, the dashboard asks for the token.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
	); err != nil {
		t.Fatalf("open the sign-in form: %v", err)
	}
	shoot("signin.png")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), adminToken),
		chromedp.Submit(chromedp.CSS(`form.signin`)),
		chromedp.WaitVisible(chromedp.CSS(`.charts img`)),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	// The charts are images: wait until the browser has drawn both.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll('.charts img')].every(i => i.complete && i.naturalWidth > 0)`)); err != nil {
		t.Fatalf("charts did not load: %v", err)
	}
	if got := text("main table"); !strings.Contains(got, "区委干部工作群") || !strings.Contains(got, "副市长作业群") {
		t.Errorf("概览 table = %q", got)
	}
	shoot("overview.png")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href="/ui/tasks"]`)), chromedp.WaitVisible(chromedp.CSS(`#export-tasks`))); err != nil {
		t.Fatalf("open 督办台账: %v", err)
	}
	if got := text("main table"); !strings.Contains(got, "修复人民路路灯") || !strings.Contains(got, "已联系施工队，明天进场") {
		t.Errorf("督办台账 table = %q", got)
	}
	shoot("tasks.png")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href="/ui/reports"]`)), chromedp.WaitVisible(chromedp.CSS(`#export-reports`))); err != nil {
		t.Fatalf("open 作业: %v", err)
	}
	if got := text("main table"); !strings.Contains(got, "市城管委") || !strings.Contains(got, "迟交") || !strings.Contains(got, "未交") {
		t.Errorf("作业 table = %q", got)
	}
	shoot("reports.png")

	// Click 导出 Excel and open what the browser saved.
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	if err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true),
			})
			return err
		}),
		chromedp.Click(chromedp.CSS(`#export-reports`)),
	); err != nil {
		t.Fatalf("click 导出: %v", err)
	}
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the browser cancelled the download")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
	}
	f, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatalf("the downloaded file is not a workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("区委干部工作群")
	if err != nil || len(rows) < 3 || rows[0][0] != "单位" || rows[1][0] != "市城管委" {
		t.Errorf("downloaded 作业汇总 rows = %v (%v)", rows, err)
	}
	t.Logf("screenshots in %s", shots)
}
