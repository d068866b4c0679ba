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
	"sync"
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
	ID        string `json:"id"`           // random; the per-session send budget counts by it
	Verified  string `json:"v,omitempty"`  // with State verified: the token of the server's record
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
	return session{ID: randomToken(), CSRF: randomToken()}
}

// randomToken returns 18 random bytes in base64url.
func randomToken() string {
	b := make([]byte, 18)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// verifiedSet is the server's record of verified sessions. The cookie only
// points into it (session.Verified), so a copy of an old cookie, kept
// from before "Start again" or taken to another client, proves nothing
// once the record is gone, and the record ends at a fixed time after the
// code was checked however often it is used.
type verifiedSet struct {
	mu sync.Mutex
	m  map[string]verification // by token
}

// verification is one verified session.
type verification struct {
	session string    // session.ID
	number  string    // the E.164 number it verified
	until   time.Time // absolute expiry
}

// add records that the session verified number until until, and returns
// the token for the cookie.
func (v *verifiedSet) add(s session, until time.Time, now time.Time) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[string]verification)
	}
	for tok, e := range v.m { // few entries: each took a right code
		if !now.Before(e.until) {
			delete(v.m, tok)
		}
	}
	tok := randomToken()
	v.m[tok] = verification{session: s.ID, number: s.Number, until: until}
	return tok
}

// valid reports whether s is a verified session the server still knows.
func (v *verifiedSet) valid(s session, now time.Time) bool {
	if s.State != stateVerified || s.Verified == "" {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[s.Verified]
	if ok && !now.Before(e.until) {
		delete(v.m, s.Verified)
		return false
	}
	return ok && e.session == s.ID && e.number == s.Number
}

// forget ends s's verification, if any.
func (v *verifiedSet) forget(s session) {
	if s.Verified == "" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.m, s.Verified)
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
	if s.CSRF == "" || s.ID == "" || now.Unix() >= s.Expires {
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
