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

// A round of the ladder posts what its steps call for in as few messages as
// stay readable: a unit with one notice gets the usual card, a unit with
// several one message with counts and the worst cases, and past
// UnitThreshold units the group one message for all; reminders go one per
// person (people with the same tasks share one), each person asked of the
// limiter once per round, and past PeopleThreshold one message names them all.

// maxPendingPerRun bounds what one run reads; the rest waits for the next.
const maxPendingPerRun = 200_000

// post combines the pending steps due at now, group by group.
func (j *TaskSweep) post(ctx context.Context, now time.Time) error {
	var items []*qunzhu.LadderPending
	if err := j.store.View(ctx, func(tx qunzhu.Tx) (err error) {
		items, err = tx.DueLadderPending(now, maxPendingPerRun)
		return err
	}); err != nil {
		return err
	}
	for len(items) > 0 {
		n := 1
		for n < len(items) && items[n].GroupID == items[0].GroupID {
			n++
		}
		group := items[:n]
		items = items[n:]
		if err := j.store.Update(ctx, func(tx qunzhu.Tx) error {
			return j.postGroup(ctx, tx, group, now)
		}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("post ladder round of group %d: %w", group[0].GroupID, err)
		}
	}
	return nil
}

// pendingTask is a pending step with its task.
type pendingTask struct {
	item *qunzhu.LadderPending
	task *qunzhu.Task
	step qunzhu.TaskStep
}

// postGroup writes one group's messages and forgets the pending steps they
// carry; a stale step (its task moved on, closed or paused) is forgotten
// unposted, a reminder the limiter refuses is put off.
func (j *TaskSweep) postGroup(ctx context.Context, tx qunzhu.Tx, items []*qunzhu.LadderPending, now time.Time) error {
	tasks := map[int64]*qunzhu.Task{}
	people := memberCache{}
	var done []int64
	byUnit := map[string][]pendingTask{}
	byPerson := map[int64][]pendingTask{}
	for _, it := range items {
		task, ok := tasks[it.TaskID]
		if !ok {
			var err error
			if task, err = tx.TaskByID(it.TaskID); err != nil {
				return err
			}
			tasks[it.TaskID] = task
		}
		done = append(done, it.ID)
		if task.Status != qunzhu.TaskOpen || task.Withdrawn || !task.SuspendedAt.IsZero() ||
			qunzhu.StepEventKey(task.LadderRound, task.LadderStep) != it.Passed {
			continue
		}
		p := pendingTask{item: it, task: task, step: stepOf(it.Step)}
		if it.MemberID == 0 {
			byUnit[task.Unit] = append(byUnit[task.Unit], p)
		} else {
			byPerson[it.MemberID] = append(byPerson[it.MemberID], p)
		}
	}
	local := now.In(j.cfg.Location)
	var msgs []*qunzhu.OutMessage
	notices, err := j.notices(tx, people, byUnit, local)
	if err != nil {
		return err
	}
	msgs = append(msgs, notices...)
	reminders, deferred, err := j.reminders(ctx, tx, people, byPerson, local)
	if err != nil {
		return err
	}
	msgs = append(msgs, reminders...)
	for _, m := range msgs {
		m.NotBefore = now
		m.Priority = m.Kind.DefaultPriority()
		if _, err := tx.Enqueue(m); err != nil {
			return err
		}
	}
	for at, ids := range deferred {
		if err := tx.DeferLadderPending(ids, at); err != nil {
			return err
		}
		done = slices.DeleteFunc(done, func(id int64) bool { return slices.Contains(ids, id) })
	}
	return tx.DoneLadderPending(done)
}

// stepOf reads a ladder key back ("daily:3").
func stepOf(key string) qunzhu.TaskStep {
	if n, ok := strings.CutPrefix(key, "daily:"); ok {
		v, _ := strconv.Atoi(n)
		return qunzhu.TaskStep{Kind: qunzhu.StepDaily, N: v}
	}
	return qunzhu.TaskStep{Kind: qunzhu.TaskStepKind(key)}
}

// severity orders notices: 红牌 before 黄牌 before 到期.
func severity(s qunzhu.TaskStep) int {
	switch s.Kind {
	case qunzhu.StepRed:
		return 3
	case qunzhu.StepYellow:
		return 2
	case qunzhu.StepDue:
		return 1
	}
	return 0
}

// worstFirst sorts by severity, then by the earliest deadline, then number.
func worstFirst(ps []pendingTask) {
	slices.SortFunc(ps, func(a, b pendingTask) int {
		return cmp.Or(cmp.Compare(severity(b.step), severity(a.step)),
			a.task.Deadline.Compare(b.task.Deadline), cmp.Compare(a.task.ID, b.task.ID))
	})
}

// notices are the group's notices: the usual card for a unit's one notice,
// one message per unit with several, one for the group past the threshold.
func (j *TaskSweep) notices(tx qunzhu.Tx, people memberCache, byUnit map[string][]pendingTask, now time.Time) ([]*qunzhu.OutMessage, error) {
	if len(byUnit) == 0 {
		return nil, nil
	}
	units := make([]string, 0, len(byUnit))
	for u, ps := range byUnit {
		worstFirst(ps)
		units = append(units, u)
	}
	slices.SortFunc(units, func(a, b string) int {
		pa, pb := byUnit[a], byUnit[b]
		return cmp.Or(cmp.Compare(severity(pb[0].step), severity(pa[0].step)), cmp.Compare(len(pb), len(pa)), strings.Compare(a, b))
	})
	if len(units) > j.cfg.UnitThreshold {
		return []*qunzhu.OutMessage{groupNotice(units, byUnit, now)}, nil
	}
	var out []*qunzhu.OutMessage
	for _, u := range units {
		ps := byUnit[u]
		if len(ps) == 1 {
			p := ps[0]
			n := &taskNotice{tx: tx, task: p.task, now: now, cache: people}
			who, err := n.assignees()
			if err != nil {
				return nil, err
			}
			msg, err := n.message(p.step, who)
			if err != nil {
				return nil, err
			}
			msg.DedupKey = fmt.Sprintf("task:%d:%s", p.task.ID, p.item.EventStep)
			out = append(out, msg)
			continue
		}
		msg, err := unitNotice(tx, people, u, ps, now)
		if err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// counts writes "红牌1件、黄牌2件、到期3件".
func counts(ps []pendingTask) string {
	var red, yellow, due int
	for _, p := range ps {
		switch p.step.Kind {
		case qunzhu.StepRed:
			red++
		case qunzhu.StepYellow:
			yellow++
		default:
			due++
		}
	}
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{{red, "红牌"}, {yellow, "黄牌"}, {due, "到期"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%s%d件", c.name, c.n))
		}
	}
	return strings.Join(parts, "、")
}

// worstLine is one of the worst cases: "#3「修复路灯」已逾期5天（红牌）".
func worstLine(p pendingTask, now time.Time) string {
	label := map[qunzhu.TaskStepKind]string{qunzhu.StepRed: "红牌", qunzhu.StepYellow: "黄牌", qunzhu.StepDue: "到期"}[p.step.Kind]
	return fmt.Sprintf("%s「%s」%s（%s）", p.task.Number(), shortTitle(p.task.Title), qunzhu.TimeLeft(p.task.Deadline, now), label)
}

// shortTitle keeps a list line on one phone line.
func shortTitle(s string) string {
	if r := []rune(s); len(r) > 16 {
		return string(r[:15]) + "…"
	}
	return s
}

// maxWorst is how many worst cases a combined message names.
const maxWorst = 3

// unitNotice is one unit's combined notice, naming the unit's people.
func unitNotice(tx qunzhu.Tx, people memberCache, unit string, ps []pendingTask, now time.Time) (*qunzhu.OutMessage, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "【督办提醒】%s有%d件督办需要处理：%s。", unit, len(ps), counts(ps))
	for _, p := range ps[:min(maxWorst, len(ps))] {
		b.WriteString("\n" + worstLine(p, now))
	}
	if len(ps) > maxWorst {
		fmt.Fprintf(&b, "\n等%d件", len(ps))
	}
	var who []*qunzhu.Member
	for _, p := range ps {
		for _, id := range p.task.AssigneeIDs {
			m, err := people.get(tx, id)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(who, m) {
				who = append(who, m)
			}
		}
	}
	fmt.Fprintf(&b, "\n%s请抓紧办理并报告进展，查看：/督办 列表 %s", taskMentions(who), unit)
	msg := &qunzhu.OutMessage{GroupID: ps[0].task.GroupID, Kind: qunzhu.KindAlert, Text: b.String(),
		Urgent: ps[0].step.Kind == qunzhu.StepRed, DedupKey: fmt.Sprintf("ladder:%d:unit", ps[0].item.ID)}
	for _, m := range who {
		msg.At = append(msg.At, qunzhu.AtMember(m))
	}
	return msg, nil
}

// maxUnits is how many units a group's combined notice lists.
const maxUnits = 10

// groupNotice is the one notice of a round that touched many units.
func groupNotice(units []string, byUnit map[string][]pendingTask, now time.Time) *qunzhu.OutMessage {
	var all []pendingTask
	for _, u := range units {
		all = append(all, byUnit[u]...)
	}
	worstFirst(all)
	var b strings.Builder
	fmt.Fprintf(&b, "【督办提醒】本群有%d件督办需要处理（%s），涉及%d个单位：", len(all), counts(all), len(units))
	for _, u := range units[:min(maxUnits, len(units))] {
		fmt.Fprintf(&b, "\n%s %d件（%s）", u, len(byUnit[u]), counts(byUnit[u]))
	}
	if len(units) > maxUnits {
		fmt.Fprintf(&b, "\n等%d个单位", len(units))
	}
	b.WriteString("\n最严重：")
	for _, p := range all[:min(maxWorst, len(all))] {
		b.WriteString("\n" + worstLine(p, now) + " " + p.task.Unit)
	}
	b.WriteString("\n各单位请抓紧办理，查看：/督办 列表 逾期")
	return &qunzhu.OutMessage{GroupID: all[0].task.GroupID, Kind: qunzhu.KindAlert, Text: b.String(),
		Urgent: all[0].step.Kind == qunzhu.StepRed, DedupKey: fmt.Sprintf("ladder:%d:group", all[0].item.ID)}
}
