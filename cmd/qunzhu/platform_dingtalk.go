package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/dingtalk"
	"github.com/qunzhu/qunzhu/dtemu"
)

// wireDingTalk builds the DingTalk robot when dingtalk.client_id is set.
func wireDingTalk(a *app, handle func(context.Context, *qunzhu.Inbound)) (*platformPart, error) {
	d := a.cfg.DingTalk
	if !d.enabled() {
		return nil, nil
	}
	limits, err := d.Limits.limits(qunzhu.PlatformDingTalk)
	if err != nil {
		return nil, err
	}
	ad, err := dingtalk.New(dingtalk.Config{
		ClientID: d.ClientID, ClientSecret: d.ClientSecret, RobotCode: d.RobotCode, OpenAPIHost: d.OpenAPIHost, OAPIHost: d.OAPIHost,
		Store: a.store, Handler: handle, Logger: a.log.With("component", "dingtalk"), Clock: a.clock,
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("DingTalk robot configured", "dingtalk", d)
	return &platformPart{platform: qunzhu.PlatformDingTalk, messenger: ad, session: ad, limits: limits, run: ad.Run}, nil
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
	cfg.DingTalk.ClientID, cfg.DingTalk.ClientSecret = ecfg.ClientID, ecfg.ClientSecret
	cfg.DingTalk.OpenAPIHost, cfg.DingTalk.OAPIHost = url, url
	return &demoEmu{label: "钉钉模拟器 DingTalk emulator", url: url, stop: stop}, nil
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
