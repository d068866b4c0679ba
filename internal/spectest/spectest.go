// Package spectest checks HTTP traffic against a provider's own OpenAPI
// description, with kin-openapi's validator: every request a client makes
// and every answer a fake gives. So a fake written by us cannot share a
// mistake with our client unnoticed: both are held to the provider's
// description.
package spectest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Transport is an http.RoundTripper that checks each request and answer
// against the description, reporting a mismatch with t.Errorf, and
// forwards the request to http.DefaultTransport (the fake on loopback).
type Transport struct {
	t      testing.TB
	name   string
	host   string
	router routers.Router
	// Undocumented lists answer statuses the description leaves out
	// (Twilio's describes only its success answers), which are then not
	// checked; any other status must be documented.
	undocumented map[int]bool
	mu           sync.Mutex
	seen         map[string]int
}

// New loads the description in file (JSON or YAML), checks it, and
// returns a Transport for it. name is the provider, for messages; host
// is the description's server host: requests are matched as if sent there.
// Answers with a status in undocumented are not checked.
func New(t testing.TB, name, file, host string, undocumented ...int) *Transport {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	// Providers' own examples break their formats (Twilio writes dates in
	// RFC 1123): check the description without them.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("%s's API description: %v", name, err)
	}
	fixEmptyNot(doc)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	u := map[int]bool{}
	for _, s := range undocumented {
		u[s] = true
	}
	return &Transport{t: t, name: name, host: host, router: router, undocumented: u, seen: map[string]int{}}
}

// RoundTrip implements http.RoundTripper.
func (s *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := readBody(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	probe := r.Clone(r.Context())
	probe.URL.Scheme, probe.URL.Host, probe.Host = "https", s.host, s.host
	probe.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.router.FindRoute(probe)
	if err != nil {
		s.t.Errorf("%s %s: not in %s's API description: %v", r.Method, r.URL.Path, s.name, err)
		return http.DefaultTransport.RoundTrip(r)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		s.t.Errorf("request %s %s does not match %s's description: %v", r.Method, r.URL.Path, s.name, err)
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
	if !s.undocumented[resp.StatusCode] {
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body:    io.NopCloser(bytes.NewReader(rb)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
			s.t.Errorf("the fake's answer to %s %s (%d) does not match %s's description: %v\n%s", r.Method, r.URL.Path, resp.StatusCode, s.name, err, rb)
		}
	}
	s.mu.Lock()
	s.seen[r.Method+" "+route.Path+" "+http.StatusText(resp.StatusCode)]++
	s.mu.Unlock()
	return resp, nil
}

// Require fails the test unless each of want ("METHOD path-template
// Status Text", as in "GET /messages/{id} OK") was checked at least once.
func (s *Transport) Require(want ...string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range want {
		if s.seen[w] == 0 {
			seen := make([]string, 0, len(s.seen))
			for k := range s.seen {
				seen = append(seen, k)
			}
			sort.Strings(seen)
			s.t.Errorf("no %q was checked (checked: %q)", w, seen)
		}
	}
}

// fixEmptyNot works around kin-openapi taking a schema whose only rule is
// "not: {}" (JSON Schema's "this property must be absent", as Telnyx's
// InitiateCallRequest uses it) for an empty schema that accepts anything:
// each empty "not" gets a schema that accepts every JSON value but that
// kin-openapi does evaluate.
func fixEmptyNot(doc *openapi3.T) {
	anything := &openapi3.Schema{Nullable: true, AnyOf: openapi3.SchemaRefs{}}
	for _, typ := range []string{"string", "number", "integer", "boolean", "array", "object"} {
		anything.AnyOf = append(anything.AnyOf, &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{typ}}})
	}
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		if s.Not != nil && s.Not.Value != nil && s.Not.Value.IsEmpty() {
			s.Not = &openapi3.SchemaRef{Value: anything}
		}
		walk(s.Not)
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		for _, list := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
			for _, x := range list {
				walk(x)
			}
		}
		for _, p := range s.Properties {
			walk(p)
		}
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					for _, mt := range resp.Value.Content {
						walk(mt.Schema)
					}
				}
			}
		}
	}
}

func readBody(b io.ReadCloser) ([]byte, error) {
	if b == nil || b == http.NoBody {
		return nil, nil
	}
	defer b.Close()
	return io.ReadAll(b)
}
