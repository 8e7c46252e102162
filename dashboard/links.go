package dashboard

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// owner is one person who owns groups, as the links page lists them: by the
// registered name, since WeChat gives no stable id across groups.
type owner struct {
	Name    string
	Groups  []string
	Members []int64
}

type linksData struct {
	Owners  []owner
	Created string // the link just made
	For     string
	Expires string
}

// loadOwners lists every group's registered owners, merged by name.
func (d *Dashboard) loadOwners(r *http.Request) ([]owner, error) {
	var out []owner
	err := d.cfg.Store.View(r.Context(), func(tx qunzhu.Tx) error {
		groups, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, g := range groups {
			ms, err := tx.Members(g.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.Role != qunzhu.RoleOwner {
					continue
				}
				i := slices.IndexFunc(out, func(o owner) bool { return o.Name == m.Name })
				if i < 0 {
					out = append(out, owner{Name: m.Name})
					i = len(out) - 1
				}
				out[i].Groups = append(out[i].Groups, g.Name)
				out[i].Members = append(out[i].Members, m.ID)
			}
		}
		return nil
	})
	return out, err
}

// handleLinks is where IT staff make an owner's sign-in link. Links are not
// sent in chat: a group message is read by the whole group, and the web
// protocol gives the bot no private chat, so /后台 tells the owner to ask IT,
// who hands the link over in person or by private message.
func (d *Dashboard) handleLinks(w http.ResponseWriter, r *http.Request) {
	owners, err := d.loadOwners(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "links", &page{Title: "群主登录链接", Nav: "links"}, linksData{Owners: owners})
}

func (d *Dashboard) handleCreateLink(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	name := strings.TrimSpace(r.PostFormValue("name"))
	owners, err := d.loadOwners(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(owners, func(o owner) bool { return o.Name == name })
	if i < 0 {
		d.fail(w, r, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有这位群主。"))
		return
	}
	link, expires := d.OwnerLink(r, owners[i].Name, owners[i].Members)
	d.render(w, r, http.StatusOK, "links", &page{Title: "群主登录链接", Nav: "links"}, linksData{
		Owners: owners, Created: link, For: name, Expires: expires.In(d.cfg.Location).Format("2006-01-02 15:04"),
	})
}

// OwnerLink signs a sign-in link for an owner's member rows, valid LinkTTL.
func (d *Dashboard) OwnerLink(r *http.Request, name string, members []int64) (string, time.Time) {
	exp := d.cfg.Clock.Now().Add(d.cfg.LinkTTL)
	return d.baseURL(r) + "/ui/auth?t=" + d.sign(purposeLink, claims{Name: name, Members: members, Expires: exp.Unix()}), exp
}
