// Package webhook is a [delivery.Sender] that hands each message to your
// own HTTP endpoint, so any SMS gateway or in-house system can deliver
// otpkit's codes.
//
// # Request
//
// Each message is one POST to the configured URL with a JSON body
//
//	{"to":"+12015550123","channel":"sms","body":"Your otpkit code is 904117. ...","code":"904117"}
//
// (channel is "sms" or "voice"; for voice, body is the text to speak) and
// the headers
//
//	Content-Type: application/json
//	webhook-id: msg_<random>
//	webhook-timestamp: 1795338000
//	webhook-signature: v1,<base64>
//	X-Otpkit-Timestamp: 1795338000
//	X-Otpkit-Signature: sha256=<hex>
//
// The webhook-* headers follow Standard Webhooks (see [SignStandard]);
// the X-Otpkit-* headers are the older scheme, still sent for one minor
// release so existing receivers keep working (see docs/webhooks.md).
//
// Any 2xx answer means accepted. The answer may be JSON {"id": "..."},
// whose id becomes the message id; otherwise otpkit makes one up. Other
// answers are errors (429 and 5xx are retried, with the same body, the
// same timestamp and the same signature).
//
// # Signature
//
// webhook-signature is Standard Webhooks' "v1," and the base64
// HMAC-SHA256 of <webhook-id> + "." + <timestamp> + "." + <the exact
// request body bytes> ([SignStandard]); X-Otpkit-Signature is "sha256="
// and the hex HMAC-SHA256, under the configured secret, of
//
//	<timestamp> + "." + <the exact request body bytes>
//
// ([Sign]). Receivers must check a signature before trusting the request,
// and reject timestamps far from their clock, which stops a captured
// request from being replayed later. [Verify] does both:
//
//	body, _ := io.ReadAll(r.Body)
//	if err := webhook.Verify(secret, r.Header, body); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//
// The body carries the code in clear: use an https URL.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/httpx"
	"github.com/otpkit/otpkit/delivery/internal/msgid"
)

// Name is the provider's name in configuration, receipts and errors.
const Name = "webhook"

// The headers of the older X-Otpkit scheme ([Sign]), still sent beside
// the Standard Webhooks ones for one minor release.
const (
	SignatureHeader = "X-Otpkit-Signature"
	TimestampHeader = "X-Otpkit-Timestamp"
)

// MinSecretLength is the least length of Config.Secret.
const MinSecretLength = 16

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock in [Verify].
const DefaultTolerance = 5 * time.Minute

// Config configures a [Sender]. URL and Secret are required.
type Config struct {
	URL    string `toml:"url"`                                           // the endpoint, http or https
	Secret string `toml:"secret" env:"OTP_WEBHOOK_SECRET" secret:"true"` // the HMAC key shared with the receiver; at least 16 bytes

	Timeout   time.Duration        `toml:"timeout"` // for one Send, retries included; default 30s
	Retry     delivery.RetryPolicy // retries of 429, 5xx and connection errors; zero: the defaults
	Transport http.RoundTripper    // nil: http.DefaultTransport
	// Now returns the current time, for the timestamp; default time.Now.
	Now func() time.Time
}

// Sender posts messages to a URL. It is safe for concurrent use.
type Sender struct {
	cfg     Config
	url     string
	timeout time.Duration
	api     *httpx.Caller
}

var _ delivery.Sender = (*Sender)(nil)

// New checks cfg and returns a Sender. Errors are [*delivery.ConfigError]
// naming the field.
func New(cfg Config) (*Sender, error) {
	if cfg.URL == "" {
		return nil, &delivery.ConfigError{Provider: Name, Field: "URL", Problem: "is required"}
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &delivery.ConfigError{Provider: Name, Field: "URL", Problem: "must be an http(s) URL"}
	}
	switch {
	case cfg.Secret == "":
		return nil, &delivery.ConfigError{Provider: Name, Field: "Secret", Problem: "is required"}
	case len(cfg.Secret) < MinSecretLength:
		return nil, &delivery.ConfigError{Provider: Name, Field: "Secret", Problem: fmt.Sprintf("must be at least %d bytes", MinSecretLength)}
	}
	key, ok := secretKey(cfg.Secret)
	switch {
	case !ok:
		return nil, &delivery.ConfigError{Provider: Name, Field: "Secret", Problem: "starts with whsec_ but is not base64"}
	case len(key) < MinSecretLength:
		return nil, &delivery.ConfigError{Provider: Name, Field: "Secret", Problem: fmt.Sprintf("must be at least %d bytes once decoded", MinSecretLength)}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sender{cfg: cfg, url: u.String(), timeout: httpx.Timeout(cfg.Timeout)}
	s.api = &httpx.Caller{
		Provider: Name,
		Client:   httpx.NewClient(cfg.Retry, cfg.Transport),
		Prepare: func(r *http.Request, body []byte) {
			ts := strconv.FormatInt(cfg.Now().Unix(), 10)
			r.Header.Set(TimestampHeader, ts)
			r.Header.Set(SignatureHeader, Sign(cfg.Secret, ts, body))
			id := msgid.New("msg_")
			r.Header.Set(IDHeader, id)
			r.Header.Set(StandardTimestampHeader, ts)
			r.Header.Set(StandardSignatureHeader, "v1,"+base64.StdEncoding.EncodeToString(signStandard(key, id, ts, body)))
		},
		ParseError: parseError,
		Secrets:    []string{cfg.Secret},
	}
	return s, nil
}

// Payload is the JSON body of a webhook request.
type Payload struct {
	To      string           `json:"to"`
	Channel delivery.Channel `json:"channel"`
	Body    string           `json:"body"`
	Code    string           `json:"code"`
}

// Send implements [delivery.Sender].
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	if msg.Channel != delivery.SMS && msg.Channel != delivery.Voice {
		return delivery.Receipt{}, fmt.Errorf("%s: %w: %q", Name, delivery.ErrUnsupported, msg.Channel)
	}
	body, err := json.Marshal(Payload{To: msg.To, Channel: msg.Channel, Body: msg.Body, Code: msg.Code})
	if err != nil {
		return delivery.Receipt{}, fmt.Errorf("%s: %w", Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var out json.RawMessage
	if _, err := s.api.Do(ctx, httpx.Request{Method: http.MethodPost, URL: s.url, Body: body, Code: msg.Code, Texts: []string{msg.Body}}, &out); err != nil && !errors.Is(err, httpx.ErrUnreadable) {
		return delivery.Receipt{}, err
	}
	// The answer is optional: a JSON object with an id, or anything else.
	var ans struct {
		ID     any    `json:"id"`
		Status string `json:"status"`
	}
	id := ""
	if json.Unmarshal(out, &ans) == nil {
		switch v := ans.ID.(type) {
		case string:
			id = v
		case float64:
			id = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	if id == "" {
		id = msgid.New("webhook-")
	}
	status := ans.Status
	if status == "" {
		status = "accepted"
	}
	return delivery.Receipt{Provider: Name, ID: id, Status: status}, nil
}

// parseError keeps the first line of a refusal's body, if it is text.
func parseError(status int, body []byte) *delivery.ProviderError {
	var j struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body, &j) == nil {
		msg = j.Error
		if msg == "" {
			msg = j.Message
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && !strings.HasPrefix(s, "<") {
		msg, _, _ = strings.Cut(s, "\n")
	}
	if msg == "" {
		return nil
	}
	return &delivery.ProviderError{Message: httpx.StatusMeaning(status) + ": " + msg}
}

// Sign returns the signature header value for a timestamp and body:
// "sha256=" and the hex HMAC-SHA256 of timestamp + "." + body under secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of [Verify].
var (
	// ErrNoSignature is returned when the signature or timestamp header is missing or malformed.
	ErrNoSignature = errors.New("webhook: missing or malformed signature headers")
	// ErrBadSignature is returned when the signature does not match the body.
	ErrBadSignature = errors.New("webhook: signature does not match")
	// ErrStale is returned when the timestamp is too far from the receiver's clock.
	ErrStale = errors.New("webhook: timestamp too old or in the future")
	// ErrShortSecret is returned when the receiver's secret is shorter than
	// [MinSecretLength] (an unset variable, say): no request is accepted.
	ErrShortSecret = errors.New("webhook: secret shorter than 16 bytes")
)

// Verify checks a webhook request for receivers: the Standard Webhooks
// signature (webhook-signature over webhook-id, webhook-timestamp and the
// body) when the request has one, else the older X-Otpkit-Signature over
// X-Otpkit-Timestamp and the body; compared in constant time, and the
// timestamp within [DefaultTolerance] of now.
// body must be the exact bytes received. A secret shorter than
// [MinSecretLength] fails with [ErrShortSecret], as [New] refuses it.
func Verify(secret string, header http.Header, body []byte) error {
	return VerifyAt(secret, header, body, time.Now(), DefaultTolerance)
}

// VerifyAt is [Verify] at a given time with a given tolerance.
func VerifyAt(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, ok := secretKey(secret)
	if len(secret) < MinSecretLength || !ok || len(key) < MinSecretLength {
		return ErrShortSecret
	}
	if header.Get(StandardSignatureHeader) != "" {
		return verifyStandard(key, header, body, now, tolerance)
	}
	ts, sig := header.Get(TimestampHeader), header.Get(SignatureHeader)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !strings.HasPrefix(sig, "sha256=") {
		return ErrNoSignature
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(sig)) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(secs, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
