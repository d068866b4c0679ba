package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// cookieName is the session cookie's name.
const cookieName = "webverify_session"

// The states of a session.
const (
	stateStart    = ""         // no code sent yet
	stateCode     = "code"     // a code was sent to Number; the code page is next
	stateVerified = "verified" // Number was verified
)

// session is everything the app remembers between requests. It travels in a
// signed cookie, so the browser can read it but not change it. It holds the
// phone number and where the visitor is in the flow, never a code.
type session struct {
	Number    string `json:"n,omitempty"`  // E.164 number the code went to
	Channel   string `json:"ch,omitempty"` // how the last code went out: sms or voice
	State     string `json:"s,omitempty"`  // stateStart, stateCode or stateVerified
	CSRF      string `json:"t"`            // the token every form must carry back
	Flash     string `json:"f,omitempty"`  // a message for the next page shown
	FlashKind string `json:"fk,omitempty"` // "error", "info" or "success"
	Expires   int64  `json:"e"`            // Unix seconds after which the cookie is void
}

// flash sets the message the next page shows once.
func (s *session) flash(kind, msg string) { s.Flash, s.FlashKind = msg, kind }

// newSession returns an empty session with a fresh CSRF token.
func newSession() session {
	b := make([]byte, 18)
	rand.Read(b) // never fails (crypto/rand)
	return session{CSRF: base64.RawURLEncoding.EncodeToString(b)}
}

// sessionCodec signs and checks session cookies with HMAC-SHA256.
type sessionCodec struct {
	key    []byte
	ttl    time.Duration
	secure bool
}

// sign returns the MAC of a cookie's payload.
func (c *sessionCodec) sign(payload string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("webverify-session-v1\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// encode returns the cookie value for s: base64url(JSON) "." base64url(MAC).
func (c *sessionCodec) encode(s session) string {
	j, _ := json.Marshal(s) // cannot fail: strings and an int
	payload := base64.RawURLEncoding.EncodeToString(j)
	return payload + "." + base64.RawURLEncoding.EncodeToString(c.sign(payload))
}

// decode returns the session in a cookie value, or ok=false if the value
// was not signed with the key, is malformed, or has expired at now.
func (c *sessionCodec) decode(v string, now time.Time) (s session, ok bool) {
	payload, mac, found := strings.Cut(v, ".")
	if !found {
		return session{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, c.sign(payload)) {
		return session{}, false
	}
	j, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(j, &s) != nil {
		return session{}, false
	}
	if s.CSRF == "" || now.Unix() >= s.Expires {
		return session{}, false
	}
	return s, true
}

// load returns the request's session, or ok=false if it has none or its
// cookie is not valid.
func (c *sessionCodec) load(r *http.Request, now time.Time) (session, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return session{}, false
	}
	return c.decode(ck.Value, now)
}

// save writes s to the response as a cookie that lives for the codec's ttl.
func (c *sessionCodec) save(w http.ResponseWriter, r *http.Request, s session, now time.Time) {
	exp := now.Add(c.ttl)
	s.Expires = exp.Unix()
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    c.encode(s),
		Path:     "/",
		Expires:  exp,
		MaxAge:   int(c.ttl / time.Second),
		HttpOnly: true,
		Secure:   c.secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// validCSRF reports whether token is the session's CSRF token.
func validCSRF(s session, token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}
