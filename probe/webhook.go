package probe

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// WebhookReceiver is an http.Handler for the providers' inbound-message
// webhooks and a [Receiver] of what they brought. POST /twilio takes
// Twilio's form posts (X-Twilio-Signature); POST /telnyx takes Telnyx's
// message.received JSON (telnyx-signature-ed25519, telnyx-timestamp);
// POST /plivo takes Plivo's message form posts (X-Plivo-Signature-V3 and
// its nonce); GET or POST /messagebird takes MessageBird's inbound message
// calls (originator, recipient, body, id; MessageBird-Signature-JWT).
// Requests with a bad signature are answered 403 and dropped.
type WebhookReceiver struct {
	// PublicURL is the URL prefix the provider posts to, as it signs it
	// (e.g. "https://probe.example.com"); the path is appended.
	PublicURL       string
	TwilioAuthToken string
	TelnyxPublicKey ed25519.PublicKey
	PlivoAuthToken  string
	// MessageBirdSigningKey is the account's signing key (not its API key).
	MessageBirdSigningKey string
	Now                   func() time.Time // the clock for arrivals and Telnyx timestamps

	mu   sync.Mutex
	msgs []Inbound
}

// ServeHTTP implements http.Handler.
func (h *WebhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && !(r.Method == http.MethodGet && r.URL.Path == "/messagebird") {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var m Inbound
	switch r.URL.Path {
	case "/twilio":
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.ParseForm() != nil || VerifyTwilio(h.TwilioAuthToken, h.PublicURL+r.URL.RequestURI(), r.PostForm, r.Header.Get("X-Twilio-Signature")) != nil {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		m = Inbound{ID: r.PostForm.Get("MessageSid"), From: r.PostForm.Get("From"), To: r.PostForm.Get("To"), Body: r.PostForm.Get("Body"), At: h.Now()}
	case "/plivo":
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.ParseForm() != nil || VerifyPlivo(h.PlivoAuthToken, h.PublicURL+r.URL.RequestURI(), r.Header.Get("X-Plivo-Signature-V3-Nonce"), r.PostForm, r.Header.Get("X-Plivo-Signature-V3")) != nil {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		m = Inbound{ID: r.PostForm.Get("MessageUUID"), From: withPlus(r.PostForm.Get("From")), To: withPlus(r.PostForm.Get("To")), Body: r.PostForm.Get("Text"), At: h.Now()}
	case "/messagebird":
		if VerifyMessageBird(h.MessageBirdSigningKey, h.PublicURL+r.URL.RequestURI(), body, r.Header.Get("MessageBird-Signature-JWT"), h.Now()) != nil {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.ParseForm() != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		m = Inbound{ID: r.Form.Get("id"), From: withPlus(r.Form.Get("originator")), To: withPlus(r.Form.Get("recipient")), Body: r.Form.Get("body"), At: h.Now()}
	case "/telnyx":
		if VerifyTelnyx(h.TelnyxPublicKey, r.Header.Get("telnyx-timestamp"), r.Header.Get("telnyx-signature-ed25519"), body, h.Now(), 5*time.Minute) != nil {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		var ev struct {
			Data struct {
				EventType string `json:"event_type"`
				Payload   struct {
					ID   string `json:"id"`
					Text string `json:"text"`
					From struct {
						PhoneNumber string `json:"phone_number"`
					} `json:"from"`
					To []struct {
						PhoneNumber string `json:"phone_number"`
					} `json:"to"`
					ReceivedAt time.Time `json:"received_at"`
				} `json:"payload"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &ev) != nil || ev.Data.EventType != "message.received" || len(ev.Data.Payload.To) == 0 {
			w.WriteHeader(http.StatusNoContent) // signed, but not an inbound message
			return
		}
		p := ev.Data.Payload
		m = Inbound{ID: p.ID, From: p.From.PhoneNumber, To: p.To[0].PhoneNumber, Body: p.Text, At: p.ReceivedAt}
		if m.At.IsZero() {
			m.At = h.Now()
		}
	default:
		http.NotFound(w, r)
		return
	}
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Inbound implements [Receiver].
func (h *WebhookReceiver) Inbound(_ context.Context, to string, since time.Time) ([]Inbound, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Inbound
	for _, m := range h.msgs {
		if m.To == to && !m.At.Before(since) {
			out = append(out, m)
		}
	}
	return out, nil
}

// withPlus writes a number as E.164: Plivo and MessageBird leave out the "+".
func withPlus(n string) string {
	if n != "" && n[0] != '+' && n[0] >= '0' && n[0] <= '9' {
		return "+" + n
	}
	return n
}
