package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

const (
	rCode   = "598782"
	rToken  = "tok3n/SECRET+value="
	rSMS    = "Your otpkit code is 598782. It expires in 10 minutes."
	rSpoken = "Your otpkit code is: 5, 9, 8, 7, 8, 2."
	rTeXML  = `<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="female" language="en-US" loop="2">Your otpkit code is: 5, 9, 8, 7, 8, 2.</Say></Response>`
	// rOther is provider text that must come through untouched.
	rOther = "The 'To' number +12015550123 is not a valid phone number (HTTP 400, error 21211)."
)

// reveals reports whether s still shows code in some form: once URL- and
// HTML-decoded (twice, for double encoding), JSON \n escapes removed and
// the separators a code may be written with dropped, it contains code.
func reveals(s, code string) bool {
	for range 2 {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
		s = html.UnescapeString(s)
	}
	s = strings.NewReplacer(`\n`, " ", `\t`, " ", `\r`, " ").Replace(s)
	s = regexp.MustCompile(`[\s,.\-+_]`).ReplaceAllString(s, "")
	return strings.Contains(strings.ToLower(s), strings.ToLower(code))
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	form := url.Values{"To": {"+12015550123"}, "Body": {rSMS}}.Encode()
	twiml := url.Values{"Twiml": {rTeXML}}.Encode()
	jsonOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	tests := []struct {
		name string
		in   string
		gone []string // must not survive
	}{
		{"plain code", "invalid code 598782 given", []string{rCode}},
		{"spoken in JSON echo", `{"body":"Your otpkit code is: 5, 9, 8, 7, 8, 2."}`, []string{rSpoken, "5, 9, 8, 7, 8, 2"}},
		{"spoken alone", "digits 5, 9, 8, 7, 8, 2 rejected", []string{"5, 9, 8, 7, 8, 2"}},
		{"spoken other separators", "got 5 9 8 7 8 2 / 598-782 / 598 782 / 5.9.8.7.8.2 / 5\n9\n8\n7\n8\n2", []string{"5 9 8", "598-782", "598 782", "5.9.8"}},
		{"form-encoded spoken", "Invalid parameter: Twiml=...code+is%3A+5%2C+9%2C+8%2C+7%2C+8%2C+2.", []string{"5%2C+9%2C+8%2C+7%2C+8%2C+2"}},
		{"form-encoded lower hex", "code+is%3a+5%2c+9%2c+8%2c+7%2c+8%2c+2", []string{"5%2c+9%2c+8"}},
		{"percent-encoded spaces", "code%20is%3A%205%2C%209%2C%208%2C%207%2C%208%2C%202", []string{"5%2C%209"}},
		{"double-encoded", "code%2Bis%253A%2B5%252C%2B9%252C%2B8%252C%2B7%252C%2B8%252C%2B2", []string{"5%252C%2B9"}},
		{"JSON newline escapes", `"5\n9\n8\n7\n8\n2"`, []string{`5\n9`}},
		{"whole form echo", "bad request: " + form, []string{url.QueryEscape(rSMS), "598782"}},
		{"TwiML form echo", "bad request: " + twiml, []string{url.QueryEscape(rTeXML)}},
		{"TwiML form echo lower hex", "bad request: " + regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(twiml, strings.ToLower), []string{"%3cSay"}},
		{"TeXML JSON echo", "bad request: " + jsonOf(map[string]string{"Texml": rTeXML}), []string{`\u003cSay`, "5, 9, 8"}},
		{"XML-escaped", "bad: &lt;Say voice=&quot;female&quot; language=&quot;en-US&quot; loop=&quot;2&quot;&gt;Your otpkit code is: 5, 9, 8, 7, 8, 2.&lt;/Say&gt;", []string{"Your otpkit code is:"}},
		{"XML-escaped document", "bad: " + html.EscapeString(rTeXML), []string{"&lt;Say", "Your otpkit code is:"}},
		{"SMS body", "rejected: " + rSMS, []string{rSMS, "Your otpkit code is", "It expires"}},
		{"SMS body, white space folded", "rejected: Your otpkit code is\n 598782.  It expires in 10 minutes.", []string{"Your otpkit code is", "It expires"}},
		{"SMS body JSON echo", jsonOf(map[string]any{"errors": []any{map[string]string{"detail": "bad", "source": jsonOf(map[string]string{"text": rSMS})}}}), []string{"It expires"}},
		{"token", "auth " + rToken + " / " + url.QueryEscape(rToken) + " / " + strings.ToLower(url.QueryEscape(rToken)) + " / " + jsonOf(rToken), []string{rToken, url.QueryEscape(rToken), "SECRET"}},
	}
	r := NewRedactor([]string{rToken}, rCode, rSMS, rSpoken, rTeXML)
	for _, tt := range tests {
		for _, in := range []string{tt.in, tt.in + " | " + rOther} {
			got := r.Redact(in)
			if reveals(got, rCode) {
				t.Errorf("%s: Redact(%q) = %q shows the code", tt.name, in, got)
			}
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("%s: Redact(%q) = %q keeps %q", tt.name, in, got, g)
				}
			}
			if !strings.Contains(got, "[redacted]") {
				t.Errorf("%s: Redact(%q) = %q, want [redacted] in it", tt.name, in, got)
			}
			if strings.HasSuffix(in, rOther) && !strings.HasSuffix(got, " | "+rOther) {
				t.Errorf("%s: Redact(%q) = %q, want the unrelated text kept", tt.name, in, got)
			}
		}
	}
	if got := r.Redact(rOther); got != rOther {
		t.Errorf("Redact(%q) = %q, want it unchanged", rOther, got)
	}
}

func TestRedactorHexCode(t *testing.T) {
	t.Parallel()
	r := NewRedactor(nil, "9F3A2B")
	for _, in := range []string{"code 9F3A2B", "code 9f3a2b", "9, F, 3, A, 2, B", "9%2C+f%2C+3%2C+a%2C+2%2C+b"} {
		if got := r.Redact(in); reveals(got, "9F3A2B") {
			t.Errorf("Redact(%q) = %q", in, got)
		}
	}
}

func TestRedactorShortAndEmpty(t *testing.T) {
	t.Parallel()
	const in = "token ab code 12 in body 904117"
	if got := NewRedactor([]string{"", "ab"}, "12", "", "in").Redact(in); got != in {
		t.Errorf("Redact = %q, want short secrets, codes and texts left alone", got)
	}
	var nilR *Redactor
	if got := nilR.Redact(in); got != in {
		t.Errorf("nil Redactor: %q", got)
	}
	if got := NewRedactor([]string{"abcdef123"}, "904117").Redact("token abcdef123 code 904117 in body"); got != "token [redacted] code [redacted] in body" {
		t.Errorf("Redact = %q", got)
	}
}

// TestCallerRedactsEcho: a provider that answers an error echoing the
// request it got (JSON, form or raw) shows neither the code, the message
// nor the credentials.
func TestCallerRedactsEcho(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"code": "bad_request", "message": "could not parse " + string(b) + " / " + url.QueryEscape(string(b))})
	}))
	defer srv.Close()
	c := &Caller{
		Provider: "p", Client: NewClient(delivery.RetryPolicy{MaxAttempts: 1}, nil), Secrets: []string{rToken},
		ParseError: func(status int, body []byte) *delivery.ProviderError {
			var e struct{ Code, Message string }
			if json.Unmarshal(body, &e) != nil {
				return nil
			}
			return &delivery.ProviderError{Code: e.Code, Message: e.Message}
		},
	}
	for _, body := range []any{
		map[string]string{"text": rSMS, "token": rToken},
		map[string]string{"Texml": rTeXML},
		[]byte(url.Values{"Twiml": {rTeXML}, "Body": {rSMS}}.Encode()),
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.Do(ctx, Request{Method: http.MethodPost, URL: srv.URL, Body: body, Code: rCode, Texts: []string{rSMS, rSpoken, rTeXML}}, nil)
		cancel()
		var pe *delivery.ProviderError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "could not parse") {
			t.Fatalf("err = %v, want the provider's error", err)
		}
		msg := err.Error()
		if reveals(msg, rCode) || strings.Contains(msg, "otpkit code") || strings.Contains(msg, "otpkit+code") || strings.Contains(msg, "SECRET") {
			t.Errorf("err %q shows the code, the message or the token", msg)
		}
	}
}
