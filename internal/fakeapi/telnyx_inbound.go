package fakeapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

// telnyxWebhookKey is the fake's webhook signing key, made from a fixed
// seed so that tests can configure its public key
// ([TelnyxWebhookPublicKey]).
var telnyxWebhookKey = ed25519.NewKeyFromSeed(func() []byte {
	s := sha256.Sum256([]byte("otpkit fake telnyx webhook key"))
	return s[:]
}())

// TelnyxWebhookPublicKey is the base64 public key that checks the Telnyx
// fake's webhooks, as Telnyx's portal shows an account's key.
var TelnyxWebhookPublicKey = base64.StdEncoding.EncodeToString(telnyxWebhookKey.Public().(ed25519.PublicKey))

// TelnyxInbound is the receiving side of the fake Telnyx account: the
// numbers it owns and the messaging profile's webhook URL, to which each
// message that arrives at them is posted as a message.received event,
// signed as Telnyx signs (telnyx-signature-ed25519 over
// "telnyx-timestamp|body", with the fake's key). Telnyx does not filter
// texts that look like one-time codes.
type TelnyxInbound struct {
	// Owned maps each number the account owns to the route that messages
	// sent to it take (RouteLost: none arrive).
	Owned map[string]Route
	// WebhookURL is where arrivals are posted; "" posts nothing.
	WebhookURL string
}

// arrive posts what the route to an owned number makes arrive.
func (f *Telnyx) arrive(m *message) {
	route, owned := f.Owned[m.to]
	if !owned || route == RouteLost || f.WebhookURL == "" {
		return
	}
	from, text, at := m.from, m.body, testclock.Base().UTC().Add(TwilioLatency)
	switch route {
	case RouteShortCode:
		from = TwilioShortCode
	case RouteAltered:
		text = TwilioAlteredPrefix + text
	case RouteSlow:
		at = testclock.Base().UTC().Add(TwilioSlowLatency)
	}
	ev := map[string]any{"data": map[string]any{
		"event_type": "message.received", "id": uuid(), "occurred_at": at.Format(time.RFC3339), "record_type": "event",
		"payload": map[string]any{
			"id": uuid(), "direction": "inbound", "type": "SMS", "text": text, "received_at": at.Format(time.RFC3339),
			"from":                 map[string]any{"phone_number": from, "carrier": "", "line_type": ""},
			"to":                   []any{map[string]any{"phone_number": m.to, "status": "webhook_delivered"}},
			"messaging_profile_id": f.MessagingProfileID, "record_type": "message", "parts": 1, "encoding": "GSM-7",
		},
	}, "meta": map[string]any{"attempt": 1, "delivered_to": f.WebhookURL}}
	body, _ := json.Marshal(ev)
	// The fake's time, as every date it answers with.
	ts := strconv.FormatInt(testclock.Base().Unix(), 10)
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(telnyxWebhookKey, append([]byte(ts+"|"), body...)))
	go func() {
		for range 100 {
			req, _ := http.NewRequest(http.MethodPost, f.WebhookURL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("telnyx-timestamp", ts)
			req.Header.Set("telnyx-signature-ed25519", sig)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
}
