package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
	"github.com/qunzhu/qunzhu/wxemu"
)

//go:embed demo.yaml
var demoYAML []byte

// demoSource is the webhook source that exists in demo mode.
const demoSource = "demo"

// runDemo runs the whole product on one machine with no WeChat account: the
// built-in emulator with sample groups (scans confirmed automatically), SQLite
// in a temporary or given directory, and the in-process limiter unless Redis is
// configured.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseFlags("demo", args, stderr, true)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.config, demoYAML, getenv)
	if err != nil {
		return err
	}
	// A demo in a fresh directory of its own gets three weeks of sample
	// history (demo_sample.go); one given a data directory keeps what is there.
	sample := f.data == "" && cfg.DataDir == ""
	if sample {
		dir, err := os.MkdirTemp("", "qunzhu-demo-")
		if err != nil {
			return err
		}
		f.data = dir
	}
	applyFlags(cfg, f, "127.0.0.1:8080", "")
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.HTTPAddr // the login page link in fallback alerts
	}
	if cfg.Emulator == nil {
		return errors.New("demo: the configuration has no emulator section")
	}
	secret, generated := getenv("QUNZHU_DEMO_SECRET"), false
	if secret == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		secret, generated = hex.EncodeToString(b), true
	}
	// The dashboard and the login page need a token; the demo makes one up
	// (printed below) unless QUNZHU_LOGIN_TOKEN pins it.
	tokenGenerated := cfg.LoginToken == ""
	if tokenGenerated {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		cfg.LoginToken = hex.EncodeToString(b)
	}
	log, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	// The official platforms' emulators first: they give the platforms the
	// credentials and addresses the configuration is checked with.
	var emus []*demoEmu
	defer func() {
		for _, e := range emus {
			e.stop()
		}
	}()
	for _, p := range demoPlatforms {
		e, err := p.start(cfg, *f.platformEmu[p.name], getenv, log)
		if err != nil {
			return err
		}
		if e != nil {
			emus = append(emus, e)
		}
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}

	emuURL := strings.TrimRight(f.emuURL, "/")
	if emuURL == "" {
		emu := wxemu.New(emulatorConfig(cfg.Emulator, log))
		emuLn, err := net.Listen("tcp", f.emu)
		if err != nil {
			return fmt.Errorf("emulator listen %s: %w", f.emu, err)
		}
		emuSrv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = emuSrv.Serve(emuLn) }()
		emuURL = "http://" + emuLn.Addr().String()
		defer func() {
			emu.Close()
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = emuSrv.Shutdown(shut)
		}()
	}

	demoClock := &qunzhu.OffsetClock{}
	opts := appOptions{
		transport: wxemu.Transport(emuURL),
		sources:   append([]webhook.Source{{Name: demoSource, Secret: secret}}, weComDemoSources(cfg, demoSources(secret))...),
		demoClock: demoClock,
	}
	a, err := startApp(ctx, cfg, log, opts)
	if err != nil {
		return err
	}
	if sample {
		loc, err := cfg.location()
		if err != nil {
			return err
		}
		if err := seedDemo(ctx, a.store, demoClock, loc); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "qunzhu %s 演示已启动 / demo started\n", version)
	fmt.Fprintf(stdout, "  微信模拟器 WeChat emulator: %s   (群 groups: %s/_emu/groups)\n", emuURL, emuURL)
	for _, e := range emus {
		if e.connect != nil {
			e.connect(a.httpURL())
		}
		fmt.Fprintf(stdout, "  %s: %s   (群 groups: %s/_emu/groups)\n", e.label, e.url, e.url)
	}
	fmt.Fprintf(stdout, "  Webhook 服务 server:        %s\n", a.httpURL())
	fmt.Fprintf(stdout, "  数据目录 data dir:          %s\n", cfg.DataDir)
	fmt.Fprintf(stdout, "  演示时钟 demo clock:        %s/_demo/clock   (POST {\"advance\":\"25h\"} 快进 / jump ahead)\n", a.httpURL())
	fmt.Fprintf(stdout, "  登录页 login page:          %s/login?token=…\n", strings.TrimRight(cfg.PublicURL, "/"))
	fmt.Fprintf(stdout, "  后台 dashboard:             %s/ui/   (用令牌登录 / sign in with the token)\n", strings.TrimRight(cfg.PublicURL, "/"))
	if tokenGenerated {
		fmt.Fprintf(stdout, "  登录令牌 login token:       %s   (固定它 / pin it with QUNZHU_LOGIN_TOKEN)\n", cfg.LoginToken)
	} else {
		fmt.Fprintf(stdout, "  登录令牌 login token:       from QUNZHU_LOGIN_TOKEN\n")
	}
	fmt.Fprintf(stdout, "  指标 metrics:               %s/metrics   (Authorization: Bearer <令牌 token>)\n", strings.TrimRight(cfg.PublicURL, "/"))
	if generated {
		fmt.Fprintf(stdout, "  webhook 来源 source %q 密钥 secret: %s   (固定它 / pin it with QUNZHU_DEMO_SECRET)\n", demoSource, secret)
	} else {
		fmt.Fprintf(stdout, "  webhook 来源 source %q 密钥 secret: from QUNZHU_DEMO_SECRET\n", demoSource)
	}
	printDemoSources(stdout, demoSources(secret))
	return a.run(ctx)
}

// emulatorConfig turns the demo's emulator section into the emulator's config,
// with every new login scanned and confirmed automatically.
func emulatorConfig(c *EmulatorConfig, log *slog.Logger) wxemu.Config {
	out := wxemu.Config{Self: wxemu.Person{Name: c.Self}, Friends: c.Friends, AutoConfirm: true, Logger: log.With("component", "wxemu")}
	for _, g := range c.Groups {
		gc := wxemu.GroupConfig{Name: g.Name}
		for _, m := range g.Members {
			gc.Members = append(gc.Members, wxemu.Person{Name: m})
		}
		out.Groups = append(out.Groups, gc)
	}
	return out
}
