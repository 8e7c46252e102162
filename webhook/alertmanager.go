package webhook

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/qunzhu/qunzhu"
)

// AlertmanagerMessage is the body Prometheus Alertmanager's webhook receiver
// posts, version 4, as its documentation gives it
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
type AlertmanagerMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of a notification.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// maxAlertsShown bounds the alerts written out in one message; the rest are
// counted, so a storm of 500 alerts is one readable message. A message also
// stops listing alerts before it would pass MaxTextRunes ("另有 N 条告警未列
// 出"), and each label or annotation shown is cut to alertFieldShown
// characters (masked first), so no notification, however large, makes a
// message WeChat would cut or a text the masker spends long on.
const (
	maxAlertsShown  = 20
	alertFieldShown = 300
)

// AlertmanagerResponse is the body of an accepted notification.
type AlertmanagerResponse struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

// handleAlertmanager posts one Alertmanager notification, firing and resolved
// alerts together, as one readable Chinese message in the group of the route
// named in the URL. Alertmanager authenticates with a bearer token
// (http_config.authorization); the answer's shape does not matter to it, so
// errors are ours. Alertmanager does not sign, and resends a notification
// when it repeats: each is posted.
func (s *server) handleAlertmanager(c *gin.Context) {
	if err := checkContentType(c.GetHeader("Content-Type")); err != nil {
		s.writeError(c, err)
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	src, err := s.bearerSource(c.GetHeader("Authorization"))
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="qunzhu"`)
		s.writeError(c, err)
		return
	}
	c.Set(ctxKeySource, src.Name)
	groups, ok := src.namedRoute(c.Param("route"))
	if !ok {
		s.writeError(c, qunzhu.Errorf(CodeUnknownRoute, "来源 %s 没有名为「%s」的路由 (no such route)", src.Name, c.Param("route")))
		return
	}
	if wait, ok := s.allow(c.Request.Context(), src); !ok {
		s.tooMany(c, src, wait)
		return
	}
	msg, err := parseAlertmanager(body)
	if err != nil {
		s.writeError(c, err)
		return
	}
	text := s.mask(renderAlerts(msg, s.loc, s.mask))
	var first int64
	err = s.store.Update(c.Request.Context(), func(tx qunzhu.Tx) error {
		for _, ref := range groups {
			g, err := findGroup(tx, strings.TrimSpace(ref))
			if err != nil {
				return err
			}
			if !src.allows(g) {
				return qunzhu.Errorf(CodeGroupNotAllowed, "来源 %s 无权向群「%s」发送消息 (source may not post to this group)", src.Name, g.Name)
			}
			m := &qunzhu.OutMessage{GroupID: g.ID, Kind: qunzhu.KindAlert, Priority: qunzhu.KindAlert.DefaultPriority(), Text: text}
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
			if first == 0 {
				first = m.ID
			}
		}
		return nil
	})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, AlertmanagerResponse{ID: first, Status: StatusQueued})
}

// bearerSource finds the Alertmanager source whose token is in the
// Authorization header. The token is compared by hash lookup and once more in
// constant time; it is never echoed.
func (s *server) bearerSource(header string) (Source, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Source{}, qunzhu.Errorf(CodeBadToken, "缺少 Authorization: Bearer 令牌 (missing bearer token)")
	}
	token = strings.TrimSpace(token)
	src, ok := s.tokens[tokenKey(KindAlertmanager, token)]
	if !ok || subtle.ConstantTimeCompare([]byte(src.Token), []byte(token)) != 1 {
		return Source{}, qunzhu.Errorf(CodeBadToken, "令牌无效 (bad bearer token)")
	}
	return src, nil
}

// parseAlertmanager decodes a notification and checks it is version 4 with
// at least one alert.
func parseAlertmanager(body []byte) (*AlertmanagerMessage, error) {
	var msg AlertmanagerMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, qunzhu.Errorf(CodeBadJSON, "请求体不是合法的 Alertmanager 通知 (bad JSON: %s)", jsonProblem(err))
	}
	switch {
	case msg.Version == "":
		return nil, qunzhu.Errorf(CodeMissingField, "缺少字段 version (missing field: version)")
	case msg.Version != "4":
		return nil, qunzhu.Errorf(CodeInvalidField, "只支持 Alertmanager webhook 第 4 版，收到第 %s 版 (only version 4 is supported)", msg.Version)
	case len(msg.Alerts) == 0:
		return nil, qunzhu.Errorf(CodeMissingField, "缺少字段 alerts (missing field: alerts)")
	}
	for i, a := range msg.Alerts {
		if a.Status != "firing" && a.Status != "resolved" {
			return nil, qunzhu.Errorf(CodeInvalidField, "alerts[%d].status 必须是 firing 或 resolved (must be firing or resolved)", i)
		}
	}
	return &msg, nil
}

// severityNames are the usual severity labels in Chinese.
var severityNames = map[string]string{
	"critical": "严重", "error": "错误", "warning": "警告", "warn": "警告",
	"info": "提示", "page": "紧急", "none": "无",
}

// renderAlerts writes a notification as a message people read: a headline
// with the counts, then each alert — firing ones first — with its name,
// severity, summary and since when (Asia/Shanghai); resolved ones are marked
// 已恢复 with the time they ended. Every value is shown masked and cut; the
// alerts listed stop at maxAlertsShown or before the text would pass
// MaxTextRunes, and the rest are counted.
func renderAlerts(msg *AlertmanagerMessage, loc *time.Location, mask func(string) string) string {
	alerts := slices.Clone(msg.Alerts)
	slices.SortStableFunc(alerts, func(a, b Alert) int {
		if a.Status == b.Status {
			return a.StartsAt.Compare(b.StartsAt)
		}
		if a.Status == "firing" {
			return -1
		}
		return 1
	})
	firing := 0
	for _, a := range alerts {
		if a.Status == "firing" {
			firing++
		}
	}
	var b strings.Builder
	switch resolved := len(alerts) - firing; {
	case resolved == 0:
		fmt.Fprintf(&b, "【告警】%d 条告警触发", firing)
	case firing == 0:
		fmt.Fprintf(&b, "【告警恢复】%d 条告警已恢复", resolved)
	default:
		fmt.Fprintf(&b, "【告警】%d 条告警触发，%d 条已恢复", firing, resolved)
	}
	if msg.Receiver != "" {
		fmt.Fprintf(&b, "（%s）", shown(mask, msg.Receiver, 100))
	}
	var tail strings.Builder
	if msg.TruncatedAlerts > 0 {
		fmt.Fprintf(&tail, "\n\n（另有 %d 条告警因 max_alerts 被 Alertmanager 截断）", msg.TruncatedAlerts)
	}
	if msg.ExternalURL != "" {
		tail.WriteString("\n\n详情：" + shown(mask, msg.ExternalURL, alertFieldShown))
	}
	// Room for the tail and the "另有 N 条" line.
	budget := MaxTextRunes - utf8.RuneCountInString(tail.String()) - 40
	used := utf8.RuneCountInString(b.String())
	for i, a := range alerts {
		var one strings.Builder
		one.WriteString("\n\n")
		writeAlert(&one, i+1, a, msg, loc, mask)
		n := utf8.RuneCountInString(one.String())
		if i == maxAlertsShown || used+n > budget {
			fmt.Fprintf(&b, "\n\n……另有 %d 条告警未列出", len(alerts)-i)
			break
		}
		b.WriteString(one.String())
		used += n
	}
	b.WriteString(tail.String())
	return b.String()
}

func writeAlert(b *strings.Builder, n int, a Alert, msg *AlertmanagerMessage, loc *time.Location, mask func(string) string) {
	label := func(k string) string {
		if v := a.Labels[k]; v != "" {
			return shown(mask, v, alertFieldShown)
		}
		return shown(mask, msg.CommonLabels[k], alertFieldShown)
	}
	annotation := func(keys ...string) string {
		for _, k := range keys {
			if v := a.Annotations[k]; v != "" {
				return shown(mask, v, alertFieldShown)
			}
			if v := msg.CommonAnnotations[k]; v != "" {
				return shown(mask, v, alertFieldShown)
			}
		}
		return ""
	}
	state := "触发"
	if a.Status == "resolved" {
		state = "已恢复"
	}
	fmt.Fprintf(b, "%d. [%s] 告警名称：%s", n, state, orDefault(label("alertname"), "（未命名）"))
	if sev := label("severity"); sev != "" {
		if zh, ok := severityNames[strings.ToLower(sev)]; ok {
			sev = zh + "（" + sev + "）"
		}
		b.WriteString("\n级别：" + sev)
	}
	if sum := annotation("summary", "description", "message"); sum != "" {
		b.WriteString("\n摘要：" + strings.TrimSpace(sum))
	}
	if inst := label("instance"); inst != "" {
		b.WriteString("\n实例：" + inst)
	}
	if !a.StartsAt.IsZero() {
		b.WriteString("\n开始时间：" + a.StartsAt.In(loc).Format("2006-01-02 15:04:05"))
	}
	if a.Status == "resolved" && a.EndsAt.Year() > 1 {
		b.WriteString("\n恢复时间：" + a.EndsAt.In(loc).Format("2006-01-02 15:04:05"))
	}
}
