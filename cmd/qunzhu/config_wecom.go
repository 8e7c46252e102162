package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/wecom"
)

// WeComConfig is the `wecom:` section: the smart robot (智能机器人, API mode)
// that receives the groups' @-messages, and each group's 消息推送 robot key
// for what qunzhu says on its own. Token, EncodingAESKey and the keys are
// secrets: from the file, a *_file, or the environment (QUNZHU_WECOM_TOKEN,
// QUNZHU_WECOM_ENCODING_AES_KEY, QUNZHU_WECOM_KEY_<CHAT_ID>), never logged.
type WeComConfig struct {
	Token              string `yaml:"token"`
	TokenFile          string `yaml:"token_file"`
	EncodingAESKey     string `yaml:"encoding_aes_key"`
	EncodingAESKeyFile string `yaml:"encoding_aes_key_file"`
	// ReceiveID is "" for a company's own smart robot (WeCom's rule).
	ReceiveID string `yaml:"receive_id"`
	// BotID is the robot's aibotid; when set, callbacks for another robot are refused.
	BotID string `yaml:"bot_id"`
	// CallbackPath is where the callback URL is served (/wecom/callback).
	CallbackPath string `yaml:"callback_path"`
	// APIBase is WeCom's API host (https://qyapi.weixin.qq.com).
	APIBase string             `yaml:"api_base"`
	Groups  []WeComGroupConfig `yaml:"groups"`
	// Limits override WeCom's defaults (20 a minute per group robot, no
	// daily cap); QUNZHU_WECOM_LIMITS_ACCOUNT / _GROUP.
	Limits PlatformLimitsConfig `yaml:"limits"`
	// Emulator, demo only, describes the built-in WeCom emulator.
	Emulator *WeComEmulatorConfig `yaml:"emulator"`
}

// WeComGroupConfig registers one WeCom group by its chatid, with its robot
// key and its members by userid (no /认证 on WeCom: the userid is the proof).
type WeComGroupConfig struct {
	Name           string              `yaml:"name"`
	ChatID         string              `yaml:"chat_id"`
	WebhookKey     string              `yaml:"webhook_key"`
	WebhookKeyFile string              `yaml:"webhook_key_file"`
	Members        []WeComMemberConfig `yaml:"members"`
}

// WeComMemberConfig is a member known by WeCom userid.
type WeComMemberConfig struct {
	Name   string `yaml:"name"`
	Unit   string `yaml:"unit"`
	Role   string `yaml:"role"`
	UserID string `yaml:"userid"`
	// Person links the same official across platforms (see groups' person:),
	// so an owner's /群发 reaches their WeCom groups too.
	Person string `yaml:"person"`
}

// WeComEmulatorConfig is the demo's emulated WeCom: the robot's name as
// members @ it, and people in the groups who are not registered.
type WeComEmulatorConfig struct {
	RobotName     string                         `yaml:"robot_name"`
	RatePerMinute int                            `yaml:"rate_per_minute"`
	Guests        map[string][]WeComMemberConfig `yaml:"guests"` // group name → people
}

const defaultWeComCallbackPath = "/wecom/callback"

// String keeps the secrets out of any %v of the configuration.
func (w WeComConfig) String() string {
	return fmt.Sprintf("wecom{token:%s encoding_aes_key:%s groups:%d}",
		set(w.Token != "" || w.TokenFile != ""), set(w.EncodingAESKey != "" || w.EncodingAESKeyFile != ""), len(w.Groups))
}

// LogValue keeps them out of structured logs.
func (w WeComConfig) LogValue() slog.Value { return slog.StringValue(w.String()) }

// loadWeCom applies the environment and reads the secret files. A WeCom
// section appears when QUNZHU_WECOM_TOKEN is set even without one in the file.
func (c *Config) loadWeCom(getenv func(string) string) error {
	if c.WeCom == nil {
		if getenv("QUNZHU_WECOM_TOKEN") == "" {
			return nil
		}
		c.WeCom = &WeComConfig{}
	}
	w := c.WeCom
	if v := getenv("QUNZHU_WECOM_TOKEN"); v != "" {
		w.Token = v
	}
	if v := getenv("QUNZHU_WECOM_ENCODING_AES_KEY"); v != "" {
		w.EncodingAESKey = v
	}
	if v := getenv("QUNZHU_WECOM_LIMITS_ACCOUNT"); v != "" {
		w.Limits.Account = v
	}
	if v := getenv("QUNZHU_WECOM_LIMITS_GROUP"); v != "" {
		w.Limits.Group = v
	}
	if err := readSecret("wecom.token", &w.Token, w.TokenFile); err != nil {
		return err
	}
	if err := readSecret("wecom.encoding_aes_key", &w.EncodingAESKey, w.EncodingAESKeyFile); err != nil {
		return err
	}
	for i := range w.Groups {
		g := &w.Groups[i]
		if v := getenv("QUNZHU_WECOM_KEY_" + envName(g.ChatID)); g.ChatID != "" && v != "" {
			g.WebhookKey = v
		}
		if err := readSecret(fmt.Sprintf("wecom.groups[%d].webhook_key", i), &g.WebhookKey, g.WebhookKeyFile); err != nil {
			return err
		}
	}
	if w.CallbackPath == "" {
		w.CallbackPath = defaultWeComCallbackPath
	}
	if w.APIBase == "" {
		w.APIBase = wecom.DefaultAPIBase
	}
	return nil
}

// readSecret fills *dst from file when the value itself is not set.
func readSecret(name string, dst *string, file string) error {
	if *dst != "" || file == "" {
		return nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s_file: %w", name, err)
	}
	*dst = strings.TrimSpace(string(b))
	return nil
}

// validateWeCom names every bad or missing WeCom setting, never its value.
func (c *Config) validateWeCom() []error {
	w := c.WeCom
	if w == nil {
		return nil
	}
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if w.Token == "" {
		bad("wecom.token: missing (wecom.token, wecom.token_file or QUNZHU_WECOM_TOKEN)")
	}
	if w.EncodingAESKey == "" {
		bad("wecom.encoding_aes_key: missing (wecom.encoding_aes_key, wecom.encoding_aes_key_file or QUNZHU_WECOM_ENCODING_AES_KEY)")
	} else if _, err := wecom.DecodeAESKey(w.EncodingAESKey); err != nil {
		bad("wecom.%v", err)
	}
	if !strings.HasPrefix(w.CallbackPath, "/") {
		bad("wecom.callback_path: %q must start with /", w.CallbackPath)
	}
	if u, err := url.Parse(w.APIBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("wecom.api_base: %q is not an http(s) URL", w.APIBase)
	}
	if _, err := w.Limits.limits(qunzhu.PlatformWeCom); err != nil {
		bad("wecom.limits.%v", err)
	}
	chats := map[string]bool{}
	for i, g := range w.Groups {
		if strings.TrimSpace(g.Name) == "" {
			bad("wecom.groups[%d].name: empty", i)
		}
		switch {
		case g.ChatID == "":
			bad("wecom.groups[%d].chat_id: empty (the chatid is logged when someone @s the robot in the group)", i)
		case chats[g.ChatID]:
			bad("wecom.groups[%d].chat_id: %q is listed twice", i, g.ChatID)
		}
		chats[g.ChatID] = true
		if g.WebhookKey == "" {
			bad("wecom.groups[%d].webhook_key: missing (webhook_key, webhook_key_file or QUNZHU_WECOM_KEY_%s)", i, envName(g.ChatID))
		}
		ids := map[string]bool{}
		for j, m := range g.Members {
			if strings.TrimSpace(m.Name) == "" {
				bad("wecom.groups[%d].members[%d].name: empty", i, j)
			}
			if _, ok := qunzhu.ParseRole(m.Role); !ok {
				bad("wecom.groups[%d].members[%d].role: %q is not owner, admin or member", i, j, m.Role)
			}
			switch {
			case m.UserID == "":
				bad("wecom.groups[%d].members[%d].userid: empty (WeCom members are known by userid)", i, j)
			case ids[strings.ToLower(m.UserID)]:
				bad("wecom.groups[%d].members[%d].userid: %q is listed twice", i, j, m.UserID)
			}
			ids[strings.ToLower(m.UserID)] = true
		}
	}
	return errs
}
