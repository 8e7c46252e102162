package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

const groupColumns = `id, platform, chat_id, name, created_at, updated_at`

// CreateGroup registers a WeChat group under its current name. WeChat group
// names are unique because the bot finds the group again by name after every
// login.
func (t *tx) CreateGroup(name string) (*qunzhu.Group, error) {
	return t.CreatePlatformGroup(qunzhu.PlatformWeChat, "", name)
}

// CreatePlatformGroup registers a group on p. Official platforms identify the
// group by chatID, so two DingTalk groups may share a name; WeChat has no
// stable id and identifies it by name.
func (t *tx) CreatePlatformGroup(p qunzhu.Platform, chatID, name string) (*qunzhu.Group, error) {
	switch {
	case name == "":
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "群名不能为空。")
	case !p.Valid():
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "不认识的平台「%s」，可用：wechat、dingtalk、wecom。", p)
	case p.StableIDs() && chatID == "":
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "%s群「%s」缺少群编号（chat_id）。", p.Chinese(), name)
	case !p.StableIDs() && chatID != "":
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "微信群没有稳定的群编号，只按群名登记。")
	}
	g := &qunzhu.Group{Platform: p, ChatID: chatID, Name: name, CreatedAt: t.now, UpdatedAt: t.now}
	res, err := t.exec(`INSERT INTO "groups" (platform, chat_id, name, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)`, string(p), chatID, g.Name, ms(g.CreatedAt), ms(g.UpdatedAt))
	if isUnique(err) {
		if p.StableIDs() {
			return nil, qunzhu.Errorf(qunzhu.ECONFLICT, "%s群 %s 已经登记过了。", p.Chinese(), chatID)
		}
		return nil, qunzhu.Errorf(qunzhu.ECONFLICT, "群「%s」已经登记过了。", name)
	} else if err != nil {
		return nil, fmt.Errorf("insert group: %w", err)
	}
	if g.ID, err = res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("insert group: last id: %w", err)
	}
	t.groupsChanged = true
	return g, nil
}

// EnsureGroup returns the WeChat group with this name, registering it first if
// needed, for groups declared in the config file that must exist at every start.
func (t *tx) EnsureGroup(name string) (*qunzhu.Group, bool, error) {
	return t.EnsurePlatformGroup(qunzhu.PlatformWeChat, "", name)
}

// EnsurePlatformGroup returns the group with this platform id (on WeChat: this
// name), registering it first if needed. On official platforms the id is the
// truth and the name only a label: a changed name is recorded.
func (t *tx) EnsurePlatformGroup(p qunzhu.Platform, chatID, name string) (*qunzhu.Group, bool, error) {
	var (
		g   *qunzhu.Group
		err error
	)
	if p.StableIDs() && chatID != "" {
		g, err = t.GroupByChatID(p, chatID)
	} else {
		g, err = t.GroupByPlatformName(p, name)
	}
	if err == nil {
		if name != "" && g.Name != name {
			if err := t.RenameGroup(g.ID, name); err != nil {
				return nil, false, err
			}
			g.Name = name
		}
		return g, false, nil
	} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		return nil, false, err
	}
	if g, err = t.CreatePlatformGroup(p, chatID, name); err != nil {
		return nil, false, err
	}
	return g, true, nil
}

// GroupByID returns a group by our id.
func (t *tx) GroupByID(id int64) (*qunzhu.Group, error) {
	g, err := scanGroup(t.queryRow(`SELECT `+groupColumns+` FROM "groups" WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的群。", id)
	} else if err != nil {
		return nil, fmt.Errorf("select group %d: %w", id, err)
	}
	return g, nil
}

// GroupByName returns the one group, on any platform, with this last known
// name. Several groups with the name are a conflict whose message names the
// "平台:群名" forms that tell them apart: a webhook is never guessed into the
// wrong group.
func (t *tx) GroupByName(name string) (*qunzhu.Group, error) {
	rows, err := t.query(`SELECT `+groupColumns+` FROM "groups" WHERE name = ? ORDER BY id LIMIT 5`, name)
	gs, err := collect(rows, err, scanGroup, "groups by name")
	if err != nil {
		return nil, err
	}
	return oneGroup(gs, name)
}

// GroupByPlatformName returns the group of platform p with this name.
func (t *tx) GroupByPlatformName(p qunzhu.Platform, name string) (*qunzhu.Group, error) {
	rows, err := t.query(`SELECT `+groupColumns+` FROM "groups"
		WHERE name = ? AND platform = ? ORDER BY id LIMIT 5`, name, string(p))
	gs, err := collect(rows, err, scanGroup, "groups by platform and name")
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到%s群「%s」。", p.Chinese(), name)
	}
	return oneGroup(gs, name)
}

// oneGroup picks the only group of gs or explains why it cannot.
func oneGroup(gs []*qunzhu.Group, name string) (*qunzhu.Group, error) {
	switch len(gs) {
	case 0:
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到群「%s」。", name)
	case 1:
		return gs[0], nil
	}
	refs := make([]string, len(gs))
	for i, g := range gs {
		refs[i] = g.Ref()
		if g.Platform.StableIDs() {
			refs[i] = fmt.Sprintf("%s（编号 %d）", g.Ref(), g.ID)
		}
	}
	return nil, qunzhu.Errorf(qunzhu.ECONFLICT, "有多个群叫「%s」，请写明是哪一个：%s。", name, strings.Join(refs, "、"))
}

// GroupByChatID returns a group by the platform's stable id.
func (t *tx) GroupByChatID(p qunzhu.Platform, chatID string) (*qunzhu.Group, error) {
	if chatID == "" {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到%s群：没有群编号。", p.Chinese())
	}
	g, err := scanGroup(t.queryRow(`SELECT `+groupColumns+` FROM "groups"
		WHERE platform = ? AND chat_id = ? AND chat_id <> ''`, string(p), chatID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到%s群 %s。", p.Chinese(), chatID)
	} else if err != nil {
		return nil, fmt.Errorf("select group by chat id: %w", err)
	}
	return g, nil
}

// Groups returns every registered group in the order they were registered.
func (t *tx) Groups() ([]*qunzhu.Group, error) {
	rows, err := t.query(`SELECT ` + groupColumns + ` FROM "groups" ORDER BY id`)
	return collect(rows, err, scanGroup, "groups")
}

// RenameGroup records a new WeChat name for a group, after the bot saw the group
// renamed, so the next login still finds it.
func (t *tx) RenameGroup(id int64, name string) error {
	if name == "" {
		return qunzhu.Errorf(qunzhu.EINVALID, "群名不能为空。")
	}
	t.groupsChanged = true // set before: a failure changes nothing, and a cache refresh is cheap
	res, err := t.exec(`UPDATE "groups" SET name = ?, updated_at = ? WHERE id = ?`, name, ms(t.now), id)
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "群「%s」已经登记过了。", name)
	} else if err != nil {
		return fmt.Errorf("rename group %d: %w", id, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return fmt.Errorf("rename group %d: %w", id, err)
	} else if n == 0 {
		return qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到编号为 %d 的群。", id)
	}
	return nil
}

func scanGroup(row scanner) (*qunzhu.Group, error) {
	var (
		g                    qunzhu.Group
		createdAt, updatedAt int64
	)
	var platform string
	if err := row.Scan(&g.ID, &platform, &g.ChatID, &g.Name, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	g.Platform = qunzhu.Platform(platform)
	g.CreatedAt, g.UpdatedAt = fromMs(createdAt), fromMs(updatedAt)
	return &g, nil
}
