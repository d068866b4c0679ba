package verifyapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/otpkit/otpkit/internal/spectest"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
	"github.com/twilio/twilio-go/client"
	verify "github.com/twilio/twilio-go/rest/verify/v2"
)

// specFile is the Services, Verifications and VerificationCheck paths of
// Twilio's twilio_verify_v2.json (Apache-2.0; see testdata/README.md).
const specFile = "testdata/twilio_verify_v2_subset.json"

// The statuses Twilio's description leaves out: it documents the success
// answers and, for creating a verification, 429. Those answers are checked
// against the description's own error schema instead (errorShape).
var undocumented = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound,
	http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusInternalServerError, http.StatusServiceUnavailable}

// specClient sends every request to a loopback server, validating each
// request and answer against Twilio's description on the way.
type specClient struct {
	t     *testing.T
	host  string              // the loopback server
	all   *spectest.Transport // every path; 429 is documented (create verification)
	check *spectest.Transport // VerificationCheck, whose 429 (60202) is not documented
	errs  *openapi3.Schema    // Twilio's error body, from the description's 429 answer
}

func newSpecClient(t *testing.T, srv *httptest.Server) *specClient {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	resp := doc.Paths.Value("/v2/Services/{ServiceSid}/Verifications").Post.Responses.Status(http.StatusTooManyRequests)
	errs := resp.Value.Content.Get("application/json").Schema.Value
	return &specClient{
		t: t, host: u.Host, errs: errs,
		all:   spectest.New(t, "Twilio Verify", specFile, "verify.twilio.com", undocumented...),
		check: spectest.New(t, "Twilio Verify", specFile, "verify.twilio.com", append(undocumented, http.StatusTooManyRequests)...),
	}
}

// RoundTrip implements http.RoundTripper: it points the request at the
// loopback server, has spectest validate it and its answer, and checks
// every error answer's body against Twilio's error shape.
func (c *specClient) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = "http", c.host, c.host
	tr := c.all
	if strings.HasSuffix(r.URL.Path, "/VerificationCheck") {
		tr = c.check
	}
	resp, err := tr.RoundTrip(r)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	checkErrorShape(c.t, c.errs, resp, body)
	return resp, nil
}

// checkErrorShape fails the test unless body is Twilio's error answer:
// exactly code, message, more_info and status, valid against the error
// schema of Twilio's description, status equal to the HTTP status, and
// JSON.
func checkErrorShape(t *testing.T, schema *openapi3.Schema, resp *http.Response, body []byte) {
	t.Helper()
	where := fmt.Sprintf("%s %s (%d)", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", where, ct)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s: error body is not JSON: %v: %q", where, err, body)
		return
	}
	if err := schema.VisitJSON(v); err != nil {
		t.Errorf("%s: error body does not match Twilio's error schema: %v\n%s", where, err, body)
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "code,message,more_info,status" {
		t.Errorf("%s: error body has keys %v, want code, message, more_info, status", where, keys)
	}
	if st, _ := v["status"].(float64); int(st) != resp.StatusCode {
		t.Errorf("%s: body status %v, HTTP status %d", where, v["status"], resp.StatusCode)
	}
	code, _ := v["code"].(float64)
	if mi, _ := v["more_info"].(string); mi != fmt.Sprintf("https://www.twilio.com/docs/errors/%d", int(code)) {
		t.Errorf("%s: more_info %q for code %v", where, mi, v["code"])
	}
}

// post sends a form the way Twilio's SDKs do.
func (c *specClient) post(path string, form url.Values, user, pass string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://verify.twilio.com"+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	return c.do(req)
}

func (c *specClient) get(path string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, "https://verify.twilio.com"+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.SetBasicAuth(acct, token)
	return c.do(req)
}

func (c *specClient) do(req *http.Request) (int, map[string]any) {
	c.t.Helper()
	resp, err := c.RoundTrip(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, v
}

// specHandler is a Handler on a memory store with a test clock and the
// default limits (a 30 s resend cooldown, 5 checks).
func specHandler(t testing.TB) (http.Handler, *capture, *testclock.Clock) {
	t.Helper()
	clk := testclock.New()
	snd := &capture{}
	st := memstore.New()
	svc, err := otp.New(context.Background(), st, snd, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return h, snd, clk
}

// TestAgainstVerifyDescription runs the whole story with twilio-go,
// unchanged, every request and every answer validated against Twilio's
// OpenAPI description of Verify v2: create a service, fetch it, create a
// verification, a re-send inside the cooldown (429, documented), a wrong
// check, the right check, a second check (404), fetch, five wrong checks
// (429 60202), cancel; and the error answers (401, 404, 400) in Twilio's
// error shape.
func TestAgainstVerifyDescription(t *testing.T) {
	h, snd, clk := specHandler(t)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sc := newSpecClient(t, srv)
	c := &client.Client{Credentials: client.NewCredentials(acct, token), HTTPClient: &http.Client{Transport: sc}}
	c.SetAccountSid(acct)
	api := verify.NewApiService(&client.RequestHandler{Client: c})

	s, err := api.CreateService((&verify.CreateServiceParams{}).SetFriendlyName("Acme"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.FetchService(*s.Sid); err != nil {
		t.Fatal(err)
	}
	v, err := api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(to).SetChannel("sms"))
	if err != nil {
		t.Fatal(err)
	}
	right := snd.last
	// A re-send inside the cooldown: 429, which the description documents.
	_, err = api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(to).SetChannel("sms"))
	if code(t, err) != 20429 {
		t.Fatalf("re-send inside the cooldown: %v, want 20429", err)
	}
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	ck, err := api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(to).SetCode(wrong))
	if err != nil || *ck.Status != "pending" || *ck.Valid {
		t.Fatalf("wrong check: %v %+v", err, ck)
	}
	ck, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetVerificationSid(*v.Sid).SetCode(right))
	if err != nil || *ck.Status != "approved" || !*ck.Valid {
		t.Fatalf("right check: %v %+v", err, ck)
	}
	_, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetTo(to).SetCode(right))
	if code(t, err) != 20404 {
		t.Fatalf("second check: %v", err)
	}
	f, err := api.FetchVerification(*s.Sid, *v.Sid)
	if err != nil || *f.Status != "approved" {
		t.Fatalf("fetch: %v %+v", err, f)
	}

	// Five wrong checks on a new verification: the fifth is 429 60202.
	clk.Advance(verifyapiCooldown)
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

	// Cancel a fresh verification (after the lockout), then fetch it.
	clk.Advance(verifyapiLockout)
	v, err = api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(to).SetChannel("sms"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := api.UpdateVerification(*s.Sid, *v.Sid, (&verify.UpdateVerificationParams{}).SetStatus("canceled"))
	if err != nil || *u.Status != "canceled" {
		t.Fatalf("cancel: %v %+v", err, u)
	}
	f, err = api.FetchVerification(*s.Sid, *v.Sid)
	if err != nil || *f.Status != "canceled" {
		t.Fatalf("fetch after cancel: %v %+v", err, f)
	}

	// CustomCodeEnabled, set by an update; a verification with a Locale
	// and a CustomCode; the check of that code.
	const other = "+12015550124"
	us, err := api.UpdateService(*s.Sid, (&verify.UpdateServiceParams{}).SetCustomCodeEnabled(true))
	if err != nil || us.CustomCodeEnabled == nil || !*us.CustomCodeEnabled {
		t.Fatalf("enable custom codes: %v %+v", err, us)
	}
	v, err = api.CreateVerification(*s.Sid, (&verify.CreateVerificationParams{}).SetTo(other).SetChannel("sms").SetLocale("fr").SetCustomCode("4829135"))
	if err != nil || *v.Status != "pending" {
		t.Fatalf("create with Locale and CustomCode: %v %+v", err, v)
	}
	if snd.last != "4829135" || snd.body != "Votre code Acme est 4829135. Il expire dans 10 minutes." {
		t.Fatalf("sent %q in %q", snd.last, snd.body)
	}
	ck, err = api.CreateVerificationCheck(*s.Sid, (&verify.CreateVerificationCheckParams{}).SetVerificationSid(*v.Sid).SetCode("4829135"))
	if err != nil || *ck.Status != "approved" {
		t.Fatalf("check the custom code: %v %+v", err, ck)
	}
	cs, err := api.CreateService((&verify.CreateServiceParams{}).SetFriendlyName("Plain").SetCustomCodeEnabled(false))
	if err != nil || *cs.CustomCodeEnabled {
		t.Fatalf("create a service without custom codes: %v %+v", err, cs)
	}
	_, err = api.CreateVerification(*cs.Sid, (&verify.CreateVerificationParams{}).SetTo(other).SetChannel("sms").SetCustomCode("4829135"))
	if code(t, err) != 60200 {
		t.Fatalf("CustomCode on a service without it: %v, want 60200", err)
	}

	// Error answers, in Twilio's shape.
	unknown := "VA" + strings.Repeat("0", 32)
	if st, b := sc.post("/v2/Services/"+unknown+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}}, acct, token); st != 404 || b["code"] != 20404.0 {
		t.Errorf("unknown service: %d %v", st, b)
	}
	if st, b := sc.post("/v2/Services", url.Values{"FriendlyName": {"x"}}, acct, "wrong"); st != 401 || b["code"] != 20003.0 {
		t.Errorf("wrong token: %d %v", st, b)
	}
	if st, b := sc.post("/v2/Services/"+*s.Sid+"/Verifications", url.Values{"To": {"not a number"}, "Channel": {"sms"}}, acct, token); st != 400 || b["code"] != 60200.0 {
		t.Errorf("invalid To: %d %v", st, b)
	}
	if st, b := sc.post("/v2/Services/"+*s.Sid+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}, "Locale": {"fr_FR"}}, acct, token); st != 400 || b["code"] != 60200.0 {
		t.Errorf("malformed Locale: %d %v", st, b)
	}
	if st, b := sc.post("/v2/Services/"+*s.Sid+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}, "CustomCode": {"12"}}, acct, token); st != 400 || b["code"] != 60200.0 {
		t.Errorf("malformed CustomCode: %d %v", st, b)
	}
	if st, b := sc.get("/v2/Services/" + *s.Sid + "/Verifications/VE" + strings.Repeat("0", 32)); st != 404 || b["code"] != 20404.0 {
		t.Errorf("unknown verification: %d %v", st, b)
	}

	sc.all.Require(
		"POST /v2/Services Created",
		"GET /v2/Services/{Sid} OK",
		"POST /v2/Services/{Sid} OK",
		"POST /v2/Services/{ServiceSid}/Verifications Created",
		"POST /v2/Services/{ServiceSid}/Verifications Too Many Requests",
		"GET /v2/Services/{ServiceSid}/Verifications/{Sid} OK",
		"POST /v2/Services/{ServiceSid}/Verifications/{Sid} OK",
	)
	sc.check.Require("POST /v2/Services/{ServiceSid}/VerificationCheck OK")
}

// The default resend cooldown and lockout of otp.Options, and a second.
const (
	verifyapiCooldown = 31 * time.Second
	verifyapiLockout  = 10*time.Minute + time.Second
)
