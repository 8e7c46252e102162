package webhook

import (
	"regexp"
	"strings"
)

// Markdown as the WeCom and DingTalk robots accept it, turned into plain text
// a WeChat group can read: WeChat shows no markup, so "**132例**" would arrive
// as asterisks. Headings lose their #, bold and italics their stars, links
// become "text (url)", images "[图片] alt (url)", list items a bullet,
// quotes their >, and WeCom's <font color="…"> (and any other tag) is
// stripped, keeping its text.
var (
	mdImageRE  = regexp.MustCompile(`!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdLinkRE   = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdBoldRE   = regexp.MustCompile(`\*\*(.+?)\*\*|__(.+?)__`)
	mdItalicRE = regexp.MustCompile(`(^|[^*\w])\*([^*\s](?:[^*]*[^*\s])?)\*`)
	mdStrikeRE = regexp.MustCompile(`~~(.+?)~~`)
	mdCodeRE   = regexp.MustCompile("`([^`]+)`")
	mdBreakRE  = regexp.MustCompile(`(?i)<br\s*/?>`)
	mdTagRE    = regexp.MustCompile(`</?[A-Za-z][^<>]*>`)
	mdHeadRE   = regexp.MustCompile(`^#{1,6}\s*`)
	mdQuoteRE  = regexp.MustCompile(`^(?:>\s?)+`)
	mdBulletRE = regexp.MustCompile(`^(\s*)[-*+]\s+`)
	mdRuleRE   = regexp.MustCompile(`^\s*(?:-{3,}|\*{3,}|_{3,})\s*$`)
	mdBlankRE  = regexp.MustCompile(`\n{3,}`)
)

// plainMarkdown renders the markdown subset of the robots as plain text.
func plainMarkdown(md string) string {
	md = strings.ReplaceAll(md, "\r\n", "\n")
	md = mdBreakRE.ReplaceAllString(md, "\n")
	var out []string
	fenced := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			out = append(out, line) // code is shown as it is
			continue
		}
		line = strings.TrimRight(line, " \t")
		if mdRuleRE.MatchString(line) {
			out = append(out, "")
			continue
		}
		if mdBulletRE.MatchString(line) {
			line = mdBulletRE.ReplaceAllString(line, "$1• ") // a nested item keeps its indent
		} else {
			line = mdQuoteRE.ReplaceAllString(strings.TrimLeft(line, " "), "")
			line = mdHeadRE.ReplaceAllString(line, "")
			line = mdBulletRE.ReplaceAllString(line, "$1• ") // an item inside a quote
		}
		out = append(out, inlineMarkdown(line))
	}
	text := strings.Join(out, "\n")
	text = mdBlankRE.ReplaceAllString(text, "\n\n")
	return strings.TrimSpace(text)
}

// inlineMarkdown strips the inline markup of one line.
func inlineMarkdown(s string) string {
	s = mdImageRE.ReplaceAllStringFunc(s, func(m string) string {
		p := mdImageRE.FindStringSubmatch(m)
		if alt := strings.TrimSpace(p[1]); alt != "" {
			return "[图片] " + alt + " (" + p[2] + ")"
		}
		return "[图片] " + p[2]
	})
	s = mdLinkRE.ReplaceAllStringFunc(s, func(m string) string {
		p := mdLinkRE.FindStringSubmatch(m)
		text := strings.TrimSpace(p[1])
		if text == p[2] {
			return p[2]
		}
		return text + " (" + p[2] + ")"
	})
	s = mdTagRE.ReplaceAllString(s, "")
	s = mdBoldRE.ReplaceAllString(s, "$1$2")
	s = mdItalicRE.ReplaceAllString(s, "$1$2")
	s = mdStrikeRE.ReplaceAllString(s, "$1")
	s = mdCodeRE.ReplaceAllString(s, "$1")
	s = strings.NewReplacer(`\*`, "*", `\_`, "_", `\#`, "#", `\>`, ">", "&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return s
}
