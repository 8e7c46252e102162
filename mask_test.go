package qunzhu_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu"
)

func TestMaskPII(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Mobiles, as citizens and hotline operators write them.
		{"mobile", "市民电话13800138000，请回电", "市民电话138****8000，请回电"},
		{"mobile alone", "13912345678", "139****5678"},
		{"mobile spaced", "联系人：王女士 138 0013 8000", "联系人：王女士 138 **** 8000"},
		{"mobile hyphens", "手机：138-0013-8000。", "手机：138-****-8000。"},
		{"mobile +86", "+86 13800138000", "+86 138****8000"},
		{"mobile +86 glued", "+8613800138000", "+86138****8000"},
		{"mobile 0086", "0086-13800138000", "0086-138****8000"},
		{"mobile full-width", "来电１３８００１３８０００反映", "来电１３８****８０００反映"},
		{"two mobiles", "13800138000,13912345678", "138****8000,139****5678"},
		{"two mobiles slash", "13800138000/13912345678", "138****8000/139****5678"},
		{"mobile in brackets", "（13800138000）", "（138****8000）"},
		{"mobile 199", "19912345678", "199****5678"},
		{"mobile before English", "call 13800138000 now", "call 138****8000 now"},
		{"already masked", "138****8000", "138****8000"},

		// Landlines.
		{"landline shanghai", "座机021-62345678", "座机021-****5678"},
		{"landline hangzhou", "0571-88881234", "0571-****1234"},
		{"landline beijing brackets", "(010)62345678", "(010)****5678"},
		{"landline full-width brackets", "（0571）88881234", "（0571）****1234"},
		{"landline no separator", "02162345678", "021****5678"},
		{"landline 7 digits", "0755 2345678", "0755 ***5678"},
		{"landline extension kept", "021-62345678-801", "021-****5678-801"},
		{"landline full-width hyphen", "０２１－６２３４５６７８", "０２１－****５６７８"},
		{"bare local after 电话", "电话：62345678", "电话：****5678"},
		{"bare local after 联系电话", "联系电话 62345678", "联系电话 ****5678"},
		{"bare local after 电话号码", "电话号码：6234567", "电话号码：***4567"},
		{"bare local after Tel", "Tel: 62345678", "Tel: ****5678"},

		// Resident ID numbers.
		{"id 18", "身份证号110101199003071234", "身份证号110***********1234"},
		{"id 18 X", "身份证：51010419900307123X。", "身份证：510***********123X。"},
		{"id 18 x", "51010419900307123x", "510***********123x"},
		{"id 18 full-width", "１１０１０１１９９００３０７１２３４", "１１０***********１２３４"},
		{"id 15", "老身份证110101900307123", "老身份证110********7123"},
		{"id 2000s", "440305200512310018", "440***********0018"},

		// E-mail addresses.
		{"email", "邮箱zhangsan@163.com", "邮箱z***@163.com"},
		{"email dotted", "请回复 zhang.san_01@sh.gov.cn 谢谢", "请回复 z***@sh.gov.cn 谢谢"},
		{"email qq digits", "12345678@qq.com", "1***@qq.com"},
		{"email full-width at", "wang＠126.com", "w***＠126.com"},

		// Links: a citizen's number in a ticket link is shown to the group
		// like any other; the ids around it are left alone.
		{"link query", "详情 https://12345.sh.gov.cn/t?id=GD2025060100123&phone=13912345678", "详情 https://12345.sh.gov.cn/t?id=GD2025060100123&phone=139****5678"},
		{"link path and id", "https://12345.sh.gov.cn/ticket/13800138000?id=110101199003071234", "https://12345.sh.gov.cn/ticket/138****8000?id=110***********1234"},
		{"link mailto-like query", "https://x.gov.cn/reply?to=wang@163.com&n=2", "https://x.gov.cn/reply?to=w***@163.com&n=2"},

		// Everything at once, as a ticket's content reads.
		{"ticket content",
			"市民王女士（身份证110101199003071234，电话13800138000，邮箱wang@163.com）反映黄浦区某路段夜间施工噪音扰民。",
			"市民王女士（身份证110***********1234，电话138****8000，邮箱w***@163.com）反映黄浦区某路段夜间施工噪音扰民。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := qunzhu.MaskPII(tt.in)
			if got != tt.want {
				t.Errorf("MaskPII(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := qunzhu.MaskPII(got); again != got {
				t.Errorf("MaskPII is not idempotent: %q → %q", got, again)
			}
		})
	}
}

// Numbers that are not personal data must reach the group unchanged: a masked
// ticket id or amount would make the message useless.
func TestMaskPIILeavesOtherNumbers(t *testing.T) {
	for _, s := range []string{
		"12345热线",
		"工单号：2025060100123",
		"工单 GD20250601000123 已超期",
		"工单号GD13800138000",
		"编号 HX-2025-000123",
		"202506010001",
		"受理时间 2025-06-01 09:30:00，办理时限 2025年6月3日18时",
		"20250601",
		"2025-06-01T09:00:00+08:00",
		"金额 ¥13,800.00 元",
		"罚款 1380013800 元",
		"13800138000.50 元",
		"v2.13800138000",
		"时间戳 1748739600 / 1748739600000",
		"13800138000123",
		"913800138000",
		"主机 192.168.1.100:9100",
		"服务热线 400-820-8820、95598",
		"https://12345.sh.gov.cn/ticket/GD2025060100123?t=1748739600000&v=2",
		"https://www.dingtalk.com/s?__biz=MzA4NjMwMTA2Ng==&mid=2650316842&idx=1&srcid=09189AnRJEdIiWVaKltFzNTw&version=26031933",
		"http://example.com:9093/#/alerts?receiver=wecom",
		"202506011234567890", // 18 digits, province 20 does not exist
		"110101202513011234", // month 13
		"110101199002321234", // day 32
		"990101199003071234", // province 99
		"工单号码 20250601",      // eight digits, but no phone word right before
		"超期 26 小时，已催办 3 次",
		"user_13800138000",
		"@all",
		"",
	} {
		if got := qunzhu.MaskPII(s); got != s {
			t.Errorf("MaskPII(%q) = %q, want it unchanged", s, got)
		}
	}
}

func BenchmarkMaskPII(b *testing.B) {
	text := strings.Repeat("市民王女士（电话13800138000）反映黄浦区某路段夜间施工噪音扰民，工单号2025060100123。", 20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		qunzhu.MaskPII(text)
	}
}
