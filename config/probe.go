package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery/plivo"
	"github.com/otpkit/otpkit/delivery/twilio"
	"github.com/otpkit/otpkit/probe"
)

// ProbeSection is [probe]: how otp probe checks a route (see
// config.example.toml and docs/probe.md).
type ProbeSection struct {
	Template  string             `toml:"template"`   // default probe.DefaultTemplate
	Receive   string             `toml:"receive"`    // "twilio" (default) or "webhook"
	Listen    string             `toml:"listen"`     // webhook: host:port to listen on
	PublicURL string             `toml:"public_url"` // webhook: the URL the providers post to, as they sign it
	Twilio    ProbeTwilioSection `toml:"twilio"`
	Telnyx    ProbeTelnyxSection `toml:"telnyx"`
	Plivo     ProbePlivoSection  `toml:"plivo"`
	// MessageBird is [probe.messagebird]: the signing key (not the API key)
	// that checks MessageBird's signed webhooks.
	MessageBird ProbeMessageBirdSection `toml:"messagebird"`
}

// ProbeMessageBirdSection is [probe.messagebird].
type ProbeMessageBirdSection struct {
	SigningKey string `toml:"signing_key"`
}

// ProbePlivoSection is [probe.plivo]: the auth token that checks Plivo's
// signed message webhooks (default [delivery.plivo]'s).
type ProbePlivoSection struct {
	AuthToken string `toml:"auth_token"`
}

// ProbeTwilioSection is [probe.twilio]: the account whose numbers receive
// the probes. Unset keys default to [delivery.twilio]'s.
type ProbeTwilioSection struct {
	AccountSID string `toml:"account_sid"`
	AuthToken  string `toml:"auth_token"`
	BaseURL    string `toml:"base_url"`
}

// ProbeTelnyxSection is [probe.telnyx]: the public key that checks Telnyx's
// signed webhooks.
type ProbeTelnyxSection struct {
	PublicKey string `toml:"public_key"` // base64 Ed25519 public key (Telnyx portal: Keys & Credentials)
}

// The receivers [probe] receive may name.
const (
	ReceiveTwilio  = "twilio"
	ReceiveWebhook = "webhook"
)

// Probe is the checked [probe] section: what otp probe needs to build its
// receiver.
type Probe struct {
	Template string // the probe text's template, checked (probe.CheckTemplate)
	Receive  string // ReceiveTwilio or ReceiveWebhook
	// Twilio is the receiving Twilio account (twilio: the Messages list;
	// webhook: the auth token that checks X-Twilio-Signature).
	Twilio probe.TwilioReceiver
	// Listen and PublicURL are the webhook listener's address and the URL
	// prefix the providers post to (default "http://" + Listen).
	Listen, PublicURL string
	TelnyxPublicKey   ed25519.PublicKey // nil: Telnyx webhooks are refused
	PlivoAuthToken    string            // "": Plivo webhooks are refused
	MessageBirdKey    string            // "": MessageBird webhooks are refused
}

// ProbeSettings checks the [probe] section and fills in its defaults: credentials
// and base URL from [delivery.twilio] (and its environment variables) when
// [probe.twilio] leaves them out.
func (c *Config) ProbeSettings(env Env) (Probe, error) {
	s := c.Probe
	p := Probe{Template: s.Template, Receive: s.Receive, Listen: s.Listen, PublicURL: s.PublicURL}
	if p.Template == "" {
		p.Template = probe.DefaultTemplate
	}
	if err := probe.CheckTemplate(p.Template); err != nil {
		// One prefix: the key, not the probe package's "probe template" too.
		return p, fmt.Errorf("%w: [probe] template: %s", ErrConfig, strings.TrimPrefix(err.Error(), probe.ErrTemplate.Error()+": "))
	}
	if p.Receive == "" {
		p.Receive = ReceiveTwilio
	}
	cfg, err := c.ProviderConfig(twilio.Name, env)
	if err != nil {
		return p, err
	}
	d := cfg.(*twilio.Config)
	p.Twilio = probe.TwilioReceiver{AccountSID: s.Twilio.AccountSID, AuthToken: s.Twilio.AuthToken, BaseURL: s.Twilio.BaseURL}
	if p.Twilio.AccountSID == "" {
		p.Twilio.AccountSID = d.AccountSID
	}
	if p.Twilio.AuthToken == "" {
		p.Twilio.AuthToken = d.AuthToken
	}
	if p.Twilio.BaseURL == "" {
		p.Twilio.BaseURL = d.BaseURL
	}
	switch p.Receive {
	case ReceiveTwilio:
		if p.Twilio.AccountSID == "" || p.Twilio.AuthToken == "" {
			return p, fmt.Errorf("%w: [probe] receive = \"twilio\" needs [probe.twilio] account_sid and auth_token (default: [delivery.twilio]'s, or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)", ErrConfig)
		}
	case ReceiveWebhook:
		if p.Listen == "" {
			return p, fmt.Errorf("%w: [probe] listen is required with receive = \"webhook\" (e.g. \"127.0.0.1:8089\")", ErrConfig)
		}
		if _, _, err := net.SplitHostPort(p.Listen); err != nil {
			return p, fmt.Errorf("%w: [probe] listen %q: want host:port", ErrConfig, p.Listen)
		}
		if p.PublicURL == "" {
			p.PublicURL = "http://" + p.Listen
		}
		if k := s.Telnyx.PublicKey; k != "" {
			raw, err := base64.StdEncoding.DecodeString(k)
			if err != nil || len(raw) != ed25519.PublicKeySize {
				return p, fmt.Errorf("%w: [probe.telnyx] public_key: want the base64 of a %d-byte Ed25519 public key", ErrConfig, ed25519.PublicKeySize)
			}
			p.TelnyxPublicKey = raw
		}
		p.PlivoAuthToken = s.Plivo.AuthToken
		if p.PlivoAuthToken == "" {
			pc, err := c.ProviderConfig(plivo.Name, env)
			if err != nil {
				return p, err
			}
			p.PlivoAuthToken = pc.(*plivo.Config).AuthToken
		}
		p.MessageBirdKey = s.MessageBird.SigningKey
		if p.Twilio.AuthToken == "" && p.TelnyxPublicKey == nil && p.PlivoAuthToken == "" && p.MessageBirdKey == "" {
			return p, fmt.Errorf("%w: [probe] receive = \"webhook\" needs a key to check signatures: [probe.twilio] auth_token (or [delivery.twilio]'s), [probe.telnyx] public_key, [probe.plivo] auth_token (or [delivery.plivo]'s) or [probe.messagebird] signing_key", ErrConfig)
		}
	default:
		return p, fmt.Errorf("%w: [probe] receive %q is not known (want twilio or webhook)", ErrConfig, p.Receive)
	}
	return p, nil
}

// WebhookReceiver returns the listener's handler for receive = "webhook".
func (p Probe) WebhookReceiver(now func() time.Time) *probe.WebhookReceiver {
	return &probe.WebhookReceiver{PublicURL: p.PublicURL, TwilioAuthToken: p.Twilio.AuthToken, TelnyxPublicKey: p.TelnyxPublicKey, PlivoAuthToken: p.PlivoAuthToken, MessageBirdSigningKey: p.MessageBirdKey, Now: now}
}

// ProbeSender returns the sender a provider's probes should arrive from:
// its from (or originator) setting, "" when it has none (a pool of
// senders, such as a Twilio Messaging Service), so the sender is not
// checked.
func (c *Config) ProbeSender(provider string, env Env) string {
	p, ok := lookupProvider(provider)
	if !ok {
		return ""
	}
	cfg, err := c.ProviderConfig(provider, env)
	if err != nil {
		return ""
	}
	v := reflect.ValueOf(cfg).Elem()
	for _, s := range Settings(p) {
		if s.Key == "from" || s.Key == "originator" {
			if f := v.FieldByIndex(s.field.Index); f.Kind() == reflect.String {
				return f.String()
			}
		}
	}
	return ""
}
