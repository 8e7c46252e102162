package webhook

import (
	"cmp"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// mentionAll is how the robots write "everyone" in their mention lists.
const mentionAll = "@all"

// mention is how a name is mentioned in a WeChat group text (qunzhu.Mention).
var mention = qunzhu.Mention

// mentions is who a compatible robot's message asks to mention: ids in the
// sender's own system (a WeCom userid, a DingTalk userId) and mobile numbers.
type mentions struct {
	idKind  string // qunzhu.ContactWeCom or qunzhu.ContactDingTalk
	ids     []string
	mobiles []string
	all     bool
}

// resolved is a mention list mapped to our members.
type resolved struct {
	names []string          // bound members to mention, in order, once each
	byRef map[string]string // "id:wangqing" / "mobile:138…" → member name
	all   bool
}

// resolve maps the ids and mobiles to the group's bound members. One that
// matches nobody is dropped: a mention of a stranger would only show a
// number, and a number is what we must not post.
func (m mentions) resolve(tx qunzhu.Tx, groupID int64) (*resolved, error) {
	r := &resolved{byRef: map[string]string{}, all: m.all}
	add := func(kind, ref, value string) error {
		if value == mentionAll {
			r.all = true
			return nil
		}
		ms, err := tx.MembersByContact(groupID, kind, value)
		if err != nil {
			return err
		}
		for _, mem := range ms {
			r.byRef[ref+":"+strings.TrimSpace(value)] = mem.Name
			if !slices.Contains(r.names, mem.Name) {
				r.names = append(r.names, mem.Name)
			}
		}
		return nil
	}
	for _, id := range m.ids {
		if err := add(m.idKind, "id", id); err != nil {
			return nil, err
		}
	}
	for _, mob := range m.mobiles {
		if err := add(qunzhu.ContactMobile, "mobile", mob); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// wecomInlineRE is WeCom's in-text mention syntax, <@userid>.
var wecomInlineRE = regexp.MustCompile(`<@([^<>\s]+)>`)

// inlineWeCom replaces WeCom's <@userid> with the member's mention, or drops
// it when the id is nobody's here. done collects who is mentioned, so they are
// not mentioned twice.
func inlineWeCom(tx qunzhu.Tx, groupID int64, text string, done map[string]bool) (string, error) {
	var err error
	out := wecomInlineRE.ReplaceAllStringFunc(text, func(tag string) string {
		id := wecomInlineRE.FindStringSubmatch(tag)[1]
		if err != nil {
			return ""
		}
		if id == "all" || id == mentionAll {
			done[mentionAll] = true
			return mention("所有人")
		}
		var ms []*qunzhu.Member
		ms, err = tx.MembersByContact(groupID, qunzhu.ContactWeCom, id)
		if len(ms) == 0 {
			return ""
		}
		done[ms[0].Name] = true
		return mention(ms[0].Name)
	})
	return out, err
}

// apply writes the mentions into text: a DingTalk-style "@13800001111" or
// "@user123" already in the text becomes the member's mention in place, and
// whoever is still to be mentioned is listed on a last line, as the robots
// show their mention lists. done holds names already mentioned in the text.
func (r *resolved) apply(text string, done map[string]bool) string {
	// Longest first, so "@user1234" is not taken for "@user123" and the
	// result does not depend on map order.
	refs := slices.Collect(maps.Keys(r.byRef))
	slices.SortFunc(refs, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	for _, ref := range refs {
		_, value, _ := strings.Cut(ref, ":")
		var ok bool
		if text, ok = replaceMention(text, "@"+value, mention(r.byRef[ref])); ok {
			done[r.byRef[ref]] = true
		}
	}
	var tail strings.Builder
	if r.all && !done[mentionAll] {
		tail.WriteString(mention("所有人"))
	}
	for _, name := range r.names {
		if !done[name] {
			tail.WriteString(mention(name))
		}
	}
	if tail.Len() == 0 {
		return text
	}
	return strings.TrimRight(text, "\n ") + "\n" + tail.String()
}

// replaceMention replaces every "@id" in text that is a whole mention (not
// the start of a longer id such as "@user1234" for "@user123") by with.
func replaceMention(text, at, with string) (string, bool) {
	var b strings.Builder
	found := false
	for {
		i := strings.Index(text, at)
		if i < 0 {
			break
		}
		b.WriteString(text[:i])
		rest := text[i+len(at):]
		if r, _ := utf8.DecodeRuneInString(rest); rest != "" && isIDRune(r) {
			b.WriteString(at) // part of a longer id: not this member
		} else {
			b.WriteString(with)
			found = true
		}
		text = rest
	}
	b.WriteString(text)
	return b.String(), found
}

// isIDRune is a character a user id or a phone number can continue with.
func isIDRune(r rune) bool {
	return r == '_' || r == '-' || (r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
}
