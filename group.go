package qunzhu

import "time"

// Group (群) is a WeChat work group that an owner registered with qunzhu. WeChat's
// web protocol gives groups no stable id, so the ID is ours and Name is only the
// last name we saw; the bot re-maps the session's group to it after every login.
type Group struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// GroupTx is the part of a transaction that manages groups.
type GroupTx interface {
	CreateGroup(name string) (*Group, error) // ECONFLICT if the name is taken
	EnsureGroup(name string) (g *Group, created bool, err error)
	GroupByID(id int64) (*Group, error)
	GroupByName(name string) (*Group, error)
	Groups() ([]*Group, error)
	RenameGroup(id int64, name string) error
}
