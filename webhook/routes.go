package webhook

import "github.com/gin-gonic/gin"

// routes is the one place that lists every endpoint and its middleware, so a
// reviewer sees the whole HTTP surface (and what is authenticated) at a glance.
//
// Middleware order matters: the request log is outermost so it also records the
// 500 written by the panic recovery inside it.
func (s *server) routes(e *gin.Engine) {
	e.Use(s.logRequests(), s.recoverPanics())

	// Probes for Docker/Kubernetes and the IT staff; unauthenticated and
	// free of secrets by construction.
	// HEAD too, because some probes (and curl -I) use it.
	e.GET("/healthz", s.handleHealthz)
	e.HEAD("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.HEAD("/readyz", s.handleReadyz)

	// Generic intake: authenticated per source by HMAC inside the handler,
	// because the signature covers the raw body, which only the handler reads.
	api := e.Group("/api/v1")
	api.POST("/messages", s.handleMessage)
	// 12345 hotline ticket events, HMAC like /messages.
	api.POST("/hotline/tickets", s.handleHotlineTicket)
	// Prometheus Alertmanager webhook receiver; bearer token in the handler.
	api.POST("/alertmanager/:route", s.handleAlertmanager)
	// This document, so a sender's developer finds every endpoint and shape.
	api.GET("/openapi.yaml", s.handleOpenAPI)

	// Drop-in replacements for the WeCom and DingTalk group robots: a sender
	// changes only the host in its URL. Authenticated as the originals are
	// (key / access_token + sign in the query), inside the handlers.
	e.POST("/cgi-bin/webhook/send", s.handleWeCom)
	e.POST("/robot/send", s.handleDingTalk)

	// Demo only: move the domain clock forward (deadlines, reminders).
	if s.demoClock != nil {
		e.GET("/_demo/clock", s.handleDemoClock)
		e.POST("/_demo/clock", s.handleDemoClock)
	}

	// The WeChat login page the fallback robot's alert links to (token-checked
	// inside the handlers when a token is configured).
	if s.login != nil {
		e.GET("/login", s.handleLoginPage)
		e.GET("/login/qr.png", s.handleLoginQR)
	}

	// Prometheus metrics, behind the login token (see Deps.MetricsToken).
	if s.metrics != nil && s.metricsToken != "" {
		e.GET("/metrics", s.handleMetrics)
	}

	// The web dashboard: its own package, a plain http.Handler with its own
	// sign-in, mounted here because this is the one HTTP server.
	if s.dashboard != nil {
		ui := gin.WrapH(s.dashboard)
		e.Any("/ui", ui)
		e.Any("/ui/*path", ui)
	}

	// Platform callbacks (the WeCom smart robot): net/http handlers that
	// check their platform's signature themselves.
	for path, h := range s.mounts {
		e.GET(path, gin.WrapH(h))
		e.POST(path, gin.WrapH(h))
	}

	e.NoRoute(s.notFound)
	e.NoMethod(s.methodNotAllowed)
}
