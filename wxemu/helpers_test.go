package wxemu_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/wxemu"
)

const (
	botName  = "督办助手"
	cadres   = "城管委工作群"
	hotline  = "12345热线督办群"
	zhang    = "张三"
	li       = "李四"
	wang     = "王五"
	zhao     = "赵六(市城管委)"
	waitLong = 5 * time.Second // upper bound for anything a test waits for
)

// sampleConfig is two groups sharing one member (李四), with a short long poll so
// that tests that wait for a poll's timeout stay fast.
func sampleConfig() wxemu.Config {
	return wxemu.Config{
		Self: wxemu.Person{Name: botName},
		Groups: []wxemu.GroupConfig{
			{Name: cadres, Members: []wxemu.Person{{Name: zhang}, {Name: li, AttrStatus: 33656933}, {Name: wang}}},
			{Name: hotline, Members: []wxemu.Person{{Name: li}, {Name: zhao}}},
		},
		LongPoll: 2 * time.Second,
	}
}

// newEmu serves an emulator for cfg; cleanup closes the emulator first so that held
// long polls do not delay the httptest server's shutdown.
func newEmu(t *testing.T, cfg wxemu.Config) (*wxemu.Server, *httptest.Server) {
	t.Helper()
	emu := wxemu.New(cfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(func() {
		emu.Close()
		ts.Close()
	})
	return emu, ts
}

// call does one control API request and decodes the answer into out (if not nil),
// failing the test if the status is not want.
func call(t *testing.T, method, url string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, url, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, url, raw, err)
		}
	}
}

// testPNG returns a small PNG whose pixels depend on seed, so two images differ.
func testPNG(t *testing.T, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{R: seed, G: uint8(x * 30), B: uint8(y * 30), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// recv waits for one value from ch, failing the test after waitLong.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLong):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// waitFor polls cond until it holds, failing the test after waitLong. It is for
// state that has no event to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
