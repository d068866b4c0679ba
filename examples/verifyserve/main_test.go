package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/verifyapi"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "0123456789abcdef0123456789abcdef"
)

// codeReader types the last code sent to a number, read from the outbox
// when the app asks for it (after its send).
type codeReader struct {
	box, to string
	wrong   bool
	buf     *bytes.Reader
}

func (r *codeReader) Read(p []byte) (int, error) {
	if r.buf == nil {
		entries, _ := outbox.Read(r.box)
		code := "none"
		for _, e := range entries {
			if e.To == r.to {
				code = e.Code
			}
		}
		if r.wrong {
			code = strings.Repeat("0", len(code))
		}
		r.buf = bytes.NewReader([]byte(code + "\n"))
	}
	return r.buf.Read(p)
}

// TestAgainstOtpServe runs the app, unchanged but for its Verify URL,
// against otp serve's handler.
func TestAgainstOtpServe(t *testing.T) {
	clk := testclock.New()
	box := filepath.Join(t.TempDir(), "outbox.jsonl")
	st := memstore.New()
	svc, err := otp.New(context.Background(), st, outbox.New(box, clk.Now), otp.Options{Secret: []byte("verifyserve-secret-0123"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h, err := verifyapi.New(verifyapi.Config{AccountSID: sid, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg := config{VerifyURL: srv.URL, To: "+12015550141", AccountSID: sid, AuthToken: token}
	var out bytes.Buffer
	if err := run(context.Background(), cfg, &codeReader{box: box, to: cfg.To}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "approved") {
		t.Errorf("output %q", out.String())
	}
	// A wrong code is not approved.
	clk.Advance(31e9)
	cfg.To = "+12015550142"
	out.Reset()
	if err := run(context.Background(), cfg, &codeReader{box: box, to: cfg.To, wrong: true}, &out); err == nil || !strings.Contains(out.String(), "pending") {
		t.Errorf("a wrong code: %v, %q", err, out.String())
	}
	// Bad settings are refused before any request.
	if err := run(context.Background(), config{VerifyURL: srv.URL}, strings.NewReader(""), &out); err == nil {
		t.Error("no -to: no error")
	}
}
