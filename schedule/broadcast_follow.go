package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Delivered is the outbox sender's hook for a delivered message: when it is a
// broadcast's, the broadcast is followed at once (progress, final report).
// Chain it with other features' hooks in the wiring.
func (j *Broadcasts) Delivered(ctx context.Context, m *qunzhu.OutMessage) {
	j.hook(ctx, m)
}

// Failed is the sender's hook for a message given up for good.
func (j *Broadcasts) Failed(ctx context.Context, m *qunzhu.OutMessage, _ error) {
	j.hook(ctx, m)
}

func (j *Broadcasts) hook(ctx context.Context, m *qunzhu.OutMessage) {
	id, ok := qunzhu.ParseBroadcastRef(m.Ref)
	if !ok {
		return
	}
	err := j.store.Update(ctx, func(tx qunzhu.Tx) error { return j.follow(tx, id, tx.Now()) })
	if err != nil {
		// Not lost: the next Run follows every broadcast still going out.
		j.log.Error("follow broadcast after delivery", "broadcast", id, "err", err)
	}
}

// follow looks at how far broadcast id has gone and tells its author what is
// due: the final report once every group is settled, else progress after
// every ProgressEvery groups or ProgressInterval, and once, when groups keep
// failing for StallAfter, which ones and why. Idempotent by DedupKey.
func (j *Broadcasts) follow(tx qunzhu.Tx, id int64, now time.Time) error {
	b, err := tx.BroadcastByID(id)
	if err != nil {
		return err
	}
	if b.Status != qunzhu.BroadcastSending {
		return nil
	}
	p, err := tx.BroadcastProgress(b.ID)
	if err != nil {
		return err
	}
	switch {
	case p.Finished():
		if err := j.tell(tx, b, "report", j.report(b, p, now)); err != nil {
			return err
		}
		b.Status, b.FinishedAt = qunzhu.BroadcastDone, now
		b.ReportedDone, b.ReportedAt = p.Done(), now
		return tx.UpdateBroadcast(b)
	case qunzhu.ProgressDue(b, p, now, j.cfg.ProgressEvery, j.cfg.ProgressInterval):
		text := fmt.Sprintf("%s已发送 %d/%d", title(b), p.Sent, p.Total)
		if p.Failed > 0 {
			text += fmt.Sprintf("，%d个群没发出", p.Failed)
		}
		if err := j.tell(tx, b, fmt.Sprintf("progress:%d", p.Done()), text); err != nil {
			return err
		}
		b.ReportedDone, b.ReportedAt = p.Done(), now
		return tx.UpdateBroadcast(b)
	case j.cfg.StallAfter > 0 && now.Sub(b.QueuedAt) >= j.cfg.StallAfter:
		var stuck []qunzhu.BroadcastProblem
		for _, pr := range p.Problems {
			if pr.Status != qunzhu.OutFailed {
				stuck = append(stuck, pr)
			}
		}
		if len(stuck) == 0 {
			return nil
		}
		return j.tell(tx, b, "stall", fmt.Sprintf("%s已发送 %d/%d，这%d个群一直发不出去，会继续重试：%s\n不需要了请发送：/群发 取消 %d",
			title(b), p.Sent, p.Total, len(stuck), problemList(stuck), b.ID))
	}
	return nil
}

// report is the final word on a broadcast: all delivered, or which groups
// were not and why.
func (j *Broadcasts) report(b *qunzhu.Broadcast, p qunzhu.BroadcastProgress, now time.Time) string {
	took := ""
	if !b.QueuedAt.IsZero() {
		took = "，用时" + tookTime(now.Sub(b.QueuedAt))
	}
	if p.Failed == 0 {
		return fmt.Sprintf("%s已完成：%d个群全部送达%s。", title(b), p.Sent, took)
	}
	var failed []qunzhu.BroadcastProblem
	for _, pr := range p.Problems {
		if pr.Status == qunzhu.OutFailed {
			failed = append(failed, pr)
		}
	}
	return fmt.Sprintf("%s已完成：送达 %d/%d 个群%s；%d个群没有发出：%s",
		title(b), p.Sent, p.Total, took, p.Failed, problemList(failed))
}

// title names a broadcast in the author's messages.
func title(b *qunzhu.Broadcast) string {
	if b.GreetingID != 0 {
		return fmt.Sprintf("%d年%s祝福（群发编号%d）", b.Year, b.Festival, b.ID)
	}
	return fmt.Sprintf("群发（编号%d）", b.ID)
}

// problemList writes one line per group with the reason in words.
func problemList(ps []qunzhu.BroadcastProblem) string {
	const max = 20
	var s strings.Builder
	for i, pr := range ps {
		if i == max {
			fmt.Fprintf(&s, "\n……另有%d个群", len(ps)-max)
			break
		}
		fmt.Fprintf(&s, "\n%s：%s", pr.GroupName, FailureReason(pr.LastError))
	}
	return s.String()
}

// FailureReason turns the sender's last error into words for the author:
// qunzhu errors carry their Chinese message, the session errors are known,
// anything else is shown shortened.
func FailureReason(lastErr string) string {
	switch {
	case lastErr == qunzhu.BroadcastStopped:
		return "已取消"
	case strings.Contains(lastErr, qunzhu.ErrGroupUnavailable.Error()):
		return "这次登录的微信里找不到这个群（可能改了群名，或机器人不在群里了）"
	case strings.Contains(lastErr, qunzhu.ErrOffline.Error()):
		return "微信掉线，等重新登录"
	case strings.Contains(lastErr, qunzhu.ErrThrottled.Error()):
		return "微信提示操作频繁，稍后重试"
	}
	if _, msg, ok := strings.Cut(lastErr, "message="); ok && msg != "" {
		return msg
	}
	if r := []rune(lastErr); len(r) > 60 {
		lastErr = string(r[:60]) + "…"
	}
	if lastErr == "" {
		return "原因不明"
	}
	return "发送出错（" + lastErr + "）"
}

// tookTime writes how long a broadcast took: "12秒", "3分钟", "1小时5分钟".
func tookTime(d time.Duration) string {
	switch {
	case d < time.Second:
		return "不到1秒"
	case d < time.Minute:
		return fmt.Sprintf("%d秒", int(d.Round(time.Second)/time.Second))
	}
	return qunzhu.RoughDuration(d)
}
