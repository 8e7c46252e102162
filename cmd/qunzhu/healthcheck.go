package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck asks a running qunzhu whether it is ready, for Docker's
// HEALTHCHECK and compose (the distroless image has no curl). It succeeds
// when /readyz answers 200: the store answers, so webhooks are accepted and
// kept. A logged-out WeChat session is "degraded" and still healthy, because
// intake goes on and messages wait in the outbox (restarting the container
// would not log WeChat in); the status is printed either way.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("qunzhu healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "readiness URL (default: http://127.0.0.1:<port of QUNZHU_HTTP_ADDR or :8080>/readyz)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *url == "" {
		*url = readyURL(getenv("QUNZHU_HTTP_ADDR"))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %s does not answer: %w", *url, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Store  string `json:"store"`
		WeChat string `json:"wechat"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d (status %q, store %q)", *url, resp.StatusCode, body.Status, body.Store)
	}
	fmt.Fprintf(stdout, "%s (wechat: %s)\n", orDefault(body.Status, "ok"), orDefault(body.WeChat, "unknown"))
	return nil
}

// readyURL is /readyz on the loopback at the port of the listen address.
func readyURL(addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/readyz"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}
