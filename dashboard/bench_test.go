package dashboard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
)

// BenchmarkPages serves the pages a meeting opens, over a district's year:
// 2,000 tasks with a progress report each, signed in as IT (every group).
func BenchmarkPages(b *testing.B) {
	w := newBenchWorld(b, 2000)
	for _, path := range []string{"/ui/", "/ui/tasks", "/ui/tasks?overdue=1", "/ui/chart/weekly.svg", "/ui/export/tasks.xlsx"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(w.cookie)
				w.dash.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}

// benchWorld is newWorld's store with n more tasks, and an IT sign-in cookie.
type benchWorld struct {
	*world
	cookie *http.Cookie
}

func newBenchWorld(b *testing.B, n int) benchWorld {
	w := newWorld(b)
	w.update(func(tx qunzhu.Tx) error {
		for i := range n {
			g := w.cadres.ID
			if i%2 == 1 {
				g = w.mayors.ID
			}
			task := &qunzhu.Task{GroupID: g, Title: fmt.Sprintf("第%d项整改", i), Unit: fmt.Sprintf("单位%d", i%30),
				Deadline: w.clock.Now().Add(time.Duration(i%20-10) * 24 * time.Hour)}
			if err := tx.CreateTask(task, qunzhu.SystemActor("张书记")); err != nil {
				return err
			}
			if _, err := tx.ProgressTask(task.ID, qunzhu.SystemActor("李局长"), "已安排"); err != nil {
				return err
			}
		}
		return nil
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/ui/signin", nil)
	req.PostForm = map[string][]string{"token": {adminToken}}
	w.dash.ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("sign-in set %d cookies", len(cookies))
	}
	return benchWorld{world: w, cookie: cookies[0]}
}
