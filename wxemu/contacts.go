package wxemu

import (
	"net/http"
	"net/url"
	"strconv"
)

// wireUser is a contact, group or group member as the protocol sends it; field names
// are the protocol's.
type wireUser struct {
	Uin             int64
	UserName        string
	NickName        string
	DisplayName     string
	AttrStatus      int64
	HeadImgUrl      string
	RemarkName      string
	PYInitial       string
	PYQuanPin       string
	Sex             int
	Signature       string
	VerifyFlag      int
	ContactFlag     int
	MemberCount     int
	MemberStatus    int
	OwnerUin        int64
	Statues         int
	EncryChatRoomId string
	MemberList      []wireUser `json:",omitempty"`
}

func headImgURL(userName, skey string) string {
	q := url.Values{"seq": {"0"}, "username": {userName}, "skey": {skey}}
	return cgiBin + "webwxgeticon?" + q.Encode()
}

// selfContactLocked is the bot account as webwxinit's User.
func (s *Server) selfContactLocked(sess *session) wireUser {
	name := sess.roster.person(s.self)
	return wireUser{
		Uin:        s.uin,
		UserName:   name,
		NickName:   s.self.nick,
		AttrStatus: s.self.attr,
		HeadImgUrl: headImgURL(name, sess.skey),
	}
}

// groupContactLocked is a group as a contact; withMembers adds its MemberList with
// the bot itself first, which openwechat needs to recognise @-mentions of the bot.
func (s *Server) groupContactLocked(sess *session, g *group, withMembers bool) wireUser {
	r := sess.roster
	name := r.group(g)
	u := wireUser{
		UserName:    name,
		NickName:    g.name,
		HeadImgUrl:  headImgURL(name, sess.skey),
		ContactFlag: 3,
		MemberCount: len(g.members) + 1,
		OwnerUin:    s.uin,
		Statues:     1,
	}
	if !withMembers {
		return u
	}
	u.EncryChatRoomId = r.encIDs[g]
	u.MemberList = make([]wireUser, 0, len(g.members)+1)
	u.MemberList = append(u.MemberList, wireUser{
		UserName:    r.person(s.self),
		NickName:    s.self.nick,
		DisplayName: s.self.nick,
		AttrStatus:  s.self.attr,
	})
	for _, m := range g.members {
		u.MemberList = append(u.MemberList, wireUser{
			UserName:    r.person(m.person),
			NickName:    m.person.nick,
			DisplayName: m.display,
			AttrStatus:  m.person.attr,
		})
	}
	return u
}

// personContactLocked is a group member looked up on their own (not a friend of the bot).
func (s *Server) personContactLocked(sess *session, p *person) wireUser {
	name := sess.roster.person(p)
	return wireUser{
		UserName:   name,
		NickName:   p.nick,
		AttrStatus: p.attr,
		HeadImgUrl: headImgURL(name, sess.skey),
	}
}

// handleGetContact lists the groups the bot saved to its contacts, then its
// friends, a page at a time:
// seq is where the page starts and the answer's Seq where the next one does (0 at
// the end).
func (s *Server) handleGetContact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("seq"))
	writeJSON(w, http.StatusOK, s.contacts(q.Get("skey"), start))
}

// contactPageAnswer is webwxgetcontact's JSON.
type contactPageAnswer struct {
	BaseResponse baseResponse
	MemberCount  int
	MemberList   []wireUser
	Seq          int
}

// contacts returns the page of groups starting at index start.
func (s *Server) contacts(skey string, start int) contactPageAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.liveBySkeyLocked(skey)
	if sess == nil {
		return contactPageAnswer{BaseResponse: baseResponse{Ret: 1101}, MemberList: []wireUser{}}
	}
	all := make([]wireUser, 0, len(s.groups))
	for _, g := range s.groups {
		all = append(all, s.groupContactLocked(sess, g, false))
	}
	for _, p := range s.friendsLocked() {
		all = append(all, s.friendContactLocked(sess, p))
	}
	start = min(max(start, 0), len(all))
	end := min(start+s.contactPageSize, len(all))
	list := all[start:end]
	next := end
	if end == len(all) {
		next = 0
	}
	return contactPageAnswer{MemberCount: len(list), MemberList: list, Seq: next}
}

// handleBatchGetContact details the requested UserNames, exactly one entry per
// request and in request order, because openwechat writes the answers back by
// position. Names from another login come back empty.
func (s *Server) handleBatchGetContact(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		List        []struct{ UserName, EncryChatRoomId string }
	}
	if err := readJSON(w, r, &req); err != nil {
		writeJSON(w, http.StatusOK, contactBatchAnswer{BaseResponse: baseResponse{Ret: 1, ErrMsg: "bad request: " + err.Error()}, ContactList: []wireUser{}})
		return
	}
	names := make([]string, len(req.List))
	for i, item := range req.List {
		names[i] = item.UserName
	}
	writeJSON(w, http.StatusOK, s.contactDetails(req.BaseRequest.Sid, names))
}

// contactBatchAnswer is webwxbatchgetcontact's JSON.
type contactBatchAnswer struct {
	BaseResponse baseResponse
	Count        int
	ContactList  []wireUser
}

// contactDetails details each UserName of this login, with an empty entry for names
// it does not know.
func (s *Server) contactDetails(sid string, names []string) contactBatchAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.liveLocked(sid)
	if sess == nil {
		return contactBatchAnswer{BaseResponse: baseResponse{Ret: 1101}, ContactList: []wireUser{}}
	}
	list := make([]wireUser, 0, len(names))
	for _, name := range names {
		switch g, p := sess.roster.lookupGroup(name), sess.roster.lookupPerson(name); {
		case g != nil:
			list = append(list, s.groupContactLocked(sess, g, true))
		case p == s.self:
			list = append(list, s.selfContactLocked(sess))
		case p != nil:
			list = append(list, s.personContactLocked(sess, p))
		default:
			list = append(list, wireUser{UserName: name})
		}
	}
	return contactBatchAnswer{Count: len(list), ContactList: list}
}
