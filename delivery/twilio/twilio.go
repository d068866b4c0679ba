// Package twilio is a [delivery.Sender] that sends SMS through Twilio's
// Messages API and makes voice calls through its Calls API with inline
// TwiML, using the official SDK (github.com/twilio/twilio-go).
//
// # Voice
//
// A voice message is a call whose TwiML says the message body once per
// loop (default 2):
//
//	<Response><Say voice="woman" language="en-US" loop="2">Your otpkit code is: 1, 2, 3, 4, 5, 6.</Say></Response>
//
// # Base URL
//
// The SDK has no base-URL option, so every request goes through a
// transport that sends it to [Config.BaseURL] instead of
// https://api.twilio.com: a proxy, a regional edge or a test server. The
// TWILIO_EDGE and TWILIO_REGION environment variables the SDK reads are
// ignored, so the base URL alone decides where requests go.
//
// # Status
//
// [Sender.Status] looks up a message (SM…) or call (CA…) by the id in the
// [delivery.Receipt] and maps Twilio's status to a [delivery.State].
package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"github.com/twilio/twilio-go/twiml"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/httpx"
	"github.com/otpkit/otpkit/delivery/internal/speech"
)

// Name is the provider's name in configuration, receipts and errors.
const Name = "twilio"

// DefaultBaseURL is Twilio's REST API origin.
const DefaultBaseURL = "https://api.twilio.com"

// Config configures a [Sender]. AccountSID, AuthToken and one of From or
// MessagingServiceSID are required; everything else has a default.
type Config struct {
	AccountSID string `toml:"account_sid" env:"TWILIO_ACCOUNT_SID" secret:"true"` // "AC…"
	AuthToken  string `toml:"auth_token" env:"TWILIO_AUTH_TOKEN" secret:"true"`
	// From is the sender number (E.164) for SMS and the caller id for
	// voice calls; voice needs it.
	From string `toml:"from"`
	// MessagingServiceSID ("MG…") sends SMS through a Messaging Service
	// (number pool, alphanumeric sender) instead of, or along with, From.
	MessagingServiceSID string `toml:"messaging_service_sid"`

	Voice    string `toml:"voice"`    // <Say voice>: man, woman, Polly.*, Google.*; default "woman"
	Language string `toml:"language"` // <Say language>; default "en-US"
	Loop     int    `toml:"loop"`     // times the message is spoken, 1-10; default 2

	BaseURL string               `toml:"base_url"` // default https://api.twilio.com
	Timeout time.Duration        `toml:"timeout"`  // for one Send or Status, retries included; default 30s
	Retry   delivery.RetryPolicy // retries of 429, 5xx and connection errors; zero: the defaults
	// Transport carries the HTTP requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// twilioAPI is the part of the SDK the sender uses.
type twilioAPI interface {
	CreateMessage(*openapi.CreateMessageParams) (*openapi.ApiV2010Message, error)
	CreateCall(*openapi.CreateCallParams) (*openapi.ApiV2010Call, error)
	FetchMessage(sid string, p *openapi.FetchMessageParams) (*openapi.ApiV2010Message, error)
	FetchCall(sid string, p *openapi.FetchCallParams) (*openapi.ApiV2010Call, error)
}

var _ twilioAPI = (*openapi.ApiService)(nil)

// Sender sends through Twilio. It is safe for concurrent use.
type Sender struct {
	cfg     Config
	timeout time.Duration
	rt      http.RoundTripper
	// newAPI returns the SDK bound to ctx (the SDK itself takes no
	// context); the HTTP status of its last answer goes to *status.
	newAPI func(ctx context.Context, status *int) twilioAPI
}

var (
	_ delivery.Sender        = (*Sender)(nil)
	_ delivery.StatusChecker = (*Sender)(nil)
)

// alnum is what the SDK accepts in credentials; it refuses anything else
// before sending.
var alnum = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// New checks cfg and returns a Sender. Errors are [*delivery.ConfigError]
// naming the field.
func New(cfg Config) (*Sender, error) {
	cerr := func(field, problem string) error {
		return &delivery.ConfigError{Provider: Name, Field: field, Problem: problem}
	}
	switch {
	case cfg.AccountSID == "":
		return nil, cerr("AccountSID", "is required")
	case !alnum.MatchString(cfg.AccountSID):
		return nil, cerr("AccountSID", "must contain only letters and digits (it looks like AC followed by 32 hex digits)")
	case cfg.AuthToken == "":
		return nil, cerr("AuthToken", "is required")
	case !alnum.MatchString(cfg.AuthToken):
		return nil, cerr("AuthToken", "must contain only letters and digits")
	case cfg.From == "" && cfg.MessagingServiceSID == "":
		return nil, &delivery.ConfigError{Provider: Name, Field: "From", Or: []string{"MessagingServiceSID"}, Problem: "is required"}
	}
	sp, err := speech.Settings{Voice: cfg.Voice, Language: cfg.Language, Loop: cfg.Loop}.Fill(Name)
	if err != nil {
		return nil, err
	}
	cfg.Voice, cfg.Language, cfg.Loop = sp.Voice, sp.Language, sp.Loop
	base, err := httpx.BaseURL(Name, "BaseURL", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	s := &Sender{cfg: cfg, timeout: httpx.Timeout(cfg.Timeout)}
	s.rt = &httpx.Retry{Policy: cfg.Retry, Next: &httpx.Rewrite{Base: base, Next: cfg.Transport}}
	s.newAPI = s.sdk
	return s, nil
}

// sdk returns a Twilio API client whose requests run under ctx and go to
// the base URL.
func (s *Sender) sdk(ctx context.Context, status *int) twilioAPI {
	c := &client.Client{
		Credentials: client.NewCredentials(s.cfg.AccountSID, s.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport:     &httpx.WithContext{Ctx: ctx, Next: &recorder{next: s.rt, status: status}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(s.cfg.AccountSID)
	// A RequestHandler made here, not by NewRequestHandler, has no edge or
	// region from TWILIO_EDGE / TWILIO_REGION.
	return openapi.NewApiService(&client.RequestHandler{Client: c})
}

// recorder notes the HTTP status of the last answer, which the SDK does
// not report when an error answer is not JSON.
type recorder struct {
	next   http.RoundTripper
	status *int
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if resp != nil {
		*r.status = resp.StatusCode
	}
	return resp, err
}

// Send implements [delivery.Sender]: an SMS through the Messages API or a
// call that speaks msg.Body through the Calls API.
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var status int
	api := s.newAPI(ctx, &status)
	switch msg.Channel {
	case delivery.SMS:
		p := &openapi.CreateMessageParams{}
		p.SetTo(msg.To).SetBody(msg.Body)
		if s.cfg.From != "" {
			p.SetFrom(s.cfg.From)
		}
		if s.cfg.MessagingServiceSID != "" {
			p.SetMessagingServiceSid(s.cfg.MessagingServiceSID)
		}
		m, err := api.CreateMessage(p)
		if err != nil {
			return delivery.Receipt{}, s.convert(err, status, s.redactor(msg.Code, msg.Body))
		}
		return delivery.Receipt{Provider: Name, ID: deref(m.Sid), Status: deref(m.Status)}, nil
	case delivery.Voice:
		if s.cfg.From == "" {
			return delivery.Receipt{}, &delivery.ConfigError{Provider: Name, Field: "From", Problem: "is required for voice calls (a Messaging Service cannot call)"}
		}
		doc, err := s.twiml(msg.Body)
		if err != nil {
			return delivery.Receipt{}, err
		}
		p := &openapi.CreateCallParams{}
		p.SetTo(msg.To).SetFrom(s.cfg.From).SetTwiml(doc)
		c, err := api.CreateCall(p)
		if err != nil {
			return delivery.Receipt{}, s.convert(err, status, s.redactor(msg.Code, msg.Body, doc))
		}
		return delivery.Receipt{Provider: Name, ID: deref(c.Sid), Status: deref(c.Status)}, nil
	}
	return delivery.Receipt{}, fmt.Errorf("%s: %w: %q", Name, delivery.ErrUnsupported, msg.Channel)
}

// maxTwiML is the Calls API's limit on the Twiml parameter.
const maxTwiML = 4000

// twiml returns the call instructions that speak text: one <Say> with the
// configured voice, language and loop, built and escaped by the SDK's
// twiml package.
func (s *Sender) twiml(text string) (string, error) {
	doc, err := twiml.Voice([]twiml.Element{&twiml.VoiceSay{
		Message:  text,
		Voice:    s.cfg.Voice,
		Language: s.cfg.Language,
		Loop:     strconv.Itoa(s.cfg.Loop),
	}})
	if err != nil {
		return "", fmt.Errorf("%s: build TwiML: %w", Name, err)
	}
	if len(doc) > maxTwiML {
		return "", fmt.Errorf("%s: the voice message is too long (%d bytes of TwiML, at most %d)", Name, len(doc), maxTwiML)
	}
	return doc, nil
}

// sidPattern is the id patterns of Twilio's OpenAPI description:
// ^(SM|MM)[0-9a-fA-F]{32}$ for messages, ^CA[0-9a-fA-F]{32}$ for calls.
var sidPattern = regexp.MustCompile(`^(SM|MM|CA)[0-9a-fA-F]{32}$`)

// Status implements [delivery.StatusChecker] for message (SM…, MM…) and
// call (CA…) ids.
func (s *Sender) Status(ctx context.Context, id string) (delivery.Report, error) {
	if !sidPattern.MatchString(id) {
		return delivery.Report{}, fmt.Errorf("%s: %q is not a Twilio message or call id", Name, id)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var status int
	api := s.newAPI(ctx, &status)
	if id[:2] == "CA" {
		c, err := api.FetchCall(id, nil)
		if err != nil {
			return delivery.Report{}, s.convert(err, status, s.redactor(""))
		}
		return speech.CallStatus(deref(c.Status)), nil
	}
	m, err := api.FetchMessage(id, nil)
	if err != nil {
		return delivery.Report{}, s.convert(err, status, s.redactor(""))
	}
	st := messageStatus(deref(m.Status))
	if m.ErrorCode != nil && *m.ErrorCode != 0 {
		st.ErrorCode = strconv.Itoa(*m.ErrorCode)
		st.Error = httpx.Meaning(codeMeanings, st.ErrorCode, deref(m.ErrorMessage))
	}
	return st, nil
}

func messageStatus(raw string) delivery.Report {
	st := delivery.Report{State: delivery.StatePending, Raw: raw}
	switch raw {
	case "delivered", "read":
		st.State = delivery.StateDelivered
	case "failed", "undelivered", "canceled", "partially_delivered":
		st.State = delivery.StateFailed
	}
	return st
}

// redactor returns what removes the auth token, the code and the texts
// sent from provider text.
func (s *Sender) redactor(code string, texts ...string) *httpx.Redactor {
	return httpx.NewRedactor([]string{s.cfg.AuthToken}, code, texts...)
}

// convert turns an SDK error into a one-line error without credentials,
// the code or the message (red removes them).
func (s *Sender) convert(err error, status int, red *httpx.Redactor) error {
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		c := strconv.Itoa(te.Code)
		if status == 0 {
			status = te.Status
		}
		return &delivery.ProviderError{
			Provider:   Name,
			Code:       c,
			Message:    red.Redact(httpx.Meaning(codeMeanings, c, te.Message)),
			HTTPStatus: status,
			Retryable:  httpx.Retryable(status),
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: request failed: %w", Name, ue.Err)
	}
	// The SDK decodes every answer as JSON; anything else lands here.
	if status != 0 && (status < 200 || status > 299) {
		return &delivery.ProviderError{Provider: Name, Message: httpx.StatusMeaning(status), HTTPStatus: status, Retryable: httpx.Retryable(status)}
	}
	// A 2xx answer the SDK could not decode: Twilio accepted the request.
	return delivery.MarkOutcomeUnknown(fmt.Errorf("%s: %w: %s", Name, httpx.ErrUnreadable, red.Redact(err.Error())))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
