package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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

// botTexts are the bot's messages in group after seq, in order.
func (d *demo) botTexts(group string, after int64) []string {
	d.t.Helper()
	var out []string
	for _, m := range d.messages(group, after) {
		if m.From == "群主助手" {
			out = append(out, m.Text)
		}
	}
	return out
}

// rename changes a member's group nickname through the emulator.
func (d *demo) rename(group, member, to string) {
	d.t.Helper()
	u := d.emu + "/_emu/groups/" + url.PathEscape(group) + "/members/" + url.PathEscape(member)
	if code, body := d.postJSON(u, map[string]string{"display_name": to}); code != http.StatusOK {
		d.t.Fatalf("rename %s to %s: %d %s", member, to, code, body)
	}
}

// TestDemoRenameImpostorGetsNothing replays the attack of issue 11 with the
// real openwechat library: 赵科长 renames himself to 钱主任 right after
// 张书记 registers 钱主任 as an admin. The code never appears in the group
// (it went to 张书记 privately), guessing is answered five times with one
// neutral sentence and then ignored, the owners hear of it once, three wrong
// guesses destroyed the live code, and the impostor has no admin rights.
func TestDemoRenameImpostorGetsNothing(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(cadres)
	d.say(cadres, "张书记", "/成员 添加 钱主任 单位=区委办 角色=管理员")
	d.expectFromBot(cadres, seq, "认证码已私信发给张书记")
	code := d.privateCode("张书记", seq)

	d.rename(cadres, "赵科长", "钱主任")
	d.expectNotice(cadres, seq, `"赵科长"修改群昵称为“钱主任”`)
	seq = d.lastSeq(cadres)
	for i := range 40 {
		d.say(cadres, "钱主任", fmt.Sprintf("/认证 %06d", (i*7919+13)%1000000))
	}
	d.expectFromBot(cadres, seq, "【安全提醒】")
	time.Sleep(time.Second) // anything more would be sent by now at the test's pace
	var refusals, notices int
	for _, text := range d.botTexts(cadres, seq) {
		switch {
		case strings.Contains(text, "【安全提醒】") && strings.Contains(text, "@张书记"):
			notices++
		case strings.HasSuffix(text, "认证码无效或已过期。请核对后重发；过期了请找登记你的群主或管理员重新生成。"):
			refusals++
		default:
			t.Errorf("unexpected answer to the guesses: %q", text)
		}
	}
	if refusals != 5 || notices != 1 {
		t.Errorf("40 guesses: %d refusals and %d notices, want 5 and 1", refusals, notices)
	}
	for _, m := range d.messages(cadres, 0) {
		if strings.Contains(m.Text, code) {
			t.Errorf("the code %s is in the group's history: %q", code, m.Text)
		}
	}
	// The guesses destroyed the code: even the right one is refused now.
	seq = d.lastSeq(cadres)
	d.say(cadres, "孙干事", "/认证 "+code)
	d.expectFromBot(cadres, seq, "认证码无效或已过期")
	// And the impostor is no admin.
	seq = d.lastSeq(cadres)
	d.say(cadres, "钱主任", "/成员 添加 周干事 单位=区委办")
	d.expectFromBot(cadres, seq, "你还没有认证身份")
}

// expectNotice waits for a WeChat system notice in group after seq.
func (d *demo) expectNotice(group string, after int64, want string) {
	d.t.Helper()
	d.eventually("notice "+want, func() error {
		for _, m := range d.messages(group, after) {
			if m.Type == "system" && m.Text == want {
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
}

// TestDemoBootstrapIsNotRepeated: 王主任, a configured admin, is unbound by
// the owner; while he is away 孙干事 takes his name. After the next login
// (new UserNames) nobody is bound by display name again: 孙干事 has no admin
// rights, and 张书记, bound at the first login, keeps his.
func TestDemoBootstrapIsNotRepeated(t *testing.T) {
	d := startDemo(t, nil)
	seq := d.lastSeq(cadres)
	d.say(cadres, "张书记", "/成员 解绑 王主任")
	d.expectFromBot(cadres, seq, "已解绑 王主任")
	d.rename(cadres, "王主任", "王主任(休假)")
	d.rename(cadres, "孙干事", "王主任")

	if c, b := d.postJSON(d.emu+"/_emu/session", map[string]any{"action": "expire"}); c/100 != 2 {
		t.Fatalf("expire: %d %s", c, b)
	}
	d.eventually("logout", func() error {
		if d.wechatState() == "online" {
			return fmt.Errorf("still online")
		}
		return nil
	})
	d.waitOnline()
	seq = d.lastSeq(cadres)
	d.say(cadres, "王主任", "/成员 添加 周干事 单位=区委办")
	d.expectFromBot(cadres, seq, "你还没有认证身份")
	seq = d.lastSeq(cadres)
	d.say(cadres, "张书记", "/成员")
	reply := d.expectFromBot(cadres, seq, "本群登记成员")
	if !strings.Contains(reply.Text, "王主任（管理员，未认证）") || !strings.Contains(reply.Text, "张书记（群主，已认证）") {
		t.Errorf("members after the re-login: %q", reply.Text)
	}
}

// TestDemoGuestFloodDoesNotDelayAnAlert: a guest sends 200 commands at the
// default pace of one message every 3 s, and an overdue ticket's alert
// arrives while their answers still wait. The alert is the next message the
// bot sends in the group after at most the one reply in flight.
func TestDemoGuestFloodDoesNotDelayAnAlert(t *testing.T) {
	d := startDemo(t, map[string]string{"QUNZHU_LIMITS_ACCOUNT": "1/3s,1"})
	seq := d.lastSeq(cadres)
	for range 200 {
		d.say(cadres, "赵科长", "/ping")
	}
	code, out := d.webhook(cadres, "【超期工单】12345热线工单已超期，请立即处理。", "flood-alert")
	if code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, out)
	}
	accepted, at := d.lastSeq(cadres), time.Now()
	alert := d.expectFromBot(cadres, seq, "【超期工单】")
	t.Logf("the alert went out %v after it was accepted", time.Since(at).Round(100*time.Millisecond))
	var between []string
	for _, m := range d.messages(cadres, accepted) {
		if m.From != "群主助手" {
			continue
		}
		if m.Seq < alert.Seq {
			between = append(between, m.Text)
		}
	}
	var after []string
	if len(between) > 1 {
		t.Errorf("%d replies went between the alert's arrival and the alert: %q", len(between), between)
	}
	// The guest's answers were still waiting (so the alert passed them), and
	// 200 commands got three answers and one notice.
	d.eventually("the guest's answers", func() error {
		if n := len(d.botTexts(cadres, seq)); n < 5 {
			return fmt.Errorf("%d messages so far", n)
		}
		return nil
	})
	after = d.botTexts(cadres, alert.Seq)
	if len(after) == 0 {
		t.Errorf("every reply went before the alert arrived: the flood did not wait, the test proves nothing")
	}
	if got := len(d.botTexts(cadres, seq)); got != 5 {
		t.Errorf("bot messages = %d (%q), want 3 pongs, one notice and the alert", got, d.botTexts(cadres, seq))
	}
}

// TestDemoFloodsStayUnderTheDailyCap: several guests flood with commands;
// replies stop at the cap minus the alerts' reserve, an alert still goes,
// nothing passes the cap, and /readyz says why it is degraded.
func TestDemoFloodsStayUnderTheDailyCap(t *testing.T) {
	d := startDemo(t, map[string]string{"QUNZHU_LIMITS_DAILY": "10"})
	for i := range 40 {
		d.say(cadres, "赵科长", fmt.Sprintf("/ping %d", i))
		d.say(cadres, "孙干事", "/帮助")
		d.say(cadres, "李局长", "/ping")
		d.say(cadres, "王主任", "/ping") // an admin: the member limit, 10 at once
	}
	// 3+1 for each guest, 10 for the admin: far more than 10 - 2 replies.
	d.eventually("the ordinary share of the cap", func() error {
		if n := len(d.botTexts(cadres, 0)); n < 8 {
			return fmt.Errorf("%d sent", n)
		}
		return nil
	})
	code, out := d.webhook(cadres, "【告警】磁盘将满", "cap-alert")
	if code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, out)
	}
	d.expectFromBot(cadres, 0, "【告警】磁盘将满")
	time.Sleep(2 * time.Second) // the test's pace would send anything more at once
	sent := len(d.botTexts(cadres, 0))
	if sent > 10 {
		t.Errorf("the bot sent %d messages today, past the daily cap of 10", sent)
	}
	var rz struct {
		Status  string
		Daily   struct{ Sent, Cap, Reserved int }
		Reasons []string
	}
	if err := d.getJSON(d.http+"/readyz", &rz); err != nil {
		t.Fatal(err)
	}
	if rz.Daily.Cap != 10 || rz.Daily.Reserved != 2 || rz.Daily.Sent != sent || rz.Status != "degraded" || len(rz.Reasons) == 0 {
		t.Errorf("/readyz = %+v, want degraded with the day's numbers (%d sent)", rz, sent)
	}
}

// TestDemoCodeWithoutPrivateChatGoesToTheLoginPage: 王主任, an admin the bot
// account has no private chat with, registers someone. The code cannot be
// delivered privately, so it is shown on the token-protected login page and
// 王主任 is told so in the group; it never appears in the group, and the
// member binds with it.
func TestDemoCodeWithoutPrivateChatGoesToTheLoginPage(t *testing.T) {
	const token = "e2e-login-token-0123456789"
	d := startDemo(t, map[string]string{"QUNZHU_LOGIN_TOKEN": token})
	seq := d.lastSeq(cadres)
	d.say(cadres, "王主任", "/成员 添加 孙干事 单位=区委办")
	d.expectFromBot(cadres, seq, "认证码已私信发给王主任")
	d.expectFromBot(cadres, seq, "认证码没能私信发给你")
	var code string
	d.eventually("the code on the login page", func() error {
		resp, err := http.Get(d.http + "/login?token=" + token)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`<b>(\d{6})</b>`).FindSubmatch(body)
		if m == nil || !strings.Contains(string(body), "孙干事") {
			return fmt.Errorf("not on the page yet")
		}
		code = string(m[1])
		return nil
	})
	if resp, err := http.Get(d.http + "/login"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("the login page without the token: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}
	for _, m := range d.messages(cadres, 0) {
		if strings.Contains(m.Text, code) {
			t.Errorf("the code is in the group: %q", m.Text)
		}
	}
	seq = d.lastSeq(cadres)
	d.say(cadres, "孙干事", "/认证 "+code)
	d.expectFromBot(cadres, seq, "孙干事 已认证，角色 成员")
}

// TestDemoBindPrivately: the member sends the code to the bot in a private
// chat; the group reads the announcement, the member the confirmation.
func TestDemoBindPrivately(t *testing.T) {
	const group = "副市长作业群"
	d := startDemo(t, nil)
	seq := d.lastSeq(group)
	d.say(group, "刘副部长", "/成员 解绑 陈副省长")
	d.expectFromBot(group, seq, "已解绑 陈副省长")
	seq = d.lastSeq(group)
	d.say(group, "刘副部长", "/成员 认证码 陈副省长")
	d.expectFromBot(group, seq, "认证码已私信发给刘副部长")
	code := d.privateCode("刘副部长", seq)

	chat := d.lastSeq(group)
	u := d.emu + "/_emu/contacts/" + url.PathEscape("陈副省长") + "/messages"
	if c, b := d.postJSON(u, map[string]string{"text": "/认证 " + code}); c != http.StatusAccepted {
		t.Fatalf("private post: %d %s", c, b)
	}
	d.expectFromBot(group, chat, "【认证】陈副省长 已认证，角色 群主")
	d.eventually("the private confirmation", func() error {
		for _, m := range d.privateMessages("陈副省长", chat) {
			if m.From == "群主助手" && m.Text == "认证成功：陈副省长（省政府，群主）。" {
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	seq = d.lastSeq(group)
	d.say(group, "陈副省长", "/成员")
	d.expectFromBot(group, seq, "陈副省长（群主，已认证）")
}
