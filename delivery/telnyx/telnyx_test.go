package telnyx

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
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

func fake(t *testing.T) *fakeapi.Telnyx {
	t.Helper()
	f := fakeapi.NewTelnyx()
	t.Cleanup(f.Close)
	return f
}

func config(f *fakeapi.Telnyx) Config {
	return Config{
		APIKey: f.APIKey, From: fakeapi.From, AccountSID: f.AccountSID, TexmlApplicationID: f.ApplicationID,
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

func jsonBody(t *testing.T, r fakeapi.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("request body %q: %v", r.Body, err)
	}
	return m
}

func TestSendSMS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want map[string]any
	}{
		{"from", nil, map[string]any{"from": fakeapi.From, "to": to, "text": body, "type": "SMS"}},
		{"messaging profile", func(c *Config) { c.From, c.MessagingProfileID = "", fakeapi.TelnyxMessagingProfileID },
			map[string]any{"messaging_profile_id": fakeapi.TelnyxMessagingProfileID, "to": to, "text": body, "type": "SMS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fake(t)
			cfg := config(f)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			rc, err := sender(t, cfg).Send(context.Background(), sms())
			if err != nil {
				t.Fatal(err)
			}
			if rc.Provider != "telnyx" || len(rc.ID) != 36 || rc.Status != "queued" {
				t.Errorf("receipt = %+v", rc)
			}
			r := f.Last()
			if r.Method != http.MethodPost || r.Path != "/v2/messages" || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s %s", r.Method, r.Path, r.Header.Get("Content-Type"))
			}
			got := jsonBody(t, r)
			if len(got) != len(tt.want) {
				t.Errorf("body = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("body[%s] = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

type texml struct {
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
		name                string
		voice, lang, text   string
		loop                int
		wantVoice, wantLang string
		wantLoop            string
	}{
		{"defaults", "", "", spoken, 0, "woman", "en-US", "2"},
		{"configured", "Polly.Amy", "en-GB", spoken, 3, "Polly.Amy", "en-GB", "3"},
		{"escaped", `a"b`, "", `Code <1> & "2"`, 1, `a"b`, "en-US", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fake(t)
			cfg := config(f)
			cfg.Voice, cfg.Language, cfg.Loop = tt.voice, tt.lang, tt.loop
			msg := voice()
			msg.Body = tt.text
			rc, err := sender(t, cfg).Send(context.Background(), msg)
			if err != nil {
				t.Fatal(err)
			}
			// The API description's answer carries no call sid: a placed call
			// with no id to look up.
			if rc.ID != "" || rc.Status != "queued" {
				t.Errorf("receipt = %+v", rc)
			}
			r := f.Last()
			if r.Path != "/v2/texml/Accounts/"+f.AccountSID+"/Calls" {
				t.Errorf("path = %s", r.Path)
			}
			got := jsonBody(t, r)
			if got["To"] != to || got["From"] != fakeapi.From || got["ApplicationSid"] != f.ApplicationID {
				t.Errorf("body = %v", got)
			}
			var doc texml
			if err := xml.Unmarshal([]byte(got["Texml"].(string)), &doc); err != nil || len(doc.Says) != 1 {
				t.Fatalf("Texml %q: %v", got["Texml"], err)
			}
			s := doc.Says[0]
			if s.Voice != tt.wantVoice || s.Language != tt.wantLang || s.Loop != tt.wantLoop || s.Text != tt.text {
				t.Errorf("Say = %+v, want voice %q language %q loop %q text %q", s, tt.wantVoice, tt.wantLang, tt.wantLoop, tt.text)
			}
		})
	}
}

func TestVoiceNeedsSettings(t *testing.T) {
	t.Parallel()
	for _, field := range []string{"From", "AccountSID", "TexmlApplicationID"} {
		f := fake(t)
		cfg := config(f)
		switch field {
		case "From":
			cfg.From, cfg.MessagingProfileID = "", fakeapi.TelnyxMessagingProfileID
		case "AccountSID":
			cfg.AccountSID = ""
		case "TexmlApplicationID":
			cfg.TexmlApplicationID = ""
		}
		_, err := sender(t, cfg).Send(context.Background(), voice())
		var ce *delivery.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("without %s: err = %v", field, err)
		}
		if n := len(f.Requests()); n != 0 {
			t.Errorf("without %s: %d requests sent", field, n)
		}
	}
}

func TestProviderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(f *fakeapi.Telnyx, cfg *Config)
		msg     delivery.Message
		wantErr string
		status  int
	}{
		{"invalid number", nil, delivery.Message{To: "12345", Channel: delivery.SMS, Body: body, Code: code},
			"telnyx 40310: the 'to' number is not a valid phone number", 400},
		{"call to invalid number", nil, delivery.Message{To: "12345", Channel: delivery.Voice, Body: spoken, Code: code},
			"telnyx 10016: the number must be in E.164 format (+ and country code)", 422},
		{"unverified account", func(f *fakeapi.Telnyx, _ *Config) { f.Verified = []string{"+12015550111"} }, sms(),
			"telnyx 10010: not allowed for this account (unverified accounts can only reach verified numbers)", 403},
		{"wrong api key", func(_ *fakeapi.Telnyx, cfg *Config) { cfg.APIKey = "KEYwrong" }, sms(),
			"telnyx 10009: authentication failed; check the API key", 401},
		{"sender not on the account", func(_ *fakeapi.Telnyx, cfg *Config) { cfg.From = "+12015550177" }, sms(),
			"telnyx 40305: the 'from' number is not a messaging-enabled number of this account", 400},
		{"wrong TeXML application", func(_ *fakeapi.Telnyx, cfg *Config) { cfg.TexmlApplicationID = "42" }, voice(),
			"telnyx 10017: an id in the request does not exist (check texml_application_id / messaging_profile_id)", 422},
		{"wrong account sid", func(_ *fakeapi.Telnyx, cfg *Config) { cfg.AccountSID = "00000000-0000-4000-a000-000000000000" }, voice(),
			"telnyx 10005: not found; check base_url and the ids in the configuration", 404},
		{"unknown code keeps Telnyx's words", func(f *fakeapi.Telnyx, _ *Config) {
			f.Fail(fakeapi.Fault{Status: 400, Body: `{"errors":[{"code":"49999","title":"Odd failure","detail":"Something\nnew."}]}`})
		}, sms(), "telnyx 49999: Odd failure: Something new.", 400},
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
	sendertest.Run(t, sendertest.Harness{
		Start: func(t *testing.T, opts sendertest.Options) (sendertest.Fake, delivery.Sender) {
			f := fakeapi.NewTelnyx()
			cfg := config(f)
			cfg.Timeout, cfg.Retry = opts.Timeout, opts.Retry
			return f, sender(t, cfg)
		},
		Message: sms(),
		Success: http.StatusOK,
		Body: func(r fakeapi.Request) string {
			var m struct{ Text string }
			json.Unmarshal(r.Body, &m)
			return m.Text
		},
		Secrets: []string{fakeapi.TelnyxAPIKey},
		ErrorBody: func(s string) string {
			b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": "10015", "title": "Bad Request", "detail": s}}})
			return string(b)
		},
	})
}

func TestStatus(t *testing.T) {
	t.Parallel()
	f := fake(t)
	f.Undeliverable["+12015550142"] = "40001"
	f.CallSIDs = true // the older answer, with a call sid to look up
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
		{ID: failed.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "sent"}, {State: delivery.StateFailed, Raw: "delivery_failed", ErrorCode: "40001", Error: "not routable: the number is a landline or cannot receive SMS"}}},
		{ID: call.ID, Want: []delivery.Report{{State: delivery.StatePending, Raw: "ringing"}, {State: delivery.StateDelivered, Raw: "completed"}}},
	})
	if r := f.Last(); r.Method != http.MethodGet || r.Path != "/v2/texml/Accounts/"+f.AccountSID+"/Calls/"+call.ID {
		t.Errorf("last request %s %s", r.Method, r.Path)
	}
	_, err = s.Status(ctx, "00000000-0000-4000-a000-000000000000")
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.Code != "10005" {
		t.Errorf("unknown id: err = %v, want telnyx 10005", err)
	}
	if _, err := s.Status(ctx, "../v2/balance"); err == nil || errors.As(err, &pe) {
		t.Errorf("malformed id: err = %v, want a local error", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	good := Config{APIKey: fakeapi.TelnyxAPIKey, From: fakeapi.From}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no api key", func(c *Config) { c.APIKey = "" }, "APIKey"},
		{"no sender", func(c *Config) { c.From = "" }, "From"},
		{"loop too big", func(c *Config) { c.Loop = 11 }, "Loop"},
		{"bad base url", func(c *Config) { c.BaseURL = "ftp://api.telnyx.com" }, "BaseURL"},
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

// TestCallWithoutSID: the spec's InitiateTexmlCall answer has no call sid;
// the call is placed (no error) and Status says its fate is unknown.
func TestCallWithoutSID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"from":"+12015550100","status":"queued","to":"+12015550123"}`))
	}))
	defer srv.Close()
	s, err := New(Config{APIKey: "k", From: "+12015550100", AccountSID: "a", TexmlApplicationID: "1", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s.Send(context.Background(), delivery.Message{To: "+12015550123", Channel: delivery.Voice, Body: "Your code is 1, 2.", Code: "12"})
	if err != nil {
		t.Fatalf("send: %v, want a placed call", err)
	}
	if rc.Status != "queued" || rc.ID != "" {
		t.Errorf("receipt %+v", rc)
	}
	if _, err := s.Status(context.Background(), rc.ID); !errors.Is(err, ErrNoCallSID) {
		t.Errorf("status: %v, want ErrNoCallSID", err)
	}
}

// TestDetailOnlyError: a body with only "detail" prints as that detail.
func TestDetailOnlyError(t *testing.T) {
	pe := parseError(404, []byte(`{"errors":[{"detail":"Call not found."}]}`))
	if pe == nil || pe.Message != "Call not found." {
		t.Fatalf("parseError = %+v, want message %q", pe, "Call not found.")
	}
}

// TestStatusEventualAndUnconfirmed: a lookup right after the send may not
// find the message yet (404), which Wait treats as "look again", not as a
// failure; delivery_unconfirmed is an unknown outcome, not a failed one.
func TestStatusEventualAndUnconfirmed(t *testing.T) {
	t.Parallel()
	f := fake(t)
	f.Lag = 2
	f.Unconfirmed = []string{"+12015550143"}
	s := sender(t, config(f))
	ctx := context.Background()
	msg := sms()
	msg.To = "+12015550143"
	rc, err := s.Send(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Status(ctx, rc.ID)
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.HTTPStatus != http.StatusNotFound || !pe.Retryable {
		t.Fatalf("first lookup: %v, want a retryable 404", err)
	}
	st, err := delivery.Wait(ctx, s, rc.ID, delivery.WaitOptions{Interval: time.Millisecond})
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if st.State != delivery.StateUnknown || st.Raw != "delivery_unconfirmed" || st.Error == "" {
		t.Errorf("status %+v, want unknown (delivery_unconfirmed)", st)
	}
}
