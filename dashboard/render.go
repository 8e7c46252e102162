package dashboard

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu"
)

// page is what every template gets: the layout's parts and the page's data.
type page struct {
	Title  string
	Nav    string // which menu entry is current
	Viewer *Viewer
	Error  string
	// NoAdminToken says on the sign-in form that IT sign-in is off.
	NoAdminToken bool
	Data         any
}

// pageNames are the templates, each rendered inside layout.html.
var pageNames = []string{"signin", "message", "overview", "tasks", "task", "reports",
	"submission", "tickets", "broadcasts", "sessions", "links"}

// parsePages parses layout.html with each page; times are shown in loc.
func parsePages(loc *time.Location) map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format("2006-01-02 15:04")
		},
		"day": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format("01-02")
		},
		"percent": func(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" },
		"mask":    qunzhu.MaskPII,
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

// render writes a page through a buffer, so a template error becomes a 500
// rather than half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page, data any) {
	if p.Viewer == nil && r.Context().Value(viewerKey{}) != nil {
		p.Viewer = viewerOf(r)
	}
	p.Data = data
	var buf bytes.Buffer
	if err := d.pages[name].Execute(&buf, p); err != nil {
		d.cfg.Logger.Error("dashboard: render", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "页面出错了。(internal error)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// message shows a short page that explains a refusal or a missing thing.
func (d *Dashboard) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	d.render(w, r, status, "message", &page{Title: title}, text)
}

// fail answers an error: the user's own message for a known code, a
// generic one (and a log line) for the rest.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch qunzhu.ErrorCode(err) {
	case qunzhu.ENOTFOUND:
		d.message(w, r, http.StatusNotFound, "找不到", "找不到这一项，或者您没有权限查看。")
	case qunzhu.EINVALID:
		d.message(w, r, http.StatusBadRequest, "输入有误", qunzhu.ErrorMessage(err))
	default:
		d.cfg.Logger.Error("dashboard: request failed", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		d.message(w, r, http.StatusInternalServerError, "出错了", "读取数据时出错，请稍后再试。")
	}
}

func (d *Dashboard) handleNotFound(w http.ResponseWriter, r *http.Request) {
	d.message(w, r, http.StatusNotFound, "找不到页面", "没有这个页面。")
}

// notVisible is how a page answers for something outside the viewer's
// groups: the same as for something that does not exist, so an owner cannot
// even learn that another group's task number is taken.
var notVisible = qunzhu.Errorf(qunzhu.ENOTFOUND, "找不到。")

// pathID reads a numeric path value.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notVisible
	}
	return id, nil
}
