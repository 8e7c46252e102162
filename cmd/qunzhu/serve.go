package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// commonFlags are the flags every running subcommand takes, so that several
// instances (and tests) can run side by side.
type commonFlags struct {
	http, emu, data, config string
	// emuURL points demo at an emulator that runs on its own (cmd/wxemu), so
	// it outlives the process: the crash test kills qunzhu, not WeChat.
	emuURL string
	// wecomEmu is where the demo's WeCom emulator listens.
	wecomEmu string
}

func parseFlags(name string, args []string, stderr io.Writer, withEmu bool) (*commonFlags, error) {
	f := &commonFlags{}
	fs := flag.NewFlagSet("qunzhu "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.http, "http", "", "webhook/HTTP listen address (default 127.0.0.1:8080 for demo, :8080 for serve)")
	fs.StringVar(&f.data, "data", "", "data directory (SQLite database, WeChat session)")
	fs.StringVar(&f.config, "config", "", "YAML configuration file")
	if withEmu {
		fs.StringVar(&f.emu, "emu", "127.0.0.1:8090", "listen address of the built-in WeChat emulator")
		fs.StringVar(&f.emuURL, "emu-url", "", "use the WeChat emulator already running at this URL (cmd/wxemu) instead of starting one")
		fs.StringVar(&f.wecomEmu, "wecom-emu", "127.0.0.1:8092", "listen address of the built-in WeCom emulator")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

// runServe runs qunzhu with a real WeChat account: the login QR code is drawn
// in the terminal.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := productionConfig("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	a, err := startApp(ctx, cfg, log, appOptions{qrWriter: stdout})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "qunzhu %s serving: http %s, data %s\n", version, a.httpURL(), cfg.DataDir)
	return a.run(ctx)
}

// applyFlags lets flags win over the file and the environment.
func applyFlags(cfg *Config, f *commonFlags, defHTTP, defData string) {
	if f.http != "" {
		cfg.HTTPAddr = f.http
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = defHTTP
	}
	if f.data != "" {
		cfg.DataDir = f.data
	}
	if cfg.DataDir == "" {
		cfg.DataDir = defData
	}
}

// runConfigCheck validates a configuration and says what is wrong.
func runConfigCheck(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := productionConfig("config check", args, getenv, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "configuration ok: %d groups, %d webhook sources%s\n", len(cfg.Groups), len(cfg.Sources), weComSummary(cfg))
	return nil
}

// productionConfig reads flags, the file and the environment the way serve
// does, so `config check` judges exactly what serve would run.
func productionConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	f, err := parseFlags(name, args, stderr, false)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(f.config, nil, getenv)
	if err != nil {
		return nil, err
	}
	applyFlags(cfg, f, ":8080", "./data")
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	if _, err := cfg.limits(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}
