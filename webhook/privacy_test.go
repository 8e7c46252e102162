package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/webhook"
)

// A citizen's data as it reaches us from every kind of sender: a mobile, a
// landline, an ID card number and an e-mail address, and each as a group
// must see it.
const (
	piiMobile   = "13800138000"
	piiLandline = "021-62345678"
	piiID       = "110101199003071234"
	piiEmail    = "zhangsan@163.com"

	maskedMobile   = "138****8000"
	maskedLandline = "021-****5678"
	maskedID       = "110***********1234"
	maskedEmail    = "z***@163.com"
)

// pii is the sentence the senders put in every field they can.
const pii = "市民张先生（手机" + piiMobile + "，座机" + piiLandline + "，身份证" + piiID + "，邮箱" + piiEmail + "）"

// Whatever field a sender puts a citizen's data in — a WeCom markdown or
// news card, a DingTalk link, action card or feed card, an Alertmanager
// annotation or label, a hotline ticket's title, content, phone or link —
// the group sees it masked. Task titles and progress, which /督办 shows in
// the group, are masked too.
func TestEveryEndpointMasksCitizensData(t *testing.T) {
	link := "https://12345.example.gov.cn/t?id=GD001&tel=" + piiMobile
	wecom := func(body string) func(e *intakeEnv) *httptest.ResponseRecorder {
		return func(e *intakeEnv) *httptest.ResponseRecorder {
			return e.robotPost("/cgi-bin/webhook/send", url.Values{"key": {wecomKey}}, "application/json", body)
		}
	}
	ding := func(body string) func(e *intakeEnv) *httptest.ResponseRecorder {
		return func(e *intakeEnv) *httptest.ResponseRecorder {
			return e.robotPost("/robot/send", dingQuery(dingToken, dingSecret, e.clock.Now().UnixMilli()), "application/json", body)
		}
	}
	alert := func(body string) func(e *intakeEnv) *httptest.ResponseRecorder {
		return func(e *intakeEnv) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/alertmanager/ops", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+promToken)
			return e.do(r)
		}
	}
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	tests := []struct {
		name  string
		send  func(e *intakeEnv) *httptest.ResponseRecorder
		group string
	}{
		{"messages", func(e *intakeEnv) *httptest.ResponseRecorder {
			return e.do(e.signedRequest("hotline", hotlineSecret, []byte(msgBody(cadreGroup, pii+" "+link))))
		}, cadreGroup},
		{"hotline overdue, every field", func(e *intakeEnv) *httptest.ResponseRecorder {
			w := e.do(e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, jsonBody(t, ticket("P-1", func(r *webhook.HotlineTicketRequest) {
				r.Title, r.Content, r.CitizenPhone, r.URL, r.Category = pii, pii, piiMobile+" / "+piiLandline, link, "咨询 "+piiEmail
			}))))
			if w.Code != http.StatusAccepted {
				return w
			}
			e.clock.Advance(time.Minute) // the notice has gone out; the closing line follows it
			upd := webhook.HotlineTicketRequest{Event: "updated", TicketID: "P-1", Content: "已回电 " + pii}
			e.do(e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, jsonBody(t, upd)))
			return e.do(e.signedTo(ticketsPath, "hotline-12345", hotline12345Secret, jsonBody(t, webhook.HotlineTicketRequest{Event: "closed", TicketID: "P-1"})))
		}, cityGroup},
		{"wecom text", wecom(`{"msgtype":"text","text":{"content":` + q(pii) + `}}`), cadreGroup},
		{"wecom markdown", wecom(`{"msgtype":"markdown","markdown":{"content":` + q("## 来电\n> **"+pii+"**\n[回访]("+link+")") + `}}`), cadreGroup},
		{"wecom news", wecom(`{"msgtype":"news","news":{"articles":[{"title":` + q(pii) + `,"description":` + q(pii) + `,"url":` + q(link) + `}]}}`), cadreGroup},
		{"dingtalk text", ding(`{"msgtype":"text","text":{"content":` + q(pii) + `}}`), cityGroup},
		{"dingtalk markdown", ding(`{"msgtype":"markdown","markdown":{"title":"来电","text":` + q("#### 来电\n> "+pii+"\n> [回访]("+link+")") + `}}`), cityGroup},
		{"dingtalk link", ding(`{"msgtype":"link","link":{"title":` + q(pii) + `,"text":` + q(pii) + `,"messageUrl":` + q(link) + `}}`), cityGroup},
		{"dingtalk actionCard", ding(`{"msgtype":"actionCard","actionCard":{"title":` + q(pii) + `,"text":` + q(pii) + `,"singleTitle":"回访","singleURL":` + q(link) + `}}`), cityGroup},
		{"dingtalk actionCard buttons", ding(`{"msgtype":"actionCard","actionCard":{"title":"回访","text":` + q(pii) + `,"btns":[{"title":` + q(pii) + `,"actionURL":` + q(link) + `}]}}`), cityGroup},
		{"dingtalk feedCard", ding(`{"msgtype":"feedCard","feedCard":{"links":[{"title":` + q(pii) + `,"messageURL":` + q(link) + `,"picURL":"https://img.alicdn.com/a.png"}]}}`), cityGroup},
		{"alertmanager annotations and labels", alert(`{"version":"4","status":"firing","receiver":"qunzhu","externalURL":` + q(link) + `,
			"commonAnnotations":{"description":` + q(pii) + `},
			"alerts":[{"status":"firing","labels":{"alertname":"CitizenCallback","severity":"warning","instance":` + q(piiMobile) + `},
				"annotations":{"summary":` + q(pii) + `},"startsAt":"2025-06-01T01:00:00Z"},
				{"status":"firing","labels":{"alertname":"CitizenCallback2"},"startsAt":"2025-06-01T01:00:00Z"}]}`), cadreGroup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			if w := tt.send(e); w.Code >= 300 {
				t.Fatalf("status %d %s", w.Code, w.Body.String())
			}
			posted := e.posted(tt.group)
			if len(posted) == 0 {
				t.Fatalf("nothing posted in %s", tt.group)
			}
			var texts []string
			for _, m := range posted {
				texts = append(texts, m.Text)
			}
			// What /督办 shows in the group: task titles and progress.
			err := e.store.View(context.Background(), func(tx qunzhu.Tx) error {
				task, err := tx.TaskByExternal(qunzhu.TaskSourceHotline, "P-1")
				if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
					return nil
				} else if err != nil {
					return err
				}
				texts = append(texts, task.Title)
				events, err := tx.TaskEvents(task.ID)
				for _, ev := range events {
					texts = append(texts, ev.Text)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(texts, "\n----\n")
			for _, raw := range []string{piiMobile, "62345678", piiID, piiEmail, "zhangsan"} {
				if strings.Contains(all, raw) {
					t.Errorf("the group sees %q:\n%s", raw, all)
				}
			}
			if !strings.Contains(all, maskedMobile) {
				t.Errorf("the group does not see the masked mobile %q:\n%s", maskedMobile, all)
			}
			for _, want := range []string{maskedLandline, maskedID, maskedEmail} {
				if !strings.Contains(all, want) {
					t.Errorf("the group does not see %q:\n%s", want, all)
				}
			}
		})
	}
}
