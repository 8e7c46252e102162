package commands

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// What a /督办 warns about or refuses with, beyond its card: a unit nobody
// can act for yet, and a unit the group has not registered.

// unitSuffixes end the names of Chinese government units and places; a first
// word ending so is meant as the object of a /督办.
var unitSuffixes = []string{"局", "委", "办", "厅", "部", "处", "科", "室", "中心", "站", "所", "队", "院", "馆",
	"公司", "集团", "街道", "镇", "乡", "村", "社区", "市", "区", "县", "省", "政府", "大队", "支队"}

// looksLikeUnit reports whether word reads as a unit's name ("区城管执法局",
// "福州路街道") rather than the start of the task ("修复人民路路灯").
func looksLikeUnit(word string) bool {
	if n := utf8.RuneCountInString(word); n < 2 || n > 16 {
		return false
	}
	for _, s := range unitSuffixes {
		if strings.HasSuffix(word, s) {
			return true
		}
	}
	return false
}

// errUnknownUnit names the unit the group does not have, the ones it does,
// and how to register someone of it.
func errUnknownUnit(unit string, units map[string]bool) error {
	return qunzhu.Errorf(qunzhu.ENOTFOUND, "本群没有登记「%s」这个单位。%s先登记该单位的人：/成员 添加 单位=%s 张三，再督办。例：%s",
		unit, knownUnits(units), unit, exampleTask)
}

// knownUnits is "本群的单位：甲、乙。", sorted, or "" for a group without units.
func knownUnits(units map[string]bool) string {
	names := make([]string, 0, len(units))
	for u := range units {
		names = append(names, u)
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return "本群的单位：" + strings.Join(names, "、") + "。"
}

// unboundNote is the line that warns the assigner, in the card itself, when
// nobody the task went to has bound yet: no one can report progress or done,
// and the ladder will name a unit that cannot answer.
func unboundNote(unit string, assignees []*qunzhu.Member) string {
	names := make([]string, 0, len(assignees))
	for _, m := range assignees {
		if m.Bound {
			return ""
		}
		names = append(names, m.Name)
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("\n注意：%s还没有人认证，没人能报进展和办结。请%s发送 /认证 <认证码>（重发认证码：/成员 认证码 %s）",
		unit, strings.Join(names, "、"), names[0])
}
