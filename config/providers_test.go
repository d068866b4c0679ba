package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/console"
	"github.com/otpkit/otpkit/delivery/messagebird"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/delivery/plivo"
	"github.com/otpkit/otpkit/delivery/telnyx"
	"github.com/otpkit/otpkit/delivery/twilio"
	"github.com/otpkit/otpkit/delivery/webhook"
)

// buildRoutes loads a configuration from text and builds its providers
// with the environment env.
func buildRoutes(t *testing.T, text string, env map[string]string, ch delivery.Channel) ([]delivery.Route, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "otp.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e := Env{Getenv: func(k string) string { return env[k] }, Now: time.Now, Stderr: io.Discard}
	return cfg.Routes(e, filepath.Join(t.TempDir(), "otp.db"), ch)
}

type providerTest struct {
	name   string
	config string
	env    map[string]string
	check  func(delivery.Sender) bool
}

// providerTests are the cases of TestProviders, one per registered
// provider by its name ("default" builds console); TestRegistry checks that
// every registered provider has one.
var providerTests = []providerTest{
	{"default", "", nil, func(s delivery.Sender) bool { _, ok := s.(*console.Sender); return ok }},
	{"outbox", "[delivery]\nprovider = \"outbox\"", nil, func(s delivery.Sender) bool { _, ok := s.(*outbox.Sender); return ok }},
	{"twilio", "[delivery]\nprovider = \"twilio\"\n[delivery.twilio]\nfrom = \"+12015550100\"",
		map[string]string{"TWILIO_ACCOUNT_SID": "AC0123", "TWILIO_AUTH_TOKEN": "abc"}, func(s delivery.Sender) bool { _, ok := s.(*twilio.Sender); return ok }},
	{"telnyx", "[delivery]\nprovider = \"telnyx\"\n[delivery.telnyx]\nfrom = \"+12015550100\"",
		map[string]string{"TELNYX_API_KEY": "KEY1"}, func(s delivery.Sender) bool { _, ok := s.(*telnyx.Sender); return ok }},
	{"plivo", "[delivery]\nprovider = \"plivo\"\n[delivery.plivo]\nfrom = \"+12015550100\"\nauth_id = \"MAODUMMYAUTHID000001\"",
		map[string]string{"PLIVO_AUTH_TOKEN": "t"}, func(s delivery.Sender) bool { _, ok := s.(*plivo.Sender); return ok }},
	{"messagebird", "[delivery]\nprovider = \"messagebird\"\n[delivery.messagebird]\noriginator = \"otpkit\"",
		map[string]string{"MESSAGEBIRD_ACCESS_KEY": "live_x"}, func(s delivery.Sender) bool { _, ok := s.(*messagebird.Sender); return ok }},
	{"webhook", "[delivery]\nprovider = \"webhook\"\n[delivery.webhook]\nurl = \"https://example.com/otp\"",
		map[string]string{"OTP_WEBHOOK_SECRET": "0123456789abcdef"}, func(s delivery.Sender) bool { _, ok := s.(*webhook.Sender); return ok }},
}

func TestProviders(t *testing.T) {
	t.Parallel()
	for _, tt := range providerTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			routes, err := buildRoutes(t, tt.config, tt.env, delivery.SMS)
			if err != nil {
				t.Fatal(err)
			}
			if len(routes) != 1 || !tt.check(routes[0].Sender) {
				t.Errorf("routes %+v", routes)
			}
		})
	}
}

func TestProviderConfigErrors(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t value!"
	tests := []struct {
		name   string
		config string
		env    map[string]string
		ch     delivery.Channel
		want   string
	}{
		{"twilio sid", "[delivery]\nprovider = \"twilio\"", nil, delivery.SMS,
			"[delivery.twilio] account_sid is required (or set TWILIO_ACCOUNT_SID)"},
		{"twilio sender", "[delivery]\nprovider = \"twilio\"", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "a"}, delivery.SMS,
			"[delivery.twilio] from or messaging_service_sid is required"},
		{"twilio bad token from the environment", "[delivery]\nprovider = \"twilio\"", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": secret}, delivery.SMS,
			"[delivery.twilio] auth_token must contain only letters and digits (from TWILIO_AUTH_TOKEN)"},
		{"twilio voice without from", "[delivery]\nprovider = \"twilio\"\n[delivery.twilio]\nmessaging_service_sid = \"MG1\"", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "a"},
			delivery.Auto, "[delivery.twilio] from is required for voice calls"},
		{"telnyx voice by fallback", "[delivery]\nprovider = \"telnyx\"\nfallback = [\"voice\"]\n[delivery.telnyx]\nfrom = \"+12015550100\"\naccount_sid = \"a\"", map[string]string{"TELNYX_API_KEY": "k"},
			delivery.SMS, "[delivery.telnyx] texml_application_id is required for voice calls"},
		{"telnyx sms needs no texml", "[delivery]\nprovider = \"telnyx\"\n[delivery.telnyx]\nfrom = \"+12015550100\"", map[string]string{"TELNYX_API_KEY": "k"},
			delivery.SMS, ""},
		{"plivo voice", "[delivery]\nprovider = \"plivo\"\n[delivery.plivo]\nauth_id = \"MAODUMMYAUTHID000001\"\nauth_token = \"t\"\nfrom = \"+12015550100\"", nil,
			delivery.Voice, "channel voice: plivo: channel not supported by this provider: voice through Plivo needs an answer_url"},
		{"plivo voice with another provider", "[delivery]\nproviders = [\"plivo\", \"console\"]\n[delivery.plivo]\nauth_id = \"MAODUMMYAUTHID000001\"\nauth_token = \"t\"\nfrom = \"+12015550100\"", nil,
			delivery.Voice, ""},
		{"messagebird key", "[delivery]\nprovider = \"messagebird\"", nil, delivery.SMS,
			"[delivery.messagebird] access_key is required (or set MESSAGEBIRD_ACCESS_KEY)"},
		{"messagebird voice", "[delivery]\nprovider = \"messagebird\"\n[delivery.messagebird]\noriginator = \"o\"\nvoice = \"robot\"", map[string]string{"MESSAGEBIRD_ACCESS_KEY": "k"}, delivery.SMS,
			`[delivery.messagebird] voice must be "female" or "male"`},
		{"webhook secret", "[delivery]\nprovider = \"webhook\"\n[delivery.webhook]\nurl = \"https://example.com\"\nsecret = \"short\"", nil, delivery.SMS,
			"[delivery.webhook] secret must be at least 16 bytes (or set OTP_WEBHOOK_SECRET)"},
		{"base_url", "[delivery]\nprovider = \"telnyx\"\n[delivery.telnyx]\nfrom = \"+1\"\nbase_url = \"ftp://x\"", map[string]string{"TELNYX_API_KEY": "k"}, delivery.SMS,
			"[delivery.telnyx] base_url"},
		{"unknown", "[delivery]\nproviders = [\"console\", \"pigeon\"]", nil, delivery.SMS,
			`[delivery] providers: "pigeon" is not known (want ` + strings.Join(registeredNames(), ", ") + `)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := buildRoutes(t, tt.config, tt.env, tt.ch)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			if msg := strings.TrimPrefix(err.Error(), "config: "); !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error %q, want %q", msg, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// registeredNames are the registered providers' names, in order.
func registeredNames() []string {
	var names []string
	for _, p := range Registered() {
		names = append(names, p.Name())
	}
	return names
}

// TestRegistry checks every registered provider's settings: keys are
// unique in their section, a secret can come from the environment, and
// TestProviders builds each provider.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Registered() {
		if seen[p.Name()] {
			t.Errorf("provider %q is registered twice", p.Name())
		}
		if p.Name() == "locales" {
			t.Errorf("provider %q would share [delivery.locales] with the locale tables", p.Name())
		}
		seen[p.Name()] = true
		keys := map[string]bool{}
		for _, s := range Settings(p) {
			if keys[s.Key] {
				t.Errorf("[delivery.%s] %s: two fields have this key", p.Name(), s.Key)
			}
			keys[s.Key] = true
			if s.Secret && s.Env == "" {
				t.Errorf("[delivery.%s] %s is a secret but no environment variable can hold it", p.Name(), s.Key)
			}
		}
		if !slices.ContainsFunc(providerTests, func(tt providerTest) bool {
			return tt.name == p.Name() || tt.name == "default" && p.Name() == "console"
		}) {
			t.Errorf("TestProviders has no case for %q", p.Name())
		}
	}
}

// TestProviderConfig checks that a section's values, durations and
// relative paths included, reach the provider's Config, and that an
// environment variable overrides the file.
func TestProviderConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "otp.toml")
	const file = "[delivery.twilio]\naccount_sid = \"ACfile\"\nfrom = \"+12015550100\"\nloop = 3\ntimeout = \"7s\"\n[delivery.outbox]\npath = \"out/box.jsonl\"\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Getenv: func(k string) string { return map[string]string{"TWILIO_ACCOUNT_SID": "ACenv"}[k] }}
	got, err := cfg.ProviderConfig("twilio", env)
	if err != nil {
		t.Fatal(err)
	}
	tw := got.(*twilio.Config)
	if tw.AccountSID != "ACenv" || tw.From != "+12015550100" || tw.Loop != 3 || tw.Timeout != 7*time.Second || tw.AuthToken != "" {
		t.Errorf("twilio config %+v", *tw)
	}
	ob, err := cfg.ProviderConfig("outbox", env)
	if err != nil {
		t.Fatal(err)
	}
	if p := ob.(*outbox.Config).Path; p != filepath.Join(dir, "out", "box.jsonl") {
		t.Errorf("outbox path %q, want it relative to the file", p)
	}
	if _, err := cfg.ProviderConfig("pigeon", env); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown provider: %v", err)
	}
}
