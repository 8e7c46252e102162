package main

import (
	"context"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/dingtalk"
	"github.com/qunzhu/qunzhu/outbox"
)

// platformPart is one official platform running beside WeChat: its adapter
// is the Messenger of its outbox lane and the session its fallback watches.
type platformPart struct {
	platform  qunzhu.Platform
	messenger qunzhu.Messenger
	session   outbox.Session
	limits    outbox.Limits
	run       func(context.Context) error
}

// platformWirings build the configured official platforms, one function each;
// a platform that is not configured returns nil.
var platformWirings = []func(a *app, handle func(context.Context, *qunzhu.Inbound)) (*platformPart, error){
	wireDingTalk,
}

// wireDingTalk builds the DingTalk robot when dingtalk.client_id is set.
func wireDingTalk(a *app, handle func(context.Context, *qunzhu.Inbound)) (*platformPart, error) {
	d := a.cfg.DingTalk
	if !d.enabled() {
		return nil, nil
	}
	limits, err := d.Limits.limits(qunzhu.PlatformDingTalk)
	if err != nil {
		return nil, err
	}
	ad, err := dingtalk.New(dingtalk.Config{
		ClientID: d.ClientID, ClientSecret: d.ClientSecret, RobotCode: d.RobotCode, OpenAPIHost: d.OpenAPIHost,
		Store: a.store, Handler: handle, Logger: a.log.With("component", "dingtalk"), Clock: a.clock,
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("DingTalk robot configured", "dingtalk", d)
	return &platformPart{platform: qunzhu.PlatformDingTalk, messenger: ad, session: ad, limits: limits, run: ad.Run}, nil
}
