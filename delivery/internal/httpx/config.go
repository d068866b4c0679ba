package httpx

import (
	"net/url"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// BaseURL parses a provider's base URL setting, def when raw is empty. It
// must be an absolute http or https URL without query or fragment.
func BaseURL(provider, field, raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, &delivery.ConfigError{Provider: provider, Field: field, Problem: "must be an http(s) URL such as " + def}
	}
	return u, nil
}

// Join returns base with path appended (base may itself have a path).
// When base already ends in path's first segment, the API version as in
// Telnyx's documented server URL https://api.telnyx.com/v2, that segment
// is not repeated: base .../v2 and path /v2/messages give .../v2/messages.
func Join(base *url.URL, path string) string {
	return base.JoinPath(trimVersion(base.Path, path)).String()
}

// trimVersion drops path's first segment when basePath ends in it.
func trimVersion(basePath, path string) string {
	rest := strings.TrimPrefix(path, "/")
	first, tail, ok := strings.Cut(rest, "/")
	if !ok || first == "" {
		return path
	}
	last := strings.TrimSuffix(basePath, "/")
	if i := strings.LastIndex(last, "/"); i >= 0 && last[i+1:] == first {
		return "/" + tail
	}
	return path
}

// Timeout returns d, or delivery.DefaultTimeout when d is zero or negative.
func Timeout(d time.Duration) time.Duration {
	if d <= 0 {
		return delivery.DefaultTimeout
	}
	return d
}
