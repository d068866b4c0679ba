package config

import (
	"os"
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
	const path = "../../config.example.toml"
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
	}
	got.Now = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.example.toml gives\n%+v\nwant the defaults\n%+v", got, want)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		section, name := "", key
		if i := strings.Index(key, "] "); i >= 0 {
			section, name = key[:i+1], key[i+2:]
		}
		re := regexp.MustCompile(`(?ms)` + regexp.QuoteMeta(section) + `.*?^` + regexp.QuoteMeta(name) + ` = `)
		if !re.Match(text) {
			t.Errorf("config.example.toml does not document %s", key)
		}
	}
}
