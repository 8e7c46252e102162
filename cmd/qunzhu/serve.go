package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
)

// commonFlags are the flags every running subcommand takes, so that several
// instances (and tests) can run side by side.
type commonFlags struct {
	http, emu, data, config string
	// emuURL points demo at an emulator that runs on its own (cmd/wxemu), so
	// it outlives the process: the crash test kills qunzhu, not WeChat.
	emuURL string
	// platformEmu is each official platform's emulator address in the demo
	// (--dingtalk-emu …), by demoPlatform name.
	platformEmu map[string]*string
}

func parseFlags(name string, args []string, stderr io.Writer, withEmu bool) (*commonFlags, error) {
	f := &commonFlags{}
	fs := flag.NewFlagSet("qunzhu "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.http, "http", "", "webhook/HTTP listen address (default 127.0.0.1:8080; any other address needs login_token)")
	fs.StringVar(&f.data, "data", "", "data directory (SQLite database, WeChat session)")
	fs.StringVar(&f.config, "config", "", "YAML configuration file")
	if withEmu {
		fs.StringVar(&f.emu, "emu", "127.0.0.1:8090", "listen address of the built-in WeChat emulator")
		fs.StringVar(&f.emuURL, "emu-url", "", "use the WeChat emulator already running at this URL (cmd/wxemu) instead of starting one")
		f.platformEmu = map[string]*string{}
		for _, p := range demoPlatforms {
			f.platformEmu[p.name] = fs.String(p.name+"-emu", p.defAddr, "listen address of the built-in "+p.name+" emulator")
		}
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
	cfg, loadErr := loadConfig(f.config, nil, getenv)
	if cfg == nil {
		return nil, loadErr
	}
	applyFlags(cfg, f, defaultHTTPAddr, "./data")
	// Every problem at once: the secret files and the settings.
	if err := errors.Join(loadErr, cfg.validate()); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	if _, err := cfg.limits(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if err := cfg.checkExposure(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

// defaultHTTPAddr is where serve listens unless told otherwise: the login
// page shows the account's login QR code, so by default only this machine
// can reach it.
const defaultHTTPAddr = "127.0.0.1:8080"

// checkExposure refuses to serve on an address other machines can reach
// without a login_token: anyone who opens /login there could scan the
// office's account in. A loopback address needs no token.
func (c *Config) checkExposure() error {
	if c.LoginToken != "" || isLoopbackAddr(c.HTTPAddr) {
		return nil
	}
	return fmt.Errorf("http_addr %q can be reached from other machines, so the login page needs a token: "+
		"set login_token (at least 16 characters; or login_token_file, or QUNZHU_LOGIN_TOKEN), "+
		"or listen on 127.0.0.1", c.HTTPAddr)
}

// isLoopbackAddr reports whether a listen address binds to loopback only:
// "127.0.0.1:8080", "[::1]:80", "localhost:8080". ":8080" and "0.0.0.0:80"
// bind every interface.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
