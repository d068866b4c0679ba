package probe

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// ErrSignature is returned, wrapped, for an inbound webhook whose signature
// is missing, malformed, wrong or too old.
var ErrSignature = errors.New("bad webhook signature")

// TwilioSignature computes X-Twilio-Signature: base64 of HMAC-SHA1, keyed
// by the auth token, of the full URL followed by each POST parameter's
// name and value, sorted by name.
func TwilioSignature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(fullURL))
	for _, k := range keys {
		for _, v := range params[k] {
			m.Write([]byte(k + v))
		}
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyTwilio checks an X-Twilio-Signature header.
func VerifyTwilio(authToken, fullURL string, params url.Values, sig string) error {
	want := TwilioSignature(authToken, fullURL, params)
	if sig == "" || !hmac.Equal([]byte(want), []byte(sig)) {
		return ErrSignature
	}
	return nil
}

// VerifyTelnyx checks a Telnyx webhook: telnyx-signature-ed25519 is the
// base64 Ed25519 signature of "timestamp|body", telnyx-timestamp the Unix
// seconds, which must be within tolerance of now.
func VerifyTelnyx(pub ed25519.PublicKey, timestamp, sig string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(pub) != ed25519.PublicKeySize {
		return ErrSignature
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignature
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || !ed25519.Verify(pub, append([]byte(timestamp+"|"), body...), raw) {
		return ErrSignature
	}
	return nil
}
