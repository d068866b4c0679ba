package main

import (
	"net/url"
	"testing"
	"time"
)

// verifiedVisitor returns a visitor on the success page for numA.
func verifiedVisitor(t *testing.T, f *fixture) *visitor {
	t.Helper()
	v := f.visitor(t)
	v.start(numAText, "sms")
	v.post("/verify", url.Values{"code": {f.lastCode(t, numA)}})
	v.expect("/done", "")
	return v
}

// TestVerifiedEndsOnRestart: "Start again" and a new send end the
// verification on the server, so a copy of the old cookie, in this browser
// or another, no longer shows the number as verified.
func TestVerifiedEndsOnRestart(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := verifiedVisitor(t, f)
	old := v.cookie().Value
	w := f.visitor(t)
	w.setCookie(old)
	w.get("/done")
	w.expect("/done", "") // the same session, while it lasts

	v.post("/restart", url.Values{})
	v.expect("/", "")
	for _, c := range []*visitor{v, w} {
		c.setCookie(old)
		c.get("/done")
		c.expect("/", "")
		c.setCookie(old)
		c.get("/verify")
		c.expect("/", "")
	}

	// A new send ends it too.
	f.clock.Advance(time.Minute)
	v = verifiedVisitor(t, f)
	old = v.cookie().Value
	v.post("/send", url.Values{"phone": {numB}, "region": {"US"}, "channel": {"sms"}})
	v.expect("/verify", "")
	v.setCookie(old)
	v.get("/done")
	v.expect("/", "")
}

// TestVerifiedExpires: the verification ends VerifiedTTL after the code was
// checked, however often the page is used in between.
func TestVerifiedExpires(t *testing.T) {
	f := newFixture(t, appConfig{}) // 30 minutes
	v := verifiedVisitor(t, f)
	for range 2 {
		f.clock.Advance(10 * time.Minute)
		v.get("/done")
		v.expect("/done", "")
	}
	f.clock.Advance(9*time.Minute + 59*time.Second)
	v.get("/done")
	v.expect("/done", "")
	f.clock.Advance(time.Second)
	v.get("/done")
	v.expect("/", "")
	v.get("/verify")
	v.expect("/", "")
}
