package messagebird

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
	"github.com/otpkit/otpkit/internal/fakeapi"
)

const (
	to     = "+12015550123"
	code   = "904117"
	body   = "Your otpkit code is 904117. It expires in 10 minutes."
	spoken = "Your otpkit code is: 9, 0, 4, 1, 1, 7."
)

func fake(t *testing.T) *fakeapi.MessageBird {
	t.Helper()
	f := fakeapi.NewMessageBird()
	t.Cleanup(f.Close)
	return f
}

func config(f *fakeapi.MessageBird) Config {
	return Config{AccessKey: f.AccessKey, Originator: "otpkit", BaseURL: f.URL(), Timeout: 5 * time.Second,
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
func voice() delivery.Message {
	return delivery.Message{To: to, Channel: delivery.Voice, Body: spoken, Code: code}
}

func TestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		edit       func(*Config)
		msg        delivery.Message
		path       string
		wantStatus string
		want       map[string]any
	}{
		{"sms", nil, sms(), "/messages", "sent",
			map[string]any{"originator": "otpkit", "recipients": []any{"12015550123"}, "body": body}},
		{"voice, defaults", nil, voice(), "/voicemessages", "calling",
			map[string]any{"originator": "otpkit", "recipients": []any{"12015550123"}, "body": spoken,
				"language": "en-us", "voice": "female", "repeat": 2.0, "ifMachine": "continue"}},
		{"voice, configured", func(c *Config) { c.Voice, c.Language, c.Repeat = "male", "en-GB", 3 }, voice(), "/voicemessages", "calling",
			map[string]any{"originator": "otpkit", "recipients": []any{"12015550123"}, "body": spoken,
				"language": "en-gb", "voice": "male", "repeat": 3.0, "ifMachine": "continue"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fake(t)
			cfg := config(f)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			rc, err := sender(t, cfg).Send(context.Background(), tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if rc.Provider != "messagebird" || len(rc.ID) != 32 || rc.Status != tt.wantStatus {
				t.Errorf("receipt = %+v", rc)
			}
			r := f.Last()
			if r.Method != http.MethodPost || r.Path != tt.path || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s %s", r.Method, r.Path, r.Header.Get("Content-Type"))
			}
			var got map[string]any
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body = %v\nwant   %v", got, tt.want)
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(f *fakeapi.MessageBird, cfg *Config)
		msg     delivery.Message
		wantErr string
		status  int
	}{
		{"invalid number", nil, delivery.Message{To: "12345", Channel: delivery.SMS, Body: body, Code: code},
			"messagebird 9: a required parameter is missing or has no valid value (recipients: no (correct) recipients found)", 422},
		{"trial credit spent", func(f *fakeapi.MessageBird, _ *Config) { f.NoBalance = true }, sms(),
			"messagebird 25: not enough balance on the account", 402},
		{"wrong access key", func(_ *fakeapi.MessageBird, cfg *Config) { cfg.AccessKey = "live_wrong" }, sms(),
			"messagebird 2: request not allowed; check the access key", 401},
		{"unknown code keeps MessageBird's words", func(f *fakeapi.MessageBird, _ *Config) {
			f.Fail(fakeapi.Fault{Status: 422, Body: `{"errors":[{"code":77,"description":"Odd failure","parameter":null}]}`})
		}, voice(), "messagebird 77: Odd failure", 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fake(t)
			cfg := config(f)
			if tt.setup != nil {
				tt.setup(f, &cfg)
			}
			_, err := sender(t, cfg).Send(context.Background(), tt.msg)
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
	for _, m := range []delivery.Message{sms(), voice()} {
		t.Run(string(m.Channel), func(t *testing.T) {
			sendertest.Run(t, sendertest.Harness{
				Start: func(t *testing.T, opts sendertest.Options) (sendertest.Fake, delivery.Sender) {
					f := fakeapi.NewMessageBird()
					cfg := config(f)
					cfg.Timeout, cfg.Retry = opts.Timeout, opts.Retry
					return f, sender(t, cfg)
				},
				Message: m,
				Success: http.StatusCreated,
				Body: func(r fakeapi.Request) string {
					var m struct{ Body string }
					json.Unmarshal(r.Body, &m)
					return m.Body
				},
				Secrets: []string{fakeapi.MessageBirdAccessKey},
				ErrorBody: func(s string) string {
					b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": 21, "description": s, "parameter": nil}}})
					return string(b)
				},
			})
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	f := fake(t)
	f.Undeliverable["+12015550142"] = "unknown subscriber"
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
	call, err := s.Send(ctx, voice())
	if err != nil {
		t.Fatal(err)
	}
	sendertest.CheckStatus(t, s, []sendertest.Lookups{
		{ID: ok.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "sent"}, {State: delivery.StateDelivered, Raw: "delivered"}}},
		{ID: failed.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "sent"}, {State: delivery.StateFailed, Raw: "delivery_failed", ErrorCode: "1", Error: "unknown subscriber"}}},
		{ID: call.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "calling"}, {State: delivery.StateDelivered, Raw: "answered"}}},
	})
	if r := f.Last(); r.Method != http.MethodGet || r.Path != "/voicemessages/"+call.ID {
		t.Errorf("last request %s %s", r.Method, r.Path)
	}
	_, err = s.Status(ctx, "0123456789abcdef0123456789abcdef")
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.Code != "20" {
		t.Errorf("unknown id: err = %v, want messagebird 20", err)
	}
	if _, err := s.Status(ctx, "../balance"); err == nil || errors.As(err, &pe) {
		t.Errorf("malformed id: err = %v, want a local error", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	good := Config{AccessKey: fakeapi.MessageBirdAccessKey, Originator: "otpkit"}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no access key", func(c *Config) { c.AccessKey = "" }, "AccessKey"},
		{"no originator", func(c *Config) { c.Originator = "" }, "Originator"},
		{"bad voice", func(c *Config) { c.Voice = "robot" }, "Voice"},
		{"bad language", func(c *Config) { c.Language = "english" }, "Language"},
		{"repeat too big", func(c *Config) { c.Repeat = 11 }, "Repeat"},
		{"bad base url", func(c *Config) { c.BaseURL = "rest.messagebird.com" }, "BaseURL"},
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
