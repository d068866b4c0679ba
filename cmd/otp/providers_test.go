package main

import (
	"errors"
	"os"
	"path/filepath"
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
	"github.com/otpkit/otpkit/otp"
)

// buildSender loads a configuration from text and builds its providers
// with the environment env.
func buildSender(t *testing.T, text string, env map[string]string, plan sendPlan) (*delivery.Failover, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "otp.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(nil, nil, nil, func(k string) string { return env[k] }, time.Now)
	return cfg.sender(a, filepath.Join(t.TempDir(), "otp.db"), plan)
}

func TestProviders(t *testing.T) {
	t.Parallel()
	sms := sendPlan{channel: delivery.SMS}
	tests := []struct {
		name   string
		config string
		env    map[string]string
		check  func(delivery.Sender) bool
	}{
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := buildSender(t, tt.config, tt.env, sms)
			if err != nil {
				t.Fatal(err)
			}
			if s := f.Senders(); len(s) != 1 || !tt.check(s[0]) {
				t.Errorf("senders %T", s)
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
		plan   sendPlan
		want   string
	}{
		{"twilio sid", "[delivery]\nprovider = \"twilio\"", nil, sendPlan{channel: delivery.SMS},
			"[delivery.twilio] account_sid is required (or set TWILIO_ACCOUNT_SID)"},
		{"twilio sender", "[delivery]\nprovider = \"twilio\"", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "a"}, sendPlan{channel: delivery.SMS},
			"[delivery.twilio] from or messaging_service_sid is required"},
		{"twilio bad token from the environment", "[delivery]\nprovider = \"twilio\"", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": secret}, sendPlan{channel: delivery.SMS},
			"[delivery.twilio] auth_token must contain only letters and digits (from TWILIO_AUTH_TOKEN)"},
		{"twilio voice without from", "[delivery]\nprovider = \"twilio\"\n[delivery.twilio]\nmessaging_service_sid = \"MG1\"", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "a"},
			sendPlan{channel: otp.Auto}, "[delivery.twilio] from is required for voice calls"},
		{"telnyx voice by fallback", "[delivery]\nprovider = \"telnyx\"\nfallback = [\"voice\"]\n[delivery.telnyx]\nfrom = \"+12015550100\"\naccount_sid = \"a\"", map[string]string{"TELNYX_API_KEY": "k"},
			sendPlan{channel: delivery.SMS}, "[delivery.telnyx] texml_application_id is required for voice calls"},
		{"telnyx sms needs no texml", "[delivery]\nprovider = \"telnyx\"\n[delivery.telnyx]\nfrom = \"+12015550100\"", map[string]string{"TELNYX_API_KEY": "k"},
			sendPlan{channel: delivery.SMS}, ""},
		{"plivo voice", "[delivery]\nprovider = \"plivo\"\n[delivery.plivo]\nauth_id = \"MAODUMMYAUTHID000001\"\nauth_token = \"t\"\nfrom = \"+12015550100\"", nil,
			sendPlan{channel: delivery.Voice}, "channel voice: plivo: channel not supported by this provider: voice through Plivo needs an answer_url"},
		{"plivo voice with another provider", "[delivery]\nproviders = [\"plivo\", \"console\"]\n[delivery.plivo]\nauth_id = \"MAODUMMYAUTHID000001\"\nauth_token = \"t\"\nfrom = \"+12015550100\"", nil,
			sendPlan{channel: delivery.Voice}, ""},
		{"messagebird key", "[delivery]\nprovider = \"messagebird\"", nil, sendPlan{channel: delivery.SMS},
			"[delivery.messagebird] access_key is required (or set MESSAGEBIRD_ACCESS_KEY)"},
		{"messagebird voice", "[delivery]\nprovider = \"messagebird\"\n[delivery.messagebird]\noriginator = \"o\"\nvoice = \"robot\"", map[string]string{"MESSAGEBIRD_ACCESS_KEY": "k"}, sendPlan{channel: delivery.SMS},
			`[delivery.messagebird] voice must be "female" or "male"`},
		{"webhook secret", "[delivery]\nprovider = \"webhook\"\n[delivery.webhook]\nurl = \"https://example.com\"\nsecret = \"short\"", nil, sendPlan{channel: delivery.SMS},
			"[delivery.webhook] secret must be at least 16 bytes (or set OTP_WEBHOOK_SECRET)"},
		{"base_url", "[delivery]\nprovider = \"telnyx\"\n[delivery.telnyx]\nfrom = \"+1\"\nbase_url = \"ftp://x\"", map[string]string{"TELNYX_API_KEY": "k"}, sendPlan{channel: delivery.SMS},
			"[delivery.telnyx] base_url"},
		{"wait with a webhook", "[delivery]\nproviders = [\"console\", \"webhook\"]\n[delivery.webhook]\nurl = \"https://example.com\"\nsecret = \"0123456789abcdef\"", nil,
			sendPlan{channel: delivery.SMS, wait: true}, "--wait: the webhook provider cannot look up delivery status"},
		{"unknown", "[delivery]\nproviders = [\"console\", \"pigeon\"]", nil, sendPlan{channel: delivery.SMS},
			`[delivery] providers: "pigeon" is not known (want console, outbox, twilio, telnyx, plivo, messagebird, webhook)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := buildSender(t, tt.config, tt.env, tt.plan)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if code, _ := classify(err); code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if msg := errorMessage(err); !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error %q, want %q", msg, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

func TestWorse(t *testing.T) {
	t.Parallel()
	order := []int{exitOK, exitLocked, exitRateLimited, exitUndelivered, exitDelivery, exitUsage, exitStore}
	for i, a := range order {
		for j, b := range order {
			want := a
			if j > i {
				want = b
			}
			if got := worse(a, b); got != want {
				t.Errorf("worse(%d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "numbers.txt")
	os.WriteFile(path, []byte("# routes\n+12015550101\n\n  +1 201 555 0102   # office\n"), 0o600)
	a := newApp(strings.NewReader("+12015550103\n"), nil, nil, func(string) string { return "" }, time.Now)
	got, err := a.targets(&sendOptions{to: []string{"+12015550100"}, toFile: path})
	if err != nil {
		t.Fatal(err)
	}
	want := []target{{raw: "+12015550100"}, {raw: "+12015550101", where: path + ":2"}, {raw: "+1 201 555 0102", where: path + ":4"}}
	if len(got) != len(want) {
		t.Fatalf("targets %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := parseTargets(got, ""); err != nil || got[2].number != "+12015550102" {
		t.Errorf("parseTargets: %v, %+v", err, got)
	}
	got, err = a.targets(&sendOptions{toFile: "-"})
	if err != nil || len(got) != 1 || got[0].where != "stdin:1" {
		t.Errorf("stdin: %+v, %v", got, err)
	}
	dup := []target{{raw: "+12015550101", where: "f:1"}, {raw: "+1 (201) 555-0101", where: "f:7"}}
	if err := parseTargets(dup, ""); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "f:7: +12015550101 is listed twice (also f:1)") {
		t.Errorf("duplicate: %v", err)
	}
}
