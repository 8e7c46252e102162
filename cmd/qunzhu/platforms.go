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
}
