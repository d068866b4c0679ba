package twilio

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/otpkit/otpkit/delivery"
)

// specTransport checks every request the sender makes, and every answer
// the fake gives, against Twilio's own OpenAPI description of the API
// (testdata/twilio_api_v2010_subset.json: the Messages and Calls paths of
// twilio_api_v2010.json, Apache-2.0), with kin-openapi's validator. So the
// fake cannot share a mistake with the client: both are held to Twilio's
// description.
type specTransport struct {
	t      *testing.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]int // "METHOD path-template status" -> count
}

func newSpecTransport(t *testing.T) *specTransport {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("testdata/twilio_api_v2010_subset.json")
	if err != nil {
		t.Fatal(err)
	}
	// Twilio's own examples break its formats (dates in RFC 1123): check the
	// description without them.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("the API description: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specTransport{t: t, router: router, seen: map[string]int{}}
}

func (s *specTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The description's server is https://api.twilio.com: match the
	// request's path there.
	probe := r.Clone(r.Context())
	probe.URL.Scheme, probe.URL.Host, probe.Host = "https", "api.twilio.com", "api.twilio.com"
	probe.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.router.FindRoute(probe)
	if err != nil {
		s.t.Errorf("%s %s: not in Twilio's API description: %v", r.Method, r.URL.Path, err)
		return http.DefaultTransport.RoundTrip(r)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		s.t.Errorf("request %s %s does not match Twilio's description: %v", r.Method, r.URL.Path, err)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(rb)),
		// The description documents only the success answers; error
		// answers (Twilio's {code, message, more_info, status}) are not in
		// it, and are checked by the fake's own tests.
		Options: &openapi3filter.Options{IncludeResponseStatus: false},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		s.t.Errorf("the fake's answer to %s %s (%d) does not match Twilio's description: %v\n%s", r.Method, r.URL.Path, resp.StatusCode, err, rb)
	}
	s.mu.Lock()
	s.seen[r.Method+" "+route.Path+" "+http.StatusText(resp.StatusCode)]++
	s.mu.Unlock()
	return resp, nil
}

// TestAgainstTwilioDescription sends SMS (from a number and through a
// Messaging Service), makes a call, looks both up and gets a refusal, with
// every request, and every answer the description documents (the 200 and
// 201 ones), checked against Twilio's description.
func TestAgainstTwilioDescription(t *testing.T) {
	f := fake(t)
	f.Invalid = []string{"+12015550150"}
	st := newSpecTransport(t)
	cfg := config(f)
	cfg.Transport = st
	s := sender(t, cfg)
	ctx := context.Background()

	var ids []string
	for _, msg := range []delivery.Message{sms(), voice()} {
		rc, err := s.Send(ctx, msg)
		if err != nil {
			t.Fatalf("%s: %v", msg.Channel, err)
		}
		ids = append(ids, rc.ID)
	}
	mcfg := cfg
	mcfg.From, mcfg.MessagingServiceSID = "", f.MessagingServiceSID
	if _, err := sender(t, mcfg).Send(ctx, sms()); err != nil {
		t.Fatalf("messaging service: %v", err)
	}
	for _, id := range ids {
		for range 2 { // an intermediate, then the final status
			if _, err := s.Status(ctx, id); err != nil {
				t.Fatalf("status %s: %v", id, err)
			}
		}
	}
	bad := sms()
	bad.To = "+12015550150"
	if _, err := s.Send(ctx, bad); err == nil {
		t.Fatal("an invalid number was accepted")
	}
	for _, want := range []string{
		"POST /2010-04-01/Accounts/{AccountSid}/Messages.json Created",
		"POST /2010-04-01/Accounts/{AccountSid}/Calls.json Created",
		"GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json OK",
		"GET /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json OK",
		"POST /2010-04-01/Accounts/{AccountSid}/Messages.json Bad Request",
	} {
		if st.seen[want] == 0 {
			t.Errorf("no %q was checked (checked: %v)", want, st.seen)
		}
	}
}
