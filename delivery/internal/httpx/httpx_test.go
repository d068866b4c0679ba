package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		got, ok := RetryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := delivery.RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 9: time.Second} {
		for range 50 {
			if d := Backoff(p, attempt); d < full/2 || d > full {
				t.Fatalf("Backoff(attempt %d) = %v, want within [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{200: false, 400: false, 401: false, 404: false, 429: true, 500: true, 501: false, 502: true, 503: true} {
		if Retryable(status) != want {
			t.Errorf("Retryable(%d) = %v", status, !want)
		}
	}
}

func TestRetryTransport(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if n.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := NewClient(delivery.RetryPolicy{BaseDelay: time.Millisecond}, nil)
	resp, err := c.Post(srv.URL, "text/plain", strings.NewReader("same body"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n.Load() != 3 {
		t.Fatalf("status %d after %d tries", resp.StatusCode, n.Load())
	}
	for _, b := range bodies {
		if b != "same body" {
			t.Errorf("a try sent %q", b)
		}
	}
}

// A body that cannot be read again is sent once.
func TestRetryNeedsReplayableBody(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := NewClient(delivery.RetryPolicy{BaseDelay: time.Millisecond}, nil)
	resp, err := c.Post(srv.URL, "text/plain", io.NopCloser(strings.NewReader("once")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n.Load() != 1 {
		t.Errorf("%d tries, want 1", n.Load())
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := NewClient(delivery.RetryPolicy{MaxAttempts: 100, BaseDelay: 50 * time.Millisecond}, nil)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := c.Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestRewrite(t *testing.T) {
	t.Parallel()
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Host + " " + r.URL.RequestURI()
	}))
	defer srv.Close()
	for _, tt := range []struct{ base, want string }{
		{srv.URL, "/2010-04-01/Accounts/AC1/Messages.json?x=1"},
		{srv.URL + "/proxy/twilio/", "/proxy/twilio/2010-04-01/Accounts/AC1/Messages.json?x=1"},
	} {
		base, _ := url.Parse(tt.base)
		c := &http.Client{Transport: &Rewrite{Base: base}}
		resp, err := c.Get("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := strings.TrimPrefix(srv.URL, "http://") + " " + tt.want; got != want {
			t.Errorf("base %s: request went to %q, want %q", tt.base, got, want)
		}
	}
}

func TestCleanError(t *testing.T) {
	t.Parallel()
	err := CleanError(&url.Error{Op: "Post", URL: "https://api.plivo.com/v1/Account/MA123/Message/", Err: context.DeadlineExceeded})
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "MA123") {
		t.Errorf("CleanError = %v", err)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{"": true, "https://api.example.com": true, "http://127.0.0.1:8080/x": true,
		"api.example.com": false, "ftp://x": false, "https://x?q=1": false, "https://user:pw@x": false, "https://": false} {
		_, err := BaseURL("p", "BaseURL", raw, "https://default.example.com")
		if (err == nil) != ok {
			t.Errorf("BaseURL(%q): err = %v", raw, err)
		}
	}
}

func TestJoinVersionedBase(t *testing.T) {
	for _, tc := range []struct{ base, path, want string }{
		{"https://api.telnyx.com", "/v2/messages", "https://api.telnyx.com/v2/messages"},
		{"https://api.telnyx.com/v2", "/v2/messages", "https://api.telnyx.com/v2/messages"},
		{"https://api.telnyx.com/v2/", "/v2/messages", "https://api.telnyx.com/v2/messages"},
		{"https://api.plivo.com/v1", "/v1/Account/X/Message/", "https://api.plivo.com/v1/Account/X/Message/"},
		{"http://127.0.0.1:9/proxy", "/v2/messages", "http://127.0.0.1:9/proxy/v2/messages"},
		{"http://127.0.0.1:9/v2x", "/v2/messages", "http://127.0.0.1:9/v2x/v2/messages"},
	} {
		u, _ := url.Parse(tc.base)
		if got := Join(u, tc.path); got != tc.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tc.base, tc.path, got, tc.want)
		}
	}
}

func TestRewriteVersionedBase(t *testing.T) {
	var got string
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.URL.String()
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	for _, tc := range []struct{ base, want string }{
		{"http://127.0.0.1:9", "http://127.0.0.1:9/2010-04-01/Accounts/AC1/Messages.json"},
		{"http://127.0.0.1:9/2010-04-01", "http://127.0.0.1:9/2010-04-01/Accounts/AC1/Messages.json"},
		{"http://127.0.0.1:9/proxy", "http://127.0.0.1:9/proxy/2010-04-01/Accounts/AC1/Messages.json"},
	} {
		base, _ := url.Parse(tc.base)
		req, _ := http.NewRequest(http.MethodGet, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", nil)
		if _, err := (&Rewrite{Base: base, Next: next}).RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("base %q: request went to %q, want %q", tc.base, got, tc.want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
