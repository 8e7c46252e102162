package main

import (
	"context"

	"github.com/qunzhu/qunzhu"
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
	wireDingTalk, // platform_dingtalk.go
	wireWeCom,    // platform_wecom.go
}

// sessions are every running platform's session, WeChat first: the
// dashboard's 登录 page and the metrics show one row per platform.
func (a *app) sessions() map[qunzhu.Platform]outbox.Session {
	out := make(map[qunzhu.Platform]outbox.Session, 1+len(a.platforms))
	if a.bot != nil {
		out[qunzhu.PlatformWeChat] = a.bot
	}
	for _, p := range a.platforms {
		out[p.platform] = p.session
	}
	return out
}

// sessionStates is the metrics' view: platform name → state.
func (a *app) sessionStates() map[string]qunzhu.SessionState {
	out := map[string]qunzhu.SessionState{}
	for p, s := range a.sessions() {
		out[string(p)] = s.State()
	}
	return out
}
