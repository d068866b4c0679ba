package httpx

import (
	"net/url"
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
func Join(base *url.URL, path string) string {
	return base.JoinPath(path).String()
}

// Timeout returns d, or delivery.DefaultTimeout when d is zero or negative.
func Timeout(d time.Duration) time.Duration {
	if d <= 0 {
		return delivery.DefaultTimeout
	}
	return d
}
