package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadText(t *testing.T, text string) *Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "otp.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestProbeSettings(t *testing.T) {
	env := Env{Getenv: func(k string) string {
		if k == "TWILIO_AUTH_TOKEN" {
			return "tok-from-env"
		}
		return ""
	}}
	// [probe.twilio] defaults to [delivery.twilio] and its environment.
	p, err := loadText(t, "[delivery.twilio]\naccount_sid = \"AC1\"\nbase_url = \"http://127.0.0.1:1\"\n").ProbeSettings(env)
	if err != nil || p.Receive != ReceiveTwilio || p.Twilio.AccountSID != "AC1" || p.Twilio.AuthToken != "tok-from-env" ||
		p.Twilio.BaseURL != "http://127.0.0.1:1" || p.Template != "otpkit route check {{.Nonce}}" {
		t.Fatalf("defaults: %+v, %v", p, err)
	}
	p, err = loadText(t, "[delivery.twilio]\naccount_sid = \"AC1\"\n[probe.twilio]\naccount_sid = \"AC2\"\nauth_token = \"t2\"\n").ProbeSettings(env)
	if err != nil || p.Twilio.AccountSID != "AC2" || p.Twilio.AuthToken != "t2" {
		t.Fatalf("own account: %+v, %v", p, err)
	}
	p, err = loadText(t, "[probe]\nreceive = \"webhook\"\nlisten = \"127.0.0.1:8089\"\n").ProbeSettings(env)
	if err != nil || p.PublicURL != "http://127.0.0.1:8089" {
		t.Fatalf("webhook: %+v, %v", p, err)
	}
	noEnv := Env{Getenv: func(string) string { return "" }}
	for text, want := range map[string]string{
		"[probe]\ntemplate = \"Your code is 123456 {{.Nonce}}\"\n":                                `config: [probe] template: "Your code is 123456 {{.Nonce}}" looks like a one-time code`,
		"[probe]\ntemplate = \"check\"\n":                                                         "config: [probe] template: the text must contain {{.Nonce}}",
		"[probe]\nreceive = \"carrier-pigeon\"\n":                                                 `config: [probe] receive "carrier-pigeon" is not known (want twilio or webhook)`,
		"[probe]\nreceive = \"webhook\"\n":                                                        `config: [probe] listen is required with receive = "webhook"`,
		"[probe]\nreceive = \"webhook\"\nlisten = \"8089\"\n":                                     `config: [probe] listen "8089": want host:port`,
		"[probe]\nreceive = \"webhook\"\nlisten = \":1\"\n":                                       `config: [probe] receive = "webhook" needs a key to check signatures`,
		"[probe.twilio]\naccount_sid = \"AC1\"\n":                                                 `config: [probe] receive = "twilio" needs [probe.twilio] account_sid and auth_token`,
		"[probe]\nreceive = \"webhook\"\nlisten = \":1\"\n[probe.telnyx]\npublic_key = \"abc\"\n": "config: [probe.telnyx] public_key: want the base64 of a 32-byte Ed25519 public key",
	} {
		_, err := loadText(t, text).ProbeSettings(noEnv)
		if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrConfig) {
			t.Errorf("%q: got %v, want %q...", text, err, want)
		}
	}
}

func TestProbeSender(t *testing.T) {
	cfg := loadText(t, "[delivery.twilio]\nfrom = \"+12015550100\"\n[delivery.messagebird]\noriginator = \"acme\"\n")
	env := Env{Getenv: func(string) string { return "" }}
	for provider, want := range map[string]string{"twilio": "+12015550100", "messagebird": "acme", "telnyx": "", "console": "", "nope": ""} {
		if got := cfg.ProbeSender(provider, env); got != want {
			t.Errorf("%s: %q, want %q", provider, got, want)
		}
	}
}
