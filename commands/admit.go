package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// Default per-sender command limits. Anyone in a group can type commands, and
// every answer costs the account's pace and daily cap: a guest gets a few
// commands per ten minutes (enough for /帮助, /ping and /认证), a bound member
// thirty at once (an owner assigning a meeting's tasks one after another) and
// one every ten seconds after. A member's replies never push an alert back
// more than one slot anyway: the governor interleaves them.
var (
	DefaultMemberCommands = qunzhu.Limit{Rate: 60, Period: 10 * time.Minute, Burst: 30}
	DefaultGuestCommands  = qunzhu.Limit{Rate: 3, Period: 10 * time.Minute, Burst: 3}
)

// tooFast is the one short answer a sender past their limit gets per window.
const tooFast = "你发送命令太频繁了，暂不受理，请稍后再试。"

// admit decides whether a command from in is handled at all. Past the sender's
// limit it is dropped, with at most one short answer per window; /认证 has its
// own, stricter hourly limit (qunzhu.BindTryLimit) and, past it, silence and
// one notice to the group's owners. The limits live in the Limiter, so with
// Redis they hold across replicas and restarts.
func (r *Router) admit(ctx context.Context, in *qunzhu.Inbound, spec *Spec, log *slog.Logger) (bool, error) {
	lim := r.cfg.Limiter
	if lim == nil {
		return true, nil
	}
	who := string(in.Platform) + ":" + in.Sender.StableKey()
	if spec != nil && spec.Name == "认证" {
		res, err := lim.Allow(ctx, "bindtry:"+who, qunzhu.BindTryLimit)
		if err != nil {
			// Guessing must stay bounded: refuse while the limiter is down.
			log.Error("bind attempt refused: limiter unavailable", slog.Any("err", err))
			return false, nil
		}
		if res.Allowed {
			return true, nil
		}
		log.Warn("bind attempts over the hourly limit; ignored", slog.String("sender", in.Sender.Name()))
		if r.firstInWindow(ctx, "bindtry-told:"+who, qunzhu.BindTryLimit.Period) {
			return false, r.tellOwnersOfGuessing(ctx, in)
		}
		return false, nil
	}
	// Separate keys: a limit's state means nothing under another limit, and
	// a guest who just bound must not carry the guest's count over.
	limit, class := r.cfg.GuestCommands, "guest:"
	if boundMember(in) != nil {
		limit, class = r.cfg.MemberCommands, "member:"
	}
	who = class + who
	res, err := lim.Allow(ctx, "cmd:"+who, limit)
	if err != nil {
		log.Warn("command limit unavailable; command handled", slog.Any("err", err))
		return true, nil
	}
	if res.Allowed {
		return true, nil
	}
	log.Debug("command over the sender's limit; dropped")
	if r.firstInWindow(ctx, "cmd-told:"+who, limit.Period) {
		return false, r.enqueue(ctx, replyMessage(in, tooFast, time.Time{}))
	}
	return false, nil
}

// firstInWindow reports whether this is the first call for key in period:
// how "at most one notice per window" is kept across replicas.
func (r *Router) firstInWindow(ctx context.Context, key string, period time.Duration) bool {
	res, err := r.cfg.Limiter.Allow(ctx, key, qunzhu.Limit{Rate: 1, Period: period, Burst: 1})
	return err == nil && res.Allowed
}

// tellOwnersOfGuessing tells the bound owners of the group once that someone
// is trying codes, naming the sender as the group shows them.
func (r *Router) tellOwnersOfGuessing(ctx context.Context, in *qunzhu.Inbound) error {
	return r.store.Update(ctx, func(tx qunzhu.Tx) error {
		members, err := tx.Members(in.GroupID)
		if err != nil {
			return err
		}
		var mentions []string
		var ats []qunzhu.At
		for _, m := range members {
			if m.Bound && m.Role == qunzhu.RoleOwner {
				mentions = append(mentions, Mention(m.Name))
				ats = append(ats, qunzhu.AtMember(m))
			}
		}
		if len(mentions) == 0 {
			r.cfg.Logger.Warn("bind guessing in a group without a bound owner", slog.Int64("group", in.GroupID))
			return nil
		}
		where := "在群里"
		if in.Private {
			where = "私聊机器人"
		}
		text := fmt.Sprintf("%s【安全提醒】「%s」%s一小时内已试了%d次认证码，之后一小时内的认证不再受理。如果不是误操作，请留意有人冒充成员。",
			strings.Join(mentions, ""), in.Sender.Name(), where, qunzhu.BindTriesPerHour)
		_, err = tx.Enqueue(&qunzhu.OutMessage{GroupID: in.GroupID, Kind: qunzhu.KindAlert, Text: text, At: ats, NotBefore: tx.Now()})
		return err
	})
}

// enqueue writes one message in its own transaction, due at once.
func (r *Router) enqueue(ctx context.Context, m *qunzhu.OutMessage) error {
	return r.store.Update(ctx, func(tx qunzhu.Tx) error {
		_, err := tx.Enqueue(m)
		return err
	})
}
