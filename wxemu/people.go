package wxemu

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// person is one WeChat account. It is shared by every group it belongs to, so it
// gets one UserName per login, as on the real server.
type person struct {
	nick string // NickName, the account's own name
	attr int64  // AttrStatus, stable across logins
	// friend: the person is in the bot's contacts, so the two can chat
	// privately; chat is that private history, oldest first.
	friend bool
	chat   []*entry
}

// membership is a person's seat in one group; display is the group nickname (群昵称)
// that the control API addresses members by.
type membership struct {
	person  *person
	display string
}

// group is one chat room with its members (the bot excluded) and its history.
type group struct {
	name    string
	members []*membership
	history []*entry
}

func (g *group) member(display string) *membership {
	for _, m := range g.members {
		if m.display == display {
			return m
		}
	}
	return nil
}

// roster is one login's view of identities. The real server hands out new random
// UserNames at every login, so names are only meaningful inside one roster; they are
// assigned lazily, which also covers members added after the login.
type roster struct {
	people     map[*person]string
	groups     map[*group]string
	encIDs     map[*group]string
	byUserName map[string]any // *person or *group
}

func newRoster() *roster {
	return &roster{
		people:     map[*person]string{},
		groups:     map[*group]string{},
		encIDs:     map[*group]string{},
		byUserName: map[string]any{},
	}
}

// person returns p's UserName in this login.
func (r *roster) person(p *person) string {
	name, ok := r.people[p]
	if !ok {
		name = "@" + randomHex(16)
		r.people[p] = name
		r.byUserName[name] = p
	}
	return name
}

// group returns g's UserName in this login.
func (r *roster) group(g *group) string {
	name, ok := r.groups[g]
	if !ok {
		name = "@@" + randomHex(32)
		r.groups[g] = name
		r.encIDs[g] = "@" + randomHex(16)
		r.byUserName[name] = g
	}
	return name
}

func (r *roster) lookupGroup(userName string) *group {
	g, _ := r.byUserName[userName].(*group)
	return g
}

func (r *roster) lookupPerson(userName string) *person {
	p, _ := r.byUserName[userName].(*person)
	return p
}

// randomHex returns n random bytes in hex; crypto/rand never fails since Go 1.24.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Groups returns the groups as they are now (after renames and added members),
// with each person's AttrStatus filled in, so tests can see what the bot should see.
func (s *Server) Groups() []GroupConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GroupConfig, 0, len(s.groups))
	for _, g := range s.groups {
		gc := GroupConfig{Name: g.name, Members: make([]Person, 0, len(g.members))}
		for _, m := range g.members {
			gc.Members = append(gc.Members, Person{Name: m.display, AttrStatus: m.person.attr})
		}
		out = append(out, gc)
	}
	return out
}

// AddMember puts a person into a group, as when someone joins it. A person already
// known by that name (from another group) is the same account, with the same
// UserName in a login; the bot sees the newcomer at its next webwxbatchgetcontact.
func (s *Server) AddMember(groupName string, p Person) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(groupName)
	if err != nil {
		return err
	}
	switch {
	case p.Name == "":
		return fmt.Errorf("%w: member name is empty", ErrInvalid)
	case p.Name == s.self.nick:
		return fmt.Errorf("%w: %q is the bot itself", ErrInvalid, p.Name)
	case g.member(p.Name) != nil:
		return fmt.Errorf("%w: %q is already in group %q", ErrConflict, p.Name, g.name)
	}
	who, ok := s.people[p.Name]
	if ok && p.AttrStatus != 0 && p.AttrStatus != who.attr {
		return fmt.Errorf("%w: %q already has attr_status %d", ErrInvalid, p.Name, who.attr)
	}
	if !ok {
		who = s.newPersonLocked(p)
	}
	g.members = append(g.members, &membership{person: who, display: p.Name})
	s.log.Info("member added", "group", g.name, "member", p.Name)
	s.notifyLocked()
	return nil
}

// RenameMember changes a member's group nickname (群昵称) in one group; NickName and
// AttrStatus stay, which is what identity re-mapping has to cope with.
func (s *Server) RenameMember(groupName, oldName, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(groupName)
	if err != nil {
		return err
	}
	m := g.member(oldName)
	switch {
	case m == nil:
		return fmt.Errorf("%w: %q in group %q", ErrUnknownMember, oldName, g.name)
	case newName == "":
		return fmt.Errorf("%w: new member name is empty", ErrInvalid)
	case newName == s.self.nick:
		return fmt.Errorf("%w: %q is the bot's name", ErrInvalid, newName)
	case newName != oldName && g.member(newName) != nil:
		return fmt.Errorf("%w: %q is already in group %q", ErrConflict, newName, g.name)
	}
	m.display = newName
	s.log.Info("member renamed", "group", g.name, "old", oldName, "new", newName)
	if newName != oldName {
		// Members see WeChat's notice, and so does a logged-in bot.
		e := s.appendLocked(g, nil, "", fmt.Sprintf("\"%s\"修改群昵称为“%s”", oldName, newName), nil)
		e.system = true
	}
	s.notifyLocked()
	return nil
}

// RenameGroup changes a group's name (群名); the group keeps its members and history,
// and control API paths use the new name from then on. Like WeChat, it posts the
// system notice "「某人」修改群名为“新名”" into the group.
func (s *Server) RenameGroup(oldName, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(oldName)
	if err != nil {
		return err
	}
	if newName == "" {
		return fmt.Errorf("%w: new group name is empty", ErrInvalid)
	}
	if newName != oldName {
		if _, err := s.groupLocked(newName); err == nil {
			return fmt.Errorf("%w: group %q already exists", ErrConflict, newName)
		}
	}
	g.name = newName
	s.log.Info("group renamed", "old", oldName, "new", newName)
	if newName != oldName {
		// Members see WeChat's notice, and so does a logged-in bot.
		by := "群成员"
		if len(g.members) > 0 {
			by = g.members[0].display
		}
		e := s.appendLocked(g, nil, "", fmt.Sprintf("\"%s\"修改群名为“%s”", by, newName), nil)
		e.system = true
	}
	s.notifyLocked()
	return nil
}

func (s *Server) groupLocked(name string) (*group, error) {
	for _, g := range s.groups {
		if g.name == name {
			return g, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownGroup, name)
}

func (s *Server) newPersonLocked(p Person) *person {
	attr := p.AttrStatus
	if attr == 0 {
		attr = attrStatusFor(p.Name)
	}
	who := &person{nick: p.Name, attr: attr}
	s.people[p.Name] = who
	return who
}
