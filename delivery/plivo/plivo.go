// Package plivo is a [delivery.Sender] for Plivo's Message API (SMS),
// spoken with net/http.
//
// Voice is not supported: a Plivo call takes its instructions only from an
// answer_url that serves Plivo XML, with no inline option, and otpkit
// hosts no such URL. Send returns an error wrapping
// [delivery.ErrUnsupported] for voice messages; use another provider for
// voice (the otp command's fallback routes can do that).
//
// [Sender.Status] looks a message up by its uuid and maps Plivo's
// message_state and error_code.
package plivo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/httpx"
)

// Name is the provider's name in configuration, receipts and errors.
const Name = "plivo"

// DefaultBaseURL is Plivo's API origin.
const DefaultBaseURL = "https://api.plivo.com"

// Config configures a [Sender]. AuthID, AuthToken and From are required.
type Config struct {
	AuthID    string `toml:"auth_id" env:"PLIVO_AUTH_ID" secret:"true"`
	AuthToken string `toml:"auth_token" env:"PLIVO_AUTH_TOKEN" secret:"true"`
	From      string `toml:"from"` // the sender: a Plivo number (E.164) or an alphanumeric sender id

	BaseURL   string               `toml:"base_url"` // default https://api.plivo.com
	Timeout   time.Duration        `toml:"timeout"`  // for one Send or Status, retries included; default 30s
	Retry     delivery.RetryPolicy // retries of 429, 5xx and connection errors; zero: the defaults
	Transport http.RoundTripper    // nil: http.DefaultTransport
}

// Sender sends SMS through Plivo. It is safe for concurrent use.
type Sender struct {
	cfg Config
	api *httpx.API
}

var (
	_ delivery.Sender        = (*Sender)(nil)
	_ delivery.StatusChecker = (*Sender)(nil)
)

// ErrVoice is returned (wrapped, and wrapping [delivery.ErrUnsupported])
// for voice messages.
var ErrVoice = fmt.Errorf("%w: voice through Plivo needs an answer_url serving Plivo XML, which otpkit does not host; use sms, or another provider for voice", delivery.ErrUnsupported)

// authID is the form of Plivo auth ids (MA… or SA…, 20 characters).
var authID = regexp.MustCompile(`^[A-Z0-9]{20}$`)

// New checks cfg and returns a Sender. Errors are [*delivery.ConfigError]
// naming the field.
func New(cfg Config) (*Sender, error) {
	cerr := func(field, problem string) error {
		return &delivery.ConfigError{Provider: Name, Field: field, Problem: problem}
	}
	switch {
	case cfg.AuthID == "":
		return nil, cerr("AuthID", "is required")
	case !authID.MatchString(cfg.AuthID):
		return nil, cerr("AuthID", "must be 20 capital letters and digits (MA… or SA…)")
	case cfg.AuthToken == "":
		return nil, cerr("AuthToken", "is required")
	case cfg.From == "":
		return nil, cerr("From", "is required")
	}
	api, err := httpx.NewAPI(httpx.APIConfig{Provider: Name, BaseURL: cfg.BaseURL, DefaultBaseURL: DefaultBaseURL,
		Timeout: cfg.Timeout, Retry: cfg.Retry, Transport: cfg.Transport,
		Prepare: func(r *http.Request, _ []byte) { r.SetBasicAuth(cfg.AuthID, cfg.AuthToken) }, ParseError: parseError, Secrets: []string{cfg.AuthToken}})
	if err != nil {
		return nil, err
	}
	return &Sender{cfg: cfg, api: api}, nil
}

type sendRequest struct {
	Src  string `json:"src"`
	Dst  string `json:"dst"`
	Text string `json:"text"`
	Type string `json:"type"`
}

type sendResponse struct {
	Message     string          `json:"message"`
	MessageUUID []string        `json:"message_uuid"`
	Error       json.RawMessage `json:"error"` // some success answers carry only an error
}

// Send implements [delivery.Sender] for SMS.
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	switch msg.Channel {
	case delivery.SMS:
	case delivery.Voice:
		return delivery.Receipt{}, fmt.Errorf("%s: %w", Name, ErrVoice)
	default:
		return delivery.Receipt{}, fmt.Errorf("%s: %w: %q", Name, delivery.ErrUnsupported, msg.Channel)
	}
	ctx, cancel := s.api.Bound(ctx)
	defer cancel()
	var out sendResponse
	u := s.api.URL("/v1/Account/" + url.PathEscape(s.cfg.AuthID) + "/Message/")
	req := sendRequest{Src: s.cfg.From, Dst: msg.To, Text: msg.Body, Type: "sms"}
	status, err := s.api.Do(ctx, httpx.Request{Method: http.MethodPost, URL: u, Body: req, Code: msg.Code, Texts: []string{msg.Body}}, &out)
	if err != nil {
		return delivery.Receipt{}, err
	}
	if len(out.MessageUUID) == 0 || out.MessageUUID[0] == "" {
		if pe := s.refusal(status, out.Error, msg.Code, msg.Body); pe != nil {
			return delivery.Receipt{}, pe
		}
		return delivery.Receipt{}, fmt.Errorf("%s: %w: no message_uuid", Name, httpx.ErrUnreadable)
	}
	return delivery.Receipt{Provider: Name, ID: out.MessageUUID[0], Status: "queued"}, nil
}

var messageUUID = regexp.MustCompile(`^[0-9a-fA-F-]{36}$`)

type messageResponse struct {
	MessageState string          `json:"message_state"`
	ErrorCode    string          `json:"error_code"` // null until a final state
	Error        json.RawMessage `json:"error"`
}

// Status implements [delivery.StatusChecker].
func (s *Sender) Status(ctx context.Context, id string) (delivery.Report, error) {
	if !messageUUID.MatchString(id) {
		return delivery.Report{}, fmt.Errorf("%s: %q is not a Plivo message uuid", Name, id)
	}
	ctx, cancel := s.api.Bound(ctx)
	defer cancel()
	var out messageResponse
	u := s.api.URL("/v1/Account/" + url.PathEscape(s.cfg.AuthID) + "/Message/" + id + "/")
	status, err := s.api.Do(ctx, httpx.Request{Method: http.MethodGet, URL: u}, &out)
	if err != nil {
		return delivery.Report{}, err
	}
	if out.MessageState == "" {
		if pe := s.refusal(status, out.Error, ""); pe != nil {
			return delivery.Report{}, pe
		}
		return delivery.Report{}, fmt.Errorf("%s: %w: no message_state", Name, httpx.ErrUnreadable)
	}
	st := delivery.Report{State: delivery.StatePending, Raw: out.MessageState}
	switch out.MessageState {
	case "delivered", "read":
		st.State = delivery.StateDelivered
	case "failed", "undelivered", "rejected":
		st.State = delivery.StateFailed
	}
	if out.ErrorCode != "" && out.ErrorCode != "000" {
		st.ErrorCode = out.ErrorCode
		st.Error = httpx.Meaning(codeMeanings, out.ErrorCode, "error "+out.ErrorCode)
	}
	return st, nil
}

// refusal is the error of a success answer that holds Plivo's error
// instead of what was asked for, as {"api_id": ..., "error": ...} answered
// with HTTP 200; nil when raw holds none. The code and the texts sent (if
// any) are redacted from it, with the credentials.
func (s *Sender) refusal(status int, raw json.RawMessage, code string, texts ...string) *delivery.ProviderError {
	text := errorText(raw)
	if text == "" {
		return nil
	}
	red := httpx.NewRedactor([]string{s.cfg.AuthToken}, code, texts...)
	return &delivery.ProviderError{Provider: Name, Message: red.Redact(text), HTTPStatus: status}
}

// errorText reads the error member of an answer: a string, or an object
// (errors by field) kept as its JSON text. Empty for none or null.
func errorText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var text string
	if json.Unmarshal(raw, &text) != nil {
		text = string(raw)
	}
	return text
}

// parseError reads Plivo's {"api_id": ..., "error": ...}, or the
// {"api_id": ..., "error_code": 404, "message": ...} of its newer APIs.
// Plivo's Message API errors carry no code of their own, only text; the
// HTTP status says the kind.
func parseError(status int, body []byte) *delivery.ProviderError {
	var out struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &out) != nil {
		return nil
	}
	text := errorText(out.Error)
	if text == "" {
		text = out.Message
	}
	if text == "" {
		return nil
	}
	switch status {
	case http.StatusUnauthorized:
		text = "authentication failed; check the auth id and auth token"
	case http.StatusNotFound:
		text = "not found; check the auth id, the message uuid and base_url"
	}
	return &delivery.ProviderError{Message: text}
}
