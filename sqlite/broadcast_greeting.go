package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu"
)

const greetingColumns = `id, status, festival, hour, minute, text, image_id, author_id, author_name,
	origin_group_id, next_at, next_year, created_at, updated_at`

// CreateGreeting stores a yearly festival greeting and its target groups.
func (t *tx) CreateGreeting(g *qunzhu.Greeting) error {
	switch {
	case g.Festival == "" || g.AuthorID == 0 || g.OriginGroupID == 0:
		return qunzhu.Errorf(qunzhu.EINVALID, "节日祝福缺少节日或发起人。")
	case g.Text == "" && g.ImageID == 0:
		return qunzhu.Errorf(qunzhu.EINVALID, "节日祝福内容为空。")
	case len(g.Targets) == 0:
		return qunzhu.Errorf(qunzhu.EINVALID, "节日祝福没有目标群。")
	}
	if g.Status == "" {
		g.Status = qunzhu.GreetingActive
	}
	g.CreatedAt, g.UpdatedAt = t.now, t.now
	res, err := t.exec(`INSERT INTO greetings (status, festival, hour, minute, text, image_id, author_id,
		author_name, origin_group_id, next_at, next_year, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(g.Status), g.Festival, g.Hour, g.Minute, g.Text, nullID(g.ImageID), g.AuthorID,
		g.AuthorName, g.OriginGroupID, ms(g.NextAt), g.NextYear, ms(g.CreatedAt), ms(g.UpdatedAt))
	if isUnique(err) {
		return qunzhu.Errorf(qunzhu.ECONFLICT, "%s已经设置过%s祝福了。", g.AuthorName, g.Festival)
	} else if err != nil {
		return fmt.Errorf("insert greeting: %w", err)
	}
	if g.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert greeting: last id: %w", err)
	}
	return t.saveGreetingTargets(g)
}

func (t *tx) saveGreetingTargets(g *qunzhu.Greeting) error {
	if _, err := t.exec(`DELETE FROM greeting_targets WHERE greeting_id = ?`, g.ID); err != nil {
		return fmt.Errorf("replace greeting %d targets: %w", g.ID, err)
	}
	for i, id := range g.Targets {
		if _, err := t.exec(`INSERT INTO greeting_targets (greeting_id, position, group_id) VALUES (?, ?, ?)`,
			g.ID, i, id); err != nil {
			return fmt.Errorf("insert greeting target: %w", err)
		}
	}
	return nil
}

// UpdateGreeting saves a greeting that was set again, cancelled or sent.
func (t *tx) UpdateGreeting(g *qunzhu.Greeting) error {
	g.UpdatedAt = t.now
	res, err := t.exec(`UPDATE greetings SET status = ?, hour = ?, minute = ?, text = ?, image_id = ?,
		next_at = ?, next_year = ?, updated_at = ? WHERE id = ?`,
		string(g.Status), g.Hour, g.Minute, g.Text, nullID(g.ImageID), ms(g.NextAt), g.NextYear,
		ms(g.UpdatedAt), g.ID)
	if err != nil {
		return fmt.Errorf("update greeting %d: %w", g.ID, err)
	}
	if n, err := rowsAffected(res); err != nil {
		return err
	} else if n == 0 {
		return errNoGreeting(g.ID)
	}
	return t.saveGreetingTargets(g)
}

func errNoGreeting(id int64) error {
	return qunzhu.Errorf(qunzhu.ENOTFOUND, "没有编号为 %d 的节日祝福。", id)
}

// GreetingByID returns a greeting with its targets.
func (t *tx) GreetingByID(id int64) (*qunzhu.Greeting, error) {
	g, err := scanGreeting(t.queryRow(`SELECT `+greetingColumns+` FROM greetings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoGreeting(id)
	} else if err != nil {
		return nil, fmt.Errorf("select greeting %d: %w", id, err)
	}
	return g, t.loadGreetingTargets(g)
}

// GreetingsFrom lists the active greetings set in a group, soonest first.
func (t *tx) GreetingsFrom(groupID int64) ([]*qunzhu.Greeting, error) {
	return t.greetings(`SELECT `+greetingColumns+` FROM greetings
		WHERE origin_group_id = ? AND status = 'active' ORDER BY next_at, id`, groupID)
}

// DueGreetings returns the active greetings whose next sending has come.
func (t *tx) DueGreetings(now time.Time, limit int) ([]*qunzhu.Greeting, error) {
	return t.greetings(dueGreetingsQuery, ms(now), limit)
}

const dueGreetingsQuery = `SELECT ` + greetingColumns + ` FROM greetings
	WHERE status = 'active' AND next_at <= ? ORDER BY next_at, id LIMIT ?`

func (t *tx) greetings(query string, args ...any) ([]*qunzhu.Greeting, error) {
	rows, err := t.query(query, args...)
	// collect closes the rows before the targets are read with more queries.
	list, err := collect(rows, err, scanGreeting, "greetings")
	if err != nil {
		return nil, err
	}
	for _, g := range list {
		if err := t.loadGreetingTargets(g); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (t *tx) loadGreetingTargets(g *qunzhu.Greeting) error {
	ids, err := t.ids(`SELECT group_id FROM greeting_targets WHERE greeting_id = ? ORDER BY position`, g.ID)
	if err != nil {
		return fmt.Errorf("select greeting %d targets: %w", g.ID, err)
	}
	g.Targets = ids
	return nil
}

func scanGreeting(row scanner) (*qunzhu.Greeting, error) {
	var (
		g                        qunzhu.Greeting
		status                   string
		imageID                  sql.NullInt64
		nextAt, created, updated int64
	)
	if err := row.Scan(&g.ID, &status, &g.Festival, &g.Hour, &g.Minute, &g.Text, &imageID, &g.AuthorID,
		&g.AuthorName, &g.OriginGroupID, &nextAt, &g.NextYear, &created, &updated); err != nil {
		return nil, err
	}
	g.Status = qunzhu.GreetingStatus(status)
	g.ImageID = imageID.Int64
	g.NextAt, g.CreatedAt, g.UpdatedAt = fromMs(nextAt), fromMs(created), fromMs(updated)
	return &g, nil
}
