package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
)

// codeInPrivate finds a one-time code in the bot's private message.
var codeInPrivate = regexp.MustCompile(`的认证码：(\d{6})`)

// privateMessages reads the private chat between the bot and a friend.
func (d *demo) privateMessages(friend string, after int64) []emuMessage {
	d.t.Helper()
	var msgs []emuMessage
	if err := d.getJSON(d.emu+"/_emu/contacts/"+url.PathEscape(friend)+"/messages?after="+strconv.FormatInt(after, 10), &msgs); err != nil {
		d.t.Fatalf("private chat with %s: %v", friend, err)
	}
	return msgs
}

// privateCode waits for the one-time code the bot sends privately to owner
// after seq after, and returns the newest.
func (d *demo) privateCode(owner string, after int64) string {
	d.t.Helper()
	var code string
	d.eventually("a code in the private chat with "+owner, func() error {
		msgs := d.privateMessages(owner, after)
		for i := len(msgs) - 1; i >= 0; i-- {
			if m := codeInPrivate.FindStringSubmatch(msgs[i].Text); m != nil && msgs[i].From == "群主助手" {
				code = m[1]
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	return code
}

// wrongCode is a six-digit code other than code.
func wrongCode(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+500001)%1000000)
}
