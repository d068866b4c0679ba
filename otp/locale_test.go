package otp_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
)

// sendLocale sends over ch with a locale and returns the message.
func (f *fixture) sendLocale(t *testing.T, locale string, ch delivery.Channel) delivery.Message {
	t.Helper()
	if _, err := f.svc.SendWith(ctx(), otp.SendRequest{To: num, Channel: ch, Locale: locale}); err != nil {
		t.Fatalf("SendWith(locale %q): %v", locale, err)
	}
	return f.out.last(t)
}

func TestLocaleSelection(t *testing.T) {
	opts := otp.Options{
		AppName: "Acme", ResendAfter: -1, MaxSends: -1,
		Locales: map[string]otp.Templates{
			"fr-CA": {SMS: "Code {{.AppName}} (Canada) : {{.Code}}, valide {{.TTL}}."},
			"De":    {SMS: "Acme-Code {{.Code}}, {{.TTL}} gültig."}, // overrides the built-in de SMS, keeps its voice
			"ja":    {SMS: "{{.AppName}}の認証コードは{{.Code}}です。有効期限は{{.TTL}}です。"},
		},
	}
	tests := []struct {
		locale string
		ch     delivery.Channel
		want   string // with <C> for the code, <S> for the spoken code
	}{
		{"", delivery.SMS, "Your Acme code is <C>. It expires in 10 minutes."},
		{"en", delivery.SMS, "Your Acme code is <C>. It expires in 10 minutes."},
		{"en-GB", delivery.SMS, "Your Acme code is <C>. It expires in 10 minutes."},
		{"sv", delivery.SMS, "Your Acme code is <C>. It expires in 10 minutes."}, // no template: the default
		{"fr", delivery.SMS, "Votre code Acme est <C>. Il expire dans 10 minutes."},
		{"FR", delivery.SMS, "Votre code Acme est <C>. Il expire dans 10 minutes."},    // case-insensitive
		{"fr-FR", delivery.SMS, "Votre code Acme est <C>. Il expire dans 10 minutes."}, // the base language
		{"fr", delivery.Voice, "Votre code Acme est : <S>."},
		{"fr-ca", delivery.SMS, "Code Acme (Canada) : <C>, valide 10 minutes."}, // the exact tag first
		{"fr-CA", delivery.Voice, "Votre code Acme est : <S>."},                 // its missing voice: fr's
		{"es-MX", delivery.SMS, "Tu código de Acme es <C>. Caduca en 10 minutos."},
		{"es", delivery.Voice, "Tu código de Acme es: <S>."},
		{"de", delivery.SMS, "Acme-Code <C>, 10 Minuten gültig."}, // configured over built-in
		{"de-AT", delivery.Voice, "Ihr Code für Acme lautet: <S>."},
		{"pt-BR", delivery.SMS, "Seu código Acme é <C>. Expira em 10 minutos."},
		{"pt-PT", delivery.SMS, "O seu código Acme é <C>. Expira dentro de 10 minutos."},
		{"it", delivery.SMS, "Il tuo codice Acme è <C>. Scade tra 10 minuti."},
		{"nl-BE", delivery.SMS, "Je code voor Acme is <C>. Deze is 10 minuten geldig."},
		{"ja", delivery.SMS, "Acmeの認証コードは<C>です。有効期限は10 minutesです。"}, // no Japanese durations: English
		{"ja", delivery.Voice, "Your Acme code is: <S>."},
	}
	f := newFixture(t, opts)
	for _, tt := range tests {
		msg := f.sendLocale(t, tt.locale, tt.ch)
		want := strings.NewReplacer("<C>", msg.Code, "<S>", otp.Spoken(msg.Code)).Replace(tt.want)
		if msg.Body != want || msg.Channel != tt.ch {
			t.Errorf("locale %q %s: %q, want %q", tt.locale, tt.ch, msg.Body, want)
		}
		if _, err := f.svc.Verify(ctx(), num, msg.Code); err != nil {
			t.Errorf("locale %q: verify: %v", tt.locale, err)
		}
	}
}

func TestLocaleDurations(t *testing.T) {
	for _, tt := range []struct {
		ttl    time.Duration
		locale string
		want   string
	}{
		{90 * time.Minute, "fr", "Il expire dans 1 heure et 30 minutes."},
		{time.Minute, "es", "Caduca en 1 minuto."},
		{2*time.Hour + time.Minute + 5*time.Second, "de", "Er ist 2 Stunden, 1 Minute und 5 Sekunden gültig."},
		{time.Hour, "nl", "Deze is 1 uur geldig."},
		{45 * time.Second, "it", "Scade tra 45 secondi."},
		{90 * time.Minute, "en", "It expires in 1 hour 30 minutes."},
	} {
		f := newFixture(t, otp.Options{TTL: tt.ttl})
		if msg := f.sendLocale(t, tt.locale, delivery.SMS); !strings.HasSuffix(msg.Body, " "+tt.want) {
			t.Errorf("ttl %v in %s: %q, want it to end %q", tt.ttl, tt.locale, msg.Body, tt.want)
		}
	}
}

func TestLocaleErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		locales map[string]otp.Templates
		want    string
	}{
		{"bad sms", map[string]otp.Templates{"fr": {SMS: "{{.Code"}}, "locale fr: sms template"},
		{"no code", map[string]otp.Templates{"pt-BR": {Voice: "Olá"}}, "locale pt-BR: voice template does not include the code"},
		{"unknown field", map[string]otp.Templates{"es": {SMS: "{{.Code}} {{.Nope}}"}}, "locale es: sms template"},
		{"bad tag", map[string]otp.Templates{"fr_FR": {SMS: "{{.Code}}"}}, `locale "fr_FR" is not a BCP 47 language tag`},
		{"empty tag", map[string]otp.Templates{"": {SMS: "{{.Code}}"}}, `locale "" is not`},
		{"same tag twice", map[string]otp.Templates{"fr": {}, "FR": {}}, "are the same tag"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := otp.Options{Locales: tt.locales}.Validate()
			if !errors.Is(err, otp.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want ErrInvalidOptions with %q", err, tt.want)
			}
		})
	}
	f := newFixture(t, otp.Options{})
	for _, tag := range []string{"fr_FR", "f", "français", "fr--CA", "1a", "fr-"} {
		_, err := f.svc.SendWith(ctx(), otp.SendRequest{To: num, Channel: delivery.SMS, Locale: tag})
		if !errors.Is(err, otp.ErrInvalidOptions) || !strings.Contains(err.Error(), "locale") {
			t.Errorf("SendWith(locale %q) = %v, want ErrInvalidOptions naming the locale", tag, err)
		}
	}
	if len(f.out.msgs) != 0 {
		t.Fatalf("a send with a malformed locale went out: %d messages", len(f.out.msgs))
	}
}

func TestValidLocale(t *testing.T) {
	for tag, want := range map[string]bool{
		"fr": true, "pt-BR": true, "zh-Hant-TW": true, "es-419": true, "yue": true, "en-US-x-twain": true,
		"": false, "f": false, "fran": false, "fr_FR": false, "fr-": false, "-fr": false, "fr-toolongsub": false,
		"12": false, "fr-C@": false, "é": false,
	} {
		if got := otp.ValidLocale(tag); got != want {
			t.Errorf("ValidLocale(%q) = %v, want %v", tag, got, want)
		}
	}
}

// TestBuiltinLocales: every shipped template carries the code and renders,
// and the map handed out is a copy.
func TestBuiltinLocales(t *testing.T) {
	b := otp.BuiltinLocales()
	for _, tag := range []string{"de", "es", "fr", "it", "nl", "pt", "pt-pt"} {
		tt, ok := b[tag]
		if !ok || !strings.Contains(tt.SMS, "{{.Code}}") || !strings.Contains(tt.SMS, "{{.TTL}}") || !strings.Contains(tt.Voice, "{{.Spoken}}") {
			t.Errorf("built-in %q: %+v", tag, tt)
		}
	}
	delete(b, "fr")
	if _, ok := otp.BuiltinLocales()["fr"]; !ok {
		t.Fatal("BuiltinLocales hands out its own map")
	}
}

func TestCustomCode(t *testing.T) {
	f := newFixture(t, otp.Options{ResendAfter: -1, CustomCodeLetters: true})
	res, err := f.svc.SendWith(ctx(), otp.SendRequest{To: numRead, Channel: delivery.SMS, Code: "4821"})
	if err != nil {
		t.Fatal(err)
	}
	msg := f.out.last(t)
	if msg.Code != "4821" || msg.Body != "Your otpkit code is 4821. It expires in 10 minutes." || res.To != num {
		t.Fatalf("message %+v", msg)
	}
	rec, _, err := f.store.Get(ctx(), num)
	if err != nil || bytes.Contains(rec.Hash, []byte("4821")) || len(rec.Hash) != 32 {
		t.Fatalf("stored %x, %v", rec.Hash, err)
	}
	if _, err := f.svc.Verify(ctx(), num, "482100"); !errors.Is(err, otp.ErrWrongCode) {
		t.Fatalf("a wrong code: %v", err)
	}
	if vr, err := f.svc.Verify(ctx(), num, "48-21"); err != nil || vr.Verdict != otp.Approved {
		t.Fatalf("the custom code: %+v, %v", vr, err)
	}

	// Letters, on a numeric service with CustomCodeLetters: upper-cased
	// when sent, read in either case (and with spaces and dashes) when
	// typed.
	if _, err := f.svc.SendWith(ctx(), otp.SendRequest{To: num, Channel: delivery.Voice, Code: "Ab12cD"}); err != nil {
		t.Fatal(err)
	}
	if msg := f.out.last(t); msg.Code != "AB12CD" || msg.Body != "Your otpkit code is: A, B, 1, 2, C, D." {
		t.Fatalf("message %+v", msg)
	}
	if _, err := f.svc.Verify(ctx(), num, "ab12c!"); !errors.Is(err, otp.ErrInvalidCode) {
		t.Fatalf("a code with '!': %v, want ErrInvalidCode", err)
	}
	if _, err := f.svc.Verify(ctx(), num, "AB12CE"); !errors.Is(err, otp.ErrWrongCode) {
		t.Fatalf("a wrong code with letters: %v, want ErrWrongCode", err)
	}
	if vr, err := f.svc.Verify(ctx(), num, "ab 12-cd"); err != nil || vr.Verdict != otp.Approved {
		t.Fatalf("the custom code in lower case: %+v, %v", vr, err)
	}

	for _, bad := range []string{"123", "12345678901", "12 34", "12-34", "1234!", "１２３４", "12\n34"} {
		_, err := f.svc.SendWith(ctx(), otp.SendRequest{To: num, Channel: delivery.SMS, Code: bad})
		if !errors.Is(err, otp.ErrInvalidOptions) || !strings.Contains(err.Error(), "custom code") {
			t.Errorf("custom code %q: %v, want ErrInvalidOptions", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("the error shows the code: %v", err)
		}
	}
	if n := len(f.out.msgs); n != 2 {
		t.Fatalf("%d messages, want 2: a bad custom code was sent", n)
	}
}

// TestCustomCodeAlphabet: without CustomCodeLetters a custom code keeps to
// the service's alphabet, and typed letters stay ErrInvalidCode.
func TestCustomCodeAlphabet(t *testing.T) {
	f := newFixture(t, otp.Options{ResendAfter: -1})
	_, err := f.svc.SendWith(ctx(), otp.SendRequest{To: num, Channel: delivery.SMS, Code: "12ab"})
	if !errors.Is(err, otp.ErrInvalidOptions) || !strings.Contains(err.Error(), "CustomCodeLetters") || strings.Contains(err.Error(), "12ab") {
		t.Fatalf("letters on a numeric service: %v", err)
	}
	if len(f.out.msgs) != 0 {
		t.Fatal("the refused custom code was sent")
	}
	if _, err := f.svc.SendWith(ctx(), otp.SendRequest{To: num, Channel: delivery.SMS, Code: "123456789"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx(), num, "12x456789"); !errors.Is(err, otp.ErrInvalidCode) {
		t.Fatalf("typed letters without CustomCodeLetters: %v, want ErrInvalidCode", err)
	}
	if _, err := f.svc.Verify(ctx(), num, "123 456 789"); err != nil {
		t.Fatalf("the custom code: %v", err)
	}

	h := newFixture(t, otp.Options{Format: otp.Hex})
	if code, err := h.svc.CheckCustomCode("ab12"); code != "AB12" || err != nil {
		t.Fatalf("hex letters on a hex service: %q, %v", code, err)
	}
	if _, err := h.svc.CheckCustomCode("ag12"); !errors.Is(err, otp.ErrInvalidOptions) {
		t.Fatalf("G on a hex service: %v", err)
	}
}

func TestParseCustomCode(t *testing.T) {
	for in, want := range map[string]string{"1234": "1234", "abcd": "ABCD", "0a1B2c3D4e": "0A1B2C3D4E", "ZZZZ": "ZZZZ"} {
		if got, err := otp.ParseCustomCode(in); got != want || err != nil {
			t.Errorf("ParseCustomCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
