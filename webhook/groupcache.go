package webhook

import (
	"context"
	"sync"

	"github.com/qunzhu/qunzhu"
)

// groupCache remembers how the messages endpoint resolved a group reference,
// so a flood of messages does not cost a read transaction each. It is exact,
// not timed: the store's GroupsVersion moves on after every commit that adds
// or renames a group, and the cache forgets everything then. Groups are
// never deleted, so nothing else can make an entry wrong.
type groupCache struct {
	version func() uint64 // nil: the store has no version, nothing is cached

	mu  sync.Mutex
	gen uint64
	m   map[string]qunzhu.Group
}

// maxCachedGroups bounds the cache; a sender inventing references cannot
// grow it (only references that resolved are kept, and at most this many).
const maxCachedGroups = 4096

func newGroupCache(store qunzhu.Store) *groupCache {
	c := &groupCache{m: map[string]qunzhu.Group{}}
	if v, ok := store.(interface{ GroupsVersion() uint64 }); ok {
		c.version = v.GroupsVersion
	}
	return c
}

// findGroupCached resolves ref like findGroup, from the cache when it can.
func (s *server) findGroupCached(ctx context.Context, ref string) (*qunzhu.Group, error) {
	c := s.groups
	var gen uint64
	if c.version != nil {
		gen = c.version() // read before the lookup: a change after it forgets the entry
		c.mu.Lock()
		if c.gen != gen {
			clear(c.m)
			c.gen = gen
		}
		g, ok := c.m[ref]
		c.mu.Unlock()
		if ok {
			return &g, nil
		}
	}
	var g *qunzhu.Group
	err := s.store.View(ctx, func(tx qunzhu.Tx) error {
		var err error
		g, err = findGroup(tx, ref)
		return err
	})
	if err != nil || c.version == nil {
		return g, err
	}
	c.mu.Lock()
	if c.gen == gen && len(c.m) < maxCachedGroups {
		c.m[ref] = *g
	}
	c.mu.Unlock()
	return g, nil
}
