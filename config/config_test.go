package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/otp"
)

// TestExampleConfig checks that config.example.toml loads, that it sets
// every key the command knows, and that its values are the defaults.
func TestExampleConfig(t *testing.T) {
	const path = "../config.example.toml"
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	got, err := cfg.Options(Env{Getenv: func(string) string { return "" }, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	want := otp.Options{
		Length: otp.DefaultLength, TTL: otp.DefaultTTL, MaxAttempts: otp.DefaultMaxAttempts,
		Lockout: otp.DefaultLockout, ResendAfter: otp.DefaultResendAfter, MaxSends: otp.DefaultMaxSends,
		SendWindow: otp.DefaultSendWindow, AppName: otp.DefaultAppName,
		SMSTemplate: otp.DefaultSMSTemplate, VoiceTemplate: otp.DefaultVoiceTemplate,
		// ...and the shipped French templates.
		Locales: map[string]otp.Templates{"fr": otp.BuiltinLocales()["fr"]},
		// The example writes out the guard's defaults.
		Guard: otp.GuardOptions{Mode: otp.GuardEnforce, AllowCountries: []string{}, DenyCountries: []string{},
			DenyTypes: otp.DefaultDenyTypes, PrefixDigits: otp.DefaultPrefixDigits, Window: otp.DefaultGuardWindow,
			MinSample: otp.DefaultMinSample, BlockFor: otp.DefaultBlockFor},
	}
	got.Now = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.example.toml gives\n%+v\nwant the defaults\n%+v", got, want)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sections := tomlSections(string(text))
	for _, key := range Keys() {
		section, name := "", key
		if i := strings.Index(key, "] "); i >= 0 {
			section, name = key[1:i], key[i+2:]
		}
		body, ok := sections[section]
		if !ok || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(name)+` = `).MatchString(body) {
			t.Errorf("config.example.toml does not document %s in its own section", key)
		}
	}
}

// TestOptionErrors checks that a bad value is named once, by its key, with
// one prefix (no "invalid options" of the library after the key).
func TestOptionErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"[code]\nformat = \"octal\"\n", `config: [code] format: unknown code format "octal" (want numeric or hex)`},
		{"[code]\nlength = 3\n", "config: [code] length 3 is not within 4-10"},
		{"[delivery]\nfallback = [\"auto\"]\n", `config: [delivery] fallback: unknown channel "auto" (want sms or voice)`},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "otp.toml")
		if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.Options(Env{Getenv: func(string) string { return "" }})
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrConfig) || !errors.Is(err, otp.ErrInvalidOptions) {
			t.Errorf("%q: error %v, want %q", tt.file, err, tt.want)
		}
	}
}

// tomlSections splits a TOML text at its [section] lines: the text of each
// section (the top level under ""), up to the next one.
func tomlSections(text string) map[string]string {
	out := map[string]string{}
	header := regexp.MustCompile(`(?m)^\[([a-z_.]+)\][ \t]*$`)
	name, start := "", 0
	for _, m := range header.FindAllStringSubmatchIndex(text, -1) {
		out[name] += text[start:m[0]]
		name, start = text[m[2]:m[3]], m[1]
	}
	out[name] += text[start:]
	return out
}

func TestLocales(t *testing.T) {
	load := func(t *testing.T, file string) (*Config, error) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "otp.toml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path)
	}
	env := Env{Getenv: func(string) string { return "" }}
	cfg, err := load(t, `[delivery]
sms_template = "{{.Code}}"

[delivery.locales.fr]
sms_template = "Code : {{.Code}}"

[delivery.locales.pt-BR]
voice_template = "Código: {{.Spoken}}"
`)
	if err != nil {
		t.Fatal(err)
	}
	o, err := cfg.Options(env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]otp.Templates{"fr": {SMS: "Code : {{.Code}}"}, "pt-BR": {Voice: "Código: {{.Spoken}}"}}
	if !reflect.DeepEqual(o.Locales, want) || o.SMSTemplate != "{{.Code}}" {
		t.Fatalf("Locales %+v, SMSTemplate %q", o.Locales, o.SMSTemplate)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}

	// An unknown key in a locale table is the usual unknown setting.
	_, err = load(t, "[delivery.locales.fr]\nsms = \"{{.Code}}\"\n")
	if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "line 2: unknown setting delivery.locales.fr.sms") {
		t.Errorf("unknown key: %v", err)
	}
	// A malformed tag is named by its table.
	cfg, err = load(t, "[delivery.locales.fr_FR]\nsms_template = \"{{.Code}}\"\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Options(env)
	if want := `config: [delivery.locales.fr_FR]: "fr_FR" is not a BCP 47 language tag (want e.g. fr or pt-BR)`; err == nil || err.Error() != want || !errors.Is(err, otp.ErrInvalidOptions) {
		t.Errorf("bad tag: %v, want %q", err, want)
	}
	// A bad template is refused by the library, naming the locale.
	cfg, err = load(t, "[delivery.locales.de]\nvoice_template = \"Hallo\"\n")
	if err != nil {
		t.Fatal(err)
	}
	o, err = cfg.Options(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "locale de: voice template does not include the code") {
		t.Errorf("bad template: %v", err)
	}
}
