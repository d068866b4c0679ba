package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
	"github.com/otpkit/otpkit/delivery/webhook"
	"github.com/otpkit/otpkit/internal/fakeapi"
)

const (
	to   = "+12015550123"
	code = "904117"
	body = "Your otpkit code is 904117. It expires in 10 minutes."
)

func fake(t *testing.T) *fakeapi.Webhook {
	t.Helper()
	f := fakeapi.NewWebhook()
	t.Cleanup(f.Close)
	return f
}

func config(f *fakeapi.Webhook) webhook.Config {
	return webhook.Config{URL: f.URL() + "/", Secret: f.Secret, Timeout: 5 * time.Second,
		Retry: delivery.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
}

func sender(t *testing.T, cfg webhook.Config) *webhook.Sender {
	t.Helper()
	s, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sms() delivery.Message {
	return delivery.Message{To: to, Channel: delivery.SMS, Body: body, Code: code}
}

func TestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   string
		status   int
		channel  delivery.Channel
		wantID   string
		wantStat string
	}{
		{"id answer", `{"id":"gw-1"}`, 200, delivery.SMS, "gw-1", "accepted"},
		{"numeric id and status", `{"id":42,"status":"queued"}`, 202, delivery.Voice, "42", "queued"},
		{"empty answer", "", 204, delivery.SMS, "", "accepted"},
		{"text answer", "OK", 200, delivery.SMS, "", "accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fake(t)
			f.Answer, f.Status = tt.answer, tt.status
			if tt.answer == "" {
				f.Answer = " "
			}
			msg := sms()
			msg.Channel = tt.channel
			rc, err := sender(t, config(f)).Send(context.Background(), msg)
			if err != nil {
				t.Fatal(err)
			}
			if rc.Provider != "webhook" || rc.Status != tt.wantStat {
				t.Errorf("receipt = %+v", rc)
			}
			if tt.wantID != "" && rc.ID != tt.wantID || tt.wantID == "" && !strings.HasPrefix(rc.ID, "webhook-") {
				t.Errorf("id = %q, want %q", rc.ID, tt.wantID)
			}
			r := f.Last()
			var got map[string]string
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"to": to, "channel": string(tt.channel), "body": body, "code": code}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("payload = %v, want %v", got, want)
			}
			if err := webhook.Verify(f.Secret, r.Header, r.Body); err != nil {
				t.Errorf("Verify of the request sent: %v", err)
			}
		})
	}
}

func TestWrongSecret(t *testing.T) {
	t.Parallel()
	f := fake(t)
	cfg := config(f)
	cfg.Secret = "another-secret-of-16"
	_, err := sender(t, cfg).Send(context.Background(), sms())
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.HTTPStatus != 401 || err.Error() != "webhook (HTTP 401): authentication failed; check the credentials: bad signature" {
		t.Fatalf("err = %v", err)
	}
}

func TestSuite(t *testing.T) {
	sendertest.Run(t, sendertest.Harness{
		Start: func(t *testing.T, opts sendertest.Options) (sendertest.Fake, delivery.Sender) {
			f := fakeapi.NewWebhook()
			cfg := config(f)
			cfg.Timeout, cfg.Retry = opts.Timeout, opts.Retry
			return f, sender(t, cfg)
		},
		Message: sms(),
		Success: http.StatusOK,
		Body: func(r fakeapi.Request) string {
			var p webhook.Payload
			json.Unmarshal(r.Body, &p)
			return p.Body
		},
		Secrets:   []string{fakeapi.WebhookSecret},
		AnyAnswer: true,
		ErrorBody: func(s string) string {
			b, _ := json.Marshal(map[string]string{"error": s})
			return string(b)
		},
	})
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef"
	payload := []byte(`{"to":"+12015550123","channel":"sms","body":"x","code":"1234"}`)
	now := time.Unix(1795338000, 0)
	header := func(ts int64, sig string) http.Header {
		h := http.Header{}
		h.Set(webhook.TimestampHeader, strconv.FormatInt(ts, 10))
		h.Set(webhook.SignatureHeader, sig)
		return h
	}
	good := webhook.Sign(secret, "1795338000", payload)
	tests := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"valid", header(now.Unix(), good), payload, nil},
		{"valid, 4 minutes old", header(now.Unix(), good), payload, nil},
		{"body changed", header(now.Unix(), good), append([]byte(" "), payload...), webhook.ErrBadSignature},
		{"timestamp changed", header(now.Unix()+1, good), payload, webhook.ErrBadSignature},
		{"other secret", header(now.Unix(), webhook.Sign("fedcba9876543210", "1795338000", payload)), payload, webhook.ErrBadSignature},
		{"no headers", http.Header{}, payload, webhook.ErrNoSignature},
		{"no sha256= prefix", header(now.Unix(), strings.TrimPrefix(good, "sha256=")), payload, webhook.ErrNoSignature},
	}
	for _, tt := range tests {
		at := now
		if strings.Contains(tt.name, "4 minutes") {
			at = now.Add(4 * time.Minute)
		}
		if err := webhook.VerifyAt(secret, tt.h, tt.body, at, webhook.DefaultTolerance); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// A replay after the tolerance is refused even with a valid signature.
	if err := webhook.VerifyAt(secret, header(now.Unix(), good), payload, now.Add(6*time.Minute), webhook.DefaultTolerance); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("replay: err = %v, want ErrStale", err)
	}
	if err := webhook.VerifyAt(secret, header(now.Unix(), good), payload, now.Add(-6*time.Minute), webhook.DefaultTolerance); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("future timestamp: err = %v, want ErrStale", err)
	}
}

// TestVerifyShortSecret: a receiver whose secret is unset or short accepts
// nothing, even a request signed with that same secret.
func TestVerifyShortSecret(t *testing.T) {
	t.Parallel()
	now := time.Unix(1795338000, 0)
	payload := []byte(`{"a":1}`)
	for _, secret := range []string{"", "x", "0123456789abcde"} {
		h := http.Header{}
		h.Set(webhook.TimestampHeader, "1795338000")
		h.Set(webhook.SignatureHeader, webhook.Sign(secret, "1795338000", payload))
		if err := webhook.VerifyAt(secret, h, payload, now, webhook.DefaultTolerance); !errors.Is(err, webhook.ErrShortSecret) {
			t.Errorf("secret %q (%d bytes): err = %v, want ErrShortSecret", secret, len(secret), err)
		}
	}
}

// TestSignature pins the scheme so receivers written from the docs keep working.
func TestSignature(t *testing.T) {
	t.Parallel()
	got := webhook.Sign("0123456789abcdef", "1795338000", []byte(`{"a":1}`))
	// printf '1795338000.{"a":1}' | openssl dgst -sha256 -hmac 0123456789abcdef
	const want = "sha256=2f5b7931743a3976ca33e6a5674a99a149a926f116367a00896870be82eed338"
	if got != want {
		t.Errorf("Sign = %s\nwant   %s", got, want)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   webhook.Config
		field string
	}{
		{"no url", webhook.Config{Secret: "0123456789abcdef"}, "URL"},
		{"not http", webhook.Config{URL: "ftp://example.com", Secret: "0123456789abcdef"}, "URL"},
		{"no secret", webhook.Config{URL: "https://example.com/otp"}, "Secret"},
		{"short secret", webhook.Config{URL: "https://example.com/otp", Secret: "short"}, "Secret"},
	}
	for _, tt := range tests {
		_, err := webhook.New(tt.cfg)
		var ce *delivery.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: err = %v, want a config error for %s", tt.name, err, tt.field)
		}
	}
}
