package main

import "github.com/qunzhu/qunzhu/outbox"

// wireFeatures plugs each feature into the running parts: its commands and
// picture handlers into the router, its timed jobs into the runner, its
// delivery hooks into the sender. One block per feature, so the whole product
// is visible here; the features themselves never import each other.
func wireFeatures(a *app, senderCfg *outbox.Config) error {
	// 督办 (tasks).

	// 交作业 (reports).

	// 群发 (broadcasts) and festival greetings.

	// Webhook intake (hotline tickets, compatible robots).

	// Delivery (fallback robot, daily cap notices).

	return nil
}
