package webhook

import (
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// What a hotline ticket looks like in a group. Every field is shown through
// shown (cut, masked, then clipped so no number is split), and the whole
// text is masked again before it is enqueued (overdueMessage, ticketClosed);
// the citizen's number is written out so that the masked form shows the
// caller was identified, and the full number stays in the store. Texts are
// rendered inside the transaction (a digest is rewritten as tickets join),
// so each field is bounded first: masking stays a few hundred characters.

// contentShown bounds the complaint quoted in a notice: the group needs the
// gist; the ticket's link has the rest.
const contentShown = 200

// titleShown bounds a ticket's title in a notice and a task; digestShownRunes
// the gist of each ticket in a digest's list.
const (
	titleShown       = 200
	digestShownRunes = 40
	// nameShown bounds a unit, district, category or phone field; urlShown
	// the ticket's link. With them a whole notice stays under 1,500
	// characters, so rendering it inside the transaction stays cheap.
	nameShown = 100
	urlShown  = 500
)

// noticeText announces one overdue ticket, naming the unit and mentioning
// its people in the group.
func noticeText(mask func(string) string, tk *qunzhu.Ticket, contacts []string, now time.Time, loc *time.Location) string {
	var b strings.Builder
	b.WriteString("【12345热线·超期工单】\n")
	fmt.Fprintf(&b, "责任单位：%s\n", shown(mask, tk.Unit, nameShown))
	fmt.Fprintf(&b, "工单编号：%s", tk.TicketID)
	if tk.TaskID != 0 {
		fmt.Fprintf(&b, "（督办#%d）", tk.TaskID)
	}
	b.WriteString("\n")
	if tk.Title != "" {
		fmt.Fprintf(&b, "诉求标题：%s\n", shown(mask, tk.Title, titleShown))
	}
	if c := strings.TrimSpace(tk.Content); c != "" {
		fmt.Fprintf(&b, "诉求内容：%s\n", shown(mask, c, contentShown))
	}
	if where := joinNonEmpty("　", prefixed("区域：", shown(mask, tk.District, nameShown)), prefixed("类别：", shown(mask, tk.Category, nameShown))); where != "" {
		b.WriteString(where + "\n")
	}
	if tk.CitizenPhone != "" {
		fmt.Fprintf(&b, "市民电话：%s\n", shown(mask, tk.CitizenPhone, nameShown))
	}
	if !tk.Deadline.IsZero() {
		fmt.Fprintf(&b, "办理时限：%s", tk.Deadline.In(loc).Format("1月2日 15:04"))
		if over := overdueFor(tk, now); over != "" {
			fmt.Fprintf(&b, "，已超期 %s", over)
		}
		b.WriteString("\n")
	}
	if tk.URL != "" {
		fmt.Fprintf(&b, "工单详情：%s\n", shown(mask, tk.URL, urlShown))
	}
	b.WriteString(callToAct(contacts))
	return b.String()
}

// digestText lists several overdue tickets of one unit in one message.
func digestText(mask func(string) string, unit string, tickets []*qunzhu.Ticket, total int, contacts []string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "【12345热线·超期工单汇总】%s 共 %d 件\n", shown(mask, unit, nameShown), total)
	for i, tk := range tickets {
		fmt.Fprintf(&b, "%d. %s %s", i+1, tk.TicketID, shown(mask, orDefault(tk.Title, tk.Content), digestShownRunes))
		detail := joinNonEmpty("，", tk.District, prefixed("超期 ", overdueFor(tk, now)))
		if tk.TaskID != 0 {
			detail = joinNonEmpty("，", detail, fmt.Sprintf("督办#%d", tk.TaskID))
		}
		if detail != "" {
			b.WriteString("（" + detail + "）")
		}
		b.WriteString("\n")
	}
	if total > len(tickets) {
		fmt.Fprintf(&b, "……另有 %d 件未列出，发送 /督办 列表 查看全部\n", total-len(tickets))
	}
	b.WriteString(callToAct(contacts))
	return b.String()
}

// closingText is the short line when the hotline closes a ticket.
func closingText(tk *qunzhu.Ticket) string {
	s := fmt.Sprintf("【12345热线】工单 %s（%s）已办结", tk.TicketID, orDefault(tk.Unit, "未填单位"))
	if tk.TaskID != 0 {
		s += fmt.Sprintf("，督办#%d 已销号", tk.TaskID)
	}
	return s + "。"
}

// taskTitle is the 督办 task's title: the ticket number and its gist, masked
// (the task list is shown in groups too).
func taskTitle(mask func(string) string, tk *qunzhu.Ticket) string {
	return shown(mask, "12345工单 "+tk.TicketID+" "+orDefault(tk.Title, tk.Content), titleShown)
}

func callToAct(contacts []string) string {
	var b strings.Builder
	for _, name := range contacts {
		b.WriteString(mention(name))
	}
	b.WriteString("请尽快办理，并在群里反馈进展。")
	return b.String()
}

// overdueFor says how long the ticket is overdue: what the hotline said, or
// the time since its deadline.
func overdueFor(tk *qunzhu.Ticket, now time.Time) string {
	d := time.Duration(tk.OverdueMinutes) * time.Minute
	if d == 0 && !tk.Deadline.IsZero() && now.After(tk.Deadline) {
		d = now.Sub(tk.Deadline)
	}
	switch {
	case d <= 0:
		return ""
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d 小时", int(d.Hours()))
	}
	days, hours := int(d.Hours())/24, int(d.Hours())%24
	if hours == 0 {
		return fmt.Sprintf("%d 天", days)
	}
	return fmt.Sprintf("%d 天 %d 小时", days, hours)
}

// shown is a field as a group sees it: spaces collapsed, cut to n
// characters plus room for a number that crosses the cut (so it is still
// recognised), masked, then clipped at n without splitting a number: the
// hotline digest once showed "请回电139123456……" because it clipped first.
func shown(mask func(string) string, s string, n int) string {
	if rs := []rune(s); len(rs) > 2*n+64 {
		s = string(rs[:2*n+64]) // spaces collapse below: keep enough
	}
	s = strings.Join(strings.Fields(s), " ")
	if rs := []rune(s); len(rs) > n+64 {
		s = string(rs[:n+64])
	}
	return qunzhu.ClipText(mask(s), n)
}

func prefixed(prefix, s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return prefix + strings.TrimSpace(s)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
