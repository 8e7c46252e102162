package webhook

import "testing"

// The markdown the WeCom and DingTalk robots accept, as people write it in
// alert templates, becomes text a WeChat group reads without markup.
func TestPlainMarkdown(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"headers", "# 标题一\n## 标题二\n###### 标题六", "标题一\n标题二\n标题六"},
		{"bold", "**提醒!实时新增用户反馈****123例**", "提醒!实时新增用户反馈123例"},
		{"bold underscores", "__紧急__ 通知", "紧急 通知"},
		{"italic", "这是*斜体*文字", "这是斜体文字"},
		{"multiplication is not italic", "2*3*4=24", "2*3*4=24"},
		{"link", "[这是一个链接](http://work.weixin.qq.com/api/doc)", "这是一个链接 (http://work.weixin.qq.com/api/doc)"},
		{"bare link text", "[https://www.dingtalk.com](https://www.dingtalk.com)", "https://www.dingtalk.com"},
		{"image", "![screenshot](https://img.alicdn.com/a.png)", "[图片] screenshot (https://img.alicdn.com/a.png)"},
		{"image without alt", "![](https://img.alicdn.com/a.png)", "[图片] https://img.alicdn.com/a.png"},
		{"font tags", `实时新增用户反馈<font color="warning">132例</font>，请相关同事注意。`, "实时新增用户反馈132例，请相关同事注意。"},
		{"quote", "> 类型:<font color=\"comment\">用户反馈</font>", "类型:用户反馈"},
		{"nested quote", ">> 引用的引用", "引用的引用"},
		{"lists", "- 列表第一项\n* 列表第二项\n+ 第三项\n1. 有序列表第一项\n2. 有序列表第二项", "• 列表第一项\n• 列表第二项\n• 第三项\n1. 有序列表第一项\n2. 有序列表第二项"},
		{"nested list", "- 一级\n  - 二级", "• 一级\n  • 二级"},
		{"inline code", "执行 `systemctl restart nginx`", "执行 systemctl restart nginx"},
		{"code block kept", "```\nerror: disk full\n```", "error: disk full"},
		{"br and rule", "第一行<br>第二行\n---\n第三行", "第一行\n第二行\n\n第三行"},
		{"strike", "~~已取消~~", "已取消"},
		{"escapes", `5\*3 \_x\_`, "5*3 _x_"},
		{"blank lines collapse", "a\n\n\n\n\nb", "a\n\nb"},
		{"trailing spaces (markdown line breaks)", "第一行  \n第二行  ", "第一行\n第二行"},
		{"crlf", "第一行\r\n第二行", "第一行\n第二行"},
		{"plain text unchanged", "市城管委：黄浦区工单已超期 2 天", "市城管委：黄浦区工单已超期 2 天"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainMarkdown(tt.in); got != tt.want {
				t.Errorf("plainMarkdown(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Source kinds are validated for what each needs, and messages never show a
// secret.
func TestValidateSourceKinds(t *testing.T) {
	const secret = "0123456789abcdef-secret"
	route := []Route{{Unit: "市城管委", Groups: []string{"城管工作群"}}}
	tests := []struct {
		name    string
		src     Source
		wantErr string
	}{
		{"message", Source{Name: "m", Secret: secret}, ""},
		{"hotline", Source{Name: "h", Kind: KindHotline, Secret: secret, Routes: route}, ""},
		{"hotline without routes", Source{Name: "h", Kind: KindHotline, Secret: secret}, "routes are required"},
		{"hotline route without group", Source{Name: "h", Kind: KindHotline, Secret: secret, Routes: []Route{{Unit: "市城管委"}}}, "routes[0]: no group"},
		{"hotline short secret", Source{Name: "h", Kind: KindHotline, Secret: "short", Routes: route}, "secret must be at least 16 bytes"},
		{"wecom", Source{Name: "w", Kind: KindWeCom, Token: secret, Group: "群"}, ""},
		{"wecom without key", Source{Name: "w", Kind: KindWeCom, Group: "群"}, "token (the robot key)"},
		{"wecom without group", Source{Name: "w", Kind: KindWeCom, Token: secret}, "group (the target group) is required"},
		{"dingtalk", Source{Name: "d", Kind: KindDingTalk, Token: secret, Secret: secret, Group: "群"}, ""},
		{"dingtalk without sign secret", Source{Name: "d", Kind: KindDingTalk, Token: secret, Group: "群"}, "secret must be"},
		{"alertmanager", Source{Name: "a", Kind: KindAlertmanager, Token: secret, Routes: []Route{{Name: "ops", Groups: []string{"群"}}}}, ""},
		{"alertmanager bad route name", Source{Name: "a", Kind: KindAlertmanager, Token: secret, Routes: []Route{{Name: "运维", Groups: []string{"群"}}}}, "routes[0].name"},
		{"alertmanager route twice", Source{Name: "a", Kind: KindAlertmanager, Token: secret, Routes: []Route{{Name: "ops", Groups: []string{"群"}}, {Name: "ops", Groups: []string{"群"}}}}, "used twice"},
		{"alertmanager without token", Source{Name: "a", Kind: KindAlertmanager, Routes: []Route{{Name: "ops", Groups: []string{"群"}}}}, "bearer token"},
		{"unknown kind", Source{Name: "x", Kind: "feishu", Secret: secret}, `kind "feishu"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSources([]Source{tt.src})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateSources: %v", err)
			case tt.wantErr != "" && (err == nil || !contains(err.Error(), tt.wantErr)):
				t.Errorf("ValidateSources error = %v, want one containing %q", err, tt.wantErr)
			case err != nil && contains(err.Error(), secret):
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	err := ValidateSources([]Source{
		{Name: "w1", Kind: KindWeCom, Token: secret, Group: "群"},
		{Name: "w2", Kind: KindWeCom, Token: secret, Group: "群"},
	})
	if err == nil || !contains(err.Error(), "same token") || contains(err.Error(), secret) {
		t.Errorf("two sources with one key: %v", err)
	}
}

// Routing prefers the most specific hotline route.
func TestHotlineRoute(t *testing.T) {
	src := Source{Routes: []Route{
		{District: "黄浦区", Groups: []string{"黄浦群"}},
		{Unit: "市城管委", Groups: []string{"城管群"}},
		{Unit: "市城管委", District: "黄浦区", Groups: []string{"黄浦城管群", "区委群"}},
		{Groups: []string{"兜底群"}},
	}}
	tests := []struct{ unit, district, want string }{
		{"市城管委", "黄浦区", "黄浦城管群,区委群"},
		{"市城管委", "静安区", "城管群"},
		{"市水务局", "黄浦区", "黄浦群"},
		{"市水务局", "静安区", "兜底群"},
	}
	for _, tt := range tests {
		if got := join(src.route(tt.unit, tt.district)); got != tt.want {
			t.Errorf("route(%s, %s) = %s, want %s", tt.unit, tt.district, got, tt.want)
		}
	}
	if got := (Source{Routes: []Route{{Unit: "市城管委", Groups: []string{"城管群"}}}}).route("市水务局", ""); got != nil {
		t.Errorf("no catch-all: route = %v, want none", got)
	}
}

func contains(s, sub string) bool { return len(sub) == 0 || indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}
