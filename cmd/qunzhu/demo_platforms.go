package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/dtemu"
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
}

var demoPlatforms = []demoPlatform{
	{name: "dingtalk", label: "钉钉模拟器 DingTalk emulator", defAddr: "127.0.0.1:8091", start: startDingTalkEmu},
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

// startDingTalkEmu starts the DingTalk emulator with the demo's
// dingtalk_emulator groups and gives the robot a fresh app secret.
// QUNZHU_DINGTALK_EMU_GROUP_LIMIT changes the emulated 20-a-minute limit
// (-1: none), for measurements.
func startDingTalkEmu(cfg *Config, addr string, getenv func(string) string, log *slog.Logger) (*demoEmu, error) {
	ec := cfg.DingTalkEmulator
	if ec == nil {
		return nil, nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	ecfg := dtemu.Config{ClientID: "dingdemoapp", ClientSecret: hex.EncodeToString(b),
		BotName: firstOr(cfg.BotNames, "群主助手"), Logger: log.With("component", "dtemu")}
	if v := getenv("QUNZHU_DINGTALK_EMU_GROUP_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("QUNZHU_DINGTALK_EMU_GROUP_LIMIT: %q is not a number", v)
		}
		ecfg.GroupLimit = n
	}
	for _, g := range ec.Groups {
		gc := dtemu.GroupConfig{Name: g.Name, ChatID: g.ChatID}
		for _, m := range g.Members {
			gc.Members = append(gc.Members, dtemu.Person{Name: m.Name, UserID: m.UserID})
		}
		ecfg.Groups = append(ecfg.Groups, gc)
	}
	if err := ecfg.Validate(); err != nil {
		return nil, fmt.Errorf("dingtalk_emulator: %w", err)
	}
	emu := dtemu.New(ecfg)
	url, stop, err := serveEmu(addr, emu, emu.Close)
	if err != nil {
		emu.Close()
		return nil, err
	}
	cfg.DingTalk.ClientID, cfg.DingTalk.ClientSecret, cfg.DingTalk.OpenAPIHost = ecfg.ClientID, ecfg.ClientSecret, url
	return &demoEmu{label: "钉钉模拟器 DingTalk emulator", url: url, stop: stop}, nil
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
