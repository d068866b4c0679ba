package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/console"
	"github.com/otpkit/otpkit/delivery/messagebird"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/delivery/plivo"
	"github.com/otpkit/otpkit/delivery/telnyx"
	"github.com/otpkit/otpkit/delivery/twilio"
	"github.com/otpkit/otpkit/delivery/webhook"
	"github.com/otpkit/otpkit/otp"
)

// This file is the one place that turns provider names from the
// configuration into senders.

type outboxConfig struct {
	Path string `toml:"path"`
}

type twilioConfig struct {
	AccountSID          string    `toml:"account_sid"`
	AuthToken           string    `toml:"auth_token"`
	From                string    `toml:"from"`
	MessagingServiceSID string    `toml:"messaging_service_sid"`
	Voice               string    `toml:"voice"`
	Language            string    `toml:"language"`
	Loop                int       `toml:"loop"`
	BaseURL             string    `toml:"base_url"`
	Timeout             *duration `toml:"timeout"`
}

type telnyxConfig struct {
	APIKey             string    `toml:"api_key"`
	From               string    `toml:"from"`
	MessagingProfileID string    `toml:"messaging_profile_id"`
	TexmlApplicationID string    `toml:"texml_application_id"`
	AccountSID         string    `toml:"account_sid"`
	Voice              string    `toml:"voice"`
	Language           string    `toml:"language"`
	Loop               int       `toml:"loop"`
	BaseURL            string    `toml:"base_url"`
	Timeout            *duration `toml:"timeout"`
}

type plivoConfig struct {
	AuthID    string    `toml:"auth_id"`
	AuthToken string    `toml:"auth_token"`
	From      string    `toml:"from"`
	BaseURL   string    `toml:"base_url"`
	Timeout   *duration `toml:"timeout"`
}

type messageBirdConfig struct {
	AccessKey  string    `toml:"access_key"`
	Originator string    `toml:"originator"`
	Voice      string    `toml:"voice"`
	Language   string    `toml:"language"`
	Repeat     int       `toml:"repeat"`
	BaseURL    string    `toml:"base_url"`
	Timeout    *duration `toml:"timeout"`
}

type webhookConfig struct {
	URL     string    `toml:"url"`
	Secret  string    `toml:"secret"`
	Timeout *duration `toml:"timeout"`
}

// setting ties a field of a provider's Config, as a *delivery.ConfigError
// names it, to its key in the provider's section and to the environment
// variable that overrides the file.
type setting struct{ field, key, env string }

// providerSpec is how the otp command builds one provider.
type providerSpec struct {
	build    func(c *Config, env Env, storePath string) (delivery.Sender, error)
	settings []setting
	// voiceMissing, if set, returns the Config field that calls need and
	// the section lacks, or "".
	voiceMissing func(c *Config) string
	// noVoice: the provider cannot make calls.
	noVoice error
}

// providerNames lists the providers in the order the help gives them.
var providerNames = []string{"console", "outbox", "twilio", "telnyx", "plivo", "messagebird", "webhook"}

var providerSpecs = map[string]providerSpec{
	"console": {build: func(_ *Config, env Env, _ string) (delivery.Sender, error) { return console.New(env.Stderr), nil }},
	"outbox": {build: func(c *Config, env Env, storePath string) (delivery.Sender, error) {
		p := c.resolve(c.Delivery.Outbox.Path)
		if p == "" {
			p = filepath.Join(filepath.Dir(storePath), "outbox.jsonl")
		}
		return outbox.New(p, env.Now), nil
	}},
	"twilio": {
		build: func(c *Config, env Env, _ string) (delivery.Sender, error) {
			t := c.Delivery.Twilio
			return twilio.New(twilio.Config{
				AccountSID: env.override("TWILIO_ACCOUNT_SID", t.AccountSID), AuthToken: env.override("TWILIO_AUTH_TOKEN", t.AuthToken),
				From: t.From, MessagingServiceSID: t.MessagingServiceSID,
				Voice: t.Voice, Language: t.Language, Loop: t.Loop, BaseURL: t.BaseURL, Timeout: t.Timeout.value(),
			})
		},
		settings: []setting{
			{"AccountSID", "account_sid", "TWILIO_ACCOUNT_SID"}, {"AuthToken", "auth_token", "TWILIO_AUTH_TOKEN"},
			{"MessagingServiceSID", "messaging_service_sid", ""}, {"From", "from", ""},
			{"Voice", "voice", ""}, {"Language", "language", ""}, {"Loop", "loop", ""}, {"BaseURL", "base_url", ""},
		},
		voiceMissing: func(c *Config) string { return firstEmpty("From", c.Delivery.Twilio.From) },
	},
	"telnyx": {
		build: func(c *Config, env Env, _ string) (delivery.Sender, error) {
			t := c.Delivery.Telnyx
			return telnyx.New(telnyx.Config{
				APIKey: env.override("TELNYX_API_KEY", t.APIKey), From: t.From, MessagingProfileID: t.MessagingProfileID,
				AccountSID: t.AccountSID, TexmlApplicationID: t.TexmlApplicationID,
				Voice: t.Voice, Language: t.Language, Loop: t.Loop, BaseURL: t.BaseURL, Timeout: t.Timeout.value(),
			})
		},
		settings: []setting{
			{"APIKey", "api_key", "TELNYX_API_KEY"}, {"MessagingProfileID", "messaging_profile_id", ""}, {"From", "from", ""},
			{"TexmlApplicationID", "texml_application_id", ""}, {"AccountSID", "account_sid", ""},
			{"Voice", "voice", ""}, {"Language", "language", ""}, {"Loop", "loop", ""}, {"BaseURL", "base_url", ""},
		},
		voiceMissing: func(c *Config) string {
			t := c.Delivery.Telnyx
			return firstEmpty("From", t.From, "AccountSID", t.AccountSID, "TexmlApplicationID", t.TexmlApplicationID)
		},
	},
	"plivo": {
		build: func(c *Config, env Env, _ string) (delivery.Sender, error) {
			p := c.Delivery.Plivo
			return plivo.New(plivo.Config{
				AuthID: env.override("PLIVO_AUTH_ID", p.AuthID), AuthToken: env.override("PLIVO_AUTH_TOKEN", p.AuthToken),
				From: p.From, BaseURL: p.BaseURL, Timeout: p.Timeout.value(),
			})
		},
		settings: []setting{
			{"AuthID", "auth_id", "PLIVO_AUTH_ID"}, {"AuthToken", "auth_token", "PLIVO_AUTH_TOKEN"},
			{"From", "from", ""}, {"BaseURL", "base_url", ""},
		},
		noVoice: plivo.ErrVoice,
	},
	"messagebird": {
		build: func(c *Config, env Env, _ string) (delivery.Sender, error) {
			m := c.Delivery.MessageBird
			return messagebird.New(messagebird.Config{
				AccessKey: env.override("MESSAGEBIRD_ACCESS_KEY", m.AccessKey), Originator: m.Originator,
				Voice: m.Voice, Language: m.Language, Repeat: m.Repeat, BaseURL: m.BaseURL, Timeout: m.Timeout.value(),
			})
		},
		settings: []setting{
			{"AccessKey", "access_key", "MESSAGEBIRD_ACCESS_KEY"}, {"Originator", "originator", ""},
			{"Voice", "voice", ""}, {"Language", "language", ""}, {"Repeat", "repeat", ""}, {"BaseURL", "base_url", ""},
		},
	},
	"webhook": {
		build: func(c *Config, env Env, _ string) (delivery.Sender, error) {
			w := c.Delivery.Webhook
			// The signature's timestamp is the wall clock's, whatever clock the
			// command runs on: the receiver checks it against its own.
			return webhook.New(webhook.Config{URL: w.URL, Secret: env.override("OTP_WEBHOOK_SECRET", w.Secret), Timeout: w.Timeout.value()})
		},
		settings: []setting{{"URL", "url", ""}, {"Secret", "secret", "OTP_WEBHOOK_SECRET"}},
	},
}

// value returns the duration, or 0 (the default) when it is not set.
func (d *duration) value() time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}

// Providers returns the configured providers in order: [delivery]
// providers, else [delivery] provider, else console.
func (c *Config) Providers() ([]string, error) {
	d := c.Delivery
	if len(d.Providers) > 0 && d.Provider != "" {
		return nil, fmt.Errorf("%w: [delivery] set provider or providers, not both", ErrConfig)
	}
	names := d.Providers
	if len(names) == 0 {
		name := d.Provider
		if name == "" {
			name = "console"
		}
		if _, ok := providerSpecs[name]; !ok {
			return nil, fmt.Errorf("%w: [delivery] provider %q is not known (want %s)", ErrConfig, name, strings.Join(providerNames, ", "))
		}
		return []string{name}, nil
	}
	for i, name := range names {
		if _, ok := providerSpecs[name]; !ok {
			return nil, fmt.Errorf("%w: [delivery] providers: %q is not known (want %s)", ErrConfig, name, strings.Join(providerNames, ", "))
		}
		for _, prev := range names[:i] {
			if prev == name {
				return nil, fmt.Errorf("%w: [delivery] providers: %q is listed twice", ErrConfig, name)
			}
		}
	}
	return names, nil
}

// Routes builds the configured providers, to be tried in order with the
// same message (delivery.NewFailover). When the send may make calls (ch is
// voice or auto, or [delivery] fallback has voice), the settings calls need
// are checked before anything is sent.
func (c *Config) Routes(env Env, storePath string, ch delivery.Channel) ([]delivery.Route, error) {
	names, err := c.Providers()
	if err != nil {
		return nil, err
	}
	voice := ch == delivery.Voice || ch == otp.Auto
	for _, f := range c.Delivery.Fallback {
		voice = voice || f == string(delivery.Voice)
	}
	var routes []delivery.Route
	for _, name := range names {
		spec := providerSpecs[name]
		s, err := spec.build(c, env, storePath)
		if err != nil {
			return nil, spec.configError(name, env, err)
		}
		if voice && spec.voiceMissing != nil {
			if field := spec.voiceMissing(c); field != "" {
				return nil, spec.configError(name, env, &delivery.ConfigError{Provider: name, Field: field, Problem: "is required for voice calls"})
			}
		}
		if spec.noVoice != nil && ch == delivery.Voice && len(names) == 1 {
			return nil, fmt.Errorf("%w: channel voice: %s: %w", ErrConfig, name, spec.noVoice)
		}
		routes = append(routes, delivery.Route{Provider: name, Sender: s})
	}
	return routes, nil
}

// firstEmpty takes pairs of a name and a value and returns the first name
// whose value is empty, or "".
func firstEmpty(pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return pairs[i]
		}
	}
	return ""
}

// configError turns a provider's error from its New into a configuration
// error that names the setting as the file spells it, and the environment
// variable that can hold it.
func (spec providerSpec) configError(name string, env Env, err error) error {
	var ce *delivery.ConfigError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%w: [delivery.%s] %w", ErrConfig, name, err)
	}
	key, variable, problem := ce.Field, "", ce.Problem
	for _, s := range spec.settings {
		if s.field == ce.Field {
			key, variable = s.key, s.env
		}
		problem = regexp.MustCompile(`\b`+s.field+`\b`).ReplaceAllString(problem, s.key)
	}
	msg := fmt.Sprintf("[delivery.%s] %s %s", name, key, problem)
	switch {
	case variable != "" && env.Getenv(variable) != "":
		msg += " (from " + variable + ")"
	case variable != "":
		msg += " (or set " + variable + ")"
	}
	return fmt.Errorf("%w: %s", ErrConfig, msg)
}
