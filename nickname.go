package qunzhu

import (
	"strings"
	"unicode"
)

// Real-name work groups ask everyone to show "单位 名字" as their group
// nickname (区房管局 马骏, 区房管局-马骏, 马骏（区房管局）). The registered name is
// the person's name; these are the same person.

// nameSeps are what people put between a unit and a name in a nickname.
const nameSeps = " -_·|/—–－｜／、,，:："

// ShownAs reports whether shown, the name a group shows for someone, is the
// registered member m: the name itself, or the name with m's unit before or
// after it ("区房管局 马骏", "区房管局-马骏", "马骏(区房管局)"). Only m's own unit
// counts, so "区城管局 马骏" is not 区房管局's 马骏.
func ShownAs(m *Member, shown string) bool {
	s := strings.TrimFunc(shown, unicode.IsSpace)
	if m == nil || m.Name == "" || s == "" {
		return false
	}
	if s == m.Name {
		return true
	}
	if m.Unit == "" {
		return false
	}
	trim := func(x string) string {
		return strings.TrimFunc(x, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(nameSeps, r) })
	}
	if rest, ok := strings.CutPrefix(s, m.Unit); ok && trim(rest) == m.Name {
		return true
	}
	if rest, ok := strings.CutSuffix(s, m.Unit); ok && trim(rest) == m.Name {
		return true
	}
	for _, br := range [][2]string{{"(", ")"}, {"（", "）"}, {"【", "】"}, {"[", "]"}} {
		if s == m.Name+br[0]+m.Unit+br[1] || s == br[0]+m.Unit+br[1]+m.Name {
			return true
		}
	}
	return false
}
