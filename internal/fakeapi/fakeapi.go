// Package fakeapi runs local fakes of the providers' HTTP APIs for tests,
// one file per provider (twilio.go, telnyx.go, ...), each registered by
// the provider's name for [Start], which the test scripts' "fake start"
// command calls. Each fake checks what the real API checks (method, path,
// authentication, content type, required fields, number format, trial
// restrictions) and answers with the real API's success and error shapes,
// so a client that passes against a fake speaks the API as documented.
//
// Every fake listens on loopback only. Besides its API, each one can be
// told to misbehave for the next requests ([Core.Fail]): rate limiting with
// Retry-After, server errors, hanging past the client's timeout, malformed
// bodies. It records every request ([Core.Requests]) so tests can assert
// exactly what was sent.
//
// Delivery status: a message's first status lookup answers an
// intermediate status ("sent"); later lookups answer the final one:
// delivered, or failed with the error code the fake's Undeliverable map
// holds for the destination number.
package fakeapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

// Request is a request a fake received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	Form   url.Values // the parsed body, for form-encoded requests
}

// Fault is a misbehaviour a fake applies to one request instead of
// answering it normally.
type Fault struct {
	// Delay holds the answer back this long, or until the client gives up.
	// With Status 0 the request is then answered normally.
	Delay time.Duration
	// Status is the HTTP status to answer with (0: answer normally).
	Status int
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
	// Body is the answer's body; empty means the API's own error body for
	// Status.
	Body string
}

// Core is what all the fakes share: the server, the fault queue and the
// request log.
type Core struct {
	mu       sync.Mutex
	faults   []Fault
	requests []Request
	srv      *httptest.Server
	errBody  func(status int) string
	handle   func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (c *Core) start(errBody func(status int) string, handle func(w http.ResponseWriter, r *http.Request, body []byte)) {
	c.errBody, c.handle = errBody, handle
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
}

// URL is the fake's base URL ("http://127.0.0.1:port"): the base_url a
// client under test is given.
func (c *Core) URL() string { return c.srv.URL }

// Close stops the fake, waiting for requests in flight.
func (c *Core) Close() {
	c.srv.CloseClientConnections()
	c.srv.Close()
}

// Fail queues faults: each applies to one coming request, in order.
func (c *Core) Fail(faults ...Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, faults...)
}

// RateLimit queues one HTTP 429 answer with the API's error body and the
// given Retry-After header ("1"; "" for none).
func (c *Core) RateLimit(retryAfter string) {
	c.Fail(Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// ServerError queues one HTTP 500 answer with the API's error body.
func (c *Core) ServerError() { c.Fail(Fault{Status: http.StatusInternalServerError}) }

// Hang queues one request held for d (or until the client gives up) and
// then answered with HTTP 503.
func (c *Core) Hang(d time.Duration) {
	c.Fail(Fault{Delay: d, Status: http.StatusServiceUnavailable})
}

// Malformed queues one answer with the given success status whose body
// is not JSON.
func (c *Core) Malformed(status int) {
	c.Fail(Fault{Status: status, Body: `{"sid": "SM12` + "\n<html>upstream reset</html>"})
}

// Requests returns the requests received so far, oldest first.
func (c *Core) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.requests...)
}

// Last returns the last request received, or a zero Request.
func (c *Core) Last() Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.requests) == 0 {
		return Request{}
	}
	return c.requests[len(c.requests)-1]
}

func (c *Core) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		rec.Form, _ = url.ParseQuery(string(body))
	}
	c.mu.Lock()
	c.requests = append(c.requests, rec)
	var f *Fault
	if len(c.faults) > 0 {
		f = &c.faults[0]
		c.faults = c.faults[1:]
	}
	c.mu.Unlock()
	if f != nil {
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if f.Status != 0 {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			b := f.Body
			if b == "" {
				b = c.errBody(f.Status)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			io.WriteString(w, b)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.handle(w, r, body)
}

// e164 matches what the APIs accept as an E.164 number.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// randHex returns n random hex digits.
func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// uuid returns a random UUID (version 4 layout).
func uuid() string {
	h := randHex(32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// message is a message or call a fake accepted, for status lookups.
type message struct {
	id, to, from, body, kind string
	fetches                  int
}

// store keeps accepted messages.
type store struct {
	mu   sync.Mutex
	msgs map[string]*message
}

func (s *store) add(m *message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.msgs == nil {
		s.msgs = map[string]*message{}
	}
	s.msgs[m.id] = m
}

// fetch returns a copy of the message of that kind, with its lookup count
// increased.
func (s *store) fetch(id, kind string) (message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok || m.kind != kind {
		return message{}, false
	}
	m.fetches++
	return *m, true
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// now is the fakes' time for the dates they answer with: the test clock's
// base, in Twilio's RFC 2822 form; nowRFC3339 is the same in RFC 3339, as
// Telnyx writes dates.
func now() string { return testclock.Base().UTC().Format(time.RFC1123Z) }

func nowRFC3339() string { return testclock.Base().UTC().Format(time.RFC3339) }
