package qunzhu

import (
	"strconv"
	"time"
)

// Guessing one-time codes (认证码): a code has a million values, so it must
// never be possible to try many. These are the limits the bind command and
// the store enforce together.
const (
	// BindCodeMaxFailures destroys a live code after this many wrong
	// attempts in its group, by anyone: an attacker gets at most this many
	// guesses at any one code, whatever accounts they use.
	BindCodeMaxFailures = 3
	// BindTriesPerHour is how many /认证 one sender may try an hour; past it
	// they are ignored and the owners are told once.
	BindTriesPerHour = 5
)

// BindTryLimit is the per-sender limit on /认证 attempts.
var BindTryLimit = Limit{Rate: BindTriesPerHour, Period: time.Hour, Burst: BindTriesPerHour}

// StableKey is the most stable key the platform offers for this person, for
// limits that must survive a re-login: the user id on DingTalk and WeCom, on
// WeChat the AttrStatus or, where it is zero, the nickname. Never "" for a
// real sender.
func (id Identity) StableKey() string {
	switch {
	case id.UserID != "":
		return "u:" + id.UserID
	case id.AttrStatus != 0:
		return "a:" + strconv.FormatInt(id.AttrStatus, 10)
	case id.NickName != "":
		return "n:" + id.NickName
	}
	return "s:" + id.SessionKey
}
