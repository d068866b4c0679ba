package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of the Standard Webhooks scheme (https://www.standardwebhooks.com),
// which every request carries, so receivers can check it with the official
// libraries (Go: github.com/standard-webhooks/standard-webhooks/libraries/go,
// Node: npm standardwebhooks).
const (
	IDHeader                = "webhook-id"
	StandardTimestampHeader = "webhook-timestamp"
	StandardSignatureHeader = "webhook-signature"
)

// SecretPrefix marks a base64-encoded secret, as Standard Webhooks writes them.
const SecretPrefix = "whsec_"

// secretKey is the HMAC key of a secret: the base64-decoded bytes after
// "whsec_", else the secret's own bytes. ok is false for a "whsec_" secret
// that is not valid base64.
func secretKey(secret string) (key []byte, ok bool) {
	if rest, found := strings.CutPrefix(secret, SecretPrefix); found {
		b, err := base64.StdEncoding.DecodeString(rest)
		return b, err == nil
	}
	return []byte(secret), true
}

// SignStandard returns the webhook-signature header value for a message id,
// timestamp (Unix seconds) and body: "v1," and the base64 HMAC-SHA256 of
// id + "." + timestamp + "." + body under the secret's key ("whsec_" and
// base64, or raw bytes).
func SignStandard(secret, id, timestamp string, body []byte) string {
	key, _ := secretKey(secret)
	return "v1," + base64.StdEncoding.EncodeToString(signStandard(key, id, timestamp, body))
}

func signStandard(key []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// verifyStandard checks the Standard Webhooks headers: any of the
// space-separated "v1,<base64>" signatures may match.
func verifyStandard(key []byte, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, sigs := header.Get(IDHeader), header.Get(StandardTimestampHeader), header.Get(StandardSignatureHeader)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" {
		return ErrNoSignature
	}
	want := signStandard(key, id, ts, body)
	matched, wellFormed := false, false
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		wellFormed = true
		if hmac.Equal(got, want) {
			matched = true
		}
	}
	switch {
	case !wellFormed:
		return ErrNoSignature
	case !matched:
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(secs, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
