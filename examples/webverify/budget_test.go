package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// testNumber returns the test number +1 201 555 01nn.
func testNumber(n int) string { return fmt.Sprintf("+1201555%04d", 100+n) }

// TestSessionBudget: one session cannot send codes to number after number;
// the budget is a sliding window on the app's clock.
func TestSessionBudget(t *testing.T) {
	f := newFixture(t, appConfig{}) // 5 per session per hour
	v := f.visitor(t)
	v.get("/")
	for i := range 5 {
		v.post("/send", url.Values{"phone": {testNumber(i)}, "region": {"US"}, "channel": {"sms"}})
		v.expect("/verify", "")
		if i < 4 {
			// A send the library refuses (the cooldown) reaches no
			// provider and does not count.
			v.post("/resend", url.Values{"channel": {"sms"}})
			v.expect("/verify", "Please wait 30s before asking for a new code.")
		}
		f.clock.Advance(time.Minute)
	}

	v.post("/send", url.Values{"phone": {testNumber(5)}, "region": {"US"}, "channel": {"sms"}})
	v.expectStatus(http.StatusTooManyRequests, "/send", "Too many codes were asked for in this browser. Try again in 55 minutes.")
	v.has(`value="&#43;1 201-555-0105"`) // what was typed stays
	if got := v.header.Get("Retry-After"); got != "3300" {
		t.Errorf("Retry-After %q, want 3300", got)
	}
	// A resend is a send too.
	f.clock.Advance(time.Minute)
	v.post("/resend", url.Values{"channel": {"sms"}})
	v.expectStatus(http.StatusTooManyRequests, "/resend", "Too many codes were asked for in this browser. Try again in 54 minutes.")
	v.has("We sent a code by text message to") // the code page: the last code is still good
	if n := len(f.entries(t)); n != 5 {
		t.Fatalf("%d messages sent, want 5", n)
	}
	// Another session from the same address has its own budget.
	w := f.visitor(t)
	w.start(testNumber(6), "sms")
	w.expect("/verify", "")

	// When the first send leaves the window, one more may go.
	f.clock.Advance(27 * time.Minute)
	v.get("/") // the session lives 30 minutes after its last use
	f.clock.Advance(27 * time.Minute)
	v.post("/send", url.Values{"phone": {testNumber(5)}, "region": {"US"}, "channel": {"sms"}})
	v.expect("/verify", "")
	v.post("/send", url.Values{"phone": {testNumber(7)}, "region": {"US"}, "channel": {"sms"}})
	v.expectStatus(http.StatusTooManyRequests, "/send", "Too many codes were asked for in this browser. Try again in 1 minute.")
	if n := len(f.entries(t)); n != 7 {
		t.Fatalf("%d messages sent, want 7", n)
	}
}

// TestClientBudget: new sessions from one address share its budget, and
// X-Forwarded-For is believed only from a trusted proxy.
func TestClientBudget(t *testing.T) {
	f := newFixture(t, appConfig{ClientSends: 3})
	for i := range 3 {
		v := f.visitor(t)
		v.start(testNumber(i), "sms")
		v.expect("/verify", "")
	}
	// A fourth session, even one that claims another address, is refused.
	v := f.visitor(t)
	v.extra = http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	v.start(testNumber(3), "sms")
	v.expectStatus(http.StatusTooManyRequests, "/send", "Too many codes were asked for from your network. Try again in 1 hour.")
	if n := len(f.entries(t)); n != 3 {
		t.Fatalf("%d messages sent, want 3", n)
	}
	f.clock.Advance(time.Hour)
	v.start(testNumber(3), "sms")
	v.expect("/verify", "")

	// Behind a trusted proxy, each client counts by its forwarded address.
	g := newFixture(t, appConfig{ClientSends: 1, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	for i, tc := range []struct {
		xff    string
		status int
	}{
		{"198.51.100.7", http.StatusOK},
		{"198.51.100.8", http.StatusOK},
		{"1.2.3.4, 198.51.100.7", http.StatusTooManyRequests}, // the left entry is the client's word
		{"2001:db8:1:2::1", http.StatusOK},
		{"2001:db8:1:2::ffff", http.StatusTooManyRequests}, // the same /64
	} {
		v := g.visitor(t)
		v.extra = http.Header{"X-Forwarded-For": {tc.xff}}
		v.start(testNumber(10+i), "sms")
		if v.status != tc.status {
			t.Errorf("X-Forwarded-For %s: status %d, want %d", tc.xff, v.status, tc.status)
		}
	}
}

func TestClientAddress(t *testing.T) {
	proxies, err := parseProxies("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"192.0.2.1:5000", "", nil, "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.7", nil, "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.7", proxies, "192.0.2.1"}, // not from a proxy
		{"127.0.0.1:5000", "198.51.100.7", proxies, "198.51.100.7"},
		{"127.0.0.1:5000", "198.51.100.7, 10.1.2.3", proxies, "198.51.100.7"},
		{"127.0.0.1:5000", "6.6.6.6, 198.51.100.7", proxies, "198.51.100.7"},
		{"127.0.0.1:5000", "", proxies, "127.0.0.1"},
		{"127.0.0.1:5000", "garbage", proxies, "127.0.0.1"},
		{"[2001:db8::5]:443", "", nil, "2001:db8::/64"},
		{"[::ffff:192.0.2.1]:80", "", nil, "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddress(r, tc.trusted); got != tc.want {
			t.Errorf("%s with X-Forwarded-For %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	if _, err := parseProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix was accepted")
	}
}

func TestBudgetFlags(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil || c.SessionSends != 5 || c.ClientSends != 20 || c.SendWindow != time.Hour || c.proxies != nil {
		t.Fatalf("defaults %+v, %v", c, err)
	}
	t.Setenv("WEBVERIFY_CLIENT_SENDS", "7")
	t.Setenv("WEBVERIFY_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
	c, err = parseFlags([]string{"-session-sends", "0", "-send-window", "10m"}, io.Discard)
	if err != nil || c.SessionSends != 0 || c.ClientSends != 7 || c.SendWindow != 10*time.Minute || len(c.proxies) != 2 {
		t.Fatalf("parsed %+v, %v", c, err)
	}
	if noLimit(c.SessionSends) != -1 || noLimit(c.ClientSends) != 7 {
		t.Error("noLimit")
	}
	// A flag wins over the environment.
	if c, err = parseFlags([]string{"-client-sends", "3"}, io.Discard); err != nil || c.ClientSends != 3 {
		t.Errorf("flag over env: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		env, value string
		args       []string
		err        string
	}{
		{"WEBVERIFY_SEND_WINDOW", "soon", nil, `WEBVERIFY_SEND_WINDOW: parse error`},
		{"", "", []string{"-trusted-proxies", "proxy.example"}, `-trusted-proxies: "proxy.example" is not an IP address or prefix`},
		{"", "", []string{"-session-sends", "-1"}, "-session-sends and -client-sends must be 0 (no limit) or more"},
		{"", "", []string{"-send-window", "0s"}, "-send-window 0s must be positive"},
	} {
		if tc.env != "" {
			t.Setenv(tc.env, tc.value)
		}
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%s=%s %q: %v, want %q", tc.env, tc.value, tc.args, err, tc.err)
		}
		if tc.env != "" {
			os.Unsetenv(tc.env)
		}
	}
}
