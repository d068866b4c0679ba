package webhook_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/otpkit/otpkit/delivery/webhook"
	"github.com/otpkit/otpkit/internal/testclock"
)

// stdSecret is a Standard Webhooks secret: whsec_ and 24 base64 bytes.
var stdSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef01234567"))

// TestStandardSentVerifiedByLibrary: what the Sender puts on the wire
// passes the official Go library's check, for a whsec_ secret and a raw one.
func TestStandardSentVerifiedByLibrary(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{stdSecret, "a-raw-secret-of-24-bytes"} {
		f := fake(t)
		cfg := config(f)
		cfg.Secret = secret
		f.Secret = secret
		if _, err := sender(t, cfg).Send(context.Background(), sms()); err != nil {
			t.Fatal(err)
		}
		r := f.Last()
		key := []byte(secret)
		if secret == stdSecret {
			key, _ = base64.StdEncoding.DecodeString(secret[len("whsec_"):])
		}
		wh, err := standardwebhooks.NewWebhookRaw(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.VerifyIgnoringTimestamp(r.Body, r.Header); err != nil {
			t.Errorf("secret %.6s...: library refuses our request: %v (headers %v)", secret, err, r.Header)
		}
		if secret == stdSecret {
			wh2, err := standardwebhooks.NewWebhook(secret)
			if err != nil || wh2.VerifyIgnoringTimestamp(r.Body, r.Header) != nil {
				t.Errorf("library with the whsec_ string refuses our request: %v", err)
			}
		}
		if r.Header.Get(webhook.IDHeader) == "" || r.Header.Get(webhook.StandardTimestampHeader) != r.Header.Get(webhook.TimestampHeader) {
			t.Errorf("headers = %v", r.Header)
		}
	}
}

// TestStandardLibrarySignedVerifiedByUs: a request the official library
// signs passes Verify; a changed body, id or secret does not.
func TestStandardLibrarySignedVerifiedByUs(t *testing.T) {
	t.Parallel()
	at := testclock.Base()
	body := []byte(`{"to":"+12015550123","channel":"sms","body":"x","code":"1234"}`)
	wh, err := standardwebhooks.NewWebhook(stdSecret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign("msg_1", at, body)
	if err != nil {
		t.Fatal(err)
	}
	h := func(id string) http.Header {
		h := http.Header{}
		h.Set(webhook.IDHeader, id)
		h.Set(webhook.StandardTimestampHeader, strconv.FormatInt(at.Unix(), 10))
		h.Set(webhook.StandardSignatureHeader, "v1,bm90IGl0 "+sig) // several signatures: any may match
		return h
	}
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", stdSecret, h("msg_1"), body, at, nil},
		{"our own signer agrees", stdSecret, func() http.Header {
			x := h("msg_1")
			x.Set(webhook.StandardSignatureHeader, webhook.SignStandard(stdSecret, "msg_1", strconv.FormatInt(at.Unix(), 10), body))
			return x
		}(), body, at, nil},
		{"body changed", stdSecret, h("msg_1"), append([]byte(" "), body...), at, webhook.ErrBadSignature},
		{"id changed", stdSecret, h("msg_2"), body, at, webhook.ErrBadSignature},
		{"other secret", "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-24-byt")), h("msg_1"), body, at, webhook.ErrBadSignature},
		{"stale", stdSecret, h("msg_1"), body, at.Add(6 * time.Minute), webhook.ErrStale},
		{"short decoded secret", "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789")), h("msg_1"), body, at, webhook.ErrShortSecret},
		{"whsec_ not base64", "whsec_!!!!!!!!!!!!!!!!!!!!", h("msg_1"), body, at, webhook.ErrShortSecret},
	}
	for _, tt := range tests {
		if err := webhook.VerifyAt(tt.secret, tt.h, tt.body, tt.now, webhook.DefaultTolerance); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}
