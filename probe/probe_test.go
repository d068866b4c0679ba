package probe

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

func TestTwilioSignature(t *testing.T) {
	// The example from Twilio's security documentation.
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}}
	u := "https://mycompany.com/myapp.php?foo=1&bar=2"
	sig := TwilioSignature("12345", u, params)
	// Computed independently (Python hmac) from the documented algorithm.
	if sig != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("signature %q", sig)
	}
	if err := VerifyTwilio("12345", u, params, sig); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	bad := url.Values{}
	for k, v := range params {
		bad[k] = v
	}
	bad.Set("Digits", "9999")
	for name, err := range map[string]error{
		"changed param": VerifyTwilio("12345", u, bad, sig),
		"wrong token":   VerifyTwilio("54321", u, params, sig),
		"other url":     VerifyTwilio("12345", u+"&x=1", params, sig),
		"empty":         VerifyTwilio("12345", u, params, ""),
	} {
		if !errors.Is(err, ErrSignature) {
			t.Errorf("%s: got %v, want ErrSignature", name, err)
		}
	}
}

func TestVerifyTelnyx(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := testclock.Base()
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"data":{"event_type":"message.received"}}`)
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(priv, append([]byte(ts+"|"), body...)))
	if err := VerifyTelnyx(pub, ts, sig, body, now, 5*time.Minute); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	otherPub, _, _ := ed25519.GenerateKey(nil)
	for name, err := range map[string]error{
		"changed body": VerifyTelnyx(pub, ts, sig, []byte(`{}`), now, 5*time.Minute),
		"other key":    VerifyTelnyx(otherPub, ts, sig, body, now, 5*time.Minute),
		"too old":      VerifyTelnyx(pub, ts, sig, body, now.Add(6*time.Minute), 5*time.Minute),
		"bad base64":   VerifyTelnyx(pub, ts, "!!", body, now, 5*time.Minute),
		"bad ts":       VerifyTelnyx(pub, "x", sig, body, now, 5*time.Minute),
	} {
		if !errors.Is(err, ErrSignature) {
			t.Errorf("%s: got %v, want ErrSignature", name, err)
		}
	}
}

func TestJudge(t *testing.T) {
	sent := testclock.Base()
	in := func(from, body string, after time.Duration) *Inbound {
		return &Inbound{From: from, Body: body, At: sent.Add(after)}
	}
	for _, tc := range []struct {
		name string
		dlr  DLR
		got  *Inbound
		want Verdict
	}{
		{"honest", DLRDelivered, in("+12015550100", "hi n1", 2*time.Second), OK},
		{"lost, receipt says delivered", DLRDelivered, nil, FakeDLR},
		{"lost, receipt unknown", DLRUnknown, nil, NotArrived},
		{"short code sender", DLRDelivered, in("12345", "hi n1", time.Second), Altered},
		{"text changed", DLRDelivered, in("+12015550100", "hi n1 ad", time.Second), Altered},
		{"slow", DLRDelivered, in("+12015550100", "hi n1", time.Minute), Slow},
	} {
		r := Result{DLR: tc.dlr}
		Judge(&r, "hi n1", "+12015550100", sent, tc.got, 30*time.Second)
		if r.Verdict != tc.want {
			t.Errorf("%s: verdict %s, want %s", tc.name, r.Verdict, tc.want)
		}
	}
}

func TestSummarizePercentiles(t *testing.T) {
	var rs []Result
	for i := int64(1); i <= 20; i++ {
		ms := i * 100
		rs = append(rs, Result{MessageID: "m", Arrived: true, LatencyMS: &ms, Verdict: OK})
	}
	rs = append(rs, Result{MessageID: "m", Verdict: FakeDLR})
	s := Summarize(rs)
	if s.Sent != 21 || s.Arrived != 20 || s.Verdicts[OK] != 20 || s.Verdicts[FakeDLR] != 1 {
		t.Fatalf("counts: %+v", s)
	}
	if *s.P50MS != 1000 || *s.P95MS != 1900 || *s.MaxMS != 2000 {
		t.Fatalf("p50 %d p95 %d max %d, want 1000 1900 2000", *s.P50MS, *s.P95MS, *s.MaxMS)
	}
	if s.OK() {
		t.Fatal("OK with a fake_dlr")
	}
}

func TestRender(t *testing.T) {
	got, err := Render("", "nabc")
	if err != nil || got != "otpkit route check nabc" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := Render("no nonce here", "nabc"); !errors.Is(err, ErrTemplate) {
		t.Fatalf("template without nonce: %v", err)
	}
}

func TestCheckTemplate(t *testing.T) {
	for _, ok := range []string{"", DefaultTemplate, "route test {{.Nonce}} from acme"} {
		if err := CheckTemplate(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"Your code is 123456 {{.Nonce}}", "{{.Nonce}} 1234", "{{.Nonce}} 12-34", "verification {{.Nonce}}",
		"{{.Nonce}} OTP", "Your PIN {{.Nonce}}", "hello", "{{.Code}} {{.Nonce}}", "{{.Nonce",
	} {
		if err := CheckTemplate(bad); !errors.Is(err, ErrTemplate) {
			t.Errorf("%q: got %v, want ErrTemplate", bad, err)
		}
	}
}

func TestNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		n, err := Nonce()
		if err != nil {
			t.Fatal(err)
		}
		if len(n) != NonceLength || strings.ContainsAny(n, "0123456789") || LooksLikeCode("otpkit route check "+n) || seen[n] {
			t.Fatalf("nonce %q", n)
		}
		seen[n] = true
	}
}

func TestTwilioReceiverPaging(t *testing.T) {
	base := testclock.Base()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "AC1" || p != "tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("To") != "+12015550123" {
			t.Errorf("To filter: %q", r.URL.Query().Get("To"))
		}
		msg := func(sid, dir, body string, at time.Time) map[string]string {
			return map[string]string{"sid": sid, "from": "+12015550100", "to": "+12015550123", "body": body, "direction": dir, "date_created": at.Format(time.RFC1123Z), "date_sent": at.Format(time.RFC1123Z)}
		}
		page := map[string]any{"messages": []any{msg("SM2", "outbound-api", "x nabc", base.Add(time.Second))}, "next_page_uri": "/2010-04-01/Accounts/AC1/Messages.json?Page=1&To=%2B12015550123"}
		if r.URL.Query().Get("Page") == "1" {
			page = map[string]any{"messages": []any{msg("SM1", "inbound", "otpkit route check nabc", base.Add(2*time.Second))}, "next_page_uri": nil}
		}
		json.NewEncoder(w).Encode(page)
	}))
	defer srv.Close()
	rcv := &TwilioReceiver{AccountSID: "AC1", AuthToken: "tok", BaseURL: srv.URL}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := Wait(ctx, rcv, "+12015550123", "nabc", base, 10*time.Millisecond)
	if err != nil || got.ID != "SM1" {
		t.Fatalf("got %+v, %v; want the inbound SM1 from page 2", got, err)
	}
}

func TestWriteJUnit(t *testing.T) {
	ms := int64(1500)
	var buf strings.Builder
	err := WriteJUnit(&buf, []Result{
		{To: "+12015550123", Probe: 1, Route: Route{"twilio", "sms"}, LatencyMS: &ms, Verdict: OK},
		{To: "+12015550124", Probe: 1, Route: Route{"telnyx", "sms"}, Verdict: FakeDLR},
	})
	if err != nil {
		t.Fatal(err)
	}
	var s junitSuite
	if err := xml.Unmarshal([]byte(buf.String()), &s); err != nil {
		t.Fatal(err)
	}
	if s.Tests != 2 || s.Failures != 1 || s.Cases[0].Failure != nil || s.Cases[0].Time != "1.500" ||
		s.Cases[1].Failure == nil || s.Cases[1].Failure.Type != "fake_dlr" {
		t.Fatalf("junit: %s", buf.String())
	}
}
