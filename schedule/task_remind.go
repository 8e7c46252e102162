package schedule

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// maxRemindLines is how many tasks one person's combined reminder lists,
// maxPeopleLines how many people (or people sharing tasks) a round's one
// reminder names; the rest read /督办 列表 我的.
const (
	maxRemindLines = 8
	maxPeopleLines = 20
)

// personReminder is one message's worth of reminders: the people who share
// exactly these tasks.
type personReminder struct {
	people []*qunzhu.Member
	tasks  []pendingTask
}

// reminders asks the limiter once per person and returns the messages for
// those allowed, and the pending ids to put off (by when) for the others.
func (j *TaskSweep) reminders(ctx context.Context, tx qunzhu.Tx, people memberCache, byPerson map[int64][]pendingTask,
	now time.Time) ([]*qunzhu.OutMessage, map[time.Time][]int64, error) {
	deferred := map[time.Time][]int64{}
	sets := map[string]*personReminder{}
	var order []string
	ids := make([]int64, 0, len(byPerson))
	for id := range byPerson {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ps := byPerson[id]
		m, err := people.get(tx, id)
		if err != nil {
			return nil, nil, err
		}
		ok, retry, err := j.allowPerson(ctx, m)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			at := now.Add(max(retry, time.Minute)).Truncate(time.Second)
			for _, p := range ps {
				deferred[at] = append(deferred[at], p.item.ID)
			}
			j.cfg.Logger.Info("task reminder refused by the limiter", "member_id", id, "tasks", len(ps), "retry_at", at)
			continue
		}
		slices.SortFunc(ps, func(a, b pendingTask) int {
			return cmp.Or(a.task.Deadline.Compare(b.task.Deadline), cmp.Compare(a.task.ID, b.task.ID))
		})
		var key strings.Builder
		for _, p := range ps {
			fmt.Fprintf(&key, "%d:%s,", p.task.ID, p.item.EventStep)
		}
		set, ok := sets[key.String()]
		if !ok {
			set = &personReminder{tasks: ps}
			sets[key.String()] = set
			order = append(order, key.String())
		}
		set.people = append(set.people, m)
	}
	if len(order) > j.cfg.PeopleThreshold {
		return []*qunzhu.OutMessage{peopleReminder(order, sets, now)}, deferred, nil
	}
	var out []*qunzhu.OutMessage
	for _, k := range order {
		set := sets[k]
		var msg *qunzhu.OutMessage
		if len(set.tasks) == 1 {
			p := set.tasks[0]
			n := &taskNotice{tx: tx, task: p.task, now: now, cache: people}
			var err error
			if msg, err = n.message(p.step, set.people); err != nil {
				return nil, nil, err
			}
		} else {
			msg = combinedReminder(set, now)
			for _, m := range set.people {
				msg.At = append(msg.At, qunzhu.AtMember(m))
			}
		}
		msg.DedupKey = fmt.Sprintf("ladder:%d:remind", set.tasks[0].item.ID)
		out = append(out, msg)
	}
	return out, deferred, nil
}

// allowPerson asks the per-person limits for one more reminder.
func (j *TaskSweep) allowPerson(ctx context.Context, m *qunzhu.Member) (bool, time.Duration, error) {
	for i, limit := range j.cfg.PersonLimits {
		ok, retry, err := j.try(ctx, PersonLimitKey(m.ID, i), limit)
		if err != nil || !ok {
			return false, retry, err
		}
	}
	return true, 0, nil
}

// combinedReminder is "@李强 您有3件督办待办：…" for people sharing tasks.
func combinedReminder(set *personReminder, now time.Time) *qunzhu.OutMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "%s您有%d件督办待办：", taskMentions(set.people), len(set.tasks))
	for _, p := range set.tasks[:min(maxRemindLines, len(set.tasks))] {
		fmt.Fprintf(&b, "\n%s「%s」%s", p.task.Number(), shortTitle(p.task.Title), qunzhu.TimeLeft(p.task.Deadline, now))
	}
	if len(set.tasks) > maxRemindLines {
		fmt.Fprintf(&b, "\n等%d件，查看：/督办 列表 我的", len(set.tasks))
	}
	b.WriteString("\n请抓紧办理并报告进展：/进展 编号 内容")
	return &qunzhu.OutMessage{GroupID: set.tasks[0].task.GroupID, Kind: qunzhu.KindReminder, Text: b.String()}
}

// peopleReminder is the one reminder of a round that would remind many.
func peopleReminder(order []string, sets map[string]*personReminder, now time.Time) *qunzhu.OutMessage {
	var b strings.Builder
	b.WriteString("【督办待办提醒】以下同志有督办待办：")
	msg := &qunzhu.OutMessage{Kind: qunzhu.KindReminder}
	var first int64
	for i, k := range order {
		set := sets[k]
		if i == maxPeopleLines {
			fmt.Fprintf(&b, "\n等%d组同志", len(order))
			break
		}
		overdue := 0
		for _, p := range set.tasks {
			if now.After(p.task.Deadline) {
				overdue++
			}
		}
		line := fmt.Sprintf("%d件", len(set.tasks))
		if overdue > 0 {
			line += fmt.Sprintf("（逾期%d件）", overdue)
		}
		b.WriteString("\n" + taskMentions(set.people) + line)
		for _, m := range set.people {
			msg.At = append(msg.At, qunzhu.AtMember(m))
		}
		msg.GroupID = set.tasks[0].task.GroupID
		if id := set.tasks[0].item.ID; first == 0 || id < first {
			first = id
		}
	}
	b.WriteString("\n请抓紧办理并报告进展，查看：/督办 列表 我的")
	msg.Text = b.String()
	msg.DedupKey = "ladder:" + strconv.FormatInt(first, 10) + ":people"
	return msg
}

// taskNotice writes the ladder's messages for one task, loading the people it
// names once.
type taskNotice struct {
	tx     qunzhu.Tx
	task   *qunzhu.Task
	now    time.Time
	cache  memberCache
	people []*qunzhu.Member
	loaded bool
}

func (n *taskNotice) assignees() ([]*qunzhu.Member, error) {
	if n.loaded {
		return n.people, nil
	}
	for _, id := range n.task.AssigneeIDs {
		m, err := n.cache.get(n.tx, id)
		if err != nil {
			return nil, err
		}
		n.people = append(n.people, m)
	}
	n.loaded = true
	return n.people, nil
}

// message is the outbox row for step s of one task, naming people.
func (n *taskNotice) message(s qunzhu.TaskStep, people []*qunzhu.Member) (*qunzhu.OutMessage, error) {
	t, now := n.task, n.now
	who := taskMentions(people)
	what := fmt.Sprintf("督办%s「%s」", t.Number(), t.Title)
	due := qunzhu.FormatWhen(t.Deadline, now)
	late := qunzhu.RoughDuration(now.Sub(t.Deadline))
	msg := &qunzhu.OutMessage{GroupID: t.GroupID, Kind: qunzhu.KindAlert, NotBefore: n.now, Ref: fmt.Sprintf("task:%d", t.ID)}
	switch s.Kind {
	case qunzhu.StepRemind:
		msg.Kind = qunzhu.KindReminder
		msg.Text = fmt.Sprintf("%s提醒：%s将于%s到期（%s），请抓紧办理，办完发送：/办结 %d 内容",
			who, what, due, qunzhu.TimeLeft(t.Deadline, now), t.ID)
	case qunzhu.StepDue:
		msg.Text = fmt.Sprintf("【到期】%s已到期（期限%s），责任单位：%s。%s请尽快办结并报告：/办结 %d 内容",
			what, due, t.Unit, who, t.ID)
	case qunzhu.StepYellow:
		msg.Text = fmt.Sprintf("【黄牌】%s已逾期%s，责任单位：%s。%s请立即办理并报告进展：/进展 %d 内容",
			what, late, t.Unit, who, t.ID)
	case qunzhu.StepRed:
		msg.Urgent = true // copied to the fallback robot during a long WeChat outage
		owners, err := n.owners()
		if err != nil {
			return nil, err
		}
		for _, m := range owners {
			msg.At = append(msg.At, qunzhu.AtMember(m))
		}
		msg.Text = fmt.Sprintf("【红牌】%s已逾期%s，责任单位：%s，请%s关注。%s",
			what, late, t.Unit, orString(taskMentions(owners), "群主"), strings.TrimSuffix(who, "\u2005"))
	case qunzhu.StepDaily:
		msg.Kind = qunzhu.KindReminder
		msg.Text = fmt.Sprintf("%s%s已逾期%s（期限%s），请抓紧办理并报告进展：/进展 %d 内容",
			who, what, late, due, t.ID)
	default:
		return nil, fmt.Errorf("unknown ladder step %q", s.Kind)
	}
	msg.Priority = msg.Kind.DefaultPriority()
	for _, m := range people {
		msg.At = append(msg.At, qunzhu.AtMember(m))
	}
	return msg, nil
}

// owners are the group's owners (群主), whom a 红牌 calls on.
func (n *taskNotice) owners() ([]*qunzhu.Member, error) {
	members, err := n.tx.Members(n.task.GroupID)
	if err != nil {
		return nil, err
	}
	var owners []*qunzhu.Member
	for _, m := range members {
		if m.Role == qunzhu.RoleOwner {
			owners = append(owners, m)
		}
	}
	return owners, nil
}
