package verifyapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
)

// errSchema is Twilio's error body as its description gives it (the 429
// answer of creating a verification).
func errSchema(t testing.TB) *openapi3.Schema {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	return doc.Paths.Value("/v2/Services/{ServiceSid}/Verifications").Post.Responses.Status(http.StatusTooManyRequests).Value.Content.Get("application/json").Schema.Value
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hardened serves api behind NewHTTPHandler, logging into the returned buffer.
func hardened(t *testing.T, api http.Handler, st store.Store) (*httptest.Server, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	srv := httptest.NewServer(verifyapi.NewHTTPHandler(verifyapi.HTTPConfig{
		API: api, Store: st, Logger: slog.New(slog.NewJSONHandler(log, nil)), HealthTimeout: 200 * time.Millisecond,
	}))
	t.Cleanup(srv.Close)
	return srv, log
}

func send(t *testing.T, method, u, ctype string, body io.Reader, size int64) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.SetBasicAuth(acct, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func wantError(t *testing.T, schema *openapi3.Schema, resp *http.Response, body []byte, status, code int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	checkErrorShape(t, schema, resp, body)
	var v struct{ Code int }
	_ = json.Unmarshal(body, &v)
	if v.Code != code {
		t.Errorf("%s %s: code %d, want %d", resp.Request.Method, resp.Request.URL.Path, v.Code, code)
	}
}

// TestHardening: a 1 MB body (with and without a length), a body that is
// not a form, and paths that do not exist each answer Twilio's error shape.
func TestHardening(t *testing.T) {
	h, _, _ := specHandler(t)
	srv, _ := hardened(t, h, memstore.New())
	schema := errSchema(t)
	create := srv.URL + "/v2/Services"
	mb := "FriendlyName=" + strings.Repeat("a", 1<<20)

	resp, b := send(t, "POST", create, "application/x-www-form-urlencoded", strings.NewReader(mb), int64(len(mb)))
	wantError(t, schema, resp, b, 413, 20413)
	// Chunked: no length to refuse up front, the reading stops at the limit.
	resp, b = send(t, "POST", create, "application/x-www-form-urlencoded", io.MultiReader(strings.NewReader(mb)), -1)
	wantError(t, schema, resp, b, 413, 20413)
	// Just under the limit is still a form.
	ok := "FriendlyName=Acme&FriendlyName=" + strings.Repeat("a", verifyapi.MaxBody-len("FriendlyName=Acme&FriendlyName="))
	resp, b = send(t, "POST", create, "application/x-www-form-urlencoded", strings.NewReader(ok), int64(len(ok)))
	if resp.StatusCode != 201 {
		t.Errorf("a body of exactly MaxBody: %d %s", resp.StatusCode, b)
	}

	for _, ct := range []string{"application/json", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded; =", ""} {
		body := `{"FriendlyName":"Acme"}`
		resp, b := send(t, "POST", create, ct, strings.NewReader(body), int64(len(body)))
		wantError(t, schema, resp, b, 415, 20415)
	}
	body := "FriendlyName=Acme"
	resp, b = send(t, "POST", create, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(body), int64(len(body)))
	if resp.StatusCode != 201 {
		t.Errorf("a form with a charset: %d %s", resp.StatusCode, b)
	}

	for _, p := range []string{"/", "/nope", "/v1/Services", "/v2/Nope", "/v2/Services/VA0/Nope/x/y", "/healthz/x", "/metrics"} {
		resp, b := send(t, "GET", srv.URL+p, "", nil, 0)
		wantError(t, schema, resp, b, 404, 20404)
	}
}

// TestPanic: a panic in the API answers Twilio's 500 (20500), without a
// stack trace or the panic's value; the stack goes to the log, the value
// does not.
func TestPanic(t *testing.T) {
	srv, log := hardened(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret 123456 in a panic")
	}), nil)
	resp, b := send(t, "POST", srv.URL+"/v2/Services", "application/x-www-form-urlencoded", strings.NewReader("FriendlyName=x"), -1)
	wantError(t, errSchema(t), resp, b, 500, 20500)
	if strings.Contains(string(b), "goroutine") || strings.Contains(string(b), "123456") {
		t.Errorf("the answer holds the panic: %s", b)
	}
	if !strings.Contains(log.String(), `"msg":"panic"`) || !strings.Contains(log.String(), "goroutine") {
		t.Errorf("the panic is not in the log: %s", log)
	}
	if strings.Contains(log.String(), "123456") {
		t.Errorf("the panic's value is in the log: %s", log)
	}
	// The server goes on.
	resp, b = send(t, "GET", srv.URL+"/nope", "", nil, 0)
	if resp.StatusCode != 404 {
		t.Errorf("after a panic: %d %s", resp.StatusCode, b)
	}
}

// TestAccessLog runs a story through the server and reads its log: one
// JSON line per request with method, path (sids in full), route, status
// and duration; no code, no credential, no To number beyond its last 4
// digits, wherever the number was put.
func TestAccessLog(t *testing.T) {
	h, snd, _ := specHandler(t)
	srv, log := hardened(t, h, memstore.New())
	form := func(kv ...string) io.Reader {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return strings.NewReader(v.Encode())
	}
	const ct = "application/x-www-form-urlencoded"
	resp, b := send(t, "POST", srv.URL+"/v2/Services", ct, form("FriendlyName", "Acme"), -1)
	var s struct{ Sid string }
	if err := json.Unmarshal(b, &s); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create service: %d %s", resp.StatusCode, b)
	}
	resp, b = send(t, "POST", srv.URL+"/v2/Services/"+s.Sid+"/Verifications", ct, form("To", to, "Channel", "sms"), -1)
	var v struct{ Sid string }
	if err := json.Unmarshal(b, &v); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create verification: %d %s", resp.StatusCode, b)
	}
	code := snd.last
	send(t, "POST", srv.URL+"/v2/Services/"+s.Sid+"/VerificationCheck", ct, form("To", to, "Code", "000000"), -1)
	send(t, "POST", srv.URL+"/v2/Services/"+s.Sid+"/VerificationCheck", ct, form("VerificationSid", v.Sid, "Code", code), -1)
	send(t, "GET", srv.URL+"/v2/Services/"+s.Sid+"/Verifications/"+v.Sid+"?To="+url.QueryEscape(to)+"&Code="+code, "", nil, 0)
	send(t, "GET", srv.URL+"/v2/Services/"+s.Sid+"/Verifications/"+url.PathEscape(to), "", nil, 0)
	send(t, "GET", srv.URL+"/v2/"+url.PathEscape(to)+"/"+code, "", nil, 0)
	send(t, "GET", srv.URL+"/healthz", "", nil, 0)

	lines := 0
	sc := bufio.NewScanner(strings.NewReader(log.String()))
	for sc.Scan() {
		lines++
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not JSON: %v: %s", err, sc.Bytes())
		}
		for _, k := range []string{"time", "level", "msg", "method", "path", "route", "status", "duration_ms"} {
			if _, ok := e[k]; !ok {
				t.Errorf("no %q in %s", k, sc.Bytes())
			}
		}
	}
	if lines != 8 {
		t.Errorf("%d log lines for 8 requests:\n%s", lines, log)
	}
	out := log.String()
	for _, want := range []string{`"path":"/v2/Services/` + s.Sid + `/Verifications/` + v.Sid + `"`, `"route":"POST /v2/Services/{ServiceSid}/VerificationCheck"`, `"status":201`, `"path":"/healthz"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in the log:\n%s", want, out)
		}
	}
	for _, never := range []string{code, "2015550", "201555", token, "Basic", "Acme"} {
		if strings.Contains(out, never) {
			t.Errorf("the log holds %q:\n%s", never, out)
		}
	}
	if !strings.Contains(out, "0123") {
		t.Errorf("the last 4 digits of a number in a path are not kept:\n%s", out)
	}
}

// failing is a store whose reads fail, or hang until their context ends.
type failing struct {
	store.Store
	hang bool
}

func (f failing) Get(ctx context.Context, _ string) (store.Record, bool, error) {
	if f.hang {
		<-ctx.Done()
		return store.Record{}, false, ctx.Err()
	}
	return store.Record{}, false, errors.New("connection refused")
}

// TestHealthz: 200 {"status":"ok"} while the store answers, 503 in
// Twilio's shape when its reads fail or hang past the timeout.
func TestHealthz(t *testing.T) {
	srv, _ := hardened(t, http.NotFoundHandler(), memstore.New())
	resp, b := send(t, "GET", srv.URL+"/healthz", "", nil, 0)
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
		t.Errorf("healthy: %d %s", resp.StatusCode, b)
	}
	schema := errSchema(t)
	for _, st := range []failing{{hang: false}, {hang: true}} {
		srv, _ := hardened(t, http.NotFoundHandler(), st)
		start := time.Now()
		resp, b := send(t, "GET", srv.URL+"/healthz", "", nil, 0)
		wantError(t, schema, resp, b, 503, 20503)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("hang=%v: /healthz took %v", st.hang, d)
		}
	}
	closed := memstore.New()
	closed.Close()
	srv, _ = hardened(t, http.NotFoundHandler(), closed)
	resp, b = send(t, "GET", srv.URL+"/healthz", "", nil, 0)
	wantError(t, schema, resp, b, 503, 20503)
}
