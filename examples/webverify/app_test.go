package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/fakeapi"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/memstore"
)

// Test numbers: valid for libphonenumber, reserved for fiction.
const (
	numA     = "+12015550123"
	numAText = "(201) 555-0123"
	numAShow = "+1 201-555-0123"
	numB     = "+12015550124"
)

// fakeClock is the one clock the app and its otp.Service share in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// fixture is a running app with an outbox in a temporary directory.
type fixture struct {
	clock *fakeClock
	box   string
	svc   *otp.Service
	srv   *httptest.Server
	key   []byte
}

func newFixture(t testing.TB, cfg appConfig) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, fixtureOptions{})
}

// fixtureOptions change what newFixtureWith builds.
type fixtureOptions struct {
	sender  func(delivery.Sender) delivery.Sender // wraps the outbox sender
	handler func(http.Handler) http.Handler       // wraps the app's handler
}

func newFixtureWith(t testing.TB, cfg appConfig, o fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{
		// Real time, frozen: browsers compare cookie expiry with their own clock.
		clock: &fakeClock{t: testclock.Base().Truncate(time.Second)},
		box:   filepath.Join(t.TempDir(), "outbox.jsonl"),
		key:   []byte("test cookie key, 32 bytes long.."),
	}
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	var sender delivery.Sender = outbox.New(f.box, f.clock.Now)
	if o.sender != nil {
		sender = o.sender(sender)
	}
	svc, err := otp.New(context.Background(), st, sender, otp.Options{AppName: "Test", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	cfg.Now = f.clock.Now
	cfg.CookieKey = f.key
	cfg.Log = log.New(testWriter{t}, "app: ", 0)
	h := newApp(svc, cfg)
	if o.handler != nil {
		h = o.handler(h)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// testWriter sends the app's log to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// entries returns the outbox's messages (none if it does not exist yet).
func (f *fixture) entries(t testing.TB) []outbox.Entry {
	t.Helper()
	es, err := outbox.Read(f.box)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// lastCode returns the newest code sent to number.
func (f *fixture) lastCode(t testing.TB, number string) string {
	t.Helper()
	es := f.entries(t)
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].To == number {
			return es[i].Code
		}
	}
	t.Fatalf("no message to %s in the outbox", number)
	return ""
}

// visitor is one browser: a cookie jar and the last page it saw.
type visitor struct {
	t      testing.TB
	f      *fixture
	client *http.Client
	status int
	path   string // the path of the last page, after redirects
	body   string
	csrf   string
	header http.Header // the last response's header
	extra  http.Header // sent with every request
}

func (f *fixture) visitor(t testing.TB) *visitor {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &visitor{t: t, f: f, client: &http.Client{Jar: jar}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (v *visitor) do(req *http.Request) {
	v.t.Helper()
	for k, vs := range v.extra {
		req.Header[k] = vs
	}
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	v.status, v.path, v.body, v.header = resp.StatusCode, resp.Request.URL.Path, string(b), resp.Header
	if m := csrfRE.FindStringSubmatch(v.body); m != nil {
		v.csrf = m[1]
	}
}

// get loads a page, following redirects.
func (v *visitor) get(path string) {
	v.t.Helper()
	req, err := http.NewRequest("GET", v.f.srv.URL+path, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	v.do(req)
}

// post submits a form with the visitor's CSRF token (unless the form sets
// one), following the redirect.
func (v *visitor) post(path string, form url.Values) {
	v.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", v.csrf)
	}
	req, err := http.NewRequest("POST", v.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	v.do(req)
}

// start opens the phone page and asks for a code for number.
func (v *visitor) start(number, channel string) {
	v.t.Helper()
	v.get("/")
	v.post("/send", url.Values{"phone": {number}, "region": {"US"}, "channel": {channel}})
}

var flashRE = regexp.MustCompile(`id="flash">([^<]*)<`)

// flash returns the flash message on the last page, or "".
func (v *visitor) flash() string {
	if m := flashRE.FindStringSubmatch(v.body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// expect checks where the visitor is and what the page says.
func (v *visitor) expect(path, flash string) {
	v.t.Helper()
	v.expectStatus(http.StatusOK, path, flash)
}

// expectStatus is expect for a page with another status.
func (v *visitor) expectStatus(status int, path, flash string) {
	v.t.Helper()
	if v.status != status || v.path != path || v.flash() != flash {
		v.t.Fatalf("at %s (status %d) with flash %q; want %s with flash %q", v.path, v.status, v.flash(), path, flash)
	}
}

// has checks that the last page contains each string.
func (v *visitor) has(subs ...string) {
	v.t.Helper()
	for _, s := range subs {
		if !strings.Contains(v.body, s) {
			v.t.Errorf("page %s lacks %q", v.path, s)
		}
	}
}

// cookie returns the session cookie the visitor holds.
func (v *visitor) cookie() *http.Cookie {
	u, _ := url.Parse(v.f.srv.URL)
	for _, c := range v.client.Jar.Cookies(u) {
		if c.Name == cookieName {
			return c
		}
	}
	v.t.Fatal("no session cookie")
	return nil
}

// setCookie replaces the visitor's session cookie value.
func (v *visitor) setCookie(value string) {
	u, _ := url.Parse(v.f.srv.URL)
	v.client.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: value, Path: "/"}})
}

func wrongCode(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}

func TestVerifyFlow(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := f.visitor(t)
	v.get("/")
	v.expect("/", "")
	v.has(`<option value="US" selected>United States (+1)</option>`, `type="tel"`, `value="sms" checked`)

	v.post("/send", url.Values{"phone": {numAText}, "region": {"US"}, "channel": {"sms"}})
	v.expect("/verify", "")
	v.has("We sent a code by text message to <strong id=\"number\">&#43;1 201-555-0123</strong>",
		`data-seconds="600">10:00</time>`, `<span id="tries">5 tries left</span>`,
		`id="resend-wait" data-seconds="30">You can ask for a new code in <span>30s</span>`)
	es := f.entries(t)
	if len(es) != 1 || es[0].To != numA || es[0].Channel != delivery.SMS {
		t.Fatalf("outbox: %+v", es)
	}
	code := es[0].Code

	f.clock.Advance(5 * time.Second)
	v.post("/verify", url.Values{"code": {wrongCode(code)}})
	v.expect("/verify", "Wrong code. 4 tries left.")
	v.has(`data-seconds="595">9:55</time>`, `4 tries left</span>`, `data-seconds="25"`)
	// A flash is shown once.
	v.get("/verify")
	v.expect("/verify", "")
	v.has(`4 tries left</span>`)

	// People type spaces; that is fine.
	v.post("/verify", url.Values{"code": {code[:3] + " " + code[3:]}})
	v.expect("/done", "")
	v.has("<strong>&#43;1 201-555-0123</strong> is verified.")
	// The code page now leads to the success page, and the code is used up.
	v.get("/verify")
	v.expect("/done", "")

	// The session holds the number and the state, never the code.
	payload, _, _ := strings.Cut(v.cookie().Value, ".")
	j, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), code) || !strings.Contains(string(j), `"n":"+12015550123"`) || !strings.Contains(string(j), `"s":"verified"`) {
		t.Errorf("session payload %s", j)
	}

	// Start over: back to the phone page with the number filled in.
	v.post("/restart", url.Values{})
	v.expect("/", "")
	v.has(`value="&#43;1 201-555-0123"`)
	v.get("/done")
	v.expect("/", "")
}

func TestCodeField(t *testing.T) {
	f := newFixture(t, appConfig{CodeLength: 8})
	v := f.visitor(t)
	v.start(numAText, "sms")
	v.expect("/verify", "")
	field := regexp.MustCompile(`<input id="code"[^>]*>`).FindString(v.body)
	for _, attr := range []string{`autocomplete="one-time-code"`, `inputmode="numeric"`, `pattern="[0-9]{8}"`, `maxlength="8"`, `name="code"`, "required"} {
		if !strings.Contains(field, attr) {
			t.Errorf("code field %s lacks %s", field, attr)
		}
	}
	v.has("Enter the 8-digit code")
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, appConfig{})
	other := f.visitor(t)
	other.get("/")

	for _, tc := range []struct {
		name   string
		csrf   *string // nil: the visitor's own token
		header map[string]string
		cookie bool
	}{
		{name: "no token", csrf: new(string), cookie: true},
		{name: "wrong token", csrf: ptr("AAAAAAAAAAAAAAAAAAAAAAAA"), cookie: true},
		{name: "another session's token", csrf: &other.csrf, cookie: true},
		{name: "no session", cookie: false},
		{name: "cross-site request with a valid token", cookie: true, header: map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{name: "foreign origin with a valid token", cookie: true, header: map[string]string{"Origin": "https://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := f.visitor(t)
			v.get("/")
			token := v.csrf
			if tc.csrf != nil {
				token = *tc.csrf
			}
			if !tc.cookie {
				v.client.Jar, _ = cookiejar.New(nil)
			}
			form := url.Values{"csrf": {token}, "phone": {numAText}, "region": {"US"}, "channel": {"sms"}}
			req, _ := http.NewRequest("POST", f.srv.URL+"/send", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, val := range tc.header {
				req.Header.Set(k, val)
			}
			v.do(req)
			if v.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", v.status)
			}
			if len(f.entries(t)) != 0 {
				t.Fatal("a code was sent")
			}
		})
	}
	// The 403 page explains and leads back; its fresh form works.
	v := f.visitor(t)
	v.get("/")
	v.post("/send", url.Values{"csrf": {"forged"}, "phone": {numAText}})
	if v.status != http.StatusForbidden {
		t.Fatalf("status %d", v.status)
	}
	v.has("This form has expired", `href="/"`)
	v.start(numAText, "sms")
	v.expect("/verify", "")

	// Every form on every page carries the token.
	for _, page := range []string{"/verify"} {
		v.get(page)
		forms := strings.Count(v.body, "<form")
		tokens := strings.Count(v.body, `name="csrf" value="`+v.csrf+`"`)
		if forms == 0 || forms != tokens {
			t.Errorf("%s: %d forms, %d with the token", page, forms, tokens)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestSessionTampering(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := f.visitor(t)
	v.start(numAText, "sms")
	v.expect("/verify", "")
	good := v.cookie().Value
	payload, mac, _ := strings.Cut(good, ".")
	j, _ := base64.RawURLEncoding.DecodeString(payload)

	// The same session claiming another number, already verified.
	forged := strings.Replace(strings.Replace(string(j), numA, numB, 1), `"s":"code"`, `"s":"verified"`, 1)
	if forged == string(j) {
		t.Fatalf("payload %s did not change", j)
	}
	forgedPayload := base64.RawURLEncoding.EncodeToString([]byte(forged))
	otherKey := sessionCodec{key: []byte("another key, also 32 bytes long."), ttl: time.Hour}
	var s session
	if err := json.Unmarshal(j, &s); err != nil {
		t.Fatal(err)
	}
	s.State, s.Expires = stateVerified, f.clock.Now().Add(time.Hour).Unix()

	for _, tc := range []struct{ name, value string }{
		{"payload changed, old signature", forgedPayload + "." + mac},
		{"signature changed", payload + "." + base64.RawURLEncoding.EncodeToString([]byte("not the mac of this payload....."))},
		{"no signature", payload},
		{"signed with another key", otherKey.encode(s)},
		{"garbage", "%%%.***"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v.setCookie(tc.value)
			v.get("/done")
			v.expect("/", "") // not verified: a new session on the phone page
			v.has(`<input id="phone" name="phone" type="tel" autocomplete="tel" required maxlength="40" value="" `)
			v.setCookie(tc.value)
			req, _ := http.NewRequest("POST", f.srv.URL+"/verify", strings.NewReader(url.Values{"csrf": {s.CSRF}, "code": {"123456"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			v.do(req)
			if v.status != http.StatusForbidden {
				t.Errorf("POST with a tampered session: status %d, want 403", v.status)
			}
		})
	}

	// The untouched cookie still works; after the session's lifetime it does not.
	v.setCookie(good)
	v.get("/verify")
	v.expect("/verify", "")
	f.clock.Advance(31 * time.Minute)
	v.get("/verify")
	v.expect("/", "")
}

func TestSessionCookie(t *testing.T) {
	f := newFixture(t, appConfig{SessionTTL: 20 * time.Minute})
	resp, err := http.Get(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cs := resp.Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	c := cs[0]
	if c.Name != cookieName || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 1200 || c.Path != "/" || c.Secure {
		t.Errorf("cookie %s", c)
	}
	h := resp.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", h)
	}

	f2 := newFixture(t, appConfig{SecureCookies: true})
	resp, err = http.Get(f2.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("SecureCookies: cookies %v", cs)
	}
}

func TestLockout(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := f.visitor(t)
	v.start(numAText, "sms")
	code := f.lastCode(t, numA)
	for _, want := range []string{"Wrong code. 4 tries left.", "Wrong code. 3 tries left.", "Wrong code. 2 tries left.", "Wrong code. 1 try left."} {
		v.post("/verify", url.Values{"code": {wrongCode(code)}})
		v.expect("/verify", want)
	}
	v.post("/verify", url.Values{"code": {wrongCode(code)}})
	v.expect("/", "Too many tries. Try again in 10 minutes.")
	v.has(`value="&#43;1 201-555-0123"`) // the number stays filled in

	// Locked: no new code, and the code page sends people back.
	f.clock.Advance(90 * time.Second)
	v.post("/send", url.Values{"phone": {numAText}, "region": {"US"}, "channel": {"voice"}})
	v.expect("/", "Too many tries. Try again in 9 minutes.")
	if n := len(f.entries(t)); n != 1 {
		t.Fatalf("%d messages sent, want 1", n)
	}
	// Even a fresh browser (a new session) cannot get around it.
	w := f.visitor(t)
	w.start(numAShow, "sms")
	w.expect("/", "Too many tries. Try again in 9 minutes.")

	// Once the lock lapses, a new code goes out.
	f.clock.Advance(9 * time.Minute)
	v.post("/send", url.Values{"phone": {numAText}, "region": {"US"}, "channel": {"voice"}})
	v.expect("/verify", "")
	v.has("We're calling <strong id=\"number\">&#43;1 201-555-0123</strong>", "5 tries left")
}

func TestCooldown(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := f.visitor(t)
	v.start(numAText, "sms")
	first := f.lastCode(t, numA)

	v.post("/resend", url.Values{"channel": {"sms"}})
	v.expect("/verify", "Please wait 30s before asking for a new code.")
	f.clock.Advance(5 * time.Second)
	v.post("/resend", url.Values{"channel": {"voice"}})
	v.expect("/verify", "Please wait 25s before asking for a new code.")
	v.has(`id="resend-wait" data-seconds="25">You can ask for a new code in <span>25s</span>`)
	// Asking again from the phone page is the same send.
	v.post("/send", url.Values{"phone": {numAText}, "region": {"US"}, "channel": {"sms"}})
	v.expect("/verify", "Please wait 25s before asking for a new code.")
	if n := len(f.entries(t)); n != 1 {
		t.Fatalf("%d messages sent, want 1", n)
	}

	// After the cooldown: "call me instead".
	f.clock.Advance(25 * time.Second)
	v.get("/verify")
	v.has(`id="resend-wait" data-seconds="0" hidden>`)
	v.post("/resend", url.Values{"channel": {"voice"}})
	v.expect("/verify", "We're calling you now with a new code.")
	v.has("We're calling", ">Call me again</button>", ">Text me instead</button>")
	es := f.entries(t)
	if len(es) != 2 || es[1].Channel != delivery.Voice {
		t.Fatalf("outbox: %+v", es)
	}
	// The new code replaced the old one.
	v.post("/verify", url.Values{"code": {first}})
	if first != es[1].Code {
		v.expect("/verify", "Wrong code. 4 tries left.")
	}
	v.post("/verify", url.Values{"code": {es[1].Code}})
	v.expect("/done", "")
}

func TestSendLimit(t *testing.T) {
	// The session budget (5 by default) would refuse the sixth send first.
	f := newFixture(t, appConfig{SessionSends: 10})
	v := f.visitor(t)
	v.start(numAText, "sms")
	for range 4 {
		f.clock.Advance(30 * time.Second)
		v.post("/resend", url.Values{"channel": {"sms"}})
		v.expect("/verify", "We sent you a new code by text message.")
	}
	// Five sends in the hour: the sixth waits for the first to leave the window.
	f.clock.Advance(30 * time.Second)
	v.post("/resend", url.Values{"channel": {"sms"}})
	v.expect("/verify", "Please wait 58 minutes before asking for a new code.")
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := f.visitor(t)
	v.start(numAText, "sms")
	code := f.lastCode(t, numA)
	f.clock.Advance(10 * time.Minute)
	v.get("/verify")
	v.expect("/verify", "")
	v.has("There is no valid code for this number any more.")
	if strings.Contains(v.body, `id="verify-form"`) {
		t.Error("the code form is shown for an expired code")
	}
	v.post("/verify", url.Values{"code": {code}})
	v.expect("/verify", "That code has expired. Ask for a new one.")
	v.post("/resend", url.Values{"channel": {"sms"}})
	v.expect("/verify", "We sent you a new code by text message.")
	v.post("/verify", url.Values{"code": {f.lastCode(t, numA)}})
	v.expect("/done", "")
	v.post("/restart", url.Values{})
	// A used code, typed again on a new round, is not accepted.
	f.clock.Advance(time.Minute)
	v.get("/")
	v.start(numAText, "sms")
	v.expect("/verify", "")
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := f.visitor(t)
	for _, phone := range []string{"", "555-0123", "+1 555 555 0123", strings.Repeat("9", 100), "call me"} {
		v.get("/")
		v.post("/send", url.Values{"phone": {phone}, "region": {"US"}, "channel": {"sms"}})
		v.expect("/", "That doesn't look like a phone number. Check the number and the country.")
	}
	v.start(numAText, "sms")
	for _, code := range []string{"", "12ab56", "<script>", strings.Repeat("1", 70)} {
		v.post("/verify", url.Values{"code": {code}})
		v.expect("/verify", "Enter the 6-digit code from the message.")
		v.has("5 tries left") // not counted
	}
	// An unknown channel falls back to SMS.
	f.clock.Advance(time.Minute)
	v.post("/resend", url.Values{"channel": {"fax"}})
	v.expect("/verify", "We sent you a new code by text message.")
	if es := f.entries(t); es[len(es)-1].Channel != delivery.SMS {
		t.Errorf("channel %s", es[len(es)-1].Channel)
	}
	// A huge form is refused, not read.
	v.post("/verify", url.Values{"code": {strings.Repeat("1", 64<<10)}})
	if v.status != http.StatusRequestEntityTooLarge {
		t.Errorf("huge form: status %d", v.status)
	}
	// Pages out of order lead back to the start.
	w := f.visitor(t)
	w.get("/verify")
	w.expect("/", "")
	w.post("/verify", url.Values{"code": {"123456"}})
	w.expect("/", "")
	w.post("/resend", url.Values{"channel": {"sms"}})
	w.expect("/", "")
	if resp, err := http.Get(f.srv.URL + "/nope"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %v %v", resp.StatusCode, err)
	}
	if resp, err := http.Post(f.srv.URL+"/done", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /done: %v %v", resp.StatusCode, err)
	}
}

func TestRegion(t *testing.T) {
	f := newFixture(t, appConfig{Region: "gb"})
	v := f.visitor(t)
	v.get("/")
	v.has(`<option value="GB" selected>United Kingdom (+44)</option>`)
	if strings.Contains(v.body, `value="US" selected`) {
		t.Error("US selected too")
	}
	v.post("/send", url.Values{"phone": {"020 7946 0018"}, "region": {"GB"}, "channel": {"voice"}})
	v.expect("/verify", "")
	v.has("&#43;44 20 7946 0018")
	if es := f.entries(t); len(es) != 1 || es[0].To != "+442079460018" || es[0].Channel != delivery.Voice {
		t.Fatalf("outbox %+v", es)
	}
	// Back on the phone page, the number's own country is selected.
	v.post("/restart", url.Values{})
	v.has(`<option value="GB" selected>`, `value="voice" checked`)
}

func TestStatic(t *testing.T) {
	f := newFixture(t, appConfig{})
	for path, ctype := range map[string]string{"/static/style.css": "text/css", "/static/app.js": "text/javascript"} {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

func TestWaitText(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "1s"}, {300 * time.Millisecond, "1s"}, {25 * time.Second, "25s"}, {59*time.Second + time.Millisecond, "1 minute"},
		{60 * time.Second, "1 minute"}, {61 * time.Second, "2 minutes"}, {10 * time.Minute, "10 minutes"},
		{9*time.Minute + time.Second, "10 minutes"}, {time.Hour, "1 hour"}, {90*time.Minute + 1, "1 hour 31 minutes"},
	} {
		if got := waitText(tc.d); got != tc.want {
			t.Errorf("waitText(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	box := filepath.Join(dir, "box", "outbox.jsonl")
	db := filepath.Join(dir, "state", "otp.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-outbox", box, "-store", db, "-region", "US", "-webotp", "example.com"}, pw, &stderr)
		pw.Close()
	}()
	line := make([]byte, 64)
	n, err := pr.Read(line)
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSpace(string(line[:n]))
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/$`).MatchString(base) {
		t.Fatalf("printed %q, want a URL on 127.0.0.1", base)
	}
	go io.Copy(io.Discard, pr)

	// Send through the real server and check the SMS ends with the WebOTP line.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token := csrfRE.FindStringSubmatch(string(b))[1]
	resp, err = c.PostForm(base+"send", url.Values{"csrf": {token}, "phone": {numAText}, "region": {"US"}, "channel": {"sms"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	es, err := outbox.Read(box)
	if err != nil || len(es) != 1 {
		t.Fatalf("outbox: %v %+v", err, es)
	}
	if want := "\n\n@example.com #" + es[0].Code; !strings.HasSuffix(es[0].Body, want) || !strings.HasPrefix(es[0].Body, "Your Webverify code is "+es[0].Code) {
		t.Errorf("sms body %q, want the WebOTP line %q last", es[0].Body, want)
	}

	// While it runs, the store is taken: a second app says so at once.
	if _, _, err := newService(context.Background(), config{Provider: "console", Store: db}, io.Discard); !errors.Is(err, filestore.ErrBusy) {
		t.Errorf("second open of the store: %v, want ErrBusy", err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stderr.String(), "codes go to "+box) || !strings.Contains(stderr.String(), "pending codes are kept in "+db) {
		t.Errorf("stderr: %s", stderr.String())
	}
	// The pending code outlives the app.
	svc, st, err := newService(context.Background(), config{Provider: "console", Store: db, Region: "US"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := svc.Verify(context.Background(), numA, es[0].Code); err != nil {
		t.Errorf("verify after a restart: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-provider", "twilio"}, `unknown -provider "twilio" (want outbox or console)`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-webotp", "bad host #1"}, `-webotp "bad host #1" is not a host name`},
		{[]string{"-webotp", "{{.Code}}"}, `-webotp "{{.Code}}" is not a host name`},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || err.Error() != tc.err {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
		}
	}
	c, err := parseFlags([]string{"-provider", "console", "-addr", "127.0.0.1:8080", "-webotp", "example.com"}, io.Discard)
	if err != nil || c.Provider != "console" || c.Addr != "127.0.0.1:8080" || c.WebOTP != "example.com" || c.Region != "US" {
		t.Errorf("parsed %+v, %v", c, err)
	}
	// An unknown region is refused when the service is built.
	if _, _, err := newService(context.Background(), config{Provider: "console", Region: "XX"}, io.Discard); err == nil || !strings.Contains(err.Error(), `unknown region "XX"`) {
		t.Errorf("region XX: %v", err)
	}
}

func TestConsoleProvider(t *testing.T) {
	var stderr strings.Builder
	svc, st, err := newService(context.Background(), config{Provider: "console", Region: "US", AppName: "Webverify"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := svc.Send(context.Background(), numAText, delivery.Voice); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\[console\] voice to \+12015550123: Your Webverify code is: \d, \d, \d, \d, \d, \d\.\n$`).MatchString(stderr.String()) {
		t.Errorf("console: %q", stderr.String())
	}
}

// TestConfigFile runs the app's service from an otp configuration file: a
// real provider (the Twilio fake), the file store and the file's templates.
func TestConfigFile(t *testing.T) {
	fake := fakeapi.NewTwilio()
	defer fake.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "otp.toml")
	cfg := fmt.Sprintf(`app_name = "Acme"
[store]
path = "otp.db"
[delivery]
provider = "twilio"
[delivery.twilio]
account_sid = %q
auth_token = %q
from = %q
base_url = %q
`, fakeapi.TwilioAccountSID, fakeapi.TwilioAuthToken, fakeapi.From, fake.URL())
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseFlags([]string{"-config", path, "-provider", "console"}, io.Discard); err == nil {
		t.Fatal("-config with -provider was accepted")
	}
	c, err := parseFlags([]string{"-config", path, "-webotp", "example.com"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	svc, st, err := newService(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := svc.Send(context.Background(), "+1 201 555 0123", delivery.SMS)
	if err != nil || res.Provider != "twilio" {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	req := fake.Last()
	if req.Method != http.MethodPost || req.Form.Get("To") != numA || req.Form.Get("From") != fakeapi.From {
		t.Fatalf("the fake got %s %s %v", req.Method, req.Path, req.Form)
	}
	body := req.Form.Get("Body")
	m := regexp.MustCompile(`^Your Acme code is (\d{6})\. It expires in 10 minutes\.\n\n@example\.com #(\d{6})$`).FindStringSubmatch(body)
	if m == nil || m[1] != m[2] {
		t.Fatalf("SMS body %q", body)
	}
	if _, err := os.Stat(filepath.Join(dir, "otp.db")); err != nil {
		t.Fatalf("the configured store was not used: %v", err)
	}
	if _, err := svc.Verify(context.Background(), numA, m[1]); err != nil {
		t.Fatal(err)
	}
}

// TestGuardRefuses: the library's abuse guard is on in the app too: a
// premium-rate number (refused by default) gets no code and a plain message.
func TestGuardRefuses(t *testing.T) {
	f := newFixture(t, appConfig{})
	v := f.visitor(t)
	v.start("(900) 234-5678", "sms")
	v.expect("/", "We can't send codes to this number. Please use another number.")
	if entries, _ := outbox.Read(f.box); len(entries) != 0 {
		t.Errorf("%d messages went out, want none", len(entries))
	}
}
