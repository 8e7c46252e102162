package commands_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/commands"
	"github.com/qunzhu/qunzhu/internal/testenv"
	"github.com/qunzhu/qunzhu/ratelimit"
)

// TestAdmit_LimitsHoldAcrossReplicasInRedis: the per-sender limits live in
// the Limiter, so with Redis a second replica (or the same one after a
// restart, with nothing in memory) goes on counting where the first stopped.
func TestAdmit_LimitsHoldAcrossReplicasInRedis(t *testing.T) {
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	prefix := fmt.Sprintf("qunzhu:test:admit:%d:", time.Now().UnixNano())
	e := newEnv(t)
	replica := func() *commands.Router {
		return commands.NewRouter(e.store, commands.Config{BotNames: []string{botName}, Logger: quiet,
			Limiter: ratelimit.NewRedis(client, prefix)})
	}
	guest := qunzhu.Identity{SessionKey: "@guest", NickName: "赵科长", DisplayName: "赵科长", AttrStatus: 4242}
	var replies []string
	bindAnswers, notices := 0, 0
	for i := range 8 {
		e.router = replica() // a new replica, or a restart, for every command
		e.send(guest, "/ping")
		for _, m := range e.sent() {
			replies = append(replies, strings.TrimPrefix(m.Text, commands.Mention("赵科长")))
		}
		if i == 2 {
			// Five bind attempts an hour, counted in Redis too.
			for j := range 7 {
				e.router = replica()
				e.send(guest, fmt.Sprintf("/认证 %06d", 900000+j))
				for _, m := range e.sent() {
					if strings.Contains(m.Text, "【安全提醒】") {
						notices++
					} else {
						bindAnswers++
					}
				}
			}
		}
	}
	if want := []string{"pong", "pong", "pong", commandsTooFast}; strings.Join(replies, "|") != strings.Join(want, "|") {
		t.Errorf("8 × /ping over 8 replicas: %q, want %q", replies, want)
	}
	if bindAnswers != qunzhu.BindTriesPerHour || notices != 1 {
		t.Errorf("7 × /认证 over 7 replicas: %d answers and %d notices, want %d and 1", bindAnswers, notices, qunzhu.BindTriesPerHour)
	}
}

const commandsTooFast = "你发送命令太频繁了，暂不受理，请稍后再试。"
