package main

import "github.com/qunzhu/qunzhu/outbox"

// wireFeatures plugs each feature into the running parts: its commands and
// picture handlers into the router, its timed jobs into the runner, its
// delivery hooks into the sender. One block per feature, so the whole product
// is visible here; the features themselves never import each other.
func wireFeatures(a *app, senderCfg *outbox.Config) error {
	// 督办 (tasks).
	if err := wireTasks(a); err != nil {
		return err
	}

	// 交作业 (reports).
	wireReports(a)

	// 群发 (broadcasts) and festival greetings.
	wireBroadcasts(a, senderCfg)

	// Webhook intake (hotline tickets, compatible robots).
	if err := wireWebhooks(a); err != nil {
		return err
	}

	// Delivery (fallback robot, daily cap notices).
	if err := wireDelivery(a, senderCfg); err != nil {
		return err
	}

	// 红黑榜 and 点赞.
	if err := wireHonor(a); err != nil {
		return err
	}

	// The web dashboard (/ui), /导出 and /后台.
	if err := wireDashboard(a, senderCfg); err != nil {
		return err
	}

	// Metrics on their own address, when configured.
	if err := wireMetricsAddr(a); err != nil {
		return err
	}

	return nil
}
