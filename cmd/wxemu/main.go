// Command wxemu serves the WeChat web protocol emulator (package wxemu) on a TCP
// address, so that a bot built on openwechat, or a script, can be tried without a
// WeChat account:
//
//	wxemu --addr 127.0.0.1:8090 --config groups.yaml [--auto-confirm]
//
// Point the bot's HTTP client at it with wxemu.Transport("http://127.0.0.1:8090"),
// then play the phone and the group members through the control API under /_emu/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/qunzhu/qunzhu/wxemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wxemu:", err)
		os.Exit(1)
	}
}

// run is the whole program behind main, so tests start it the same way: it serves
// until ctx ends and returns the reason it could not.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wxemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "WXEMU_ADDR", "127.0.0.1:8090"), "address to listen on (env WXEMU_ADDR)")
	configPath := fs.String("config", getenv("WXEMU_CONFIG"), "YAML file with the bot account and its groups (env WXEMU_CONFIG)")
	autoConfirm := fs.Bool("auto-confirm", false, "scan and confirm every login automatically")
	longPoll := fs.Duration("long-poll", wxemu.DefaultLongPoll, "how long login polls and synccheck are held open")
	verbose := fs.Bool("verbose", false, "log every request")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: wxemu --config groups.yaml [--addr 127.0.0.1:8090] [--auto-confirm]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configPath == "" {
		fs.Usage()
		return errors.New("--config is required")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	cfg.AutoConfirm = cfg.AutoConfirm || *autoConfirm
	cfg.LongPoll = *longPoll
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%s: %w", *configPath, err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	emu := wxemu.New(cfg)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	self := cfg.Self.Name
	if self == "" {
		self = wxemu.DefaultSelfName
	}
	fmt.Fprintf(stdout, "wxemu: serving %d groups for %q at %s\n", len(cfg.Groups), self, url)
	fmt.Fprintf(stdout, "wxemu: control API at %s/_emu/session and %s/_emu/groups; auto-confirm %v\n", url, url, cfg.AutoConfirm)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		emu.Close()
		return err
	case <-ctx.Done():
	}
	emu.Close() // release held long polls so Shutdown does not wait for them
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wxemu: stopped")
	return nil
}

func envOr(getenv func(string) string, key, fallback string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return fallback
}
