// Package httpx is the HTTP plumbing the REST providers share: one retry
// loop (as an http.RoundTripper, so the Twilio SDK's requests go through it
// too), base-URL rewriting, JSON calls and error clean-up.
package httpx

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// Retry is an http.RoundTripper that retries requests answered with HTTP
// 429 or 5xx, or failed by a connection error, with exponential backoff and
// jitter, honouring Retry-After. It never waits past the request context's
// deadline: when the next wait would end after it, the last answer (or
// error) is returned at once. Other answers are returned as they are.
//
// A retry sends the same request again (the body comes from
// Request.GetBody), so the same message with the same code.
type Retry struct {
	Next   http.RoundTripper // nil: http.DefaultTransport
	Policy delivery.RetryPolicy
}

// RoundTrip implements http.RoundTripper.
func (t *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	p := withDefaults(t.Policy)
	ctx := req.Context()
	// wrote records whether any attempt put the request on the wire: after
	// that, an error (cancellation, a reset) leaves the outcome unknown.
	var wrote atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}))
	mark := func(resp *http.Response, err error) (*http.Response, error) {
		if err != nil && wrote.Load() {
			err = delivery.MarkOutcomeUnknown(err)
		}
		return resp, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := next.RoundTrip(r)
		if attempt >= p.MaxAttempts || !replayable {
			return mark(resp, err)
		}
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return mark(nil, err)
			}
			wait = Backoff(p, attempt)
		case Retryable(resp.StatusCode):
			if ra, ok := RetryAfter(resp.Header, time.Now()); ok {
				wait = ra
			} else {
				wait = Backoff(p, attempt)
			}
		default:
			return resp, nil
		}
		deadline, hasDeadline := ctx.Deadline()
		if !hasDeadline && wait > p.MaxDelay {
			wait = p.MaxDelay
		}
		if hasDeadline && time.Until(deadline) <= wait {
			return mark(resp, err) // no time left for another try: report this one
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := sleep(ctx, wait); err != nil {
			return mark(nil, err)
		}
	}
}

// Retryable reports whether an HTTP status is worth retrying: 429 and 5xx
// (except 501 Not Implemented, which will not change).
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || (status >= 500 && status != http.StatusNotImplemented)
}

// Backoff returns the wait before retry number attempt (1 for the first
// retry): BaseDelay doubled per attempt, capped at MaxDelay, of which the
// upper half is random ("equal jitter"), so many clients that failed
// together do not retry together.
func Backoff(p delivery.RetryPolicy, attempt int) time.Duration {
	p = withDefaults(p)
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + rand.N(half+1)
}

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Rewrite is an http.RoundTripper that sends every request to Base
// instead of the host it names: scheme and host are replaced, and Base's
// path (if any) is put before the request's path. It lets an SDK with a
// hard-coded API origin reach a proxy, a regional edge or a test server.
type Rewrite struct {
	Base *url.URL
	Next http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	r := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = t.Base.Scheme, t.Base.Host
	if prefix := strings.TrimSuffix(t.Base.Path, "/"); prefix != "" {
		// A base ending in the API version (".../2010-04-01") does not
		// repeat it.
		if p := trimVersion(prefix, u.Path); p != u.Path {
			u.Path = p
			if u.RawPath != "" {
				u.RawPath = trimVersion(prefix, u.RawPath)
			}
		}
		u.Path = prefix + u.Path
		if u.RawPath != "" {
			u.RawPath = strings.TrimSuffix(t.Base.EscapedPath(), "/") + u.RawPath
		}
	}
	r.URL, r.Host = &u, ""
	return next.RoundTrip(r)
}

// WithContext is an http.RoundTripper that runs every request under Ctx,
// for an SDK that builds its requests with context.Background().
type WithContext struct {
	Ctx  context.Context
	Next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *WithContext) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.Next.RoundTrip(req.WithContext(t.Ctx))
}

// NewClient returns an http.Client that retries per policy and does not
// follow redirects (an API answers, it does not redirect). Timeouts come
// from the request context, which the providers set from their Timeout.
func NewClient(policy delivery.RetryPolicy, next http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: &Retry{Next: next, Policy: policy},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// CleanError returns the cause of a failed HTTP call without the request
// URL that net/http puts in its errors (URLs hold account ids), keeping
// context.DeadlineExceeded and context.Canceled checkable with errors.Is.
func CleanError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// withDefaults returns p with its zero fields set to the defaults of
// [delivery.RetryPolicy].
func withDefaults(p delivery.RetryPolicy) delivery.RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = delivery.DefaultHTTPAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = delivery.DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = delivery.DefaultMaxDelay
	}
	return p
}
