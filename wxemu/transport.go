package wxemu

import (
	"fmt"
	"net/http"
	"net/url"
)

// Transport returns an http.RoundTripper that sends openwechat's requests for
// https://*.qq.com to the emulator at emuURL (e.g. "http://127.0.0.1:8090") instead,
// keeping the WeChat host in req.Host for the emulator's routing. Install it with
//
//	bot.Caller.Client.HTTPClient().Transport = wxemu.Transport(emu.URL)
//
// The cookie jar sits above the transport, so cookies stay keyed by WeChat's names.
// A malformed emuURL makes every request fail with the parse error.
func Transport(emuURL string) http.RoundTripper {
	target, err := url.Parse(emuURL)
	if err == nil && (target.Scheme == "" || target.Host == "") {
		err = fmt.Errorf("emulator URL %q needs a scheme and a host", emuURL)
	}
	return &transport{target: target, err: err, base: http.DefaultTransport}
}

type transport struct {
	target *url.URL
	err    error
	base   http.RoundTripper
}

// RoundTrip redirects a clone of req; the original is left untouched, as the
// RoundTripper contract requires.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("wxemu transport: %w", t.err)
	}
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme = t.target.Scheme
	out.URL.Host = t.target.Host
	return t.base.RoundTrip(out)
}
