package verifyapi_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
)

// FuzzForm posts arbitrary bodies, with arbitrary Content-Types, to every
// route that reads a form: the answer is never a 500 (a recovered panic)
// and always JSON, and an error answer always has Twilio's shape.
//
//	go test ./verifyapi -run '^$' -fuzz FuzzForm -fuzztime 30s
func FuzzForm(f *testing.F) {
	for _, seed := range []struct {
		route       uint8
		ctype, body string
	}{
		{0, "application/x-www-form-urlencoded", "FriendlyName=Acme&CodeLength=6"},
		{1, "application/x-www-form-urlencoded", "To=%2B12015550123&Channel=sms"},
		{1, "application/x-www-form-urlencoded", "To=%2B12015550123&Channel=call&Locale=en&CustomCode=1234"},
		{2, "application/x-www-form-urlencoded", "To=%2B12015550123&Code=123456"},
		{2, "application/x-www-form-urlencoded", "VerificationSid=VE0123456789abcdef0123456789abcdef&Code=1"},
		{3, "application/x-www-form-urlencoded", "Status=canceled"},
		{1, "application/x-www-form-urlencoded; charset=utf-8", "To=%zz&Channel=%"},
		{2, "application/x-www-form-urlencoded", "To=&To=&Code=;;&&=="},
		{0, "application/json", `{"FriendlyName":"Acme"}`},
		{1, "multipart/form-data; boundary=x", "--x\r\n\r\n"},
		{0, "", ""},
		{0, "application/x-www-form-urlencoded", strings.Repeat("a=b&", 20000)},
	} {
		f.Add(seed.route, seed.ctype, seed.body)
	}
	h, _, _ := specHandler(f)
	srv := verifyapi.NewHTTPHandler(verifyapi.HTTPConfig{API: h, Store: memstore.New()})
	schema := errSchema(f)

	// A service for the routes under one.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/v2/Services", strings.NewReader("FriendlyName=Fuzz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(acct, token)
	srv.ServeHTTP(rec, req)
	var s struct{ Sid string }
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || rec.Code != 201 {
		f.Fatalf("create service: %d %s", rec.Code, rec.Body)
	}
	paths := []string{
		"/v2/Services",
		"/v2/Services/" + s.Sid + "/Verifications",
		"/v2/Services/" + s.Sid + "/VerificationCheck",
		"/v2/Services/" + s.Sid + "/Verifications/VE0123456789abcdef0123456789abcdef",
	}

	f.Fuzz(func(t *testing.T, route uint8, ctype, body string) {
		req := httptest.NewRequest("POST", paths[int(route)%len(paths)], strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.SetBasicAuth(acct, token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		resp := rec.Result()
		resp.Request = req
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q %q: %d %s", req.URL.Path, ctype, body, resp.StatusCode, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q %q: not JSON: %s", req.URL.Path, ctype, body, rec.Body)
		}
		if resp.StatusCode >= 400 {
			checkErrorShape(t, schema, resp, rec.Body.Bytes())
		}
	})
}
