package commands_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/commands"
)

func TestParse(t *testing.T) {
	bots := []string{"群主助手", "小助手"}
	cmd := func(name, rest string, args ...string) commands.Command {
		return commands.Command{Name: name, Args: args, Rest: rest}
	}
	tests := []struct {
		name string
		text string
		want commands.Command
		ok   bool
	}{
		// Plain commands.
		{"ping", "/ping", cmd("ping", ""), true},
		{"upper case ASCII", "/PING", cmd("ping", ""), true},
		{"full-width slash", "／帮助", cmd("帮助", ""), true},
		{"full-width letters", "／ＰＩＮＧ", cmd("ping", ""), true},
		{"question mark asks for help", "/?", cmd("?", ""), true},
		{"full-width question mark", "／？", cmd("?", ""), true},
		{"leading spaces", "  \u3000/帮助", cmd("帮助", ""), true},
		{"trailing newline", "/ping\n", cmd("ping", ""), true},
		{"trailing full stop after name", "/帮助。", cmd("帮助", ""), true},

		// Mentions of the bot, as WeChat writes them.
		{"mention with U+2005", "@群主助手\u2005/ping", cmd("ping", ""), true},
		{"mention with space", "@群主助手 /ping", cmd("ping", ""), true},
		{"mention glued to slash", "@群主助手/帮助", cmd("帮助", ""), true},
		{"second bot name", "@小助手\u2005／帮助 成员", cmd("帮助", "成员", "成员"), true},
		{"full-width at sign", "＠群主助手\u3000/ping", cmd("ping", ""), true},
		{"mention after the command", "/帮助 认证 @群主助手", cmd("帮助", "认证", "认证"), true},

		// Separators: U+3000 from a Chinese IME, U+2005 after a mention, NBSP, tabs.
		{"ideographic space", "/认证\u3000482913", cmd("认证", "482913", "482913"), true},
		{"nbsp", "/认证\u00a0482913", cmd("认证", "482913", "482913"), true},
		{"tab and newline", "/成员\t添加\n张三", cmd("成员", "添加\n张三", "添加", "张三"), true},
		{"mention of a colleague in args", "/成员 添加 @张三\u2005单位=市城管委",
			cmd("成员", "添加 @张三\u2005单位=市城管委", "添加", "@张三", "单位=市城管委"), true},

		// Chinese punctuation.
		{"trailing 。 on code", "/认证 482913。", cmd("认证", "482913。", "482913"), true},
		{"full-width digits", "/认证 ４８２９１３", cmd("认证", "４８２９１３", "482913"), true},
		{"colon after name", "/认证：482913", cmd("认证", "482913", "482913"), true},
		{"code glued to name", "/认证482913", cmd("认证", "482913", "482913"), true},
		{"Chinese comma between args", "/成员 添加 张三，单位＝市城管委",
			cmd("成员", "添加 张三，单位＝市城管委", "添加", "张三", "单位=市城管委"), true},
		{"full-width colon in key value", "/成员 添加 李四 单位：市住建局 角色：管理员",
			cmd("成员", "添加 李四 单位：市住建局 角色：管理员", "添加", "李四", "单位:市住建局", "角色:管理员"), true},
		{"enumeration comma", "/督办 张三、李四", cmd("督办", "张三、李四", "张三", "李四"), true},
		{"quotes around a name", "/成员 认证码 “张三”", cmd("成员", "认证码 “张三”", "认证码", "张三"), true},
		{"corner brackets around a name", "/成员 认证码 「张三」！", cmd("成员", "认证码 「张三」！", "认证码", "张三"), true},
		{"free text keeps punctuation", "/督办：东大街路灯不亮，请市城管委今天处理！",
			cmd("督办", "东大街路灯不亮，请市城管委今天处理！", "东大街路灯不亮", "请市城管委今天处理"), true},
		{"other script after name", "/ping一下", cmd("ping", "一下", "一下"), true},
		{"Chinese bracket after name", "/督办【急】东大街路灯不亮", cmd("督办", "【急】东大街路灯不亮", "【急】东大街路灯不亮"), true},
		{"full-width parenthesis after name", "/交作业（第48周）已完成", cmd("交作业", "（第48周）已完成", "(第48周)已完成"), true},
		{"quote after name", "/帮助“督办”", cmd("帮助", "“督办”", "督办"), true},
		{"glued Chinese subcommand stays in the name", "/成员添加 王五", cmd("成员添加", "王五", "王五"), true},

		// Chatter: never a command.
		{"empty", "", commands.Command{}, false},
		{"only spaces", " \u3000\u2005", commands.Command{}, false},
		{"ordinary chatter", "收到，马上处理", commands.Command{}, false},
		{"lone slash", "/", commands.Command{}, false},
		{"lone full-width slash", "／", commands.Command{}, false},
		{"slash then space", "/ ", commands.Command{}, false},
		{"slash then space then word", "/ 帮助", commands.Command{}, false},
		{"URL", "http://12345.chengdu.gov.cn/detail?id=1", commands.Command{}, false},
		{"path", "/usr/local/bin 目录满了", commands.Command{}, false},
		{"API path", "/api/v1/tickets 返回 500", commands.Command{}, false},
		{"double slash comment", "// 这里先不改", commands.Command{}, false},
		{"WeChat emoticon smile", "/::)", commands.Command{}, false},
		{"WeChat emoticon strong", "/:strong", commands.Command{}, false},
		{"slash mid-sentence", "请大家发送 /认证 482913 完成认证", commands.Command{}, false},
		{"fraction", "1/2 的单位已经交了", commands.Command{}, false},
		{"date", "/2025年6月2日 会议纪要", commands.Command{}, false},
		{"mention of the bot without slash", "@群主助手 帮助", commands.Command{}, false},
		{"mention of someone else", "@张三 /ping", commands.Command{}, false},
		{"mention only", "@群主助手\u2005", commands.Command{}, false},
		{"long sentence after a slash", "/今天下午三点在三楼会议室开会请大家准时参加", commands.Command{}, false},
		{"bot name prefix of a longer name", "@群主助手们 /ping", commands.Command{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := commands.Parse(tt.text, bots...)
			if ok != tt.ok {
				t.Fatalf("Parse(%q) ok = %v, want %v (got %#v)", tt.text, ok, tt.ok, got)
			}
			if got.Name != tt.want.Name || got.Rest != tt.want.Rest || !slices.Equal(got.Args, tt.want.Args) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParse_NoBotNames(t *testing.T) {
	if _, ok := commands.Parse("@群主助手 /ping"); ok {
		t.Error("a mention is skipped although no bot name was given")
	}
	if got, ok := commands.Parse("/ping"); !ok || got.Name != "ping" {
		t.Errorf(`Parse("/ping") = %#v, %v`, got, ok)
	}
}

func TestKeyValues(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantKV   map[string]string
		wantRest []string
	}{
		{"ASCII equals", []string{"张三", "单位=市城管委", "角色=管理员"},
			map[string]string{"单位": "市城管委", "角色": "管理员"}, []string{"张三"}},
		{"full-width equals", []string{"单位＝成都市"}, map[string]string{"单位": "成都市"}, nil},
		{"full-width colon", []string{"单位：市住建局"}, map[string]string{"单位": "市住建局"}, nil},
		{"ASCII colon", []string{"role:admin"}, map[string]string{"role": "admin"}, nil},
		{"English key lower-cased", []string{"Unit=市城管委"}, map[string]string{"unit": "市城管委"}, nil},
		{"space after separator", []string{"单位=", "市城管委", "张三"},
			map[string]string{"单位": "市城管委"}, []string{"张三"}},
		{"space before separator", []string{"单位", "＝市城管委"}, map[string]string{"单位": "市城管委"}, nil},
		{"separator alone", []string{"单位", "：", "市城管委"}, map[string]string{"单位": "市城管委"}, nil},
		{"value keeps later separators", []string{"截止=18:00"}, map[string]string{"截止": "18:00"}, nil},
		{"time stays positional", []string{"18:00"}, map[string]string{}, []string{"18:00"}},
		{"URL stays positional", []string{"http://example.cn"}, map[string]string{}, []string{"http://example.cn"}},
		{"empty value stays positional", []string{"单位="}, map[string]string{}, []string{"单位="}},
		{"positional order kept", []string{"修复", "路灯", "单位=市城管委", "东大街"},
			map[string]string{"单位": "市城管委"}, []string{"修复", "路灯", "东大街"}},
		{"nothing", nil, map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv, rest := commands.KeyValues(tt.args)
			if !maps.Equal(kv, tt.wantKV) {
				t.Errorf("kv = %v, want %v", kv, tt.wantKV)
			}
			if !slices.Equal(rest, tt.wantRest) {
				t.Errorf("rest = %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

// FuzzParse checks what every caller relies on: no panics, a non-empty name
// without spaces, args without separators, valid UTF-8 out of valid UTF-8 in.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/ping", "@群主助手\u2005／帮助 成员", "/成员 添加 张三，单位＝市城管委",
		"/认证 ４８２９１３。", "/::)", "／", "@群主助手", "/?x", "/成员添加张三"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, ok := commands.Parse(text, "群主助手")
		if !ok {
			return
		}
		if cmd.Name == "" || strings.ContainsFunc(cmd.Name, unicode.IsSpace) {
			t.Errorf("Parse(%q).Name = %q", text, cmd.Name)
		}
		for _, a := range cmd.Args {
			if a == "" || strings.ContainsFunc(a, unicode.IsSpace) {
				t.Errorf("Parse(%q) arg %q", text, a)
			}
		}
		if utf8.ValidString(text) && !utf8.ValidString(cmd.Rest) {
			t.Errorf("Parse(%q).Rest = %q is not UTF-8", text, cmd.Rest)
		}
	})
}
