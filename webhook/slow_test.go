package webhook_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/webhook"
)

// A sender that uploads a 1 MiB request slowly holds nothing the others
// need: the body is read, authenticated and checked before the store is
// touched, so twenty other requests are stored and answered while it is
// still half sent, and it is then stored too.
func TestSlowHugeRequestDoesNotHoldTheWriter(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	body := msgBody(cadreGroup, "慢慢上传的大请求", `,"dedup_key":"slow"`)
	body += strings.Repeat(" ", webhook.MaxBodyBytes-len(body))
	slow := e.signedRequest("hotline", hotlineSecret, []byte(body))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/messages HTTP/1.1\r\nHost: qunzhu\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	for _, h := range []string{webhook.HeaderSource, webhook.HeaderTimestamp, webhook.HeaderSignature} {
		fmt.Fprintf(conn, "%s: %s\r\n", h, slow.Header.Get(h))
	}
	fmt.Fprint(conn, "\r\n")
	if _, err := conn.Write([]byte(body[:len(body)/2])); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 20 {
		r := e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, fmt.Sprintf("第%d条", i))))
		r.URL, _ = url.Parse(srv.URL + "/api/v1/messages")
		r.RequestURI = ""
		resp, err := client.Do(r)
		if err != nil {
			t.Fatalf("request %d while a slow upload is half sent: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}

	if _, err := conn.Write([]byte(body[len(body)/2:])); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("the slow request: status %d, want 202", resp.StatusCode)
	}
	if got, want := e.outboxRows(), 21; got != want {
		t.Errorf("outbox rows = %d, want %d", got, want)
	}
}
