package twilio

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
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

var spoken = "Your otpkit code is: 9, 0, 4, 1, 1, 7."

func fake(t *testing.T) *fakeapi.Twilio {
	t.Helper()
	f := fakeapi.NewTwilio()
	t.Cleanup(f.Close)
	return f
}

// config returns a configuration for the fake, with fast retries.
func config(f *fakeapi.Twilio) Config {
	return Config{
		AccountSID: f.AccountSID, AuthToken: f.AuthToken, From: fakeapi.From,
		BaseURL: f.URL(), Timeout: 5 * time.Second,
		Retry: delivery.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	}
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

func TestSendSMS(t *testing.T) {
	t.Parallel()
	f := fake(t)
	rc, err := sender(t, config(f)).Send(context.Background(), sms())
	if err != nil {
		t.Fatal(err)
	}
	if rc.Provider != "twilio" || !strings.HasPrefix(rc.ID, "SM") || len(rc.ID) != 34 || rc.Status != "queued" {
		t.Errorf("receipt = %+v", rc)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/2010-04-01/Accounts/"+f.AccountSID+"/Messages.json" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	want := map[string]string{"To": to, "From": fakeapi.From, "Body": body}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if len(r.Form) != len(want) {
		t.Errorf("form has extra fields: %v", r.Form)
	}
}

func TestSendSMSMessagingService(t *testing.T) {
	t.Parallel()
	f := fake(t)
	cfg := config(f)
	cfg.From, cfg.MessagingServiceSID = "", f.MessagingServiceSID
	rc, err := sender(t, cfg).Send(context.Background(), sms())
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != "accepted" {
		t.Errorf("status = %q, want accepted (Messaging Service)", rc.Status)
	}
	form := f.Last().Form
	if form.Get("MessagingServiceSid") != f.MessagingServiceSID || form.Has("From") {
		t.Errorf("form = %v", form)
	}
}

// say is the TwiML document a call carries.
type say struct {
	XMLName xml.Name `xml:"Response"`
	Says    []struct {
		Voice    string `xml:"voice,attr"`
		Language string `xml:"language,attr"`
		Loop     string `xml:"loop,attr"`
		Text     string `xml:",chardata"`
	} `xml:"Say"`
}

func TestSendVoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		voice, language, text string
		loop                  int
		wantVoice, wantLang   string
		wantLoop              string
	}{
		{"defaults", "", "", spoken, 0, "woman", "en-US", "2"},
		{"configured", "Polly.Joanna", "en-GB", spoken, 3, "Polly.Joanna", "en-GB", "3"},
		{"escaped", "", "", `Code <1> & "2"`, 1, "woman", "en-US", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fake(t)
			cfg := config(f)
			cfg.Voice, cfg.Language, cfg.Loop = tt.voice, tt.language, tt.loop
			msg := voice()
			msg.Body = tt.text
			rc, err := sender(t, cfg).Send(context.Background(), msg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(rc.ID, "CA") || rc.Status != "queued" {
				t.Errorf("receipt = %+v", rc)
			}
			r := f.Last()
			if r.Path != "/2010-04-01/Accounts/"+f.AccountSID+"/Calls.json" {
				t.Errorf("path = %s", r.Path)
			}
			if r.Form.Get("To") != to || r.Form.Get("From") != fakeapi.From {
				t.Errorf("To/From = %q/%q", r.Form.Get("To"), r.Form.Get("From"))
			}
			var doc say
			if err := xml.Unmarshal([]byte(r.Form.Get("Twiml")), &doc); err != nil {
				t.Fatalf("Twiml %q: %v", r.Form.Get("Twiml"), err)
			}
			if len(doc.Says) != 1 {
				t.Fatalf("Twiml %q: want one <Say>", r.Form.Get("Twiml"))
			}
			s := doc.Says[0]
			if s.Voice != tt.wantVoice || s.Language != tt.wantLang || s.Loop != tt.wantLoop || s.Text != tt.text {
				t.Errorf("Say = %+v, want voice %q language %q loop %q text %q", s, tt.wantVoice, tt.wantLang, tt.wantLoop, tt.text)
			}
		})
	}
}

func TestSendVoiceNeedsFrom(t *testing.T) {
	t.Parallel()
	f := fake(t)
	cfg := config(f)
	cfg.From, cfg.MessagingServiceSID = "", f.MessagingServiceSID
	_, err := sender(t, cfg).Send(context.Background(), voice())
	if !errors.Is(err, delivery.ErrConfig) || !strings.Contains(err.Error(), "From") {
		t.Errorf("err = %v, want a config error naming From", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestProviderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(f *fakeapi.Twilio, cfg *Config)
		msg     delivery.Message
		wantErr string
		status  int
	}{
		{"invalid number", nil, delivery.Message{To: "12345", Channel: delivery.SMS, Body: body, Code: code},
			"twilio 21211: the 'To' number is not a valid phone number", 400},
		{"trial account, unverified number", func(f *fakeapi.Twilio, _ *Config) { f.Verified = []string{"+12015550111"} }, sms(),
			"twilio 21608: the number is unverified; trial accounts can only send to verified numbers", 400},
		{"trial account, call to unverified number", func(f *fakeapi.Twilio, _ *Config) { f.Verified = []string{"+12015550111"} }, voice(),
			"twilio 21219: the number is unverified; trial accounts can only call verified numbers", 400},
		{"wrong auth token", func(_ *fakeapi.Twilio, cfg *Config) { cfg.AuthToken = "0000deadbeef0000deadbeef0000dead" }, sms(),
			"twilio 20003: authentication failed; check the account SID and auth token", 401},
		{"sender not owned", func(_ *fakeapi.Twilio, cfg *Config) { cfg.From = "+12015550177" }, sms(),
			"twilio 21606: the 'From' number is not an SMS-capable number of this account", 400},
		{"unknown code keeps Twilio's message", func(f *fakeapi.Twilio, _ *Config) {
			f.Fail(fakeapi.Fault{Status: 400, Body: `{"code":21999,"message":"Something new\nhappened","more_info":"https://www.twilio.com/docs/errors/21999","status":400}`})
		}, sms(), "twilio 21999: Something new happened", 400},
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
			if n := len(f.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (a 4xx is not retried)", n)
			}
		})
	}
}

func TestSuite(t *testing.T) {
	sendertest.Run(t, sendertest.Harness{
		Start: func(t *testing.T, opts sendertest.Options) (sendertest.Fake, delivery.Sender) {
			f := fakeapi.NewTwilio()
			cfg := config(f)
			cfg.Timeout, cfg.Retry = opts.Timeout, opts.Retry
			return f, sender(t, cfg)
		},
		Message: sms(),
		Success: http.StatusCreated,
		Body:    func(r fakeapi.Request) string { return r.Form.Get("Body") },
		Secrets: []string{fakeapi.TwilioAuthToken},
		ErrorBody: func(s string) string {
			b, _ := json.Marshal(map[string]any{"code": 21998, "message": s, "more_info": "https://www.twilio.com/docs/errors/21998", "status": 400})
			return string(b)
		},
	})
}

func TestStatus(t *testing.T) {
	t.Parallel()
	f := fake(t)
	f.Undeliverable["+12015550142"] = "30003"
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
		{ID: failed.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "sent"}, {State: delivery.StateFailed, Raw: "undelivered", ErrorCode: "30003", Error: "the destination handset is unreachable (off or out of coverage)"}}},
		{ID: call.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "ringing"}, {State: delivery.StateDelivered, Raw: "completed"}}},
	})
	if r := f.Last(); r.Method != http.MethodGet || r.Path != "/2010-04-01/Accounts/"+f.AccountSID+"/Calls/"+call.ID+".json" {
		t.Errorf("last request %s %s", r.Method, r.Path)
	}

	_, err = s.Status(ctx, "SM"+strings.Repeat("0", 32))
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.Code != "20404" {
		t.Errorf("unknown id: err = %v, want twilio 20404", err)
	}
	if _, err := s.Status(ctx, "../../Accounts"); err == nil || errors.As(err, &pe) {
		t.Errorf("malformed id: err = %v, want a local error", err)
	}
}

// TestStatusUppercaseIDs: Twilio's id patterns allow uppercase hex, so a
// lookup of such an id reaches the API instead of stopping at once.
func TestStatusUppercaseIDs(t *testing.T) {
	t.Parallel()
	f := fake(t)
	f.UpperIDs = true
	s := sender(t, config(f))
	ctx := context.Background()
	msg, err := s.Send(ctx, sms())
	if err != nil {
		t.Fatal(err)
	}
	call, err := s.Send(ctx, voice())
	if err != nil {
		t.Fatal(err)
	}
	if strings.ToUpper(msg.ID) != msg.ID || strings.ToUpper(call.ID) != call.ID {
		t.Fatalf("ids %q %q are not uppercase", msg.ID, call.ID)
	}
	sendertest.CheckStatus(t, s, []sendertest.Lookups{
		{ID: msg.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "sent"}, {State: delivery.StateDelivered, Raw: "delivered"}}},
		{ID: call.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "ringing"}, {State: delivery.StateDelivered, Raw: "completed"}}},
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	good := Config{AccountSID: fakeapi.TwilioAccountSID, AuthToken: fakeapi.TwilioAuthToken, From: fakeapi.From}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no account sid", func(c *Config) { c.AccountSID = "" }, "AccountSID"},
		{"no auth token", func(c *Config) { c.AuthToken = "" }, "AuthToken"},
		{"token with symbols", func(c *Config) { c.AuthToken = "abc/def" }, "AuthToken"},
		{"no sender", func(c *Config) { c.From = "" }, "From"},
		{"loop too big", func(c *Config) { c.Loop = 11 }, "Loop"},
		{"bad base url", func(c *Config) { c.BaseURL = "api.twilio.com" }, "BaseURL"},
	}
	for _, tt := range tests {
		cfg := good
		tt.edit(&cfg)
		_, err := New(cfg)
		var ce *delivery.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, delivery.ErrConfig) {
			t.Errorf("%s: err = %v, want a config error for %s", tt.name, err, tt.field)
		}
	}
	if _, err := New(good); err != nil {
		t.Errorf("good config: %v", err)
	}
}

// TestEnvironmentIgnored: TWILIO_EDGE and TWILIO_REGION would send the
// SDK's requests to another host; the base URL must win.
func TestEnvironmentIgnored(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "sydney")
	t.Setenv("TWILIO_REGION", "au1")
	f := fake(t)
	if _, err := sender(t, config(f)).Send(context.Background(), sms()); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownChannel(t *testing.T) {
	t.Parallel()
	f := fake(t)
	msg := sms()
	msg.Channel = "fax"
	if _, err := sender(t, config(f)).Send(context.Background(), msg); !errors.Is(err, delivery.ErrUnsupported) {
		t.Errorf("err = %v, want ErrUnsupported", err)
	}
}
