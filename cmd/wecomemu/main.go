// Command wecomemu serves the WeCom emulator (package wecomemu) on a TCP
// address, so qunzhu's WeCom platform, or a script, can be tried without a
// company account:
//
//	wecomemu --addr 127.0.0.1:8092 --config wecom.yaml
//
// Point qunzhu's wecom.api_base at it and its callback_url at qunzhu's
// /wecom/callback, then play the members through the control API under /_emu/.
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
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/qunzhu/qunzhu/wecomemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wecomemu:", err)
		os.Exit(1)
	}
}

// run is the whole program behind main: it serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wecomemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", orEnv(getenv, "WECOMEMU_ADDR", "127.0.0.1:8092"), "address to listen on (env WECOMEMU_ADDR)")
	configPath := fs.String("config", getenv("WECOMEMU_CONFIG"), "YAML file with the robot's credentials, qunzhu's callback URL and the groups (env WECOMEMU_CONFIG)")
	verbose := fs.Bool("verbose", false, "log every request")
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
	emu := wecomemu.New(cfg)
	url := "http://" + ln.Addr().String()
	emu.SetBaseURL(url)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "wecomemu: serving %d groups at %s (control API %s/_emu/groups); callbacks go to %s\n",
		len(cfg.Groups), url, url, orDefault(cfg.CallbackURL, "(not set)"))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wecomemu: stopped")
	return nil
}

// loadConfig reads the YAML file; an unknown field is an error, so a typo
// does not silently leave a setting empty.
func loadConfig(path string) (wecomemu.Config, error) {
	var cfg wecomemu.Config
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func orEnv(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
