package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"encoding/json"

	"github.com/qunzhu/qunzhu"
)

// tokenHeader carries the access token on the new-style OpenAPI.
const tokenHeader = "x-acs-dingtalk-access-token"

// maxPicture bounds a downloaded picture.
const maxPicture = 20 << 20

// tokenCache keeps the app's access token (valid 2 h) and refreshes it
// before it expires, so a send rarely waits for a token.
type tokenCache struct {
	a *Adapter

	mu      sync.Mutex
	token   string
	expires time.Time
}

// get returns a token valid for at least a few more minutes.
func (c *tokenCache) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.expires) {
		return c.token, nil
	}
	a := c.a
	status, b, err := a.post(ctx, a.cfg.OpenAPIHost+"/v1.0/oauth2/accessToken", nil,
		map[string]string{"appKey": a.cfg.ClientID, "appSecret": a.cfg.ClientSecret})
	if err != nil {
		return "", fmt.Errorf("dingtalk access token: %s", redact(err, a.cfg.ClientSecret))
	}
	if status != http.StatusOK {
		return "", apiErr(status, b).mapped("dingtalk access token")
	}
	var res struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	if err := json.Unmarshal(b, &res); err != nil || res.AccessToken == "" || res.ExpireIn <= 0 {
		return "", errors.New("dingtalk access token: unexpected answer")
	}
	life := time.Duration(res.ExpireIn) * time.Second
	// Refresh a tenth early (12 min of 2 h), at least 10 s early.
	c.token, c.expires = res.AccessToken, time.Now().Add(life-max(life/10, 10*time.Second))
	return c.token, nil
}

// invalidate drops tok if it is still the cached one.
func (c *tokenCache) invalidate(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// openAPIError is the OpenAPI's {"code","message"} with the HTTP status.
type openAPIError struct {
	status  int
	code    string
	message string
}

func apiErr(status int, body []byte) *openAPIError {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	return &openAPIError{status: status, code: e.Code, message: e.Message}
}

func (e *openAPIError) Error() string {
	return fmt.Sprintf("HTTP %d %s %s", e.status, e.code, e.message)
}

// badToken: the access token expired or was revoked.
func (e *openAPIError) badToken() bool {
	return e.status == http.StatusUnauthorized || e.code == "InvalidAuthentication"
}

// mapped turns the answer into the sender's vocabulary: throttling backs
// off like WeChat's 1205, a group the robot is not in waits for the group.
func (e *openAPIError) mapped(what string) error {
	switch {
	case e.status == http.StatusForbidden && (strings.Contains(e.code, "QpsLimit") ||
		strings.Contains(e.code, "ApiCountLimit") || strings.Contains(e.code, "Throttl")):
		return fmt.Errorf("%w: %s: %v", qunzhu.ErrThrottled, what, e)
	case strings.Contains(e.code, "openConversationId") || strings.Contains(e.code, "robot.notExist"):
		return fmt.Errorf("%w: %s: %v", qunzhu.ErrGroupUnavailable, what, e)
	}
	return fmt.Errorf("%s: %w", what, e)
}

// download fetches a picture a member sent, by its downloadCode.
func (a *Adapter) download(ctx context.Context, code string) ([]byte, error) {
	tok, err := a.tokens.get(ctx)
	if err != nil {
		return nil, err
	}
	status, b, err := a.post(ctx, a.cfg.OpenAPIHost+"/v1.0/robot/messageFiles/download",
		map[string]string{tokenHeader: tok}, map[string]string{"downloadCode": code, "robotCode": a.cfg.RobotCode})
	if err != nil {
		return nil, fmt.Errorf("dingtalk picture: %w", err)
	}
	if status != http.StatusOK {
		if e := apiErr(status, b); e.badToken() {
			a.tokens.invalidate(tok)
		}
		return nil, fmt.Errorf("dingtalk picture: %w", apiErr(status, b))
	}
	var res struct {
		DownloadURL string `json:"downloadUrl"`
	}
	if err := json.Unmarshal(b, &res); err != nil || res.DownloadURL == "" {
		return nil, errors.New("dingtalk picture: no download URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, res.DownloadURL, nil)
	if err != nil {
		return nil, errors.New("dingtalk picture: bad download URL")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("dingtalk picture: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dingtalk picture: HTTP %d", resp.StatusCode)
	}
	pic, err := io.ReadAll(io.LimitReader(resp.Body, maxPicture+1))
	if err != nil {
		return nil, fmt.Errorf("dingtalk picture: %w", err)
	}
	if len(pic) > maxPicture {
		return nil, fmt.Errorf("dingtalk picture larger than %d bytes", maxPicture)
	}
	return pic, nil
}
