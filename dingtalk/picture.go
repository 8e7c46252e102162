package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
)

// Old-API errcodes of an access token that is invalid or expired.
const (
	codeBadToken     = 40014
	codeExpiredToken = 42001
)

// sendPicture uploads a picture as media (the group send takes pictures
// only by URL or media id) and posts it to the group.
func (a *Adapter) sendPicture(ctx context.Context, chatID string, pic []byte) error {
	for attempt := 0; ; attempt++ {
		tok, err := a.tokens.get(ctx)
		if err != nil {
			return err
		}
		mediaID, code, err := a.upload(ctx, tok, pic)
		if (code == codeBadToken || code == codeExpiredToken) && attempt == 0 {
			a.tokens.invalidate(tok)
			continue
		}
		if err != nil {
			return err
		}
		return a.groupSend(ctx, chatID, "sampleImageMsg", map[string]string{"photoURL": mediaID})
	}
}

// upload posts the picture to media/upload; the token travels in the query,
// so no error quotes the URL.
func (a *Adapter) upload(ctx context.Context, tok string, pic []byte) (mediaID string, errcode int, err error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("media", "picture.png")
	if err != nil {
		return "", 0, err
	}
	if _, err := part.Write(pic); err != nil {
		return "", 0, err
	}
	if err := w.Close(); err != nil {
		return "", 0, err
	}
	u := a.cfg.OAPIHost + "/media/upload?type=image&access_token=" + url.QueryEscape(tok)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &body)
	if err != nil {
		return "", 0, errors.New("dingtalk picture upload: bad URL")
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := a.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", 0, fmt.Errorf("dingtalk picture upload: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("dingtalk picture upload: HTTP %d", resp.StatusCode)
	}
	var res struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		MediaID string `json:"media_id"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return "", 0, errors.New("dingtalk picture upload: unexpected answer")
	}
	if res.ErrCode != 0 || res.MediaID == "" {
		return "", res.ErrCode, fmt.Errorf("dingtalk picture upload: errcode %d %s", res.ErrCode, res.ErrMsg)
	}
	return res.MediaID, 0, nil
}
