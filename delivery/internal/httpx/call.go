package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/termsafe"
)

// maxBody bounds how much of an answer is read.
const maxBody = 1 << 20

// Caller makes JSON calls to one provider's REST API.
type Caller struct {
	Provider string       // the provider's name, for errors
	Client   *http.Client // normally from NewClient
	// Prepare sets the headers a request needs (auth, signature); body is
	// the exact request body (nil for none).
	Prepare func(req *http.Request, body []byte)
	// ParseError turns a non-2xx answer into the provider's error; it
	// returns nil when the body is not the provider's error shape.
	ParseError func(status int, body []byte) *delivery.ProviderError
	// Secrets are redacted from any provider text that reaches an error.
	Secrets []string
}

// Request is one call.
type Request struct {
	Method string
	URL    string
	// Body is the request body: []byte is sent as is, anything else is
	// encoded as JSON; nil sends none.
	Body        any
	ContentType string // default "application/json" when there is a body
	// Secrets are more credentials to redact, for this call only.
	Secrets []string
	// Code is the one-time code the request carries, and Texts the
	// message texts it carries (the SMS text, the spoken text, a TwiML or
	// TeXML document): all are redacted, in every form, from any provider
	// text that reaches an error (see [Redactor]).
	Code  string
	Texts []string
}

// Do sends the request and decodes a 2xx JSON answer into out (out may be
// nil, and an empty 2xx body is then fine). A non-2xx answer becomes a
// *delivery.ProviderError; a 2xx answer that out cannot hold is an error
// saying the response was unreadable.
func (c *Caller) Do(ctx context.Context, r Request, out any) (status int, err error) {
	var body []byte
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = b
	default:
		if body, err = json.Marshal(b); err != nil {
			return 0, fmt.Errorf("%s: encode request: %w", c.Provider, err)
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, rd)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.Provider, CleanError(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "otpkit")
	if body != nil {
		ct := r.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.Prepare != nil {
		c.Prepare(req, body)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: request failed: %w", c.Provider, CleanError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		// The request was written and answered: the provider may have the message.
		return resp.StatusCode, delivery.MarkOutcomeUnknown(fmt.Errorf("%s: read response (HTTP %d): %w", c.Provider, resp.StatusCode, CleanError(err)))
	}
	red := NewRedactor(append(append([]string(nil), c.Secrets...), r.Secrets...), r.Code, r.Texts...)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, c.providerError(resp, data, red)
	}
	if out == nil || (len(bytes.TrimSpace(data)) == 0 && resp.StatusCode == http.StatusNoContent) {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		// A 2xx answer means the provider accepted the request.
		return resp.StatusCode, delivery.MarkOutcomeUnknown(fmt.Errorf("%s: %w (HTTP %d): %s", c.Provider, ErrUnreadable, resp.StatusCode, red.Redact(jsonProblem(err))))
	}
	return resp.StatusCode, nil
}

// ErrUnreadable is returned, wrapped, when a provider's success answer is
// not the JSON the API documents.
var ErrUnreadable = errors.New("unreadable response")

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "not JSON"
	case errors.As(err, &te):
		return fmt.Sprintf("field %q is not a %s", te.Field, te.Type)
	}
	return "not JSON"
}

func (c *Caller) providerError(resp *http.Response, data []byte, red *Redactor) error {
	var pe *delivery.ProviderError
	if c.ParseError != nil {
		pe = c.ParseError(resp.StatusCode, data)
	}
	if pe == nil {
		pe = &delivery.ProviderError{Message: StatusMeaning(resp.StatusCode)}
	}
	pe.Provider = c.Provider
	pe.HTTPStatus = resp.StatusCode
	pe.Retryable = pe.Retryable || Retryable(resp.StatusCode)
	pe.Code = safeText(red.Redact(pe.Code))
	pe.Message = safeText(red.Redact(pe.Message))
	if ra, ok := RetryAfter(resp.Header, time.Now()); ok {
		pe.RetryAfter = ra
	}
	return pe
}

// safeText folds the whitespace of text a provider sent to single spaces
// and escapes its other control characters (termsafe.Escape), so an error
// built from it is one line that cannot talk to a terminal or forge a log
// line.
func safeText(s string) string {
	if termsafe.Safe(s) {
		return s
	}
	return termsafe.Escape(strings.Join(strings.Fields(s), " "))
}

// StatusMeaning says what an HTTP status means for a request to a
// provider, for answers without a readable error body.
func StatusMeaning(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "authentication failed; check the credentials"
	case http.StatusForbidden:
		return "not allowed for this account"
	case http.StatusNotFound:
		return "not found; check base_url and the ids in the configuration"
	case http.StatusTooManyRequests:
		return "too many requests; slow down"
	}
	if status >= 500 {
		return fmt.Sprintf("the provider failed (%s); try again later", http.StatusText(status))
	}
	return fmt.Sprintf("unexpected answer: %d %s", status, http.StatusText(status))
}

// Meaning returns the human meaning of a provider's error code from
// table, or the provider's own message when the code is not in it.
func Meaning(table map[string]string, code, providerMessage string) string {
	if m, ok := table[code]; ok {
		return m
	}
	return providerMessage
}
