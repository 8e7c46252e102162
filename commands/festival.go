package commands

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

const exampleFestivalSet = "/节日 设置 端午 9:00 {节日}安康！{群名}的同志们辛苦了"

// handleFestivalSet (/节日 设置 <节日> <时间> <内容>) sets a yearly greeting:
// on the festival's day at that time, to every group the sender owns now. Set
// again for the same festival, it replaces the earlier text and time.
func (bs *Broadcasts) handleFestivalSet(req *Request) (string, error) {
	cal := bs.cfg.Calendar
	if cal == nil {
		return "", fmt.Errorf("commands: /节日 needs a calendar")
	}
	if len(req.Cmd.Args) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上节日、时间和内容。例：%s", exampleFestivalSet)
	}
	f, ok := cal.Festival(req.Cmd.Args[0])
	if !ok {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "不认识节日「%s」。可以设置：%s。例：%s",
			req.Cmd.Args[0], festivalNames(cal), exampleFestivalSet)
	}
	hour, minute, text, err := clockTime(cutFirstWord(req.Cmd.Rest), req.Local())
	if err != nil {
		return "", err
	}
	if text == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上祝福的内容。例：%s", exampleFestivalSet)
	} else if len([]rune(text)) > maxBroadcastRunes {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "祝福内容太长了（最多%d个字）。", maxBroadcastRunes)
	}
	groups, err := bs.targets(req, "")
	if err != nil {
		return "", err
	}
	next, year, ok := qunzhu.NextFestivalTime(cal, f.Name, hour, minute, req.Now)
	if !ok {
		return "", fmt.Errorf("commands: no date for %s after %v", f.Name, req.Now)
	}

	m := req.Member()
	g, elsewhere, err := bs.greetingOf(req, groups, f.Name)
	if err != nil {
		return "", err
	}
	verb, replaced := "已设置", ""
	if g == nil {
		g = &qunzhu.Greeting{Festival: f.Name, AuthorID: m.ID, AuthorName: m.Name, OriginGroupID: req.In.GroupID}
	} else {
		verb = "已更新"
	}
	// One greeting per person and festival: the one set from another group
	// is replaced by this one, so no group gets the festival twice.
	for _, old := range elsewhere {
		old.Status = qunzhu.GreetingCancelled
		if err := req.Tx.UpdateGreeting(old); err != nil {
			return "", err
		}
		if g.ImageID == 0 {
			g.ImageID = old.ImageID
		}
		verb = "已更新"
		replaced += fmt.Sprintf("，替换在「%s」设置的编号%d", groupName(groups, old.OriginGroupID), old.ID)
	}
	g.Hour, g.Minute, g.Text, g.NextAt, g.NextYear = hour, minute, text, next, year
	g.Targets = g.Targets[:0]
	for _, grp := range groups {
		g.Targets = append(g.Targets, grp.ID)
	}
	if g.ID == 0 {
		err = req.Tx.CreateGreeting(g)
	} else {
		err = req.Tx.UpdateGreeting(g)
	}
	if err != nil {
		return "", err
	}
	if err := req.ExpectPicture(AttachGreeting, g.ID, bs.cfg.PictureWindow); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s节日祝福（编号%d%s）：每年%s %02d:%02d 发往%d个群：%s\n下次：%s\n本群收到的样子：%s\n要附图片，请在%s内发一张图片。取消：/节日 取消 %s",
		verb, g.ID, replaced, f.FullName, hour, minute, len(groups), groupNames(groups, 20),
		qunzhu.FormatWhen(next, req.Local()), qunzhu.FillPlaceholders(text, f.FullName, req.In.GroupName),
		chineseDuration(bs.cfg.PictureWindow), f.Name), nil
}

// clockTime reads the time of day a greeting goes out ("9:00", "上午9点",
// "下午3点半") with ParseWhen, the grammar every time in qunzhu uses, and
// returns the text without it. A date is refused: the date is the festival's.
func clockTime(text string, now time.Time) (hour, minute int, rest string, err error) {
	y, m, d := now.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	bad := qunzhu.Errorf(qunzhu.EINVALID, "请在节日后面写上发送的钟点，如 9:00、上午9点、下午3点半。例：%s", exampleFestivalSet)
	t, rest, leading, err := whenAndText(text, midnight)
	if err != nil || t.IsZero() || !leading {
		return 0, 0, "", bad
	}
	if ty, tm, td := t.Date(); ty != y || tm != m || td != d {
		return 0, 0, "", bad
	}
	return t.Hour(), t.Minute(), rest, nil
}

// greetingOf finds the sender's active greetings for a festival among the
// groups they own: the one set in this group (nil if none), and those set in
// another group, where the same person is another member.
func (bs *Broadcasts) greetingOf(req *Request, groups []*qunzhu.Group, festival string) (here *qunzhu.Greeting, elsewhere []*qunzhu.Greeting, err error) {
	for _, grp := range groups {
		author := req.Member().ID
		if grp.ID != req.In.GroupID {
			m, err := req.Tx.MemberBySession(grp.ID, req.In.Sender.SessionKey)
			if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, nil, err
			}
			author = m.ID
		}
		list, err := req.Tx.GreetingsFrom(grp.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, g := range list {
			switch {
			case g.AuthorID != author || g.Festival != festival:
			case grp.ID == req.In.GroupID:
				here = g
			default:
				elsewhere = append(elsewhere, g)
			}
		}
	}
	return here, elsewhere, nil
}

// groupName is the name of group id among groups, for replies.
func groupName(groups []*qunzhu.Group, id int64) string {
	for _, g := range groups {
		if g.ID == id {
			return g.Name
		}
	}
	return fmt.Sprintf("群%d", id)
}

// handleFestivalList (/节日 列表) shows the greetings set in this group with
// their next sending, and the dates of the festivals coming up.
func (bs *Broadcasts) handleFestivalList(req *Request) (string, error) {
	cal := bs.cfg.Calendar
	if cal == nil {
		return "", fmt.Errorf("commands: /节日 needs a calendar")
	}
	list, err := req.Tx.GreetingsFrom(req.In.GroupID)
	if err != nil {
		return "", err
	}
	local := req.Local()
	var s strings.Builder
	if len(list) == 0 {
		s.WriteString("本群还没有设置节日祝福。设置：" + exampleFestivalSet)
	} else {
		s.WriteString("本群设置的节日祝福（每年自动发送）：")
		for _, g := range list {
			fmt.Fprintf(&s, "\n#%d %s：下次%s，%d个群，%s设置：%s", g.ID, g.Festival,
				qunzhu.FormatWhen(g.NextAt, local), len(g.Targets), g.AuthorName, snippet(g.Text, 20))
		}
	}
	s.WriteString("\n近期节日：")
	for _, u := range upcoming(cal, local, 6) {
		fmt.Fprintf(&s, "\n%s %s", u.name, festivalDay(u.day, local))
	}
	return s.String(), nil
}

// festivalDay writes a festival's date: "6月19日（周五）", with the year when
// it is not this year's, and "今天" for today.
func festivalDay(day, now time.Time) string {
	if y, m, d := now.Date(); day.Year() == y && day.Month() == m && day.Day() == d {
		return "今天"
	}
	s := fmt.Sprintf("%d月%d日（%s）", day.Month(), day.Day(), qunzhu.WeekdayName(day.Weekday()))
	if day.Year() != now.Year() {
		s = fmt.Sprintf("%d年", day.Year()) + s
	}
	return s
}

type upcomingDay struct {
	name string
	day  time.Time
}

// upcoming lists the next n festivals from today on, soonest first.
func upcoming(cal qunzhu.Calendar, now time.Time, n int) []upcomingDay {
	y, m, d := now.Date()
	startOfDay := time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Add(-time.Nanosecond)
	var out []upcomingDay
	for _, f := range cal.Festivals() {
		if at, _, ok := qunzhu.NextFestivalTime(cal, f.Name, 0, 0, startOfDay); ok {
			out = append(out, upcomingDay{f.Name, at})
		}
	}
	slices.SortStableFunc(out, func(a, b upcomingDay) int { return a.day.Compare(b.day) })
	return out[:min(n, len(out))]
}

// festivalNames lists the festivals that can be set, for refusals.
func festivalNames(cal qunzhu.Calendar) string {
	var names []string
	for _, f := range cal.Festivals() {
		names = append(names, f.Name)
	}
	return strings.Join(names, "、")
}

// handleFestivalCancel (/节日 取消 <节日或编号>) stops a yearly greeting.
func (bs *Broadcasts) handleFestivalCancel(req *Request) (string, error) {
	const example = "/节日 取消 端午"
	if len(req.Cmd.Args) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上要取消的节日或编号。例：%s", example)
	}
	list, err := req.Tx.GreetingsFrom(req.In.GroupID)
	if err != nil {
		return "", err
	}
	word := strings.TrimPrefix(req.Cmd.Args[0], "#")
	var found []*qunzhu.Greeting
	for _, g := range list {
		if fmt.Sprint(g.ID) == word {
			found = []*qunzhu.Greeting{g}
			break
		}
		if f, ok := bs.cfg.Calendar.Festival(word); ok && f.Name == g.Festival {
			found = append(found, g)
		}
	}
	// Among several owners' greetings for one festival, the sender's own.
	if len(found) > 1 {
		found = slices.DeleteFunc(found, func(g *qunzhu.Greeting) bool { return g.AuthorID != req.Member().ID })
	}
	if len(found) == 0 {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "本群没有设置「%s」的节日祝福。查看：/节日 列表", req.Cmd.Args[0])
	}
	g := found[0]
	if g.AuthorID != req.Member().ID {
		return "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有设置人%s可以取消这条节日祝福（编号%d）。", g.AuthorName, g.ID)
	}
	g.Status = qunzhu.GreetingCancelled
	if err := req.Tx.UpdateGreeting(g); err != nil {
		return "", err
	}
	return fmt.Sprintf("已取消%s祝福（编号%d），以后不再发送。", g.Festival, g.ID), nil
}

// AttachGreetingPicture takes the picture sent right after /节日 设置 into the
// greeting, to go with it every year; register it for AttachGreeting.
func (bs *Broadcasts) AttachGreetingPicture(r *Request, slot *qunzhu.AttachSlot, imageID int64) (string, error) {
	g, err := r.Tx.GreetingByID(slot.RefID)
	if err != nil {
		return "", err
	}
	if g.Status != qunzhu.GreetingActive {
		return fmt.Sprintf("节日祝福（编号%d）已取消，这张图片没有附上。", g.ID), nil
	}
	g.ImageID = imageID
	if err := r.Tx.UpdateGreeting(g); err != nil {
		return "", err
	}
	return fmt.Sprintf("图片已附到%s祝福（编号%d），每年会跟在文字后面发出。", g.Festival, g.ID), nil
}
