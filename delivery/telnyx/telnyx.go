// Package telnyx is a [delivery.Sender] for Telnyx: SMS through the
// Messaging API (POST /v2/messages) and voice through a TeXML call whose
// inline instructions say the message (POST
// /v2/texml/Accounts/{account_sid}/Calls). It speaks the REST API with
// net/http.
//
// # Voice
//
// A call needs a TeXML application (Config.TexmlApplicationID), the
// account id that TeXML paths name (Config.AccountSID, the id of the
// Telnyx account shown in the portal) and a caller number (Config.From).
// The call's instructions are
//
//	<Response><Say voice="woman" language="en-US" loop="2">Your otpkit code is: 1, 2, 3.</Say></Response>
//
// # Status
//
// [Sender.Status] looks up messages by id (GET /v2/messages/{id}) and
// calls by call sid (GET /v2/texml/Accounts/{account_sid}/Calls/{sid}).
package telnyx

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/httpx"
	"github.com/otpkit/otpkit/delivery/internal/speech"
)

// Name is the provider's name in configuration, receipts and errors.
const Name = "telnyx"

// DefaultBaseURL is Telnyx's API origin; paths start with /v2.
const DefaultBaseURL = "https://api.telnyx.com"

// Config configures a [Sender]. APIKey and one of From or
// MessagingProfileID are required; voice also needs From, AccountSID and
// TexmlApplicationID.
type Config struct {
	APIKey string `toml:"api_key" env:"TELNYX_API_KEY" secret:"true"` // a Telnyx API key (v2), sent as a Bearer token
	// From is the sender number (E.164) of SMS and the caller id of calls.
	From string `toml:"from"`
	// MessagingProfileID sends SMS from the profile's number pool or
	// alphanumeric sender instead of From.
	MessagingProfileID string `toml:"messaging_profile_id"`

	AccountSID         string `toml:"account_sid"`          // the account id in TeXML paths (voice)
	TexmlApplicationID string `toml:"texml_application_id"` // the TeXML application that places calls (voice)
	Voice              string `toml:"voice"`                // <Say voice>: man, woman, alice, Polly.*; default "woman"
	Language           string `toml:"language"`             // <Say language>; default "en-US"
	Loop               int    `toml:"loop"`                 // times the message is spoken, 1-10; default 2

	BaseURL   string               `toml:"base_url"` // default https://api.telnyx.com
	Timeout   time.Duration        `toml:"timeout"`  // for one Send or Status, retries included; default 30s
	Retry     delivery.RetryPolicy // retries of 429, 5xx and connection errors; zero: the defaults
	Transport http.RoundTripper    // nil: http.DefaultTransport
}

// Sender sends through Telnyx. It is safe for concurrent use.
type Sender struct {
	cfg Config
	api *httpx.API
}

var (
	_ delivery.Sender        = (*Sender)(nil)
	_ delivery.StatusChecker = (*Sender)(nil)
)

// New checks cfg and returns a Sender. Errors are [*delivery.ConfigError]
// naming the field.
func New(cfg Config) (*Sender, error) {
	cerr := func(field, problem string) error {
		return &delivery.ConfigError{Provider: Name, Field: field, Problem: problem}
	}
	switch {
	case cfg.APIKey == "":
		return nil, cerr("APIKey", "is required")
	case strings.ContainsAny(cfg.APIKey, " \t\r\n"):
		return nil, cerr("APIKey", "must not contain spaces")
	case cfg.From == "" && cfg.MessagingProfileID == "":
		return nil, &delivery.ConfigError{Provider: Name, Field: "From", Or: []string{"MessagingProfileID"}, Problem: "is required"}
	}
	sp, err := speech.Settings{Voice: cfg.Voice, Language: cfg.Language, Loop: cfg.Loop}.Fill(Name)
	if err != nil {
		return nil, err
	}
	cfg.Voice, cfg.Language, cfg.Loop = sp.Voice, sp.Language, sp.Loop
	api, err := httpx.NewAPI(httpx.APIConfig{Provider: Name, BaseURL: cfg.BaseURL, DefaultBaseURL: DefaultBaseURL,
		Timeout: cfg.Timeout, Retry: cfg.Retry, Transport: cfg.Transport,
		Prepare: func(r *http.Request, _ []byte) { r.Header.Set("Authorization", "Bearer "+cfg.APIKey) }, ParseError: parseError, Secrets: []string{cfg.APIKey}})
	if err != nil {
		return nil, err
	}
	return &Sender{cfg: cfg, api: api}, nil
}

// Send implements [delivery.Sender].
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	ctx, cancel := s.api.Bound(ctx)
	defer cancel()
	switch msg.Channel {
	case delivery.SMS:
		return s.sendSMS(ctx, msg)
	case delivery.Voice:
		return s.call(ctx, msg)
	}
	return delivery.Receipt{}, fmt.Errorf("%s: %w: %q", Name, delivery.ErrUnsupported, msg.Channel)
}

type messageRequest struct {
	From               string `json:"from,omitempty"`
	MessagingProfileID string `json:"messaging_profile_id,omitempty"`
	To                 string `json:"to"`
	Text               string `json:"text"`
	Type               string `json:"type"`
}

type messageData struct {
	ID string `json:"id"`
	To []struct {
		PhoneNumber string `json:"phone_number"`
		Status      string `json:"status"`
	} `json:"to"`
	Errors []apiError `json:"errors"`
}

type messageResponse struct {
	Data *messageData `json:"data"`
}

func (s *Sender) sendSMS(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	req := messageRequest{From: s.cfg.From, MessagingProfileID: s.cfg.MessagingProfileID, To: msg.To, Text: msg.Body, Type: "SMS"}
	var out messageResponse
	if _, err := s.api.Do(ctx, httpx.Request{Method: http.MethodPost, URL: s.api.URL("/v2/messages"), Body: req, Code: msg.Code, Texts: []string{msg.Body}}, &out); err != nil {
		return delivery.Receipt{}, err
	}
	if out.Data == nil || out.Data.ID == "" {
		return delivery.Receipt{}, fmt.Errorf("%s: %w: no message id", Name, httpx.ErrUnreadable)
	}
	rc := delivery.Receipt{Provider: Name, ID: out.Data.ID}
	if len(out.Data.To) > 0 {
		rc.Status = out.Data.To[0].Status
	}
	return rc, nil
}

type callRequest struct {
	To             string `json:"To"`
	From           string `json:"From"`
	ApplicationSid string `json:"ApplicationSid"`
	Texml          string `json:"Texml"`
}

type callResponse struct {
	CallSid string `json:"call_sid"`
	Sid     string `json:"sid"`
	Status  string `json:"status"`
}

func (s *Sender) call(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	for _, f := range []struct{ name, v string }{{"From", s.cfg.From}, {"AccountSID", s.cfg.AccountSID}, {"TexmlApplicationID", s.cfg.TexmlApplicationID}} {
		if f.v == "" {
			return delivery.Receipt{}, &delivery.ConfigError{Provider: Name, Field: f.name, Problem: "is required for voice calls"}
		}
	}
	req := callRequest{To: msg.To, From: s.cfg.From, ApplicationSid: s.cfg.TexmlApplicationID, Texml: s.texml(msg.Body)}
	var out callResponse
	u := s.api.URL("/v2/texml/Accounts/" + url.PathEscape(s.cfg.AccountSID) + "/Calls")
	if _, err := s.api.Do(ctx, httpx.Request{Method: http.MethodPost, URL: u, Body: req, Code: msg.Code, Texts: []string{msg.Body, req.Texml}}, &out); err != nil {
		return delivery.Receipt{}, err
	}
	id := out.CallSid
	if id == "" {
		id = out.Sid
	}
	// InitiateTexmlCall's documented answer is {"from","status","to"},
	// without a call sid: a success answer without one is a placed call,
	// whose id is unknown (Status then says so).
	return delivery.Receipt{Provider: Name, ID: id, Status: out.Status}, nil
}

// texml returns the call instructions that speak text with the configured
// voice, language and loop.
func (s *Sender) texml(text string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="`)
	xml.EscapeText(&b, []byte(s.cfg.Voice))
	b.WriteString(`" language="`)
	xml.EscapeText(&b, []byte(s.cfg.Language))
	fmt.Fprintf(&b, `" loop="%d">`, s.cfg.Loop)
	xml.EscapeText(&b, []byte(text))
	b.WriteString(`</Say></Response>`)
	return b.String()
}

// ErrNoCallSID is returned, wrapped, by [Sender.Status] for a call whose
// answer carried no call sid (TeXML's documented answer has none): the
// call was placed, but what became of it cannot be looked up.
var ErrNoCallSID = fmt.Errorf("%w: the call was placed but Telnyx gave no call sid", delivery.ErrStatusUnknown)

var (
	messageID = regexp.MustCompile(`^[0-9a-fA-F-]{36}$`)
	callSID   = regexp.MustCompile(`^v3:[A-Za-z0-9_-]+$`)
)

// Status implements [delivery.StatusChecker] for message ids and TeXML
// call sids ("v3:…").
func (s *Sender) Status(ctx context.Context, id string) (delivery.Report, error) {
	ctx, cancel := s.api.Bound(ctx)
	defer cancel()
	switch {
	case id == "":
		return delivery.Report{}, fmt.Errorf("%s: %w", Name, ErrNoCallSID)
	case messageID.MatchString(id):
		var out messageResponse
		if _, err := s.api.Do(ctx, httpx.Request{Method: http.MethodGet, URL: s.api.URL("/v2/messages/" + id)}, &out); err != nil {
			return delivery.Report{}, notYet(err)
		}
		if out.Data == nil || len(out.Data.To) == 0 {
			return delivery.Report{}, fmt.Errorf("%s: %w: no recipient status", Name, httpx.ErrUnreadable)
		}
		st := messageStatus(out.Data.To[0].Status)
		if len(out.Data.Errors) > 0 {
			e := out.Data.Errors[0]
			st.ErrorCode = string(e.Code)
			st.Error = httpx.Meaning(codeMeanings, st.ErrorCode, e.Title)
		}
		return st, nil
	case callSID.MatchString(id):
		if s.cfg.AccountSID == "" {
			return delivery.Report{}, &delivery.ConfigError{Provider: Name, Field: "AccountSID", Problem: "is required to look up calls"}
		}
		var out callResponse
		u := s.api.URL("/v2/texml/Accounts/" + url.PathEscape(s.cfg.AccountSID) + "/Calls/" + url.PathEscape(id))
		if _, err := s.api.Do(ctx, httpx.Request{Method: http.MethodGet, URL: u}, &out); err != nil {
			return delivery.Report{}, notYet(err)
		}
		return speech.CallStatus(out.Status), nil
	}
	return delivery.Report{}, fmt.Errorf("%s: %q is not a Telnyx message id or call sid", Name, id)
}

// notYet marks a 404 from a lookup as one that may pass: Telnyx's lookups
// are eventually consistent (its API description says so of calls), so a
// message or call just sent may not be found for a moment. delivery.Wait
// looks again at its next interval, within the caller's deadline.
func notYet(err error) error {
	var pe *delivery.ProviderError
	if errors.As(err, &pe) && pe.HTTPStatus == http.StatusNotFound && !pe.Retryable {
		cp := *pe
		cp.Retryable = true
		return &cp
	}
	return err
}

func messageStatus(raw string) delivery.Report {
	st := delivery.Report{State: delivery.StatePending, Raw: raw}
	switch raw {
	case "delivered":
		st.State = delivery.StateDelivered
	case "sending_failed", "delivery_failed", "expired":
		st.State = delivery.StateFailed
	case "delivery_unconfirmed":
		// Not a failure: the carrier sent no receipt, the phone may have it.
		st.State = delivery.StateUnknown
		st.Error = "the carrier did not confirm delivery"
	}
	return st
}

// apiError is one entry of Telnyx's {"errors": [...]}.
type apiError struct {
	Code   flexString `json:"code"`
	Title  string     `json:"title"`
	Detail string     `json:"detail"`
}

// flexString reads a code Telnyx sends as a string ("10009") or, in some
// older answers, a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

func parseError(status int, body []byte) *delivery.ProviderError {
	var out struct {
		Errors []apiError `json:"errors"`
	}
	if json.Unmarshal(body, &out) != nil || len(out.Errors) == 0 {
		return nil
	}
	e := out.Errors[0]
	msg := e.Title
	switch {
	case e.Title == "":
		msg = e.Detail // some 404 bodies carry only {"detail": ...}
	case e.Detail != "" && e.Detail != e.Title:
		msg = strings.TrimSuffix(e.Title, ".") + ": " + e.Detail
	}
	return &delivery.ProviderError{Code: string(e.Code), Message: httpx.Meaning(codeMeanings, string(e.Code), msg)}
}
