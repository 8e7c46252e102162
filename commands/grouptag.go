package commands

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

const (
	exampleTag    = "/群 标签 街道"
	exampleUntag  = "/群 标签 删除 街道"
	maxTagRunes   = 10
	maxTagsAtOnce = 5
)

// handleGroupTag (/群 标签 …) manages the 标签 that "/群发 到 <标签>" picks
// groups by: with tags it adds them to this group, with "删除 <标签>" it
// removes them, and alone it lists this group's tags and the tags of every
// group the sender owns.
func (bs *Broadcasts) handleGroupTag(req *Request) (string, error) {
	args := req.Cmd.Args
	if len(args) == 0 || (len(args) == 1 && (args[0] == "列表" || args[0] == "查看")) {
		return bs.listTags(req)
	}
	switch args[0] {
	case "删除", "去掉", "取消", "移除":
		return bs.untag(req, args[1:])
	case "添加", "增加", "新增":
		args = args[1:]
	}
	tags, err := cleanTags(args, exampleTag)
	if err != nil {
		return "", err
	}
	var added, had []string
	for _, tag := range tags {
		ok, err := req.Tx.TagGroup(req.In.GroupID, tag)
		if err != nil {
			return "", err
		}
		if ok {
			added = append(added, tag)
		} else {
			had = append(had, tag)
		}
	}
	var s strings.Builder
	if len(added) > 0 {
		fmt.Fprintf(&s, "已给本群打上标签：%s。", strings.Join(added, "、"))
	}
	if len(had) > 0 {
		fmt.Fprintf(&s, "本群已经有标签：%s。", strings.Join(had, "、"))
	}
	fmt.Fprintf(&s, "只发给打了「%s」标签的群：/群发 到 %s <内容>", tags[0], tags[0])
	return s.String(), nil
}

// untag removes tags from this group.
func (bs *Broadcasts) untag(req *Request, args []string) (string, error) {
	tags, err := cleanTags(args, exampleUntag)
	if err != nil {
		return "", err
	}
	var removed, missing []string
	for _, tag := range tags {
		ok, err := req.Tx.UntagGroup(req.In.GroupID, tag)
		if err != nil {
			return "", err
		}
		if ok {
			removed = append(removed, tag)
		} else {
			missing = append(missing, tag)
		}
	}
	if len(removed) == 0 {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "本群没有标签「%s」。查看本群的标签：/群 标签", strings.Join(missing, "、"))
	}
	s := fmt.Sprintf("已去掉本群的标签：%s。", strings.Join(removed, "、"))
	if len(missing) > 0 {
		s += fmt.Sprintf("本群本来就没有：%s。", strings.Join(missing, "、"))
	}
	return s, nil
}

// listTags shows this group's tags and, for choosing a /群发 到 target, the
// tags across the groups the sender owns with how many groups carry each.
func (bs *Broadcasts) listTags(req *Request) (string, error) {
	mine, err := req.Tx.GroupTags(req.In.GroupID)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	if len(mine) == 0 {
		s.WriteString("本群还没有标签。打标签：" + exampleTag)
	} else {
		fmt.Fprintf(&s, "本群的标签：%s。去掉：%s", strings.Join(mine, "、"), exampleUntag)
	}
	owned, err := req.Tx.OwnedGroups(req.In.Sender.SessionKey)
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	for _, g := range owned {
		tags, err := req.Tx.GroupTags(g.ID)
		if err != nil {
			return "", err
		}
		for _, t := range tags {
			count[t]++
		}
	}
	if len(count) > 0 {
		names := make([]string, 0, len(count))
		for t := range count {
			names = append(names, t)
		}
		slices.Sort(names)
		s.WriteString("\n你是群主的群里用到的标签：")
		for i, t := range names {
			if i > 0 {
				s.WriteString("、")
			}
			fmt.Fprintf(&s, "%s（%d个群）", t, count[t])
		}
	}
	return s.String(), nil
}

// cleanTags checks the tags typed after /群 标签; none is a mistake.
func cleanTags(args []string, example string) ([]string, error) {
	if len(args) == 0 {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "请写上标签。例：%s", example)
	}
	if len(args) > maxTagsAtOnce {
		return nil, qunzhu.Errorf(qunzhu.EINVALID, "一次最多%d个标签。例：%s", maxTagsAtOnce, example)
	}
	var tags []string
	for _, a := range args {
		t, err := cleanTag(a)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags, nil
}

// cleanTag normalises one tag: a short word without "#" or "标签=", ASCII
// lower-cased, so "街道", "#街道" and "标签=街道" are the same tag.
func cleanTag(s string) (string, error) {
	s = strings.ToLower(foldString(trimSpace(s)))
	if _, v, ok := strings.Cut(s, "="); ok && strings.HasPrefix(s, "标签") {
		s = v
	}
	s = strings.TrimLeft(s, "#＃")
	switch {
	case s == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上标签。例：%s", exampleTag)
	case utf8.RuneCountInString(s) > maxTagRunes:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "标签「%s」太长了（最多%d个字）。例：%s", s, maxTagRunes, exampleTag)
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' }) >= 0:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "标签「%s」只能是文字、字母和数字。例：%s", s, exampleTag)
	}
	return s, nil
}
