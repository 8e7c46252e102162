// Command dtemu serves the DingTalk emulator (package dtemu) on a TCP
// address, so the DingTalk Stream SDK, qunzhu's DingTalk adapter or a script
// can be tried without a DingTalk organisation:
//
//	dtemu --addr 127.0.0.1:8091 --config dingtalk.yaml
//
// Point the SDK's WithOpenApiHost (qunzhu: dingtalk.openapi_host) at it, then
// play the group members through the control API under /_emu/.
package main

import (
	"bytes"
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

	"gopkg.in/yaml.v3"

	"github.com/qunzhu/qunzhu/dtemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dtemu:", err)
		os.Exit(1)
	}
}

// fileConfig is the YAML shape of dtemu.Config (the package is standard
// library only and cannot read YAML itself).
type fileConfig struct {
	ClientID     string        `yaml:"client_id"`
	ClientSecret string        `yaml:"client_secret"`
	BotName      string        `yaml:"bot_name"`
	Redeliver    time.Duration `yaml:"redeliver"`
	SessionTTL   time.Duration `yaml:"session_ttl"`
	TokenTTL     time.Duration `yaml:"token_ttl"`
	GroupLimit   int           `yaml:"group_limit"`
	Groups       []struct {
		Name    string `yaml:"name"`
		ChatID  string `yaml:"chat_id"`
		Members []struct {
			Name   string `yaml:"name"`
			UserID string `yaml:"user_id"`
		} `yaml:"members"`
	} `yaml:"groups"`
}

// loadConfig reads a YAML world; unknown keys are errors.
func loadConfig(path string) (dtemu.Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return dtemu.Config{}, err
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return dtemu.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	cfg := dtemu.Config{ClientID: fc.ClientID, ClientSecret: fc.ClientSecret, BotName: fc.BotName,
		Redeliver: fc.Redeliver, SessionTTL: fc.SessionTTL, TokenTTL: fc.TokenTTL, GroupLimit: fc.GroupLimit}
	for _, g := range fc.Groups {
		gc := dtemu.GroupConfig{Name: g.Name, ChatID: g.ChatID}
		for _, m := range g.Members {
			gc.Members = append(gc.Members, dtemu.Person{Name: m.Name, UserID: m.UserID})
		}
		cfg.Groups = append(cfg.Groups, gc)
	}
	return cfg, nil
}

// run is the program behind main: it serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dtemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "DTEMU_ADDR", "127.0.0.1:8091"), "address to listen on (env DTEMU_ADDR)")
	configPath := fs.String("config", getenv("DTEMU_CONFIG"), "YAML file with the robot's app and its groups (env DTEMU_CONFIG)")
	verbose := fs.Bool("verbose", false, "log every stream event")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configPath == "" {
		return errors.New("--config is required")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%s: %w", *configPath, err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	emu := dtemu.New(cfg)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "dtemu: serving %d DingTalk groups for app %q at %s\n", len(cfg.Groups), cfg.ClientID, url)
	fmt.Fprintf(stdout, "dtemu: control API at %s/_emu/session and %s/_emu/groups\n", url, url)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		emu.Close()
		return err
	case <-ctx.Done():
	}
	emu.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "dtemu: stopped")
	return nil
}

func envOr(getenv func(string) string, key, fallback string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return fallback
}
