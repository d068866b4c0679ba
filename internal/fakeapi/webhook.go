package fakeapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookSecret is the secret the webhook fake checks signatures with by
// default.
const WebhookSecret = "whsec-0123456789abcdef"

// Webhook is a fake receiver of otpkit's webhook provider: it accepts
// POST / with a JSON body {to, channel, body, code} signed with
// X-Otpkit-Signature (HMAC-SHA256 of timestamp "." body) and a recent
// X-Otpkit-Timestamp, as a gateway following the documented scheme would.
// It checks the signature with its own implementation of the scheme.
type Webhook struct {
	Core
	Secret string
	// Answer is the body of success answers; default {"id":"gw-<n>"}.
	Answer string
	// Status is the success status; default 200.
	Status int
	n      int
}

// NewWebhook starts a fake webhook receiver.
func NewWebhook() *Webhook {
	f := &Webhook{Secret: WebhookSecret}
	f.start(func(status int) string { return `{"error":"` + http.StatusText(status) + `"}` }, f.handle)
	return f
}

// The scripts' option: answer=BODY.
func init() {
	register("webhook", func(o *Options) (Server, error) {
		f := NewWebhook()
		f.Answer = o.String("answer")
		return f, nil
	})
}

func (f *Webhook) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeJSON(w, http.StatusNotFound, `{"error":"not found"}`)
		return
	}
	ts, sig := r.Header.Get("X-Otpkit-Timestamp"), r.Header.Get("X-Otpkit-Signature")
	secs, err := strconv.ParseInt(ts, 10, 64)
	m := hmac.New(sha256.New, []byte(f.Secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if err != nil || !hmac.Equal([]byte(sig), []byte(want)) {
		writeJSON(w, http.StatusUnauthorized, `{"error":"bad signature"}`)
		return
	}
	if d := time.Since(time.Unix(secs, 0)); d > 5*time.Minute || d < -5*time.Minute {
		writeJSON(w, http.StatusUnauthorized, `{"error":"stale timestamp"}`)
		return
	}
	var p map[string]string
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &p) != nil {
		writeJSON(w, http.StatusBadRequest, `{"error":"body must be a JSON object"}`)
		return
	}
	for _, k := range []string{"to", "channel", "body", "code"} {
		if p[k] == "" {
			writeJSON(w, http.StatusBadRequest, `{"error":"missing `+k+`"}`)
			return
		}
	}
	if p["channel"] != "sms" && p["channel"] != "voice" {
		writeJSON(w, http.StatusBadRequest, `{"error":"unknown channel"}`)
		return
	}
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	ans := f.Answer
	if ans == "" {
		ans = `{"id":"gw-` + strconv.Itoa(n) + `"}`
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, ans)
}
