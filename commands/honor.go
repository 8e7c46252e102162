package commands

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Examples of the 红黑榜 commands.
const (
	examplePraiseTask = "/点赞 23 路灯当天就修好了"
	examplePraiseUnit = "/点赞 市城管委 本周办结又快又好"
	maxPraiseRunes    = 200
	// DefaultStallFor is how long an open task may go without progress
	// before the 红黑榜 calls it 停滞 (stalled).
	DefaultStallFor = 7 * 24 * time.Hour
	// honorLimit is how many units each list names in chat.
	honorLimit = 10
)

// Honor holds /红黑榜 and /点赞: the week's ranking that praises and names,
// and an owner's public praise that counts in it.
type Honor struct {
	stallFor time.Duration
}

// NewHonor returns the commands; stallFor 0 means DefaultStallFor.
func NewHonor(stallFor time.Duration) *Honor {
	if stallFor <= 0 {
		stallFor = DefaultStallFor
	}
	return &Honor{stallFor: stallFor}
}

// Specs are /红黑榜 and /点赞 as /帮助 lists them.
func (h *Honor) Specs() []Spec {
	return []Spec{
		{Name: "红黑榜", Aliases: []string{"honor"}, MinRole: qunzhu.RoleMember, Handle: h.handleBoard,
			Summary: "本周红黑榜：红榜是按期办结、作业交齐或获点赞的单位，黑榜按最长逾期、停滞天数和缺交排序（不按任务多少）",
			Example: "/红黑榜"},
		{Name: "点赞", Aliases: []string{"praise"}, MinRole: qunzhu.RoleOwner, Handle: h.handlePraise,
			Summary: "群主为督办的责任单位或某个单位点赞，计入本周红榜", Example: examplePraiseTask},
	}
}

func (h *Honor) handleBoard(req *Request) (string, error) {
	loc := req.Router.cfg.Location
	b, err := qunzhu.LoadHonorBoard(req.Tx, req.In.GroupID, req.Now, h.stallFor, loc)
	if err != nil {
		return "", err
	}
	return b.Text(loc, honorLimit), nil
}

// handlePraise is /点赞 <编号|单位> <话>.
func (h *Honor) handlePraise(req *Request) (string, error) {
	word, text := splitWord(req.Cmd.Rest)
	text = strings.TrimSpace(text)
	if word == "" || text == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上督办编号或单位，再写点赞的话。例：%s，%s", examplePraiseTask, examplePraiseUnit)
	}
	if utf8.RuneCountInString(text) > maxPraiseRunes {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "点赞的话太长了（最多%d个字）。", maxPraiseRunes)
	}
	p := &qunzhu.Praise{GroupID: req.In.GroupID, MemberID: req.Member().ID, MemberName: req.Member().Name, Text: text}
	if _, isNumber := taskNumber(word); isNumber {
		task, err := loadTask(req, word, examplePraiseTask)
		if err != nil {
			return "", err
		}
		if task.Unit == "" {
			return "", qunzhu.Errorf(qunzhu.EINVALID, "督办%s没有责任单位，请直接写单位：%s", task.Number(), examplePraiseUnit)
		}
		p.TaskID, p.Unit = task.ID, task.Unit
	} else {
		units, err := groupUnits(req)
		if err != nil {
			return "", err
		}
		if !slices.Contains(units, word) {
			return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "本群没有单位「%s」。本群的单位：%s", word, strings.Join(units, "、"))
		}
		p.Unit = word
	}
	if err := req.Tx.AddPraise(p); err != nil {
		return "", err
	}
	what := p.Unit
	if p.TaskID != 0 {
		what = fmt.Sprintf("%s（督办#%d）", p.Unit, p.TaskID)
	}
	return fmt.Sprintf("👍【点赞】%s为%s点赞：%s\n（计入本周红榜，查看：/红黑榜）", p.MemberName, what, text), nil
}

// groupUnits are the units the group knows: its members', its roster's and
// its tasks'.
func groupUnits(req *Request) ([]string, error) {
	var units []string
	add := func(u string) {
		if u != "" && !slices.Contains(units, u) {
			units = append(units, u)
		}
	}
	members, err := req.Tx.Members(req.In.GroupID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if m.Role == qunzhu.RoleMember {
			add(m.Unit)
		}
	}
	roster, err := req.Tx.Roster(req.In.GroupID, req.Now)
	if err != nil {
		return nil, err
	}
	for _, r := range roster {
		add(r.Unit)
	}
	tasks, err := req.Tx.LedgerTasks(qunzhu.LedgerFilter{GroupIDs: []int64{req.In.GroupID}, Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		add(t.Unit)
	}
	return units, nil
}
