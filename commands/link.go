package commands

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu"
)

// Limits on what is kept of a shared link; a title longer than this is
// cut, a URL longer than this is not a link anyone meant to keep.
const (
	maxLinkTitleRunes = 200
	maxLinkURLBytes   = 2048
)

// rememberLink keeps the article or page just shared into the group as the
// group's latest link, silently: a /督办 sent soon after takes it as its
// subject (see Tasks.subject). A link without a title, or with an address
// that is not http(s), is not kept.
func (r *Router) rememberLink(ctx context.Context, in *qunzhu.Inbound) error {
	l := *in.Link
	l.Title = trimSpace(l.Title)
	l.URL = trimSpace(l.URL)
	if l.Title == "" || len(l.URL) > maxLinkURLBytes ||
		(l.URL != "" && !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://")) {
		return nil
	}
	if utf8.RuneCountInString(l.Title) > maxLinkTitleRunes {
		l.Title = string([]rune(l.Title)[:maxLinkTitleRunes])
	}
	if utf8.RuneCountInString(l.Description) > maxLinkTitleRunes {
		l.Description = string([]rune(l.Description)[:maxLinkTitleRunes])
	}
	err := r.store.Update(ctx, func(tx qunzhu.Tx) error {
		return tx.SaveSharedLink(&qunzhu.SharedLink{GroupID: in.GroupID, SenderName: senderName(in),
			MessageID: in.ID, Link: l})
	})
	if err != nil {
		return fmt.Errorf("commands: remember link in group %d: %w", in.GroupID, err)
	}
	return nil
}
