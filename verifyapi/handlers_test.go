package verifyapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
)

// env is a handler on a memory store, driven by plain HTTP requests.
type env struct {
	t   *testing.T
	h   http.Handler
	clk *testclock.Clock
	snd *capture
}

func newEnv(t *testing.T, opts otp.Options) *env {
	t.Helper()
	clk := testclock.New()
	snd := &capture{}
	st := memstore.New()
	opts.Secret, opts.Now = []byte("0123456789abcdef0123"), clk.Now
	svc, err := otp.New(context.Background(), st, snd, opts)
	if err != nil {
		t.Fatal(err)
	}
	h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t, h, clk, snd}
}

// do sends a request (form for POST) and decodes the JSON answer.
func (e *env) do(method, path string, form url.Values) (int, map[string]any, http.Header) {
	e.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(acct, token)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %q", method, path, rec.Body)
		}
	}
	return rec.Code, out, rec.Header()
}

func (e *env) service(form url.Values) string {
	e.t.Helper()
	st, out, _ := e.do("POST", "/v2/Services", form)
	if st != 201 {
		e.t.Fatalf("create service: %d %v", st, out)
	}
	return out["sid"].(string)
}

func (e *env) send(svc, to string) (int, map[string]any, http.Header) {
	e.t.Helper()
	return e.do("POST", "/v2/Services/"+svc+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}})
}

func errCode(out map[string]any) float64 {
	if c, ok := out["code"].(float64); ok {
		return c
	}
	return -1
}

func TestServices(t *testing.T) {
	e := newEnv(t, otp.Options{})
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   float64
		param  string
	}{
		{"name only", url.Values{"FriendlyName": {"Acme"}}, 201, -1, ""},
		{"code length", url.Values{"FriendlyName": {"Acme"}, "CodeLength": {"8"}}, 201, -1, ""},
		{"no name", url.Values{"CodeLength": {"6"}}, 400, 60200, "FriendlyName"},
		{"short code", url.Values{"FriendlyName": {"Acme"}, "CodeLength": {"3"}}, 400, 60200, "CodeLength"},
		{"long code", url.Values{"FriendlyName": {"Acme"}, "CodeLength": {"11"}}, 400, 60200, "CodeLength"},
		{"totp", url.Values{"FriendlyName": {"Acme"}, "Totp.Issuer": {"x"}}, 400, 60200, "Totp.Issuer"},
		{"custom code", url.Values{"FriendlyName": {"Acme"}, "CustomCodeEnabled": {"true"}}, 201, -1, ""},
		{"custom code off", url.Values{"FriendlyName": {"Acme"}, "CustomCodeEnabled": {"false"}}, 201, -1, ""},
		{"custom code not a bool", url.Values{"FriendlyName": {"Acme"}, "CustomCodeEnabled": {"yes"}}, 400, 60200, "CustomCodeEnabled"},
		{"a false flag is fine", url.Values{"FriendlyName": {"Acme"}, "Psd2Enabled": {"false"}}, 201, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out, _ := e.do("POST", "/v2/Services", tt.form)
			if st != tt.status || errCode(out) != tt.code {
				t.Fatalf("%d %v, want %d code %v", st, out, tt.status, tt.code)
			}
			if tt.param != "" && !strings.Contains(out["message"].(string), tt.param) {
				t.Fatalf("message %q does not name %s", out["message"], tt.param)
			}
			if st == 201 {
				sid := out["sid"].(string)
				if !verifyapi.ValidSid("VA", sid) || out["account_sid"] != acct || out["url"] != "http://example.com/v2/Services/"+sid ||
					out["date_created"] != testclock.Base().UTC().Format(time.RFC3339) {
					t.Fatalf("answer %v", out)
				}
				want := tt.form.Get("CodeLength")
				if want == "" {
					want = "6"
				}
				if got, _ := json.Marshal(out["code_length"]); string(got) != want {
					t.Fatalf("code_length %s, want %s", got, want)
				}
				if want := tt.form.Get("CustomCodeEnabled") == "true"; out["custom_code_enabled"] != want {
					t.Fatalf("custom_code_enabled %v, want %v", out["custom_code_enabled"], want)
				}
			}
		})
	}

	sid := e.service(url.Values{"FriendlyName": {"Before"}})
	t.Run("fetch", func(t *testing.T) {
		st, out, _ := e.do("GET", "/v2/Services/"+sid, nil)
		if st != 200 || out["friendly_name"] != "Before" {
			t.Fatalf("%d %v", st, out)
		}
		for _, bad := range []string{"VA" + strings.Repeat("0", 32), "nope"} {
			if st, out, _ := e.do("GET", "/v2/Services/"+bad, nil); st != 404 || errCode(out) != 20404 {
				t.Fatalf("fetch %s: %d %v", bad, st, out)
			}
		}
	})
	t.Run("update", func(t *testing.T) {
		e.clk.Advance(time.Minute)
		st, out, _ := e.do("POST", "/v2/Services/"+sid, url.Values{"FriendlyName": {"After"}, "CodeLength": {"4"}})
		if st != 200 || out["friendly_name"] != "After" || out["code_length"] != 4.0 || out["date_updated"] == out["date_created"] {
			t.Fatalf("%d %v", st, out)
		}
		if st, out, _ := e.do("POST", "/v2/Services/"+sid, url.Values{"CodeLength": {"12"}}); st != 400 || errCode(out) != 60200 {
			t.Fatalf("bad update: %d %v", st, out)
		}
		if _, out, _ := e.do("GET", "/v2/Services/"+sid, nil); out["code_length"] != 4.0 {
			t.Fatalf("a refused update changed the service: %v", out)
		}
		// The service's settings apply to its verifications.
		if st, out, _ := e.send(sid, to); st != 201 {
			t.Fatalf("send: %d %v", st, out)
		}
		if len(e.snd.last) != 4 || !strings.Contains(e.snd.body, "After") {
			t.Fatalf("sent code %q in %q, want 4 digits from After", e.snd.last, e.snd.body)
		}
	})
	t.Run("delete", func(t *testing.T) {
		sid := e.service(url.Values{"FriendlyName": {"Gone"}})
		if st, out, _ := e.do("DELETE", "/v2/Services/"+sid, nil); st != 204 || out != nil {
			t.Fatalf("delete: %d %v", st, out)
		}
		if st, _, _ := e.do("GET", "/v2/Services/"+sid, nil); st != 404 {
			t.Fatalf("fetch after delete: %d", st)
		}
		if st, out, _ := e.do("DELETE", "/v2/Services/"+sid, nil); st != 404 || errCode(out) != 20404 {
			t.Fatalf("second delete: %d %v", st, out)
		}
		if st, _, _ := e.send(sid, to); st != 404 {
			t.Fatalf("send on a deleted service: %d", st)
		}
	})
}

func TestListServices(t *testing.T) {
	e := newEnv(t, otp.Options{})
	made := map[string]bool{}
	for range 7 {
		made[e.service(url.Values{"FriendlyName": {"S"}})] = true
	}
	seen := map[string]bool{}
	next := "/v2/Services?PageSize=3"
	for page := 0; next != ""; page++ {
		st, out, _ := e.do("GET", strings.TrimPrefix(next, "http://example.com"), nil)
		if st != 200 {
			t.Fatalf("page %d: %d %v", page, st, out)
		}
		meta := out["meta"].(map[string]any)
		if meta["key"] != "services" || meta["page"] != float64(page) || meta["page_size"] != 3.0 ||
			meta["first_page_url"] != "http://example.com/v2/Services?Page=0&PageSize=3" {
			t.Fatalf("page %d meta %v", page, meta)
		}
		if (page == 0) != (meta["previous_page_url"] == nil) {
			t.Fatalf("page %d previous_page_url %v", page, meta["previous_page_url"])
		}
		for _, s := range out["services"].([]any) {
			seen[s.(map[string]any)["sid"].(string)] = true
		}
		want := 3
		if page == 2 {
			want = 1
		}
		if n := len(out["services"].([]any)); n != want {
			t.Fatalf("page %d has %d services, want %d", page, n, want)
		}
		next, _ = meta["next_page_url"].(string)
		if page > 2 {
			t.Fatal("more than 3 pages")
		}
	}
	if len(seen) != len(made) {
		t.Fatalf("listed %d services, made %d", len(seen), len(made))
	}
	// Page without a token: the same third page.
	if _, out, _ := e.do("GET", "/v2/Services?PageSize=3&Page=2", nil); len(out["services"].([]any)) != 1 {
		t.Fatalf("Page=2: %v", out)
	}
	for _, q := range []string{"PageSize=0", "PageSize=1001", "Page=-1", "PageToken=xyz"} {
		if st, out, _ := e.do("GET", "/v2/Services?"+q, nil); st != 400 || errCode(out) != 60200 {
			t.Errorf("%s: %d %v", q, st, out)
		}
	}
}

func TestVerifications(t *testing.T) {
	e := newEnv(t, otp.Options{ResendAfter: -1})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	st, v, _ := e.send(svc, to)
	if st != 201 || v["status"] != "pending" || v["to"] != to || v["channel"] != "sms" || v["valid"] != false ||
		v["service_sid"] != svc || v["url"] != "http://example.com/v2/Services/"+svc+"/Verifications/"+v["sid"].(string) {
		t.Fatalf("create: %d %v", st, v)
	}
	first := e.snd.last
	// A re-send: the same verification, a second attempt, a new code.
	e.clk.Advance(time.Second)
	st, again, _ := e.send(svc, "+1 201 555 0123")
	if st != 201 || again["sid"] != v["sid"] || len(again["send_code_attempts"].([]any)) != 2 {
		t.Fatalf("re-send: %d %v", st, again)
	}
	att := again["send_code_attempts"].([]any)[1].(map[string]any)
	if !verifyapi.ValidSid("VL", att["attempt_sid"].(string)) || att["channel"] != "sms" || att["time"] != testclock.Base().Add(time.Second).UTC().Format(time.RFC3339) {
		t.Fatalf("attempt %v", att)
	}
	if e.snd.last == first && e.snd.last != "" {
		t.Logf("the re-send drew the same code by chance")
	}
	check := func(form url.Values) (int, map[string]any) {
		st, out, _ := e.do("POST", "/v2/Services/"+svc+"/VerificationCheck", form)
		return st, out
	}
	if st, out := check(url.Values{"To": {to}, "Code": {first}}); first != e.snd.last && (st != 200 || out["status"] != "pending" || out["valid"] != false) {
		t.Fatalf("the replaced code: %d %v", st, out)
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   float64
		param  string
	}{
		{"no code", url.Values{"To": {to}}, 400, 60200, "Code"},
		{"no to", url.Values{"Code": {"123456"}}, 400, 60200, "To"},
		{"bad to", url.Values{"To": {"+1 999"}, "Code": {"123456"}}, 400, 60200, "To"},
		{"bad sid", url.Values{"VerificationSid": {"VE12"}, "Code": {"123456"}}, 400, 60200, "VerificationSid"},
		{"unknown sid", url.Values{"VerificationSid": {"VE" + strings.Repeat("a", 32)}, "Code": {"123456"}}, 404, 20404, ""},
		{"no verification for To", url.Values{"To": {"+12015550199"}, "Code": {"123456"}}, 404, 20404, ""},
		{"letters", url.Values{"To": {to}, "Code": {"abc"}}, 400, 60200, "Code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out := check(tt.form)
			if st != tt.status || errCode(out) != tt.code || tt.param != "" && !strings.Contains(out["message"].(string), tt.param) {
				t.Fatalf("%d %v, want %d %v naming %q", st, out, tt.status, tt.code, tt.param)
			}
		})
	}
	st, out := check(url.Values{"VerificationSid": {v["sid"].(string)}, "Code": {e.snd.last}})
	if st != 200 || out["status"] != "approved" || out["valid"] != true || out["sid"] != v["sid"] {
		t.Fatalf("right code: %d %v", st, out)
	}
	if st, out := check(url.Values{"To": {to}, "Code": {e.snd.last}}); st != 404 || errCode(out) != 20404 {
		t.Fatalf("approved again: %d %v", st, out)
	}
	path := "/v2/Services/" + svc + "/Verifications/" + v["sid"].(string)
	if st, out, _ := e.do("GET", path, nil); st != 200 || out["status"] != "approved" || out["valid"] != true {
		t.Fatalf("fetch approved: %d %v", st, out)
	}
	if st, out, _ := e.do("POST", path, url.Values{"Status": {"canceled"}}); st != 404 || errCode(out) != 20404 {
		t.Fatalf("cancel an approved one: %d %v", st, out)
	}

	// A new send after approval is a new verification; cancel it.
	_, v2, _ := e.send(svc, to)
	if v2["sid"] == v["sid"] {
		t.Fatal("a send after approval reused the approved verification")
	}
	path2 := "/v2/Services/" + svc + "/Verifications/" + v2["sid"].(string)
	for _, tt := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"Status": {"pending"}}, 400, ""},
		{url.Values{"Status": {"canceled"}}, 200, "canceled"},
		{url.Values{"Status": {"approved"}}, 404, ""},
	} {
		st, out, _ := e.do("POST", path2, tt.form)
		if st != tt.status || tt.want != "" && out["status"] != tt.want {
			t.Fatalf("update %v: %d %v", tt.form, st, out)
		}
	}
	if st, out := check(url.Values{"To": {to}, "Code": {e.snd.last}}); st != 404 || errCode(out) != 20404 {
		t.Fatalf("check a canceled one: %d %v", st, out)
	}
	if st, _, _ := e.do("GET", "/v2/Services/"+svc+"/Verifications/VE"+strings.Repeat("b", 32), nil); st != 404 {
		t.Fatalf("fetch unknown: %d", st)
	}
	// Another service does not see this one's verifications.
	other := e.service(url.Values{"FriendlyName": {"Other"}})
	if st, _, _ := e.do("GET", "/v2/Services/"+other+"/Verifications/"+v2["sid"].(string), nil); st != 404 {
		t.Fatalf("fetch from another service: %d", st)
	}
}

func TestCreateErrors(t *testing.T) {
	e := newEnv(t, otp.Options{})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	for _, tt := range []struct {
		form  url.Values
		param string
	}{
		{url.Values{"To": {to}}, "Channel"},
		{url.Values{"To": {to}, "Channel": {"email"}}, "Channel"},
		{url.Values{"To": {to}, "Channel": {"whatsapp"}}, "Channel"},
		{url.Values{"To": {"12"}, "Channel": {"sms"}}, "To"},
		{url.Values{"Channel": {"sms"}}, "To"},
		{url.Values{"To": {to}, "Channel": {"sms"}, "CustomCode": {"1234"}}, "CustomCode"}, // not enabled
		{url.Values{"To": {to}, "Channel": {"sms"}, "Locale": {"fr_FR"}}, "Locale"},
		{url.Values{"To": {to}, "Channel": {"sms"}, "Locale": {"français"}}, "Locale"},
		{url.Values{"To": {to}, "Channel": {"sms"}, "CustomMessage": {"hi"}}, "CustomMessage"},
	} {
		st, out, _ := e.do("POST", "/v2/Services/"+svc+"/Verifications", tt.form)
		if st != 400 || errCode(out) != 60200 || !strings.Contains(out["message"].(string), tt.param) {
			t.Errorf("%v: %d %v, want 400 60200 naming %s", tt.form, st, out, tt.param)
		}
	}
}

// TestSendLimits: otpkit's cooldown answers 429 20429, the send cap
// 429 60203, both with Retry-After.
func TestSendLimits(t *testing.T) {
	e := newEnv(t, otp.Options{ResendAfter: 30 * time.Second, MaxSends: 2, SendWindow: time.Hour})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	if st, _, _ := e.send(svc, to); st != 201 {
		t.Fatal(st)
	}
	e.clk.Advance(10 * time.Second)
	st, out, hdr := e.send(svc, to)
	if st != 429 || errCode(out) != 20429 || hdr.Get("Retry-After") != "20" {
		t.Fatalf("within the cooldown: %d %v Retry-After %q", st, out, hdr.Get("Retry-After"))
	}
	e.clk.Advance(30 * time.Second)
	if st, _, _ := e.send(svc, to); st != 201 {
		t.Fatal(st)
	}
	e.clk.Advance(time.Minute)
	st, out, hdr = e.send(svc, to)
	if st != 429 || errCode(out) != 60203 || hdr.Get("Retry-After") == "" {
		t.Fatalf("over the cap: %d %v Retry-After %q", st, out, hdr.Get("Retry-After"))
	}
}

// TestMaxAttempts: the 5th wrong check answers 429 60202 and the
// verification is max_attempts_reached; later checks answer 404.
func TestMaxAttempts(t *testing.T) {
	e := newEnv(t, otp.Options{})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	_, v, _ := e.send(svc, to)
	wrong := "000000"
	if e.snd.last == wrong {
		wrong = "111111"
	}
	for i := 1; i <= 5; i++ {
		st, out, _ := e.do("POST", "/v2/Services/"+svc+"/VerificationCheck", url.Values{"To": {to}, "Code": {wrong}})
		switch {
		case i < 5 && (st != 200 || out["status"] != "pending" || out["valid"] != false):
			t.Fatalf("wrong check %d: %d %v", i, st, out)
		case i == 5 && (st != 429 || errCode(out) != 60202):
			t.Fatalf("5th wrong check: %d %v", st, out)
		}
	}
	if _, out, _ := e.do("GET", "/v2/Services/"+svc+"/Verifications/"+v["sid"].(string), nil); out["status"] != "max_attempts_reached" {
		t.Fatalf("after 5 wrong checks: %v", out)
	}
	if st, out, _ := e.do("POST", "/v2/Services/"+svc+"/VerificationCheck", url.Values{"To": {to}, "Code": {e.snd.last}}); st != 404 || errCode(out) != 20404 {
		t.Fatalf("the right code after: %d %v", st, out)
	}
}

// TestExpiry: a verification whose code expired reads expired and checks 404.
func TestExpiry(t *testing.T) {
	e := newEnv(t, otp.Options{})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	_, v, _ := e.send(svc, to)
	e.clk.Advance(otp.DefaultTTL + time.Second)
	if st, out, _ := e.do("POST", "/v2/Services/"+svc+"/VerificationCheck", url.Values{"To": {to}, "Code": {e.snd.last}}); st != 404 || errCode(out) != 20404 {
		t.Fatalf("check after expiry: %d %v", st, out)
	}
	if _, out, _ := e.do("GET", "/v2/Services/"+svc+"/Verifications/"+v["sid"].(string), nil); out["status"] != "expired" {
		t.Fatalf("fetch after expiry: %v", out)
	}
	// A new send is a new verification.
	if _, v2, _ := e.send(svc, to); v2["sid"] == v["sid"] || v2["status"] != "pending" {
		t.Fatalf("send after expiry: %v", v2)
	}
}

// TestGuardBlocks: the library's abuse guard is on behind the API: a
// premium-rate number (refused by default) and a prefix over its limit
// answer Twilio's Fraud Guard error, 403 60410, and nothing is sent.
func TestGuardBlocks(t *testing.T) {
	e := newEnv(t, otp.Options{Guard: otp.GuardOptions{PrefixMaxSends: 1}})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	if st, out, _ := e.send(svc, "+19002345678"); st != 403 || errCode(out) != 60410 {
		t.Fatalf("premium-rate number: %d %v, want 403 60410", st, out)
	}
	if st, out, _ := e.send(svc, "+12015550101"); st != 201 {
		t.Fatalf("first send: %d %v", st, out)
	}
	st, out, hdr := e.send(svc, "+12015550102")
	if st != 403 || errCode(out) != 60410 || hdr.Get("Retry-After") == "" {
		t.Fatalf("over the prefix limit: %d %v (Retry-After %q), want 403 60410 with Retry-After", st, out, hdr.Get("Retry-After"))
	}
}

// TestConcurrentCreatesOneVerification: creates racing for one To (no
// cooldown) file their sends in one verification, never two.
func TestConcurrentCreatesOneVerification(t *testing.T) {
	e := newEnv(t, otp.Options{ResendAfter: -1, MaxSends: -1})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	const n = 20
	sids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			st, out, _ := e.send(svc, "+12015550151")
			if st != 201 {
				t.Errorf("create: %d %v", st, out)
				sids <- ""
				return
			}
			sids <- out["sid"].(string)
		})
	}
	wg.Wait()
	close(sids)
	seen := map[string]bool{}
	for s := range sids {
		seen[s] = true
	}
	if len(seen) != 1 {
		t.Fatalf("%d verifications for one To: %v", len(seen), seen)
	}
	for sid := range seen {
		_, out, _ := e.do("GET", "/v2/Services/"+svc+"/Verifications/"+sid, nil)
		if a, _ := out["send_code_attempts"].([]any); len(a) != n {
			t.Errorf("%d send attempts recorded, want %d", len(a), n)
		}
	}
}

// TestPurge: verifications leave the store a day after they ended or their
// code expired (and with their service), the To's index with them; the
// others stay.
func TestPurge(t *testing.T) {
	st := memstore.New()
	clk := testclock.New()
	svc, err := otp.New(context.Background(), st, &capture{}, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now, ResendAfter: -1, MaxSends: -1})
	if err != nil {
		t.Fatal(err)
	}
	h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t, h, clk, nil}
	sid := e.service(url.Values{"FriendlyName": {"Acme"}})
	_, old, _ := e.send(sid, "+12015550161")
	e.do("POST", "/v2/Services/"+sid+"/Verifications/"+old["sid"].(string), url.Values{"Status": {"canceled"}})
	if n, err := verifyapi.Purge(context.Background(), st, clk.Now()); err != nil || n != 0 {
		t.Fatalf("Purge at once = %d, %v; want 0", n, err)
	}
	clk.Advance(verifyapi.Retention + time.Minute)
	_, fresh, _ := e.send(sid, "+12015550162")
	if n, err := verifyapi.Purge(context.Background(), st, clk.Now()); err != nil || n != 1 {
		t.Fatalf("Purge a day on = %d, %v; want 1", n, err)
	}
	if code, _, _ := e.do("GET", "/v2/Services/"+sid+"/Verifications/"+old["sid"].(string), nil); code != 404 {
		t.Errorf("the purged verification: %d, want 404", code)
	}
	if code, _, _ := e.do("GET", "/v2/Services/"+sid+"/Verifications/"+fresh["sid"].(string), nil); code != 200 {
		t.Errorf("the fresh verification: %d, want 200", code)
	}
	if _, err := st.GetDoc(context.Background(), "verify-pending", sid+":+12015550161"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the purged verification's index: %v, want gone", err)
	}
	// Deleting the service purges its verifications.
	e.do("DELETE", "/v2/Services/"+sid, nil)
	if n, _ := verifyapi.Purge(context.Background(), st, clk.Now()); n != 1 {
		t.Errorf("Purge after deleting the service = %d, want 1", n)
	}
}

// TestLocale: Locale picks the message's language; a tag without templates
// gets the default ones; the code checks as usual.
func TestLocale(t *testing.T) {
	e := newEnv(t, otp.Options{ResendAfter: -1, MaxSends: -1, Locales: map[string]otp.Templates{"sv": {SMS: "Din {{.AppName}}-kod är {{.Code}}."}}})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}})
	for _, tt := range []struct {
		locale, channel, want string // want: <C> is the code, <S> the spoken code
	}{
		{"fr", "sms", "Votre code Acme est <C>. Il expire dans 10 minutes."},
		{"fr-CA", "call", "Votre code Acme est : <S>."},
		{"pt-BR", "sms", "Seu código Acme é <C>. Expira em 10 minutos."},
		{"sv", "sms", "Din Acme-kod är <C>."},                                    // configured
		{"ja", "sms", "Your Acme code is <C>. It expires in 10 minutes."},        // no templates: the default
		{"", "sms", "Your Acme code is <C>. It expires in 10 minutes."},          // none asked
		{"ES", "sms", "Tu código de Acme es <C>. Caduca en 10 minutos."},         // case-insensitive
		{"de", "sms", "Ihr Code für Acme lautet <C>. Er ist 10 Minuten gültig."}, // built in
	} {
		form := url.Values{"To": {to}, "Channel": {tt.channel}}
		if tt.locale != "" {
			form.Set("Locale", tt.locale)
		}
		st, v, _ := e.do("POST", "/v2/Services/"+svc+"/Verifications", form)
		if st != 201 || v["status"] != "pending" {
			t.Fatalf("create %v: %d %v", form, st, v)
		}
		if _, has := v["locale"]; has {
			t.Fatalf("the answer has a locale field, which Twilio's has not: %v", v)
		}
		want := strings.NewReplacer("<C>", e.snd.last, "<S>", otp.Spoken(e.snd.last)).Replace(tt.want)
		if e.snd.body != want {
			t.Errorf("Locale %q: sent %q, want %q", tt.locale, e.snd.body, want)
		}
		st, out, _ := e.do("POST", "/v2/Services/"+svc+"/VerificationCheck", url.Values{"To": {to}, "Code": {e.snd.last}})
		if st != 200 || out["status"] != "approved" {
			t.Fatalf("check after Locale %q: %d %v", tt.locale, st, out)
		}
	}
}

// TestCustomCode: a service with CustomCodeEnabled sends the code it is
// given, which checks as usual (letters in either case); without it, or
// with a malformed code, the create is refused and nothing is sent.
func TestCustomCode(t *testing.T) {
	e := newEnv(t, otp.Options{ResendAfter: -1, CustomCodeLetters: true})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}, "CustomCodeEnabled": {"true"}})
	create := func(form url.Values) (int, map[string]any) {
		st, out, _ := e.do("POST", "/v2/Services/"+svc+"/Verifications", form)
		return st, out
	}
	check := func(code string) (int, map[string]any) {
		st, out, _ := e.do("POST", "/v2/Services/"+svc+"/VerificationCheck", url.Values{"To": {to}, "Code": {code}})
		return st, out
	}
	st, v := create(url.Values{"To": {to}, "Channel": {"sms"}, "CustomCode": {"48291"}, "Locale": {"it"}})
	if st != 201 || v["status"] != "pending" {
		t.Fatalf("create: %d %v", st, v)
	}
	if e.snd.last != "48291" || e.snd.body != "Il tuo codice Acme è 48291. Scade tra 10 minuti." {
		t.Fatalf("sent %q in %q", e.snd.last, e.snd.body)
	}
	if st, out := check("48292"); st != 200 || out["status"] != "pending" {
		t.Fatalf("wrong code: %d %v", st, out)
	}
	if st, out := check("48291"); st != 200 || out["status"] != "approved" || out["sid"] != v["sid"] {
		t.Fatalf("the custom code: %d %v", st, out)
	}

	// Letters: sent upper-cased, checked in either case.
	if st, out := create(url.Values{"To": {to}, "Channel": {"call"}, "CustomCode": {"ab12Cd"}}); st != 201 {
		t.Fatalf("create with letters: %d %v", st, out)
	}
	if e.snd.last != "AB12CD" || e.snd.body != "Your Acme code is: A, B, 1, 2, C, D." {
		t.Fatalf("sent %q in %q", e.snd.last, e.snd.body)
	}
	if st, out := check("ab12cd"); st != 200 || out["status"] != "approved" {
		t.Fatalf("the custom code in lower case: %d %v", st, out)
	}

	sent := e.snd.body
	for _, bad := range []string{"123", "12345678901", "12 34", "12-34", "1234!", "éééé"} {
		st, out := create(url.Values{"To": {to}, "Channel": {"sms"}, "CustomCode": {bad}})
		msg, _ := out["message"].(string)
		if st != 400 || errCode(out) != 60200 || !strings.Contains(msg, "CustomCode") || strings.Contains(msg, bad) {
			t.Errorf("CustomCode %q: %d %v, want 400 60200 naming CustomCode, not showing it", bad, st, out)
		}
	}
	// Turned off by an update: refused again.
	if st, out, _ := e.do("POST", "/v2/Services/"+svc, url.Values{"CustomCodeEnabled": {"false"}}); st != 200 || out["custom_code_enabled"] != false {
		t.Fatalf("update: %d %v", st, out)
	}
	st, out := create(url.Values{"To": {to}, "Channel": {"sms"}, "CustomCode": {"4829"}})
	if st != 400 || errCode(out) != 60200 || !strings.Contains(out["message"].(string), "CustomCode") || !strings.Contains(out["message"].(string), "CustomCodeEnabled") {
		t.Fatalf("CustomCode on a service without it: %d %v", st, out)
	}
	if e.snd.body != sent {
		t.Fatalf("a refused create sent %q", e.snd.body)
	}
	if _, out, _ := e.do("GET", "/v2/Services/"+svc, nil); out["custom_code_enabled"] != false {
		t.Fatalf("fetch: %v", out)
	}
}

// TestCustomCodeLetters: on a server whose otp.Service does not read
// letters back, a CustomCode with letters is refused, digits are fine.
func TestCustomCodeLetters(t *testing.T) {
	e := newEnv(t, otp.Options{})
	svc := e.service(url.Values{"FriendlyName": {"Acme"}, "CustomCodeEnabled": {"true"}})
	st, out, _ := e.do("POST", "/v2/Services/"+svc+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}, "CustomCode": {"ab12"}})
	if st != 400 || errCode(out) != 60200 || !strings.Contains(out["message"].(string), "CustomCode") || e.snd.last != "" {
		t.Fatalf("letters: %d %v (sent %q)", st, out, e.snd.last)
	}
	if st, out, _ := e.do("POST", "/v2/Services/"+svc+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}, "CustomCode": {"0123"}}); st != 201 || e.snd.last != "0123" {
		t.Fatalf("digits: %d %v", st, out)
	}
}

// TestServiceChangesReachOtherServers: two servers on one store. A
// service deleted through one is gone at once there, and on the other
// within serviceMaxAge (a second), which may use it as it last read it
// until then.
func TestServiceChangesReachOtherServers(t *testing.T) {
	st := memstore.New()
	clk := testclock.New()
	mk := func() *env {
		svc, err := otp.New(context.Background(), st, &capture{}, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return &env{t, h, clk, &capture{}}
	}
	one, two := mk(), mk()
	sid := one.service(url.Values{"FriendlyName": {"Acme"}})
	create := func(e *env, to string) int {
		code, _, _ := e.do("POST", "/v2/Services/"+sid+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}})
		return code
	}
	for i, e := range []*env{one, two} { // each has now read the service
		if c := create(e, fmt.Sprintf("+1201555012%d", i)); c != http.StatusCreated {
			t.Fatalf("create = %d, want 201", c)
		}
	}
	if c, _, _ := one.do("DELETE", "/v2/Services/"+sid, nil); c != http.StatusNoContent {
		t.Fatalf("delete = %d", c)
	}
	if c := create(one, "+12015550124"); c != http.StatusNotFound {
		t.Errorf("create on the server that deleted it = %d, want 404 at once", c)
	}
	if c, _, _ := two.do("GET", "/v2/Services/"+sid, nil); c != http.StatusNotFound {
		t.Errorf("fetch on the other server = %d, want 404 (a fetch reads the store)", c)
	}
	clk.Advance(time.Second)
	if c := create(two, "+12015550125"); c != http.StatusNotFound {
		t.Errorf("create on the other server a second later = %d, want 404", c)
	}
}

// countingDocs counts the reads of a DocStore.
type countingDocs struct {
	store.DocStore
	mu    sync.Mutex
	reads map[string]int // by kind
}

func (c *countingDocs) GetDoc(ctx context.Context, kind, id string) ([]byte, error) {
	c.mu.Lock()
	c.reads[kind]++
	c.mu.Unlock()
	return c.DocStore.GetDoc(ctx, kind, id)
}

func (c *countingDocs) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.reads {
		n += v
	}
	return n
}

// A server remembers which verification a To's check is for and which
// verifications ended, so a pair reads the store less; what another
// server did in between still decides every answer.
func TestChecksFollowOtherServers(t *testing.T) {
	st := memstore.New()
	clk := testclock.New()
	snd := &capture{}
	mk := func() (*env, *countingDocs) {
		svc, err := otp.New(context.Background(), st, snd, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now, ResendAfter: -1, MaxSends: -1})
		if err != nil {
			t.Fatal(err)
		}
		docs := &countingDocs{DocStore: st, reads: map[string]int{}}
		h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: docs, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return &env{t, h, clk, snd}, docs
	}
	one, docs := mk()
	two, _ := mk()
	sid := one.service(url.Values{"FriendlyName": {"Acme"}})
	const to = "+12015550131"
	create := func(e *env) string {
		t.Helper()
		c, out, _ := e.send(sid, to)
		if c != http.StatusCreated {
			t.Fatalf("create = %d %v", c, out)
		}
		return out["sid"].(string)
	}
	check := func(e *env, code string) (int, string) {
		t.Helper()
		c, out, _ := e.do("POST", "/v2/Services/"+sid+"/VerificationCheck", url.Values{"To": {to}, "Code": {code}})
		if c != http.StatusOK {
			return c, ""
		}
		return c, out["sid"].(string) + " " + out["status"].(string)
	}

	// The other server approves and starts a new verification: this one's
	// check by To is for the new one.
	first := create(one)
	if c, got := check(two, snd.last); got != first+" approved" {
		t.Fatalf("check on two = %d %q, want %s approved", c, got, first)
	}
	second := create(two)
	if second == first {
		t.Fatal("a create after an approval returned the approved verification")
	}
	if c, got := check(one, snd.last); got != second+" approved" {
		t.Fatalf("check on one = %d %q, want %s approved (the other server's new verification)", c, got, second)
	}

	// The same after the first server's verification expired.
	third := create(one)
	clk.Advance(11 * time.Minute)
	fourth := create(two)
	if fourth == third {
		t.Fatal("a create after expiry returned the expired verification")
	}
	if c, got := check(one, snd.last); got != fourth+" approved" {
		t.Fatalf("check on one = %d %q, want %s approved", c, got, fourth)
	}
	if c, _ := check(one, snd.last); c != http.StatusNotFound {
		t.Fatalf("a second check = %d, want 404", c)
	}

	// On one server, a pair reads the store twice: the To's index on the
	// create, the verification on the check.
	create(one)
	check(one, snd.last)
	before := docs.total()
	create(one)
	if c, _ := check(one, snd.last); c != http.StatusOK {
		t.Fatalf("check = %d", c)
	}
	if n := docs.total() - before; n > 2 {
		t.Errorf("a pair read the store %d times, want 2", n)
	}
}
