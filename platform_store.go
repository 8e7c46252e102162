package qunzhu

import (
	"context"
	"time"
)

// PlatformTx keeps what the official platforms need beside the features: the
// inbound messages already taken (DingTalk and WeCom deliver a message again
// when its acknowledgement is late or lost), and the person key that tells
// one official's members apart from everyone else's across platforms.
type PlatformTx interface {
	// ClaimInbound records that message msgID of platform p is being
	// handled. fresh is false when the message was handled already, or when
	// another delivery claimed it less than stale ago and may still be at
	// work; a claim older than stale was left by a crash and is taken over.
	ClaimInbound(p Platform, msgID string, stale time.Duration) (fresh bool, err error)
	// FinishInbound marks a claimed message handled for good.
	FinishInbound(p Platform, msgID string) error
	// SetPerson links a member to a person key from the configuration ("" to
	// unlink): members sharing a key are one official on every platform, so
	// a /群发 from any of them reaches the groups any of them owns.
	SetPerson(memberID int64, person string) error
}

// PlatformOutbox is the outbox seen by one platform's sender: only messages
// for groups of that platform, and that platform's own daily count. Each
// platform drains on its own, so a WeChat logout or its pace never holds a
// DingTalk reply.
type PlatformOutbox interface {
	DueOn(ctx context.Context, p Platform, now time.Time, n int) ([]*OutMessage, error)
	NextDueOn(ctx context.Context, p Platform) (t time.Time, ok bool, err error)
	SentSinceOn(ctx context.Context, p Platform, t time.Time) (int, error)
	// DueAlertsOn is DueAlerts for the groups of platform p: a lane's
	// reserve looks for its own platform's alerts only.
	DueAlertsOn(ctx context.Context, p Platform, now time.Time, n int) ([]*OutMessage, error)
}
