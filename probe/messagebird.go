package probe

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"strings"
	"time"
)

// VerifyMessageBird checks a MessageBird-Signature-JWT header: a JWT
// signed with HMAC (HS256, HS384 or HS512) by the account's signing key
// (not its API key), issued by "MessageBird", valid at now (with a second
// of skew), whose url_hash is the SHA-256 of the full URL and whose
// payload_hash is the SHA-256 of the body when there is one. It is what
// MessageBird's signature_jwt validator checks.
func VerifyMessageBird(signingKey, fullURL string, body []byte, token string, now time.Time) error {
	bad := func(why string) error { return fmt.Errorf("%w: MessageBird-Signature-JWT: %s", ErrSignature, why) }
	if signingKey == "" || token == "" {
		return bad("no signing key or no signature")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return bad("not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return bad("header: " + err.Error())
	}
	var h func() hash.Hash
	switch header.Alg {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		return bad(fmt.Sprintf("signing method %q is not allowed", header.Alg))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return bad("signature encoding")
	}
	m := hmac.New(h, []byte(signingKey))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, m.Sum(nil)) {
		return bad("signature is invalid")
	}
	var c struct {
		Issuer      string `json:"iss"`
		NotBefore   int64  `json:"nbf"`
		Expires     int64  `json:"exp"`
		ID          string `json:"jti"`
		URLHash     string `json:"url_hash"`
		PayloadHash string `json:"payload_hash"`
	}
	if err := decodeSegment(parts[1], &c); err != nil {
		return bad("claims: " + err.Error())
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	switch {
	case c.Issuer != "MessageBird":
		return bad("iss is not MessageBird")
	case now.Before(time.Unix(c.NotBefore, 0).Add(-time.Second)):
		return bad("nbf is in the future")
	case now.After(time.Unix(c.Expires, 0).Add(time.Second)):
		return bad("exp is in the past")
	case c.ID == "":
		return bad("jti is missing")
	case c.URLHash != sum([]byte(fullURL)):
		return bad("url_hash is invalid")
	case len(body) == 0 && c.PayloadHash != "":
		return bad("payload_hash is set but there is no payload")
	case len(body) > 0 && c.PayloadHash != sum(body):
		return bad("payload_hash is invalid")
	}
	return nil
}

func decodeSegment(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
