// Package messagebird is a [delivery.Sender] for MessageBird's REST API
// (rest.messagebird.com): SMS through POST /messages and text-to-speech
// calls through POST /voicemessages, which say the message body in the
// configured language and voice, repeated (default twice). It speaks the
// API with net/http.
//
// [Sender.Status] looks an id up as a message, then as a voice message,
// and maps the recipient's status.
package messagebird

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/httpx"
)

// Name is the provider's name in configuration, receipts and errors.
const Name = "messagebird"

// DefaultBaseURL is MessageBird's REST API origin.
const DefaultBaseURL = "https://rest.messagebird.com"

// The voice defaults.
const (
	defaultVoice    = "female"
	defaultLanguage = "en-us"
	defaultRepeat   = 2
	maxRepeat       = 10
)

// Config configures a [Sender]. AccessKey and Originator are required.
type Config struct {
	AccessKey string `toml:"access_key" env:"MESSAGEBIRD_ACCESS_KEY" secret:"true"` // a live (or test) access key
	// Originator is the sender of SMS: a number (E.164) or an alphanumeric
	// sender of up to 11 characters. It is also the caller id of voice
	// messages.
	Originator string `toml:"originator"`

	Voice    string `toml:"voice"`    // "female" or "male"; default "female"
	Language string `toml:"language"` // e.g. "en-us", "en-gb", "nl-nl"; default "en-us"
	Repeat   int    `toml:"repeat"`   // times the message is spoken, 1-10; default 2

	BaseURL   string               `toml:"base_url"` // default https://rest.messagebird.com
	Timeout   time.Duration        `toml:"timeout"`  // for one Send or Status, retries included; default 30s
	Retry     delivery.RetryPolicy // retries of 429, 5xx and connection errors; zero: the defaults
	Transport http.RoundTripper    // nil: http.DefaultTransport
}

// Sender sends through MessageBird. It is safe for concurrent use.
type Sender struct {
	cfg Config
	api *httpx.API
}

var (
	_ delivery.Sender        = (*Sender)(nil)
	_ delivery.StatusChecker = (*Sender)(nil)
)

var language = regexp.MustCompile(`^[a-z]{2}-[a-z]{2}$`)

// New checks cfg and returns a Sender. Errors are [*delivery.ConfigError]
// naming the field.
func New(cfg Config) (*Sender, error) {
	cerr := func(field, problem string) error {
		return &delivery.ConfigError{Provider: Name, Field: field, Problem: problem}
	}
	if cfg.Voice == "" {
		cfg.Voice = defaultVoice
	}
	if cfg.Language == "" {
		cfg.Language = defaultLanguage
	}
	cfg.Language = strings.ToLower(cfg.Language)
	switch {
	case cfg.AccessKey == "":
		return nil, cerr("AccessKey", "is required")
	case strings.ContainsAny(cfg.AccessKey, " \t\r\n"):
		return nil, cerr("AccessKey", "must not contain spaces")
	case cfg.Originator == "":
		return nil, cerr("Originator", "is required")
	case cfg.Voice != "female" && cfg.Voice != "male":
		return nil, cerr("Voice", `must be "female" or "male"`)
	case !language.MatchString(cfg.Language):
		return nil, cerr("Language", `must be a language and country such as "en-us"`)
	case cfg.Repeat < 0 || cfg.Repeat > maxRepeat:
		return nil, cerr("Repeat", fmt.Sprintf("must be within 1-%d", maxRepeat))
	}
	if cfg.Repeat == 0 {
		cfg.Repeat = defaultRepeat
	}
	api, err := httpx.NewAPI(httpx.APIConfig{Provider: Name, BaseURL: cfg.BaseURL, DefaultBaseURL: DefaultBaseURL,
		Timeout: cfg.Timeout, Retry: cfg.Retry, Transport: cfg.Transport,
		Prepare: func(r *http.Request, _ []byte) { r.Header.Set("Authorization", "AccessKey "+cfg.AccessKey) }, ParseError: parseError, Secrets: []string{cfg.AccessKey}})
	if err != nil {
		return nil, err
	}
	return &Sender{cfg: cfg, api: api}, nil
}

type smsRequest struct {
	Originator string   `json:"originator"`
	Recipients []string `json:"recipients"`
	Body       string   `json:"body"`
}

type voiceRequest struct {
	Originator string   `json:"originator,omitempty"`
	Recipients []string `json:"recipients"`
	Body       string   `json:"body"`
	Language   string   `json:"language"`
	Voice      string   `json:"voice"`
	Repeat     int      `json:"repeat"`
	IfMachine  string   `json:"ifMachine"`
}

// message is the part of a message or voice message the sender reads.
type message struct {
	ID         string `json:"id"`
	Recipients struct {
		Items []struct {
			Status          string `json:"status"`
			StatusReason    string `json:"statusReason"`
			StatusErrorCode *int   `json:"statusErrorCode"`
		} `json:"items"`
	} `json:"recipients"`
}

// Send implements [delivery.Sender].
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	ctx, cancel := s.api.Bound(ctx)
	defer cancel()
	// MessageBird takes numbers without the +.
	rcpt := []string{strings.TrimPrefix(msg.To, "+")}
	var path string
	var body any
	switch msg.Channel {
	case delivery.SMS:
		path, body = "/messages", smsRequest{Originator: s.cfg.Originator, Recipients: rcpt, Body: msg.Body}
	case delivery.Voice:
		path, body = "/voicemessages", voiceRequest{Originator: s.cfg.Originator, Recipients: rcpt, Body: msg.Body,
			Language: s.cfg.Language, Voice: s.cfg.Voice, Repeat: s.cfg.Repeat, IfMachine: "continue"}
	default:
		return delivery.Receipt{}, fmt.Errorf("%s: %w: %q", Name, delivery.ErrUnsupported, msg.Channel)
	}
	var out message
	if _, err := s.api.Do(ctx, httpx.Request{Method: http.MethodPost, URL: s.api.URL(path), Body: body, Code: msg.Code, Texts: []string{msg.Body}}, &out); err != nil {
		return delivery.Receipt{}, err
	}
	if out.ID == "" {
		return delivery.Receipt{}, fmt.Errorf("%s: %w: no message id", Name, httpx.ErrUnreadable)
	}
	rc := delivery.Receipt{Provider: Name, ID: out.ID}
	if len(out.Recipients.Items) > 0 {
		rc.Status = out.Recipients.Items[0].Status
	}
	return rc, nil
}

var messageID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Status implements [delivery.StatusChecker].
func (s *Sender) Status(ctx context.Context, id string) (delivery.Report, error) {
	if !messageID.MatchString(id) {
		return delivery.Report{}, fmt.Errorf("%s: %q is not a MessageBird message id", Name, id)
	}
	ctx, cancel := s.api.Bound(ctx)
	defer cancel()
	var out message
	_, err := s.api.Do(ctx, httpx.Request{Method: http.MethodGet, URL: s.api.URL("/messages/" + id)}, &out)
	var pe *delivery.ProviderError
	if errors.As(err, &pe) && pe.HTTPStatus == http.StatusNotFound {
		_, err = s.api.Do(ctx, httpx.Request{Method: http.MethodGet, URL: s.api.URL("/voicemessages/" + id)}, &out)
	}
	if err != nil {
		return delivery.Report{}, err
	}
	if len(out.Recipients.Items) == 0 {
		return delivery.Report{}, fmt.Errorf("%s: %w: no recipient status", Name, httpx.ErrUnreadable)
	}
	item := out.Recipients.Items[0]
	st := delivery.Report{State: delivery.StatePending, Raw: item.Status}
	switch item.Status {
	case "delivered", "answered", "machine":
		st.State = delivery.StateDelivered
	case "delivery_failed", "expired", "failed", "busy":
		st.State = delivery.StateFailed
		st.Error = item.StatusReason
		if item.StatusErrorCode != nil && *item.StatusErrorCode != 0 {
			st.ErrorCode = strconv.Itoa(*item.StatusErrorCode)
		}
		if st.Error == "" {
			st.Error = "not delivered (" + item.Status + ")"
		}
	}
	return st, nil
}

// parseError reads {"errors": [{"code": 9, "description": "...", "parameter": "..."}]},
// or the {"errors": [{"code": 13, "message": "..."}]} of MessageBird's
// voice calling API.
func parseError(_ int, body []byte) *delivery.ProviderError {
	var out struct {
		Errors []struct {
			Code        int     `json:"code"`
			Description string  `json:"description"`
			Message     string  `json:"message"`
			Parameter   *string `json:"parameter"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &out) != nil || len(out.Errors) == 0 {
		return nil
	}
	e := out.Errors[0]
	if e.Description == "" {
		e.Description = e.Message
	}
	code := strconv.Itoa(e.Code)
	msg, known := codeMeanings[code]
	if !known {
		msg = e.Description
	}
	if e.Parameter != nil && *e.Parameter != "" && *e.Parameter != "access_key" {
		msg = fmt.Sprintf("%s (%s: %s)", msg, *e.Parameter, e.Description)
	}
	return &delivery.ProviderError{Code: code, Message: msg}
}
