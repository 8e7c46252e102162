package qunzhu

import "strings"

// Platform is the chat platform a group lives on. A group belongs to exactly
// one platform; features never look at it, only the adapters, the sender's
// router and the governor do (each platform has its own session and limits).
type Platform string

// Platforms qunzhu speaks.
const (
	// PlatformWeChat is personal WeChat over the web protocol (openwechat):
	// no stable ids, identities re-mapped after every login, best effort.
	PlatformWeChat Platform = "wechat"
	// PlatformDingTalk is DingTalk's enterprise internal robot in Stream mode:
	// stable conversation ids and staff ids, real @-mentions.
	PlatformDingTalk Platform = "dingtalk"
	// PlatformWeCom is WeCom (and 政务微信) with a smart robot for inbound
	// messages and the group robot webhook for proactive sends.
	PlatformWeCom Platform = "wecom"
)

// Platforms lists every platform in the order they are shown to people.
var Platforms = []Platform{PlatformWeChat, PlatformDingTalk, PlatformWeCom}

// Valid reports whether p is a platform qunzhu speaks.
func (p Platform) Valid() bool {
	switch p {
	case PlatformWeChat, PlatformDingTalk, PlatformWeCom:
		return true
	}
	return false
}

// StableIDs reports whether the platform gives groups and people ids that
// survive logins and renames. Where it does, a member is registered by id and
// needs no /认证 code; where it does not (WeChat), qunzhu owns the ids.
func (p Platform) StableIDs() bool { return p == PlatformDingTalk || p == PlatformWeCom }

// Chinese is the platform's name as chat users and the dashboard read it.
func (p Platform) Chinese() string {
	switch p {
	case PlatformWeChat:
		return "微信"
	case PlatformDingTalk:
		return "钉钉"
	case PlatformWeCom:
		return "企业微信"
	}
	return "未知平台（" + string(p) + "）"
}

// ParsePlatform reads a platform written in English or Chinese, as config
// files and "platform:name" group references write it. "" is not a platform.
func ParsePlatform(s string) (Platform, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "wechat", "weixin", "wx", "微信", "个人微信":
		return PlatformWeChat, true
	case "dingtalk", "dingding", "dd", "钉钉", "浙政钉":
		return PlatformDingTalk, true
	case "wecom", "wework", "wxwork", "企业微信", "企微", "政务微信":
		return PlatformWeCom, true
	}
	return "", false
}

// SplitGroupRef splits a group reference written "platform:name" (also with a
// full-width colon) into its platform and name. A reference without a known
// platform prefix is returned whole as the name with ok false, so a group
// whose own name contains a colon still works.
func SplitGroupRef(ref string) (p Platform, name string, ok bool) {
	ref = strings.TrimSpace(ref)
	i := strings.IndexAny(ref, ":：")
	if i <= 0 {
		return "", ref, false
	}
	p, ok = ParsePlatform(ref[:i])
	if !ok {
		return "", ref, false
	}
	sep := 1
	if strings.HasPrefix(ref[i:], "：") {
		sep = len("：")
	}
	name = strings.TrimSpace(ref[i+sep:])
	if name == "" {
		return "", ref, false
	}
	return p, name, true
}
