package verifyapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
)

// TestMetrics runs a story and scrapes /metrics: verifications created
// by channel, checks by outcome, deliveries by provider and outcome, and
// the latency histogram by route have moved.
func TestMetrics(t *testing.T) {
	clk := testclock.New()
	snd := &capture{}
	st := memstore.New()
	svc, err := otp.New(context.Background(), st, snd, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	m := verifyapi.NewMetrics()
	h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(verifyapi.NewHTTPHandler(verifyapi.HTTPConfig{API: h, Store: st, Metrics: m}))
	t.Cleanup(srv.Close)
	post := func(path string, kv ...string) {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		send(t, "POST", srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()), -1)
	}
	_, b := send(t, "POST", srv.URL+"/v2/Services", "application/x-www-form-urlencoded", strings.NewReader("FriendlyName=Acme"), -1)
	sid := string(b[strings.Index(string(b), `"VA`)+1:][:34])
	post("/v2/Services/"+sid+"/Verifications", "To", to, "Channel", "sms")
	post("/v2/Services/"+sid+"/Verifications", "To", to, "Channel", "sms") // 429: no delivery
	wrong := "000000"
	if snd.last == wrong {
		wrong = "111111"
	}
	post("/v2/Services/"+sid+"/VerificationCheck", "To", to, "Code", wrong)
	post("/v2/Services/"+sid+"/VerificationCheck", "To", to, "Code", snd.last)
	post("/v2/Services/"+sid+"/VerificationCheck", "To", to, "Code", snd.last)

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := string(body)
	for _, want := range []string{
		`otp_serve_verifications_created_total{channel="sms"} 1`,
		`otp_serve_verification_checks_total{outcome="rejected"} 1`,
		`otp_serve_verification_checks_total{outcome="approved"} 1`,
		`otp_serve_verification_checks_total{outcome="not_found"} 1`,
		`otp_serve_deliveries_total{outcome="accepted",provider="capture"} 1`,
		`otp_serve_request_duration_seconds_count{route="POST /v2/Services/{ServiceSid}/Verifications"} 2`,
		`otp_serve_request_duration_seconds_count{route="POST /v2/Services/{ServiceSid}/VerificationCheck"} 3`,
		`otp_serve_request_duration_seconds_count{route="POST /v2/Services"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want+" ") {
			t.Errorf("no %s in /metrics", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

// refusing is a provider that refuses every message.
type refusing struct{}

func (refusing) Send(context.Context, delivery.Message) (delivery.Receipt, error) {
	return delivery.Receipt{}, &delivery.ProviderError{Provider: "bad", HTTPStatus: 400, Message: "refused"}
}

// TestMetricsDeliveries: a provider that fails before another accepts, and
// a send every provider fails, count each provider's part.
func TestMetricsDeliveries(t *testing.T) {
	clk := testclock.New()
	m := verifyapi.NewMetrics()
	for _, routes := range [][]delivery.Route{
		{{Provider: "bad", Sender: refusing{}}, {Provider: "good", Sender: &capture{}}},
		{{Provider: "bad", Sender: refusing{}}},
	} {
		svc, err := otp.New(context.Background(), memstore.New(), delivery.NewFailover(routes...), otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Send(context.Background(), to, delivery.SMS)
		m.ObserveSend(res, err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`otp_serve_deliveries_total{outcome="failed",provider="bad"} 2`,
		`otp_serve_deliveries_total{outcome="accepted",provider="capture"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("no %s in:\n%s", want, rec.Body)
		}
	}
}
