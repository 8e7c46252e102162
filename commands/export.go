package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Examples of the export and dashboard commands.
const (
	exampleExportTasks   = "/导出 督办 本月"
	exampleExportReports = "/导出 作业 最近8期"
	maxExportCycles      = 52
)

// ExportLink signs a download link for a ledger file and says until when it
// works; the dashboard provides it (dashboard.Dashboard.ExportLink).
type ExportLink func(qunzhu.ExportRequest) (url string, expires time.Time)

// Exports holds /导出 and /后台: the ledgers as Excel files and the way to
// the web dashboard. The outbox carries text and pictures only, and the
// WeChat web protocol gives the bot no private chat, so /导出 answers with a
// download link valid for a day and /后台 tells an owner how to get their
// personal sign-in link (from IT, never in the group, which everyone reads).
type Exports struct {
	link ExportLink
}

// NewExports returns the commands; link makes the download links.
func NewExports(link ExportLink) *Exports { return &Exports{link: link} }

// Specs are /导出 and /后台 as /帮助 lists them.
func (e *Exports) Specs() []Spec {
	return []Spec{
		{Name: "导出", Aliases: []string{"export"}, MinRole: qunzhu.RoleAdmin, Handle: e.handleExport,
			Summary: "把本群的督办台账（本周、上周、本月、上月、全部）或作业汇总（最近N期）导出成 Excel，回复下载链接（24小时内有效）",
			Example: exampleExportTasks},
		{Name: "后台", Aliases: []string{"dashboard"}, MinRole: qunzhu.RoleOwner, Handle: e.handleDashboard,
			Summary: "群主打开网页后台：本人的登录链接由 IT 管理员转交", Example: "/后台"},
	}
}

// handleExport is /导出 督办 [期间] or /导出 作业 [最近N期].
func (e *Exports) handleExport(req *Request) (string, error) {
	if len(req.Cmd.Args) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写要导出什么：督办 或 作业。例：%s，%s", exampleExportTasks, exampleExportReports)
	}
	what, rest := req.Cmd.Args[0], strings.Join(req.Cmd.Args[1:], "")
	r := qunzhu.ExportRequest{GroupID: req.In.GroupID}
	var title string
	switch what {
	case "督办", "督办台账", "台账":
		word := rest
		if word == "" {
			word = "本月"
		}
		since, until, label, ok := statsPeriod(word, req.Local())
		if !ok {
			return "", qunzhu.Errorf(qunzhu.EINVALID, "不认识导出范围「%s」：可以写 本周、上周、本月、上月 或 全部。例：%s", word, exampleExportTasks)
		}
		r.Kind, r.Since, r.Until, r.Label, title = qunzhu.ExportTasks, since, until, word, "督办台账（"+label+"）"
	case "作业", "作业汇总":
		n, err := exportCycles(rest)
		if err != nil {
			return "", err
		}
		r.Kind, r.Cycles, r.Label = qunzhu.ExportReports, n, fmt.Sprintf("最近%d期", n)
		title = "作业汇总（" + r.Label + "）"
	default:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "只能导出 督办 或 作业。例：%s，%s", exampleExportTasks, exampleExportReports)
	}
	url, expires := e.link(r)
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		// Without public_url the server does not know the address people
		// reach it by, and a relative link is useless in a chat.
		return "", qunzhu.Errorf(qunzhu.EINVALID, "还没有配置后台地址（public_url），无法生成下载链接。请联系 IT 管理员，或在网页后台导出。")
	}
	return fmt.Sprintf("%s已生成：%s\n下载链接到 %s 前有效。文件名：%s",
		title, url, expires.In(req.Router.cfg.Location).Format("1月2日15:04"), r.FileName()), nil
}

// exportCycles reads "最近8期", "8期", "8" or nothing (8).
func exportCycles(s string) (int, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "最近"), "期")
	if s == "" {
		return 8, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxExportCycles {
		return 0, qunzhu.Errorf(qunzhu.EINVALID, "期数要写 1 到 %d 之间的数字。例：%s", maxExportCycles, exampleExportReports)
	}
	return n, nil
}

// handleDashboard is /后台: the link is personal and opens every group the
// owner owns, so it never goes into a group.
func (e *Exports) handleDashboard(req *Request) (string, error) {
	return qunzhu.Mention(req.Member().Name) + "网页后台的登录链接只给本人，不在群里发（群里人人可见，机器人也不能私聊）。" +
		"请联系 IT 管理员，在后台“群主链接”页为您生成，24 小时内有效，打开后只能看到您任群主的群。", nil
}
