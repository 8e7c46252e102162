package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu"
)

const groupColumns = `id, name, created_at, updated_at`

// CreateGroup registers a group under its current WeChat name. Names are unique
// because the bot finds the group again by name after every login.
func (t *tx) CreateGroup(name string) (*qunzhu.Group, error) {
	if name == "" {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "群名不能为空。")
	}
	g := &qunzhu.Group{Name: name, CreatedAt: t.now, UpdatedAt: t.now}
	res, err := t.exec(`INSERT INTO "groups" (name, created_at, updated_at) VALUES (?, ?, ?)`,
		g.Name, ms(g.CreatedAt), ms(g.UpdatedAt))
	if isUnique(err) {
		return nil, qunzhu.Errorf(qunzhu.ECONFLICT, "群「%s」已经登记过了。", name)
	} else if err != nil {
		return nil, fmt.Errorf("insert group: %w", err)
	}
	if g.ID, err = res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("insert group: last id: %w", err)
	}
	return g, nil
}

// EnsureGroup returns the group with this name, registering it first if needed,
// for groups declared in the config file that must exist at every start.
func (t *tx) EnsureGroup(name string) (*qunzhu.Group, bool, error) {
	g, err := t.GroupByName(name)
	if err == nil {
		return g, false, nil
	} else if qunzhu.ErrorCode(err) != qunzhu.ENOTFOUND {
		return nil, false, err
	}
	if g, err = t.CreateGroup(name); err != nil {
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

// GroupByName returns a group by its last known name.
func (t *tx) GroupByName(name string) (*qunzhu.Group, error) {
	g, err := scanGroup(t.queryRow(`SELECT `+groupColumns+` FROM "groups" WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到群「%s」。", name)
	} else if err != nil {
		return nil, fmt.Errorf("select group by name: %w", err)
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
	if err := row.Scan(&g.ID, &g.Name, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	g.CreatedAt, g.UpdatedAt = fromMs(createdAt), fromMs(updatedAt)
	return &g, nil
}
