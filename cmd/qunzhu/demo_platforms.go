package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// demoPlatform is one official platform's emulator in the demo: flag
// --<name>-emu ADDR picks its address, and start launches it from the demo
// configuration and points the platform's settings at it. Adding a platform
// to the demo is one entry here.
type demoPlatform struct {
	name    string // "dingtalk": flag --dingtalk-emu
	label   string // how the demo's banner names it
	defAddr string
	start   func(cfg *Config, addr string, getenv func(string) string, log *slog.Logger) (*demoEmu, error)
}

// demoEmu is a running emulator.
type demoEmu struct {
	label, url string
	stop       func()
	// connect, when set, is told qunzhu's HTTP address once it listens: an
	// emulator that calls qunzhu back (WeCom's callbacks) needs it.
	connect func(httpURL string)
}

var demoPlatforms = []demoPlatform{
	{name: "dingtalk", label: "钉钉模拟器 DingTalk emulator", defAddr: "127.0.0.1:8091", start: startDingTalkEmu}, // platform_dingtalk.go
	{name: "wecom", label: "企业微信模拟器 WeCom emulator", defAddr: "127.0.0.1:8092", start: startWeComEmu},        // platform_wecom.go
}

// serveEmu serves h on addr until stop.
func serveEmu(addr string, h http.Handler, closeEmu func()) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("emulator listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		closeEmu()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}
