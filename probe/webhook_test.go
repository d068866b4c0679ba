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
