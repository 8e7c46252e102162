package qunzhu

import "testing"

func TestSplitGroupRef(t *testing.T) {
	tests := []struct {
		ref      string
		p        Platform
		name     string
		wantSplt bool
	}{
		{"钉钉:城管工作群", PlatformDingTalk, "城管工作群", true},
		{"dingtalk:城管工作群", PlatformDingTalk, "城管工作群", true},
		{"企业微信：应急值班群", PlatformWeCom, "应急值班群", true},
		{"政务微信: 应急值班群", PlatformWeCom, "应急值班群", true},
		{"wechat:区委干部工作群", PlatformWeChat, "区委干部工作群", true},
		{"区委干部工作群", "", "区委干部工作群", false},
		{"会议:周五例会群", "", "会议:周五例会群", false}, // not a platform: the whole name
		{"钉钉:", "", "钉钉:", false},
		{":群", "", ":群", false},
	}
	for _, tt := range tests {
		p, name, ok := SplitGroupRef(tt.ref)
		if p != tt.p || name != tt.name || ok != tt.wantSplt {
			t.Errorf("SplitGroupRef(%q) = %q, %q, %v; want %q, %q, %v", tt.ref, p, name, ok, tt.p, tt.name, tt.wantSplt)
		}
	}
}

func TestPlatform(t *testing.T) {
	for _, p := range Platforms {
		if !p.Valid() {
			t.Errorf("%q not valid", p)
		}
		got, ok := ParsePlatform(p.Chinese())
		if !ok || got != p {
			t.Errorf("ParsePlatform(%q) = %q, %v; want %q", p.Chinese(), got, ok, p)
		}
	}
	if Platform("feishu").Valid() || PlatformWeChat.StableIDs() || !PlatformWeCom.StableIDs() {
		t.Error("Valid/StableIDs wrong")
	}
	g := &Group{Platform: PlatformDingTalk, Name: "城管工作群"}
	if got, want := g.Ref(), "钉钉:城管工作群"; got != want {
		t.Errorf("Ref = %q, want %q", got, want)
	}
}
