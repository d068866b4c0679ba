package main

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
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	a := newApp(nil, nil, nil, func(string) string { return "" }, time.Now)
	got, err := cfg.options(a)
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
	for _, key := range tomlKeys(reflect.TypeOf(config{}), "") {
		section, name, _ := strings.Cut(key, "|")
		re := regexp.MustCompile(`(?ms)` + regexp.QuoteMeta(section) + `.*?^` + regexp.QuoteMeta(name) + ` = `)
		if !re.Match(text) {
			t.Errorf("config.example.toml does not document %s %s", section, name)
		}
		if !strings.Contains(configHelp, name) {
			t.Errorf("otp help config does not mention %s", name)
		}
	}
}

// tomlKeys lists "[section]|key" for every setting of a config struct.
func tomlKeys(t reflect.Type, section string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("toml")
		if tag == "" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(duration{}) {
			sub := tag
			if section != "" {
				sub = section + "." + tag
			}
			out = append(out, tomlKeys(ft, sub)...)
			continue
		}
		sec := ""
		if section != "" {
			sec = "[" + section + "]"
		}
		out = append(out, sec+"|"+tag)
	}
	return out
}
