package probe

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/fakeapi"
	"github.com/otpkit/otpkit/internal/testclock"
)

func TestWebhookReceiver(t *testing.T) {
	clk := testclock.New()
	pub, priv, _ := ed25519.GenerateKey(nil)
	h := &WebhookReceiver{PublicURL: "https://probe.example", TwilioAuthToken: "tok", TelnyxPublicKey: pub, Now: clk.Now}
	form := url.Values{"MessageSid": {"SM1"}, "From": {"+12015550100"}, "To": {"+12015550123"}, "Body": {"otpkit route check nabc"}}
	post := func(path, body, ctype string, hdr map[string]string) int {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	const formType = "application/x-www-form-urlencoded"
	if c := post("/twilio", form.Encode(), formType, map[string]string{"X-Twilio-Signature": "AAAA"}); c != http.StatusForbidden {
		t.Fatalf("bad Twilio signature: %d", c)
	}
	sig := TwilioSignature("tok", "https://probe.example/twilio", form)
	if c := post("/twilio", form.Encode(), formType, map[string]string{"X-Twilio-Signature": sig}); c != http.StatusNoContent {
		t.Fatalf("good Twilio signature: %d", c)
	}
	tbody := `{"data":{"event_type":"message.received","payload":{"id":"t1","text":"otpkit route check nxyz","from":{"phone_number":"+12015550100"},"to":[{"phone_number":"+12015550124"}]}}}`
	ts := strconv.FormatInt(clk.Now().Unix(), 10)
	tsig := base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(ts+"|"+tbody)))
	if c := post("/telnyx", tbody+" ", "application/json", map[string]string{"telnyx-timestamp": ts, "telnyx-signature-ed25519": tsig}); c != http.StatusForbidden {
		t.Fatalf("tampered Telnyx body: %d", c)
	}
	if c := post("/telnyx", tbody, "application/json", map[string]string{"telnyx-timestamp": ts, "telnyx-signature-ed25519": tsig}); c != http.StatusNoContent {
		t.Fatalf("good Telnyx signature: %d", c)
	}
	ctx := context.Background()
	if got, _ := h.Inbound(ctx, "+12015550123", clk.Now()); len(got) != 1 || got[0].ID != "SM1" {
		t.Fatalf("twilio inbound: %+v", got)
	}
	if got, _ := h.Inbound(ctx, "+12015550124", clk.Now()); len(got) != 1 || got[0].Body != "otpkit route check nxyz" {
		t.Fatalf("telnyx inbound: %+v", got)
	}
}

// TestWebhookReceiverTelnyxFake: the Telnyx fake's message.received events,
// signed with its key, are taken; the same event under another key is not.
func TestWebhookReceiverTelnyxFake(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(fakeapi.TelnyxWebhookPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, _ := ed25519.GenerateKey(nil)
	for _, tc := range []struct {
		name string
		key  ed25519.PublicKey
		want int
	}{{"fake's key", raw, 1}, {"other key", otherPub, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			h := &WebhookReceiver{TelnyxPublicKey: tc.key, Now: testclock.Base}
			srv := httptest.NewServer(h)
			defer srv.Close()
			f := fakeapi.NewTelnyx()
			defer f.Close()
			f.Owned, f.WebhookURL = map[string]fakeapi.Route{"+12015550123": fakeapi.RouteHonest}, srv.URL+"/telnyx"
			req, _ := http.NewRequest("POST", f.URL()+"/v2/messages", strings.NewReader(`{"from":"+12015550100","to":"+12015550123","text":"route check qwrtz"}`))
			req.Header.Set("Authorization", "Bearer "+fakeapi.TelnyxAPIKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("send: %v %v", resp, err)
			}
			resp.Body.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			got, _ := Wait(ctx, h, "+12015550123", "qwrtz", testclock.Base(), 10*time.Millisecond)
			if n := map[bool]int{true: 1}[got != nil]; n != tc.want {
				t.Fatalf("got %+v, want %d arrivals", got, tc.want)
			}
			if got != nil && (got.From != "+12015550100" || !got.At.Equal(testclock.Base().Add(fakeapi.TwilioLatency))) {
				t.Fatalf("arrival %+v", got)
			}
		})
	}
}

// TestWebhookReceiverPlivo: Plivo's message webhook (a form with From, To,
// Text and MessageUUID, numbers without "+"), signed with
// X-Plivo-Signature-V3 over the URL, the form and the nonce.
func TestWebhookReceiverPlivo(t *testing.T) {
	clk := testclock.New()
	h := &WebhookReceiver{PublicURL: "https://probe.example", PlivoAuthToken: "plivo-token", Now: clk.Now}
	form := url.Values{"MessageUUID": {"5b40a428-bfc7-4daf-9d06-726c558bf3b8"}, "From": {"12015550100"}, "To": {"12015550125"}, "Text": {"otpkit route check nplv"}, "Type": {"sms"}}
	post := func(nonce, sig string) int {
		req := httptest.NewRequest(http.MethodPost, "/plivo", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Plivo-Signature-V3-Nonce", nonce)
		req.Header.Set("X-Plivo-Signature-V3", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	sig, err := PlivoSignature("plivo-token", "https://probe.example/plivo", "12345", form)
	if err != nil {
		t.Fatal(err)
	}
	if c := post("54321", sig); c != http.StatusForbidden {
		t.Fatalf("another nonce: %d, want 403", c)
	}
	if c := post("12345", sig); c != http.StatusNoContent {
		t.Fatalf("good signature: %d", c)
	}
	got, _ := h.Inbound(context.Background(), "+12015550125", clk.Now())
	if len(got) != 1 || got[0].From != "+12015550100" || got[0].Body != "otpkit route check nplv" || got[0].ID != "5b40a428-bfc7-4daf-9d06-726c558bf3b8" {
		t.Fatalf("plivo inbound: %+v", got)
	}
}
