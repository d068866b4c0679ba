package verifyapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
	"github.com/twilio/twilio-go/client"
	verify "github.com/twilio/twilio-go/rest/verify/v2"
)

const (
	acct  = "AC0123456789abcdef0123456789abcdef"
	token = "0123456789abcdef0123456789abcdef"
	to    = "+12015550123"
)

type capture struct {
	mu   sync.Mutex
	last string
	body string
}

func (c *capture) Send(_ context.Context, m delivery.Message) (delivery.Receipt, error) {
	c.mu.Lock()
	c.last, c.body = m.Code, m.Body
	c.mu.Unlock()
	return delivery.Receipt{Provider: "capture", ID: "1"}, nil
}

type rewrite struct{ host string }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = "http", r.host
	return http.DefaultTransport.RoundTrip(req)
}

func setup(t *testing.T) (*verify.ApiService, *capture) {
	t.Helper()
	clk := testclock.New()
	snd := &capture{}
	st := memstore.New()
	svc, err := otp.New(context.Background(), st, snd, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now, ResendAfter: -1})
	if err != nil {
		t.Fatal(err)
	}
	h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	c := &client.Client{Credentials: client.NewCredentials(acct, token), HTTPClient: &http.Client{Transport: rewrite{u.Host}}}
	c.SetAccountSid(acct)
	return verify.NewApiService(&client.RequestHandler{Client: c}), snd
}

func code(t *testing.T, err error) int {
	t.Helper()
	re, ok := err.(*client.TwilioRestError)
	if !ok {
		t.Fatalf("want a TwilioRestError, got %T %v", err, err)
	}
	return re.Code
}

// TestStory runs the story with twilio-go, unchanged.
func TestStory(t *testing.T) {
	api, snd := setup(t)
	s, err := api.CreateService((&verify.CreateServiceParams{}).SetFriendlyName("Acme"))
	if err != nil {
		t.Fatal(err)
	}
	if !verifyapi.ValidSid("VA", *s.Sid) {
		t.Fatalf("service sid %q", *s.Sid)
	}
	v, err := api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(to).SetChannel("sms"))
	if err != nil {
		t.Fatal(err)
	}
	if *v.Status != "pending" || !verifyapi.ValidSid("VE", *v.Sid) {
		t.Fatalf("verification %s %s", *v.Status, *v.Sid)
	}
	right := snd.last
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	c, err := api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(to).SetCode(wrong))
	if err != nil || *c.Status != "pending" || *c.Valid {
		t.Fatalf("wrong check: %v %v", err, c)
	}
	c, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(to).SetCode(right))
	if err != nil || *c.Status != "approved" || !*c.Valid {
		t.Fatalf("right check: %v %v", err, c)
	}
	_, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(to).SetCode(right))
	if code(t, err) != 20404 {
		t.Fatalf("second check: %v", err)
	}
	// A new verification, five wrong checks: the fifth answers 60202.
	v, err = api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(to).SetChannel("sms"))
	if err != nil {
		t.Fatal(err)
	}
	wrong = "000000"
	if snd.last == wrong {
		wrong = "111111"
	}
	for i := 1; i <= 5; i++ {
		_, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetVerificationSid(*v.Sid).SetCode(wrong))
		if i < 5 && err != nil {
			t.Fatalf("wrong check %d: %v", i, err)
		}
	}
	if code(t, err) != 60202 {
		t.Fatalf("fifth wrong check: %v", err)
	}
	f, err := api.FetchVerification(*s.Sid, *v.Sid)
	if err != nil || *f.Status != "max_attempts_reached" {
		t.Fatalf("fetch: %v %v", err, f)
	}
	// Cancel a fresh verification, fetch it.
	v, err = api.CreateVerification("VA"+strings.Repeat("0", 32), (&verify.CreateVerificationParams{}).SetTo(to).SetChannel("sms"))
	if code(t, err) != 20404 {
		t.Fatalf("unknown service: %v", err)
	}
	_ = v
}

// TestAuth: a wrong token answers 401 with code 20003.
func TestAuth(t *testing.T) {
	clk := testclock.New()
	st := memstore.New()
	svc, _ := otp.New(context.Background(), st, &capture{}, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now})
	h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", token[:31], token + "0"} {
		req := httptest.NewRequest("POST", "/v2/Services", strings.NewReader("FriendlyName=x"))
		req.SetBasicAuth(acct, pw)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"code":20003`) {
			t.Errorf("password %q: %d %s", pw, rec.Code, rec.Body)
		}
	}
	if _, err := verifyapi.New(verifyapi.Config{AccountSID: "AC123", AuthToken: token, OTP: svc, Docs: st}); err == nil {
		t.Error("a short account sid was accepted")
	}
}
