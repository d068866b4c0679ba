package verifyapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
	"github.com/twilio/twilio-go/client"
	verify "github.com/twilio/twilio-go/rest/verify/v2"
)

const (
	sdkAccount = "AC00112233445566778899aabbccddeeff"
	sdkToken   = "ffeeddccbbaa99887766554433221100"
)

// hostRewrite is what a Go user of twilio-go does to reach otp serve: the
// SDK always builds https://verify.twilio.com/..., so the transport sends
// those requests to the local server instead. Any other host is refused,
// so a test can never reach Twilio.
type hostRewrite struct {
	to   string // host:port of the local server
	seen *[]string
}

func (h hostRewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != "verify.twilio.com" {
		return nil, fmt.Errorf("hostRewrite: request for %s, want verify.twilio.com", req.URL.Host)
	}
	*h.seen = append(*h.seen, req.Method+" "+req.URL.Path)
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = "http", h.to, h.to
	return http.DefaultTransport.RoundTrip(req)
}

// restCode returns the Twilio error code of err, failing the test unless
// err is the SDK's *client.TwilioRestError.
func restCode(t *testing.T, err error) int {
	t.Helper()
	var re *client.TwilioRestError
	if !errors.As(err, &re) {
		t.Fatalf("want a *client.TwilioRestError, got %T: %v", err, err)
	}
	return re.Code
}

// lastCode reads the newest code the outbox holds for number.
func lastCode(t *testing.T, path, number string) string {
	t.Helper()
	entries, err := outbox.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].To == number {
			return entries[i].Code
		}
	}
	t.Fatalf("no message to %s in the outbox", number)
	return ""
}

// otherCode returns a code of the same length that is not c.
func otherCode(c string) string {
	b := []byte(c)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+1)%10
	}
	return string(b)
}

// TestTwilioGoStory runs the whole story with twilio-go, unchanged
// (its Verify v2 ApiService on a client.Client whose http.Client rewrites the
// host, which is what twilio.NewRestClientWithParams{Client: ...} builds too),
// against verifyapi.Handler over HTTP, with the outbox provider delivering.
func TestTwilioGoStory(t *testing.T) {
	clk := testclock.New()
	box := filepath.Join(t.TempDir(), "outbox.jsonl")
	st := memstore.New()
	svc, err := otp.New(context.Background(), st, outbox.New(box, clk.Now),
		otp.Options{Secret: []byte("twilio-go-story-secret-0123"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h, err := verifyapi.New(verifyapi.Config{AccountSID: sdkAccount, AuthToken: sdkToken, OTP: svc, Docs: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	base := &client.Client{
		Credentials: client.NewCredentials(sdkAccount, sdkToken),
		HTTPClient:  &http.Client{Transport: hostRewrite{to: u.Host, seen: &seen}},
	}
	base.SetAccountSid(sdkAccount)
	api := verify.NewApiService(client.NewRequestHandler(base))

	// A service.
	s, err := api.CreateService((&verify.CreateServiceParams{}).SetFriendlyName("Acme"))
	if err != nil {
		t.Fatal("create service:", err)
	}
	if !verifyapi.ValidSid("VA", *s.Sid) || *s.FriendlyName != "Acme" || *s.AccountSid != sdkAccount {
		t.Fatalf("service: sid %q name %q account %q", *s.Sid, *s.FriendlyName, *s.AccountSid)
	}
	fs, err := api.FetchService(*s.Sid)
	if err != nil || *fs.Sid != *s.Sid || *fs.FriendlyName != "Acme" {
		t.Fatalf("fetch service: %v %+v", err, fs)
	}

	// Send, read the code from the outbox; a wrong check, the right one, again.
	const first = "+12015550131"
	v, err := api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(first).SetChannel("sms"))
	if err != nil {
		t.Fatal("create verification:", err)
	}
	if !verifyapi.ValidSid("VE", *v.Sid) || *v.Status != "pending" || *v.To != first || *v.Channel != "sms" || *v.ServiceSid != *s.Sid {
		t.Fatalf("verification: %s %s %s %s %s", *v.Sid, *v.Status, *v.To, *v.Channel, *v.ServiceSid)
	}
	right := lastCode(t, box, first)
	c, err := api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(first).SetCode(otherCode(right)))
	if err != nil || *c.Status != "pending" || *c.Valid {
		t.Fatalf("wrong check: %v %+v", err, c)
	}
	c, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(first).SetCode(right))
	if err != nil || *c.Status != "approved" || !*c.Valid || *c.Sid != *v.Sid {
		t.Fatalf("right check: %v %+v", err, c)
	}
	_, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(first).SetCode(right))
	if got := restCode(t, err); got != 20404 {
		t.Fatalf("second right check: code %d, want 20404 (%v)", got, err)
	}
	f, err := api.FetchVerification(*s.Sid, *v.Sid)
	if err != nil || *f.Status != "approved" || !*f.Valid {
		t.Fatalf("fetch approved verification: %v %+v", err, f)
	}

	// Five wrong checks on a new verification: four answer pending, the
	// fifth 60202, and the verification is max_attempts_reached.
	const second = "+12015550132"
	v2, err := api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(second).SetChannel("sms"))
	if err != nil {
		t.Fatal("second verification:", err)
	}
	wrong := otherCode(lastCode(t, box, second))
	for i := 1; i <= 4; i++ {
		c, err := api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetVerificationSid(*v2.Sid).SetCode(wrong))
		if err != nil || *c.Status != "pending" || *c.Valid {
			t.Fatalf("wrong check %d: %v %+v", i, err, c)
		}
	}
	_, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetVerificationSid(*v2.Sid).SetCode(wrong))
	if got := restCode(t, err); got != 60202 {
		t.Fatalf("fifth wrong check: code %d, want 60202 (%v)", got, err)
	}
	f, err = api.FetchVerification(*s.Sid, *v2.Sid)
	if err != nil || *f.Status != "max_attempts_reached" || *f.Valid {
		t.Fatalf("fetch after five wrong checks: %v %+v", err, f)
	}

	// Cancel a third verification, fetch it, and its code no longer checks.
	const third = "+12015550133"
	v3, err := api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(third).SetChannel("sms"))
	if err != nil {
		t.Fatal("third verification:", err)
	}
	code3 := lastCode(t, box, third)
	cv, err := api.UpdateVerification(*s.Sid, *v3.Sid, (&verify.UpdateVerificationParams{}).SetStatus("canceled"))
	if err != nil || *cv.Status != "canceled" || *cv.Sid != *v3.Sid {
		t.Fatalf("cancel: %v %+v", err, cv)
	}
	f, err = api.FetchVerification(*s.Sid, *v3.Sid)
	if err != nil || *f.Status != "canceled" || *f.Valid || *f.To != third {
		t.Fatalf("fetch canceled: %v %+v", err, f)
	}
	_, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(third).SetCode(code3))
	if got := restCode(t, err); got != 20404 {
		t.Fatalf("check after cancel: code %d, want 20404 (%v)", got, err)
	}

	// The SDK went through the rewriting transport, to the paths Twilio has.
	want := []string{
		"POST /v2/Services", "GET /v2/Services/" + *s.Sid,
		"POST /v2/Services/" + *s.Sid + "/Verifications",
		"POST /v2/Services/" + *s.Sid + "/VerificationCheck",
	}
	for _, w := range want {
		found := false
		for _, got := range seen {
			found = found || got == w
		}
		if !found {
			t.Errorf("no request %q among %q", w, seen)
		}
	}
}
