package main

import (
	"context"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/outbox"
)

// commandLimits are the per-sender command limits: the configured ones, or
// the router's defaults for those left empty.
func (c *Config) commandLimits() (member, guest qunzhu.Limit, err error) {
	member, guest = commands.DefaultMemberCommands, commands.DefaultGuestCommands
	if c.Limits.CommandsMember != "" {
		if member, err = parseLimit(c.Limits.CommandsMember); err != nil {
			return member, guest, err
		}
	}
	if c.Limits.CommandsGuest != "" {
		if guest, err = parseLimit(c.Limits.CommandsGuest); err != nil {
			return member, guest, err
		}
	}
	return member, guest, nil
}

// wireCodeDelivery puts a one-time code that no private chat could deliver
// on the login page (and tells its owner so in the group), after whatever
// Failed hook the features set.
func wireCodeDelivery(a *app, senderCfg *outbox.Config) {
	failed := senderCfg.Failed
	senderCfg.Failed = func(ctx context.Context, m *qunzhu.OutMessage, err error) {
		if failed != nil {
			failed(ctx, m, err)
		}
		if err := commands.CodeUndelivered(ctx, a.store, m); err != nil {
			a.log.Error("show an undelivered bind code on the login page", "member", m.ToMember, "err", err)
		}
	}
}

// dailyUsage is personal WeChat's count against its daily cap, for /readyz:
// the one platform with a daily cap. Zero when WeChat is off.
func (a *app) dailyUsage() (sent, limit, reserved int) {
	s := a.delivery.Sender(qunzhu.PlatformWeChat)
	if s == nil {
		return 0, 0, 0
	}
	u := s.Usage()
	return u.Sent, u.Cap, u.Reserved
}
