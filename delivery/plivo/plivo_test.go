package plivo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
	"github.com/otpkit/otpkit/internal/fakeapi"
)

const (
	to   = "+12015550123"
	code = "904117"
	body = "Your otpkit code is 904117. It expires in 10 minutes."
)

func fake(t *testing.T) *fakeapi.Plivo {
	t.Helper()
	f := fakeapi.NewPlivo()
	t.Cleanup(f.Close)
	return f
}

func config(f *fakeapi.Plivo) Config {
	return Config{AuthID: f.AuthID, AuthToken: f.AuthToken, From: fakeapi.From, BaseURL: f.URL(), Timeout: 5 * time.Second,
		Retry: delivery.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
}

func sender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sms() delivery.Message {
	return delivery.Message{To: to, Channel: delivery.SMS, Body: body, Code: code}
}

func TestSendSMS(t *testing.T) {
	t.Parallel()
	f := fake(t)
	rc, err := sender(t, config(f)).Send(context.Background(), sms())
	if err != nil {
		t.Fatal(err)
	}
	if rc.Provider != "plivo" || len(rc.ID) != 36 || rc.Status != "queued" {
		t.Errorf("receipt = %+v", rc)
	}
	r := f.Last()
	if r.Method != http.MethodPost || r.Path != "/v1/Account/"+f.AuthID+"/Message/" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s %s", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	var got map[string]string
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"src": fakeapi.From, "dst": to, "text": body, "type": "sms"}
	if len(got) != len(want) {
		t.Errorf("body = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("body[%s] = %q, want %q", k, got[k], v)
		}
	}
}

func TestVoiceUnsupported(t *testing.T) {
	t.Parallel()
	f := fake(t)
	_, err := sender(t, config(f)).Send(context.Background(), delivery.Message{To: to, Channel: delivery.Voice, Body: "x", Code: code})
	if !errors.Is(err, delivery.ErrUnsupported) || !errors.Is(err, ErrVoice) {
		t.Errorf("err = %v, want ErrVoice (ErrUnsupported)", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestProviderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(f *fakeapi.Plivo, cfg *Config)
		to      string
		wantErr string
		status  int
	}{
		{"invalid number", nil, "12345", "plivo (HTTP 400): invalid dst parameter", 400},
		{"trial account, unverified number", func(f *fakeapi.Plivo, _ *Config) { f.Verified = []string{"+12015550111"} }, to,
			"plivo (HTTP 400): destination number must be a verified sandbox number for a trial account", 400},
		{"wrong auth token", func(_ *fakeapi.Plivo, cfg *Config) { cfg.AuthToken = "wrong" }, to,
			"plivo (HTTP 401): authentication failed; check the auth id and auth token", 401},
		{"wrong auth id", func(_ *fakeapi.Plivo, cfg *Config) { cfg.AuthID = "MAWRONGAUTHID0000001" }, to,
			"plivo (HTTP 401): authentication failed; check the auth id and auth token", 401},
		{"sender not on the account", func(_ *fakeapi.Plivo, cfg *Config) { cfg.From = "+12015550177" }, to,
			"plivo (HTTP 400): src parameter is not a valid phone number of your account", 400},
		// The shapes of the SDK's fixtures (testdata/sdk): an error answered with HTTP 200, and
		// {"api_id", "error_code", "message"}.
		{"refusal answered with 200", func(f *fakeapi.Plivo, _ *Config) { f.RefusalStatus = http.StatusOK }, "12345",
			"plivo (HTTP 200): invalid dst parameter", 200},
		{"error_code and message", func(f *fakeapi.Plivo, _ *Config) { f.MessageErrors = true }, "12345",
			"plivo (HTTP 400): invalid dst parameter", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fake(t)
			cfg := config(f)
			if tt.setup != nil {
				tt.setup(f, &cfg)
			}
			msg := sms()
			msg.To = tt.to
			_, err := sender(t, cfg).Send(context.Background(), msg)
			var pe *delivery.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *delivery.ProviderError", err)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("err = %q\nwant  %q", err, tt.wantErr)
			}
			if pe.HTTPStatus != tt.status || pe.Retryable {
				t.Errorf("status %d retryable %v, want %d false", pe.HTTPStatus, pe.Retryable, tt.status)
			}
		})
	}
}

func TestSuite(t *testing.T) {
	sendertest.Run(t, sendertest.Harness{
		Start: func(t *testing.T, opts sendertest.Options) (sendertest.Fake, delivery.Sender) {
			f := fakeapi.NewPlivo()
			cfg := config(f)
			cfg.Timeout, cfg.Retry = opts.Timeout, opts.Retry
			return f, sender(t, cfg)
		},
		Message: sms(),
		Success: http.StatusAccepted,
		Body: func(r fakeapi.Request) string {
			var m struct{ Text string }
			json.Unmarshal(r.Body, &m)
			return m.Text
		},
		Secrets: []string{fakeapi.PlivoAuthToken},
		ErrorBody: func(s string) string {
			b, _ := json.Marshal(map[string]string{"api_id": "97ceeb52-58b6-11e1-86da-77300b68f8bb", "error": s})
			return string(b)
		},
	})
}

func TestStatus(t *testing.T) {
	t.Parallel()
	f := fake(t)
	f.Undeliverable["+12015550142"] = "50"
	s := sender(t, config(f))
	ctx := context.Background()
	ok, err := s.Send(ctx, sms())
	if err != nil {
		t.Fatal(err)
	}
	bad := sms()
	bad.To = "+12015550142"
	failed, err := s.Send(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	sendertest.CheckStatus(t, s, []sendertest.Lookups{
		{ID: ok.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "sent"}, {State: delivery.StateDelivered, Raw: "delivered"}}},
		{ID: failed.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "sent"}, {State: delivery.StateFailed, Raw: "undelivered", ErrorCode: "50", Error: "the destination number is invalid"}}},
	})
	if r := f.Last(); r.Method != http.MethodGet || r.Path != "/v1/Account/"+f.AuthID+"/Message/"+failed.ID+"/" {
		t.Errorf("last request %s %s", r.Method, r.Path)
	}
	_, err = s.Status(ctx, "00000000-0000-4000-a000-000000000000")
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.HTTPStatus != 404 {
		t.Errorf("unknown id: err = %v, want HTTP 404", err)
	}
	if _, err := s.Status(ctx, "x/../../Call"); err == nil || errors.As(err, &pe) {
		t.Errorf("malformed id: err = %v, want a local error", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	good := Config{AuthID: fakeapi.PlivoAuthID, AuthToken: fakeapi.PlivoAuthToken, From: fakeapi.From}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no auth id", func(c *Config) { c.AuthID = "" }, "AuthID"},
		{"malformed auth id", func(c *Config) { c.AuthID = "MA/../x" }, "AuthID"},
		{"no auth token", func(c *Config) { c.AuthToken = "" }, "AuthToken"},
		{"no sender", func(c *Config) { c.From = "" }, "From"},
		{"bad base url", func(c *Config) { c.BaseURL = "https://api.plivo.com?x=1" }, "BaseURL"},
	}
	for _, tt := range tests {
		cfg := good
		tt.edit(&cfg)
		_, err := New(cfg)
		var ce *delivery.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: err = %v, want a config error for %s", tt.name, err, tt.field)
		}
	}
	if _, err := New(good); err != nil {
		t.Errorf("good config: %v", err)
	}
}
