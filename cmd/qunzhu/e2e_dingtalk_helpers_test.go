package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/webhook"
)

// Helpers of the DingTalk end-to-end tests (e2e_dingtalk_test.go): people post
// into the DingTalk group through the emulator's control API and read what the
// robot answered, by which way (sessionWebhook or group send) and whom it
// really mentioned.

const dtGroup = "城管执法钉钉群"

// dtMessage is a message in the DingTalk emulator.
type dtMessage struct {
	Seq       int64    `json:"seq"`
	From      string   `json:"from"`
	Bot       bool     `json:"bot"`
	Text      string   `json:"text"`
	Via       string   `json:"via"`
	Type      string   `json:"type"`
	ImageMD5  string   `json:"image_md5"`
	AtUserIDs []string `json:"at_user_ids"`
}

func (d *demo) dtMessages(after int64) []dtMessage {
	d.t.Helper()
	var ms []dtMessage
	u := fmt.Sprintf("%s/_emu/groups/%s/messages?after=%d&wait=1s", d.dt, url.PathEscape(dtGroup), after)
	if err := d.getJSON(u, &ms); err != nil {
		d.t.Fatal(err)
	}
	return ms
}

func (d *demo) dtLastSeq() int64 {
	d.t.Helper()
	var ms []dtMessage
	if err := d.getJSON(fmt.Sprintf("%s/_emu/groups/%s/messages", d.dt, url.PathEscape(dtGroup)), &ms); err != nil {
		d.t.Fatal(err)
	}
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Seq
}

// dtSay posts text as from, @-mentioning the robot as DingTalk requires.
func (d *demo) dtSay(from, text string) {
	d.t.Helper()
	code, body := d.postJSON(d.dt+"/_emu/groups/"+url.PathEscape(dtGroup)+"/messages",
		map[string]string{"from": from, "text": "@群主助手 " + text})
	if code != http.StatusAccepted {
		d.t.Fatalf("post to the DingTalk emulator: %d %s", code, body)
	}
}

// dtExpect waits for the robot's message after seq containing want.
func (d *demo) dtExpect(after int64, want string) dtMessage {
	d.t.Helper()
	var found dtMessage
	d.eventually(fmt.Sprintf("%q from the robot in DingTalk", want), func() error {
		for _, m := range d.dtMessages(after) {
			if m.Bot && strings.Contains(m.Text, want) {
				found = m
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	return found
}

// dtAsk posts a command as from and returns the robot's answer, which
// really mentions from (userID).
func (d *demo) dtAsk(from, userID, text string) dtMessage {
	d.t.Helper()
	seq := d.dtLastSeq()
	d.dtSay(from, text)
	var found dtMessage
	d.eventually(fmt.Sprintf("the answer to %s's %q", from, text), func() error {
		for _, m := range d.dtMessages(seq) {
			if m.Bot && slices.Contains(m.AtUserIDs, userID) {
				found = m
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	return found
}

// dtPicture posts a real PNG as from (DingTalk pushes pictures to the robot
// with a downloadCode).
func (d *demo) dtPicture(from string) {
	d.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	for i := range 10 {
		img.Set(i, i, color.RGBA{R: 20, G: 160, B: 60, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		d.t.Fatal(err)
	}
	code, body := d.postJSON(d.dt+"/_emu/groups/"+url.PathEscape(dtGroup)+"/messages",
		map[string]string{"from": from, "image_base64": base64.StdEncoding.EncodeToString(buf.Bytes())})
	if code != http.StatusAccepted {
		d.t.Fatalf("post picture: %d %s", code, body)
	}
}

func (d *demo) dtAction(body string) {
	d.t.Helper()
	if code, out := d.postJSON(d.dt+"/_emu/session", map[string]any{"action": body}); code != http.StatusOK {
		d.t.Fatalf("dtemu action %s: %d %s", body, code, out)
	}
}

type dtStats struct {
	FramesSent int `json:"frames_sent"`
	Acks       int `json:"acks"`
	Pending    int `json:"pending"`
}

// groupIDOf is the DingTalk group's id: groups are registered in the order
// of the demo configuration, into a fresh database.
func groupIDOf(t *testing.T, _ map[string]any) int64 {
	t.Helper()
	cfg, err := loadConfig("", demoYAML, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range cfg.Groups {
		if g.Name == dtGroup {
			return int64(i + 1)
		}
	}
	t.Fatal("no DingTalk group in the demo configuration")
	return 0
}

// hotlineToDingTalk posts an overdue ticket for 执法大队, which the demo's
// hotline source routes to the DingTalk group, and returns its number.
func (d *demo) hotlineToDingTalk(t *testing.T, id string) string {
	t.Helper()
	code, resp := d.whHotline(webhook.HotlineTicketRequest{
		Event: "overdue", TicketID: id, Title: "人民路占道经营",
		Content: "市民反映人民路早市占道经营影响通行。", Unit: "执法大队", District: "黄浦区",
		Deadline: time.Now().Add(-26 * time.Hour).Format(time.RFC3339), OverdueMinutes: 1560,
	})
	if code != http.StatusAccepted || resp.Status != "queued" {
		t.Fatalf("hotline = %d %+v", code, resp)
	}
	return id
}
