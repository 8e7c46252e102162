// Command qunzhu runs the bot: `serve` with a real WeChat account, `demo` with the
// built-in WeChat emulator, `version`, `config check`, and `healthcheck` (the
// container's readiness probe).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startGCTuner(os.Getenv)
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "qunzhu:", err)
		os.Exit(1)
	}
}

const usage = `qunzhu (群主) — 政务微信工作群机器人 / a bot for government WeChat work groups

用法 usage:
  qunzhu demo   [--http ADDR] [--emu ADDR | --emu-url URL] [--dingtalk-emu ADDR] [--data DIR] [--config FILE]
                                                                          内置微信、钉钉模拟器演示 / demo with the built-in WeChat and DingTalk emulators
                                                                          (--emu-url: 用已在运行的 cmd/wxemu / use a running cmd/wxemu)
                                                                          (--wecom-emu ADDR: 企业微信模拟器 / the WeCom emulator, 127.0.0.1:8092)
  qunzhu serve  [--http ADDR] [--data DIR] [--config FILE]                真实微信账号 / a real WeChat account
  qunzhu config check [--config FILE]                                     检查配置 / validate the configuration
  qunzhu healthcheck [--url URL]                                          探活（/readyz）/ readiness probe for Docker
  qunzhu version
`

// run is the whole program; main and the end-to-end tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no subcommand given")
	}
	switch args[1] {
	case "serve":
		return runServe(ctx, args[2:], getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[2:], getenv, stdout, stderr)
	case "config":
		if len(args) < 3 || args[2] != "check" {
			fmt.Fprint(stderr, usage)
			return fmt.Errorf("unknown config subcommand; did you mean `qunzhu config check`?")
		}
		return runConfigCheck(args[3:], getenv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args[2:], getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "qunzhu", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[1])
}
