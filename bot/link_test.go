package bot_test

import (
	"testing"

	"github.com/qunzhu/qunzhu"
	"github.com/qunzhu/qunzhu/wxemu"
)

// TestInboundSharedArticle: an article shared into a group reaches the
// handler as a Link with its title and address, read by the real openwechat
// client from the app message the emulator sends (title with XML and HTML
// specials, to check both escapings), and a reply quoting it.
func TestInboundSharedArticle(t *testing.T) {
	t.Parallel()
	w := newWorld(t, wxemu.Config{Groups: defaultGroups(), AutoConfirm: true})
	st := newStore(t)
	_, ids, bootstrap := ownerGroup(t, st)
	r := startBot(t, w, st, botOptions{bootstrap: bootstrap})
	r.waitState(qunzhu.StateOnline)

	l := wxemu.Link{Title: "黄浦区<福州路>违建 & 群众反映“强烈”", URL: "https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1",
		Description: "市民来信摘要"}
	if err := w.emu.PostLink(cadres, zhang, l); err != nil {
		t.Fatal(err)
	}
	in := r.next()
	if in.Link == nil {
		t.Fatalf("inbound = %+v, want a link", in)
	}
	if got, want := *in.Link, (qunzhu.Link{Title: l.Title, URL: l.URL, Description: l.Description}); got != want {
		t.Errorf("Link = %+v, want %+v", got, want)
	}
	if in.Text != "" || in.IsImage || in.Member == nil || in.Member.ID != ids[zhang] {
		t.Errorf("inbound = %+v, want only the link, from the owner", in)
	}
	linkID := in.ID
	post(t, w, cadres, zhang, "/督办 市城管委 周五")
	if in = r.next(); in.Text != "/督办 市城管委 周五" || in.Link != nil || in.QuotedID != "" {
		t.Errorf("text after the link = %+v", in)
	}

	// A reply quoting the article (引用): its text, and the article's id.
	msgs, err := w.emu.Messages(cadres, 0)
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	for _, m := range msgs {
		if m.Type == wxemu.TypeLink {
			seq = m.Seq
		}
	}
	if err := w.emu.PostQuote(cadres, zhang, "/督办 市城管委 <周五> & 下周一", seq); err != nil {
		t.Fatal(err)
	}
	in = r.next()
	if in.Text != "/督办 市城管委 <周五> & 下周一" || in.QuotedID != linkID || in.Link != nil || in.Member == nil {
		t.Errorf("quote = text %q quoted %q (link id %q), member %v", in.Text, in.QuotedID, linkID, in.Member)
	}
}
