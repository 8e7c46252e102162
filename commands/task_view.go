package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Limits that keep a reply readable in a chat window.
const maxTaskHistoryLines = 20

// detail is "/督办 23": the task, where it stands, and its whole history.
func (ts *Tasks) detail(req *Request, id int64) (string, error) {
	task, err := loadTask(req, fmt.Sprint(id), "/督办 23")
	if err != nil {
		return "", err
	}
	ms, err := assigneeMembers(req.Tx, task)
	if err != nil {
		return "", err
	}
	events, err := req.Tx.TaskEvents(task.ID)
	if err != nil {
		return "", err
	}
	now := req.Local()
	var b strings.Builder
	fmt.Fprintf(&b, "【督办%s】%s\n状态：%s", task.Number(), task.Title, taskState(task, now))
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	fmt.Fprintf(&b, "\n责任单位：%s（%s）", task.Unit, strings.Join(names, "、"))
	fmt.Fprintf(&b, "\n期限：%s", qunzhu.FormatWhen(task.Deadline, now))
	fmt.Fprintf(&b, "\n督办人：%s，%s派发", task.AssignerName, qunzhu.FormatWhen(task.CreatedAt, now))
	if task.Source != "" {
		fmt.Fprintf(&b, "\n来源：%s %s", task.Source, task.ExternalID)
	}
	origin, err := ts.originDetail(req, task)
	if err != nil {
		return "", err
	}
	b.WriteString(origin)
	if !task.LastProgressAt.IsZero() {
		fmt.Fprintf(&b, "\n最新进展：%s", qunzhu.FormatWhen(task.LastProgressAt, now))
	}
	if task.Extensions > 0 || task.Transfers > 0 {
		fmt.Fprintf(&b, "\n延期%d次，转办%d次", task.Extensions, task.Transfers)
	}
	if ext, err := req.Tx.PendingExtension(task.ID); err == nil {
		fmt.Fprintf(&b, "\n待审批：申请延期至%s（/同意 延期 %d）", qunzhu.FormatWhen(ext.NewDeadline, now), task.ID)
	} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		return "", err
	}
	b.WriteString("\n历史：")
	if skipped := len(events) - maxTaskHistoryLines; skipped > 0 {
		fmt.Fprintf(&b, "\n（前面还有%d条）", skipped)
		events = events[skipped:]
	}
	for _, ev := range events {
		t := ev.At.In(now.Location())
		fmt.Fprintf(&b, "\n%d月%d日 %02d:%02d %s %s", t.Month(), t.Day(), t.Hour(), t.Minute(), ev.ActorName, ev.Kind.Chinese())
		if ev.Text != "" {
			fmt.Fprintf(&b, "：%s", ev.Text)
		}
	}
	return b.String(), nil
}

// taskState is the one-phrase state of a task: "办理中，还剩2天",
// "办理中，已逾期1天3小时", "待销号", "已销号（按期办结）".
func taskState(task *qunzhu.Task, now time.Time) string {
	switch {
	case task.Withdrawn:
		return "已撤销"
	case task.Status == qunzhu.TaskOpen && !task.SuspendedAt.IsZero():
		return "已中止（" + qunzhu.FormatWhen(task.SuspendedAt, now) + "起）"
	}
	switch task.Status {
	case qunzhu.TaskOpen:
		return "办理中，" + qunzhu.TimeLeft(task.Deadline, now)
	case qunzhu.TaskClosed:
		if task.Finished().After(task.Deadline) {
			return "已销号（超期办结）"
		}
		return "已销号（按期办结）"
	}
	return task.Status.Chinese()
}

// handleList is /督办 列表 [我的|逾期|<单位>] [第N页]: what is still open,
// overdue first, a page at a time with the total, so a group with thousands
// of open tasks gets a readable answer as fast as one with three.
func (ts *Tasks) handleList(req *Request) (string, error) {
	f := qunzhu.TaskFilter{GroupID: req.In.GroupID, Limit: taskPageSize}
	title, filter, page := "本群未销号的督办", "", 1
	for _, w := range req.Cmd.Args {
		if n, ok := pageNumber(w); ok {
			page = n
			continue
		}
		if filter != "" {
			return "", qunzhu.Errorf(qunzhu.EINVALID, "只能按一个条件列出。例：%s", exampleTaskList)
		}
		filter = w
		switch w {
		case "我的", "mine":
			if req.Member() == nil {
				return "", errUnbound
			}
			f.Involving, title = req.Member().ID, "与你有关的未销号督办"
		case "逾期", "超期", "overdue":
			f.OverdueAt, title = req.Now, "本群已逾期的督办"
		default:
			members, err := req.Tx.Members(req.In.GroupID)
			if err != nil {
				return "", err
			}
			if len(unitMembers(members, w)) == 0 {
				return "", qunzhu.Errorf(qunzhu.EINVALID, "不认识「%s」：可以写 我的、逾期 或本群的单位名。例：%s", w, exampleTaskList)
			}
			f.Unit, title = w, w+"未销号的督办"
		}
	}
	f.Offset = (page - 1) * taskPageSize
	tasks, total, err := req.Tx.TaskPage(f)
	if err != nil {
		return "", err
	}
	if total == 0 {
		return title + "：没有。", nil
	}
	cmd := strings.TrimSpace("/督办 列表 " + filter)
	if len(tasks) == 0 {
		last := (total + taskPageSize - 1) / taskPageSize
		return "", qunzhu.Errorf(qunzhu.EINVALID, "%s共%s件，只有%d页。例：%s 第%d页", title, thousands(total), last, cmd, last)
	}
	now := req.Local()
	var b strings.Builder
	fmt.Fprintf(&b, "%s（逾期的在前）", title)
	if total > len(tasks) || page > 1 {
		fmt.Fprintf(&b, "，共 %s 件，第 %d–%d 件", thousands(total), f.Offset+1, f.Offset+len(tasks))
	}
	b.WriteString("：")
	for _, task := range tasks {
		fmt.Fprintf(&b, "\n%s %s｜%s｜%s %s", task.Number(), task.Title, task.Unit,
			qunzhu.FormatWhen(task.Deadline, now), taskState(task, now))
	}
	if f.Offset+len(tasks) < total {
		fmt.Fprintf(&b, "\n下一页：%s 第%d页", cmd, page+1)
	}
	switch {
	case filter == "" && total > len(tasks):
		fmt.Fprintf(&b, "\n按单位看：/督办 列表 %s；只看逾期：/督办 列表 逾期", tasks[0].Unit)
	case f.Unit != "" && total > len(tasks):
		fmt.Fprintf(&b, "\n各单位对比：/督办 统计")
	}
	b.WriteString("\n查看详情：/督办 编号")
	return b.String(), nil
}

// taskPageSize keeps a list page readable on a phone.
const taskPageSize = 20

// pageNumber reads "第2页" (also "2页", "p2").
func pageNumber(w string) (int, bool) {
	w = strings.TrimPrefix(strings.ToLower(w), "第")
	switch {
	case strings.HasSuffix(w, "页"):
		w = strings.TrimSuffix(w, "页")
	case strings.HasPrefix(w, "p"):
		w = strings.TrimPrefix(w, "p")
	default:
		return 0, false
	}
	n, err := strconv.Atoi(w)
	if err != nil || n < 1 || n > 100000 {
		return 0, false
	}
	return n, true
}

// thousands writes n with thousands separators: 1,234.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// handleStats is /督办 统计 [本周|本月|全部]: the per-unit ranking the group
// reads as a public roll call (点名), worst first.
func (ts *Tasks) handleStats(req *Request) (string, error) {
	word := "全部"
	if len(req.Cmd.Args) > 1 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "统计范围只能写一个。例：%s", exampleTaskStats)
	} else if len(req.Cmd.Args) == 1 {
		word = req.Cmd.Args[0]
	}
	now := req.Local()
	since, until, label, ok := statsPeriod(word, now)
	if !ok {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "不认识统计范围「%s」：可以写 本周、上周、本月、上月 或 全部。例：%s", word, exampleTaskStats)
	}
	stats, err := req.Tx.TaskStats(req.In.GroupID, since, until, req.Now)
	if err != nil {
		return "", err
	}
	if len(stats) == 0 {
		return fmt.Sprintf("督办统计（%s）：还没有督办任务。派发：%s", label, exampleTask), nil
	}
	var b strings.Builder
	var sum qunzhu.TaskUnitStats
	var days float64 // days to close, summed over all closed tasks
	fmt.Fprintf(&b, "督办统计（%s），问题多的在前：", label)
	for i, s := range stats {
		fmt.Fprintf(&b, "\n%d. %s：%s", i+1, s.Unit, statsLine(s))
		sum.Assigned += s.Assigned
		sum.ClosedOnTime += s.ClosedOnTime
		sum.ClosedLate += s.ClosedLate
		sum.Open += s.Open
		sum.Overdue += s.Overdue
		sum.Extended += s.Extended
		sum.Transferred += s.Transferred
		days += s.AvgDaysToClose * float64(s.ClosedOnTime+s.ClosedLate)
	}
	if closed := sum.ClosedOnTime + sum.ClosedLate; closed > 0 {
		sum.AvgDaysToClose = days / float64(closed)
	}
	fmt.Fprintf(&b, "\n合计：%s", statsLine(sum))
	return b.String(), nil
}

// statsLine is one unit's numbers.
func statsLine(s qunzhu.TaskUnitStats) string {
	line := fmt.Sprintf("交办%d，按期办结%d，超期办结%d，未办结%d", s.Assigned, s.ClosedOnTime, s.ClosedLate, s.Open)
	if s.Overdue > 0 {
		line += fmt.Sprintf("（逾期%d）", s.Overdue)
	}
	if due := s.ClosedOnTime + s.ClosedLate + s.Overdue; due > 0 {
		// 按期办结率: of the tasks whose deadline has come, the share closed in time.
		line += fmt.Sprintf("，按期办结率%d%%", s.ClosedOnTime*100/due)
	}
	if s.Extended > 0 || s.Transferred > 0 {
		line += fmt.Sprintf("，延期%d次，转办%d次", s.Extended, s.Transferred)
	}
	if s.ClosedOnTime+s.ClosedLate > 0 {
		line += "，平均办结" + averageTime(s.AvgDaysToClose)
	}
	return line
}

// statsPeriod turns 本周, 上周, 本月, 上月, 全部 into [since, until) in now's
// location; weeks start on Monday.
func statsPeriod(word string, now time.Time) (since, until time.Time, label string, ok bool) {
	y, m, d := now.Date()
	loc := now.Location()
	monday := time.Date(y, m, d-(int(now.Weekday())+6)%7, 0, 0, 0, 0, loc)
	month := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	span := func(from, to time.Time, name string) (time.Time, time.Time, string, bool) {
		last := to.AddDate(0, 0, -1)
		return from, to, fmt.Sprintf("%s：%d月%d日—%d月%d日", name, from.Month(), from.Day(), last.Month(), last.Day()), true
	}
	switch word {
	case "本周", "这周", "week":
		return span(monday, monday.AddDate(0, 0, 7), "本周")
	case "上周":
		return span(monday.AddDate(0, 0, -7), monday, "上周")
	case "本月", "这个月", "month":
		return span(month, month.AddDate(0, 1, 0), "本月")
	case "上月", "上个月":
		return span(month.AddDate(0, -1, 0), month, "上月")
	case "全部", "所有", "all":
		return time.Time{}, now.AddDate(1, 0, 0), "全部", true
	}
	return time.Time{}, time.Time{}, "", false
}
