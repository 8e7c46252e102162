package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// WeChatConfig is the `wechat:` section. Personal WeChat runs unless
// enabled is false: an office on DingTalk or WeCom alone turns it off, and
// no QR login is attempted.
type WeChatConfig struct {
	Enabled *bool `yaml:"enabled"`
}

func (w WeChatConfig) enabled() bool { return w.Enabled == nil || *w.Enabled }

// platformEnabled says whether platform p is configured to run. Each
// platform's section decides (one case per platform).
func (c *Config) platformEnabled(p qunzhu.Platform) bool {
	switch p {
	case qunzhu.PlatformWeChat:
		return c.WeChat.enabled()
	case qunzhu.PlatformDingTalk:
		return c.DingTalk.enabled()
	case qunzhu.PlatformWeCom:
		return c.WeCom != nil
	}
	return false
}

// platformSetting names the setting that turns platform p on, for errors.
func platformSetting(p qunzhu.Platform) string {
	switch p {
	case qunzhu.PlatformWeChat:
		return "wechat.enabled"
	case qunzhu.PlatformDingTalk:
		return "dingtalk.client_id"
	case qunzhu.PlatformWeCom:
		return "the wecom section"
	}
	return string(p) + " section"
}

// platform of a configured group; "" is WeChat.
func (g GroupConfig) platform() (qunzhu.Platform, bool) {
	if g.Platform == "" {
		return qunzhu.PlatformWeChat, true
	}
	return qunzhu.ParsePlatform(g.Platform)
}

// userID is the member's id on platform p ("" on WeChat).
func (m MemberConfig) userID(p qunzhu.Platform) string {
	switch p {
	case qunzhu.PlatformDingTalk:
		return m.DingTalkID
	case qunzhu.PlatformWeCom:
		return m.WeComID
	}
	return ""
}

// validateGroups checks the groups: platform, chat_id and names per platform.
func (c *Config) validateGroups() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	seen := map[string]bool{}
	for i, g := range c.Groups {
		if strings.TrimSpace(g.Name) == "" {
			bad("groups[%d].name: empty", i)
		}
		p, ok := g.platform()
		if !ok {
			bad("groups[%d].platform: %q is not wechat, dingtalk or wecom", i, g.Platform)
			continue
		}
		if p == qunzhu.PlatformWeCom {
			bad("groups[%d].platform: WeCom groups are listed under wecom.groups, with their robot's webhook_key", i)
			continue
		}
		key := string(p) + "\x00" + g.Name
		if p.StableIDs() {
			key = string(p) + "\x00" + g.ChatID
			if g.ChatID == "" {
				bad("groups[%d].chat_id: missing: a %s group is found by its id (%s)", i, p, chatIDName(p))
			}
		} else if g.ChatID != "" {
			bad("groups[%d].chat_id: WeChat groups have no stable id; remove it", i)
		}
		switch {
		case seen[key] && p.StableIDs():
			bad("groups[%d].chat_id: %q is listed twice", i, g.ChatID)
		case seen[key]:
			bad("groups[%d].name: %q is listed twice", i, g.Name)
		}
		seen[key] = true
		if !c.platformEnabled(p) {
			bad("groups[%d].platform: %s is not configured (%s)", i, p, platformSetting(p))
		}
		ids := map[string]bool{}
		for j, m := range g.Members {
			if strings.TrimSpace(m.Name) == "" {
				bad("groups[%d].members[%d].name: empty", i, j)
			}
			if _, ok := qunzhu.ParseRole(m.Role); !ok {
				bad("groups[%d].members[%d].role: %q is not owner, admin or member", i, j, m.Role)
			}
			if id := m.userID(p); id != "" {
				if ids[id] {
					bad("groups[%d].members[%d]: user id %q is listed twice", i, j, id)
				}
				ids[id] = true
			}
		}
	}
	return errs
}

func chatIDName(p qunzhu.Platform) string {
	if p == qunzhu.PlatformDingTalk {
		return "openConversationId"
	}
	return "chatid"
}

// registerGroups makes the configured groups and members exist; the config
// wins for their unit, role and person key. On DingTalk and WeCom a member
// with a user id is bound at once: the platform vouches for the id.
func registerGroups(ctx context.Context, store qunzhu.Store, groups []GroupConfig) error {
	return store.Update(ctx, func(tx qunzhu.Tx) error {
		for _, gc := range groups {
			p, _ := gc.platform()
			g, _, err := tx.EnsurePlatformGroup(p, gc.ChatID, gc.Name)
			if err != nil {
				return fmt.Errorf("register group %q: %w", gc.Name, err)
			}
			for _, mc := range gc.Members {
				if err := registerMember(tx, g, p, mc); err != nil {
					return fmt.Errorf("register member %q of %q: %w", mc.Name, gc.Name, err)
				}
			}
		}
		return nil
	})
}

func registerMember(tx qunzhu.Tx, g *qunzhu.Group, p qunzhu.Platform, mc MemberConfig) error {
	role, _ := qunzhu.ParseRole(mc.Role)
	uid := mc.userID(p)
	var m *qunzhu.Member
	var err error
	if uid != "" {
		m, err = tx.MemberByUserID(g.ID, uid)
	}
	if uid == "" || qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		m, err = tx.MemberByName(g.ID, mc.Name)
	}
	switch {
	case qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND:
		m = &qunzhu.Member{GroupID: g.ID, Name: mc.Name, Unit: mc.Unit, Role: role}
		if uid != "" {
			m.Bound, m.Identity = true, qunzhu.Identity{SessionKey: uid, UserID: uid, DisplayName: mc.Name}
		}
		err = tx.CreateMember(m)
	case err == nil && (m.Unit != mc.Unit || m.Role != role):
		m.Unit, m.Role = mc.Unit, role
		err = tx.UpdateMember(m)
	}
	if err != nil {
		return err
	}
	if uid != "" && m.Identity.UserID != uid {
		if err := tx.BindMember(m.ID, qunzhu.Identity{SessionKey: uid, UserID: uid, DisplayName: mc.Name}); err != nil {
			return err
		}
	}
	return tx.SetPerson(m.ID, mc.Person)
}
