package commands

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Picture slot kinds of the broadcast feature.
const (
	AttachBroadcast = "broadcast" // a picture right after /群发 goes with it
	AttachGreeting  = "greeting"  // a picture right after /节日 设置 goes with it every year
)

// Defaults of BroadcastConfig.
const (
	DefaultConfirmWindow = 10 * time.Minute
	DefaultPictureWindow = 2 * time.Minute
)

// Examples shown with the refusals of the broadcast commands.
const (
	exampleBroadcast      = "/群发 端午节送粽子来喽"
	exampleBroadcastTag   = "/群发 到 街道 今晚8点防汛会商，请准时参加"
	exampleBroadcastTimed = "/群发 定时 6月19日9:00 端午节送粽子来喽"
	exampleConfirm        = "/确认 482913"
	exampleCancel         = "/群发 取消 3"
	maxBroadcastRunes     = 2000
)

// BroadcastConfig is what the 群发, 群 标签 and 节日 commands need besides the
// store: the confirmation window, the governor's pace (to say how long a
// broadcast will take) and the festival calendar.
type BroadcastConfig struct {
	// ConfirmWindow is how long a /群发 code works (10 minutes).
	ConfirmWindow time.Duration
	// PictureWindow is how long after /群发 or /节日 设置 a picture is taken
	// as part of it (2 minutes).
	PictureWindow time.Duration
	// Account, Jitter and Daily are the sender's limits: the preview's
	// duration estimate and its daily-cap warning come from them.
	Account qunzhu.Limit
	Jitter  time.Duration
	Daily   int
	// Calendar dates the festivals of /节日.
	Calendar qunzhu.Calendar
}

// Broadcasts holds the 群发 (broadcast), 群 标签 (group tag) and 节日
// (festival greeting) commands. They are registered from the wiring with
// Specs and the picture handlers, like any feature outside this package.
type Broadcasts struct {
	cfg BroadcastConfig
}

// NewBroadcasts returns the broadcast commands with cfg's defaults filled in.
func NewBroadcasts(cfg BroadcastConfig) *Broadcasts {
	if cfg.ConfirmWindow <= 0 {
		cfg.ConfirmWindow = DefaultConfirmWindow
	}
	if cfg.PictureWindow <= 0 {
		cfg.PictureWindow = DefaultPictureWindow
	}
	return &Broadcasts{cfg: cfg}
}

// Specs are the commands, in the order /帮助 lists them. Everything here is
// for owners: a broadcast speaks in every group its author owns.
func (bs *Broadcasts) Specs() []Spec {
	return []Spec{
		{Name: "群发", MinRole: qunzhu.RoleOwner, Handle: bs.handleBroadcast,
			Summary: "给你是群主的所有群发同一条消息：先预览，10分钟内 /确认 才发出；紧接着发的图片一起发",
			Example: exampleBroadcast},
		{Name: "群发 到", MinRole: qunzhu.RoleOwner, Handle: bs.handleBroadcastTo,
			Summary: "只发给打了某个标签的群（标签用 /群 标签 打）", Example: exampleBroadcastTag},
		{Name: "群发 定时", MinRole: qunzhu.RoleOwner, Handle: bs.handleBroadcastTimed,
			Summary: "到点再发（时间写法同督办期限）", Example: exampleBroadcastTimed},
		{Name: "群发 列表", MinRole: qunzhu.RoleOwner, Handle: bs.handleBroadcastList, ReadOnly: true,
			Summary: "查看本群发起的群发和进度", Example: "/群发 列表"},
		{Name: "群发 取消", MinRole: qunzhu.RoleOwner, Handle: bs.handleBroadcastCancel,
			Summary: "取消待确认、定时或正在发的群发（已发出的收不回）", Example: exampleCancel},
		{Name: "确认", Aliases: []string{"群发 确认"}, MinRole: qunzhu.RoleOwner, Handle: bs.handleConfirm,
			Summary: "用预览里的确认码发出群发", Example: exampleConfirm},
		{Name: "群 标签", Aliases: []string{"群标签", "标签"}, MinRole: qunzhu.RoleOwner, Handle: bs.handleGroupTag,
			Summary: "给本群打标签，供 /群发 到 <标签> 选群；不带标签查看，删除用 /群 标签 删除 <标签>",
			Example: "/群 标签 街道"},
		{Name: "节日", Aliases: []string{"节日 列表"}, MinRole: qunzhu.RoleOwner, Handle: bs.handleFestivalList, ReadOnly: true,
			Summary: "查看本群设置的节日祝福和近期节日的日期", Example: "/节日 列表"},
		{Name: "节日 设置", MinRole: qunzhu.RoleOwner, Handle: bs.handleFestivalSet,
			Summary: "每年节日当天定时给你的所有群发祝福；{节日}、{群名} 会换成节日名和群名",
			Example: exampleFestivalSet},
		{Name: "节日 取消", MinRole: qunzhu.RoleOwner, Handle: bs.handleFestivalCancel,
			Summary: "取消一条节日祝福", Example: "/节日 取消 端午"},
	}
}

// handleBroadcast (/群发 <内容>) previews a broadcast to every group the
// sender owns.
func (bs *Broadcasts) handleBroadcast(req *Request) (string, error) {
	return bs.preview(req, "", time.Time{}, req.Cmd.Rest)
}

// handleBroadcastTo (/群发 到 <标签> <内容>) previews a broadcast to the owned
// groups that carry a tag. "定时 <时间>" may follow the tag.
func (bs *Broadcasts) handleBroadcastTo(req *Request) (string, error) {
	if len(req.Cmd.Args) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上标签和内容。例：%s", exampleBroadcastTag)
	}
	tag, err := cleanTag(req.Cmd.Args[0])
	if err != nil {
		return "", err
	}
	text := cutFirstWord(req.Cmd.Rest)
	var at time.Time
	if after, ok := cutWord(text, "定时"); ok {
		if at, text, err = bs.sendTime(req, after); err != nil {
			return "", err
		}
	}
	return bs.preview(req, tag, at, text)
}

// handleBroadcastTimed (/群发 定时 <时间> <内容>) previews a broadcast that goes
// out at a time read with ParseWhen, the grammar of 督办 deadlines. "到 <标签>"
// may follow the time.
func (bs *Broadcasts) handleBroadcastTimed(req *Request) (string, error) {
	at, text, err := bs.sendTime(req, req.Cmd.Rest)
	if err != nil {
		return "", err
	}
	tag := ""
	if after, ok := cutWord(text, "到"); ok {
		words := splitArgs(after)
		if len(words) == 0 {
			return "", qunzhu.Errorf(qunzhu.EINVALID, "请在「到」后面写上标签。例：/群发 定时 明天9点 到 街道 请各街道报送防汛值班表")
		}
		if tag, err = cleanTag(words[0]); err != nil {
			return "", err
		}
		text = cutFirstWord(after)
	}
	return bs.preview(req, tag, at, text)
}

// sendTime reads the send time of a scheduled broadcast.
func (bs *Broadcasts) sendTime(req *Request, text string) (time.Time, string, error) {
	at, rest, _, err := whenAndText(text, req.Local())
	if err != nil {
		return time.Time{}, "", asSendTime(err)
	}
	if at.IsZero() {
		return time.Time{}, "", qunzhu.Errorf(qunzhu.EINVALID,
			"请写上发送时间，写法同督办期限（明天9点、6月19日9:00、周五下午3点）。例：%s", exampleBroadcastTimed)
	}
	return at, rest, nil
}

// asSendTime rewords ParseWhen's refusal, written for 督办 deadlines ("期限「今天9点」
// 已经过了。例：限期3天…"), for a send time, with a broadcast's example.
func asSendTime(err error) error {
	var e *qunzhu.Error
	if !errors.As(err, &e) {
		return err
	}
	msg := strings.Replace(e.Message, "期限「", "发送时间「", 1)
	msg = strings.Replace(msg, "例："+whenExample, "例："+exampleBroadcastTimed, 1)
	return &qunzhu.Error{Code: e.Code, Message: msg}
}

// whenAndText reads a time with ParseWhen and returns the text around it as
// the user typed it: ParseWhen trims a deadline's sentence end ("！", "。"),
// which in a message to fifty groups is part of the message. leading tells
// whether the time came first.
func whenAndText(text string, now time.Time) (t time.Time, rest string, leading bool, err error) {
	t, rest, err = ParseWhen(text, now)
	if err != nil || t.IsZero() || rest == "" {
		return t, rest, true, err
	}
	text = trimSpace(text)
	if strings.HasPrefix(text, rest) {
		return t, rest, false, nil // "内容 明天9点": the time came last
	}
	if i := strings.LastIndex(text, rest); i >= 0 {
		rest = text[i:]
	}
	return t, rest, true, nil
}

// cutWord removes word from the start of text when it stands alone there.
func cutWord(text, word string) (string, bool) {
	after, ok := strings.CutPrefix(trimSpace(text), word)
	if !ok || (after != "" && !isArgSep(fold(firstRune(after)))) {
		return text, false
	}
	return trimLeadingSeps(after), true
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// preview stores a draft broadcast and answers with what would be sent where,
// how long it will take, and the code that sends it. Nothing is sent yet.
func (bs *Broadcasts) preview(req *Request, tag string, at time.Time, text string) (string, error) {
	text = trimSpace(text)
	switch {
	case text == "":
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上群发的内容（图片在发完命令后紧接着发）。例：%s", exampleBroadcast)
	case utf8.RuneCountInString(text) > maxBroadcastRunes:
		return "", qunzhu.Errorf(qunzhu.EINVALID, "群发内容太长了（最多%d个字），请分几次发。", maxBroadcastRunes)
	}
	groups, err := bs.targets(req, tag)
	if err != nil {
		return "", err
	}
	m := req.Member()
	b := &qunzhu.Broadcast{
		ExpiresAt: req.Now.Add(bs.cfg.ConfirmWindow), AuthorID: m.ID, AuthorName: m.Name,
		OriginGroupID: req.In.GroupID, Tag: tag, Text: text, SendAt: at,
	}
	for _, g := range groups {
		b.Targets = append(b.Targets, g.ID)
	}
	if err := bs.createDraft(req, b); err != nil {
		return "", err
	}
	if err := req.ExpectPicture(AttachBroadcast, b.ID, bs.cfg.PictureWindow); err != nil {
		return "", err
	}

	var s strings.Builder
	fmt.Fprintf(&s, "群发预览（编号%d）\n内容：%s", b.ID, text)
	if strings.Contains(text, "{群名}") || strings.Contains(text, "｛群名｝") {
		s.WriteString("\n（{群名} 会换成各群的群名）")
	}
	to := fmt.Sprintf("%d个群", len(groups))
	if tag != "" {
		to = fmt.Sprintf("标签「%s」的%d个群", tag, len(groups))
	}
	fmt.Fprintf(&s, "\n发往%s：%s", to, groupNames(groups, 20))
	if !at.IsZero() {
		fmt.Fprintf(&s, "\n定时：%s", qunzhu.FormatWhen(at, req.Local()))
	}
	fmt.Fprintf(&s, "\n预计用时：%s", bs.estimate(len(groups)))
	fmt.Fprintf(&s, "\n要附图片，请在%s内发一张图片。", chineseDuration(bs.cfg.PictureWindow))
	fmt.Fprintf(&s, "\n%s内发送 /确认 %s 才会发出，否则作废。", chineseDuration(bs.cfg.ConfirmWindow), b.Code)
	return s.String(), nil
}

// targets are the groups a broadcast from the sender reaches: every group in
// which the same WeChat identity is a bound owner (always including this
// one), narrowed to a tag's groups when one is given.
func (bs *Broadcasts) targets(req *Request, tag string) ([]*qunzhu.Group, error) {
	owned, err := req.Tx.OwnedGroups(req.In.Sender.SessionKey)
	if err != nil {
		return nil, err
	}
	here := false
	for _, g := range owned {
		here = here || g.ID == req.In.GroupID
	}
	if !here {
		g, err := req.Tx.GroupByID(req.In.GroupID)
		if err != nil {
			return nil, err
		}
		owned = append([]*qunzhu.Group{g}, owned...)
	}
	if tag == "" {
		return owned, nil
	}
	ids, err := req.Tx.TaggedGroups(tag)
	if err != nil {
		return nil, err
	}
	tagged := map[int64]bool{}
	for _, id := range ids {
		tagged[id] = true
	}
	var out []*qunzhu.Group
	for _, g := range owned {
		if tagged[g.ID] {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND,
			"你是群主的群里没有打「%s」标签的。先在要发的群里发送 /群 标签 %s，再群发。", tag, tag)
	}
	return out, nil
}

// createDraft stores b with a fresh code; a clash with a live code is retried.
func (bs *Broadcasts) createDraft(req *Request, b *qunzhu.Broadcast) error {
	const attempts = 5
	for range attempts {
		code, err := randomCode(req.Router.cfg.Random)
		if err != nil {
			return fmt.Errorf("broadcast code: %w", err)
		}
		b.Code = code
		err = req.Tx.CreateBroadcast(b)
		if qunzhu.ErrorCode(err) != qunzhu.ECONFLICT {
			return err
		}
	}
	return fmt.Errorf("broadcast code: %d clashes in a row", attempts)
}

// estimate says how long n messages take at the configured pace, and warns
// when they exceed a day's cap.
func (bs *Broadcasts) estimate(n int) string {
	d := qunzhu.EstimateSendTime(n, bs.cfg.Account, bs.cfg.Jitter)
	s := roughSendTime(d)
	if iv := bs.cfg.Account.Interval(); iv > 0 {
		s += fmt.Sprintf("（按现在的发送节奏，约%s一条）", seconds(iv))
	}
	if bs.cfg.Daily > 0 && n > bs.cfg.Daily {
		s += fmt.Sprintf("；超过每天%d条的上限，多出的顺延到第二天", bs.cfg.Daily)
	}
	return s
}

// roughSendTime writes an estimate: "不到1秒", "约15秒", "约3分钟", "约1小时5分钟".
func roughSendTime(d time.Duration) string {
	switch {
	case d < time.Second:
		return "不到1秒"
	case d < time.Minute:
		return fmt.Sprintf("约%d秒", int((d+time.Second-1)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("约%d分钟", int((d+time.Minute-1)/time.Minute))
	}
	d = (d + time.Minute - 1).Truncate(time.Minute)
	return "约" + chineseDuration(d)
}

// seconds writes an interval as seconds: "3秒", "0.3秒".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d秒", d/time.Second)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", d.Seconds()), "0"), ".") + "秒"
}

// groupNames lists up to max group names, "、"-separated.
func groupNames(groups []*qunzhu.Group, max int) string {
	names := make([]string, 0, min(len(groups), max))
	for i, g := range groups {
		if i == max {
			return strings.Join(names, "、") + fmt.Sprintf("等%d个群", len(groups))
		}
		names = append(names, g.Name)
	}
	return strings.Join(names, "、")
}

// snippet shortens a text for lists: its first n characters on one line.
func snippet(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n]) + "…"
}
