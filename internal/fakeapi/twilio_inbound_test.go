package fakeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

type listPage struct {
	Messages []struct {
		SID, From, To, Body, Direction, Status string
		DateSent                               string `json:"date_sent"`
		DateCreated                            string `json:"date_created"`
		ErrorCode                              *int   `json:"error_code"`
	} `json:"messages"`
	NextPageURI     *string `json:"next_page_uri"`
	PreviousPageURI *string `json:"previous_page_uri"`
	FirstPageURI    string  `json:"first_page_uri"`
	Page            int     `json:"page"`
	PageSize        int     `json:"page_size"`
	Start, End      int
	URI             string `json:"uri"`
}

func twilioDo(t *testing.T, f *Twilio, method, path string, form url.Values) (int, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, f.URL()+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(f.AccountSID, f.AuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestTwilioInbound(t *testing.T) {
	f := NewTwilio()
	defer f.Close()
	f.Owned = map[string]Route{"+12015550123": RouteHonest, "+12015550124": RouteShortCode, "+12015550125": RouteAltered,
		"+12015550126": RouteSlow, "+12015550127": RouteLost, "+12015550128": RouteHonest}
	const msgs = "/2010-04-01/Accounts/" + TwilioAccountSID + "/Messages.json"
	for _, to := range []string{"+12015550123", "+12015550124", "+12015550125", "+12015550126", "+12015550127", "+12015550199"} {
		if st, b := twilioDo(t, f, "POST", msgs, url.Values{"To": {to}, "From": {From}, "Body": {"route check qwrtz"}}); st != 201 {
			t.Fatalf("send to %s: %d %s", to, st, b)
		}
	}
	// Twilio filters inbound texts that look like one-time codes.
	twilioDo(t, f, "POST", msgs, url.Values{"To": {"+12015550128"}, "From": {From}, "Body": {"Your code is 123456"}})
	list := func(q string) listPage {
		t.Helper()
		st, b := twilioDo(t, f, "GET", msgs+"?"+q, nil)
		if st != 200 {
			t.Fatalf("list %s: %d %s", q, st, b)
		}
		var p listPage
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// An arrival takes a moment: the first list does not show it yet.
	if p := list("To=%2B12015550123"); len(p.Messages) != 1 || p.Messages[0].Direction != "outbound-api" {
		t.Fatalf("first list: %+v", p)
	}
	base := testclock.Base().UTC()
	p := list("To=%2B12015550123")
	if len(p.Messages) != 2 || p.Messages[0].Direction != "inbound" || p.Messages[0].Status != "received" ||
		p.Messages[0].DateSent != base.Add(TwilioLatency).Format(time.RFC1123Z) || p.Messages[0].Body != "route check qwrtz" ||
		p.Messages[0].From != From || p.Messages[1].Direction != "outbound-api" || p.NextPageURI != nil || p.Page != 0 || p.PageSize != 50 {
		t.Fatalf("honest: %+v", p)
	}
	if _, err := time.Parse(time.RFC1123Z, p.Messages[0].DateCreated); err != nil {
		t.Fatalf("date_created %q is not RFC 2822: %v", p.Messages[0].DateCreated, err)
	}
	in := func(to string) (m struct{ From, Body, DateSent, Status string }) {
		for _, x := range list("To=" + url.QueryEscape(to)).Messages {
			if x.Direction == "inbound" {
				m.From, m.Body, m.DateSent, m.Status = x.From, x.Body, x.DateSent, x.Status
			}
		}
		return m
	}
	if m := in("+12015550124"); m.From != TwilioShortCode {
		t.Errorf("shortcode: %+v", m)
	}
	if m := in("+12015550125"); m.Body != TwilioAlteredPrefix+"route check qwrtz" {
		t.Errorf("altered: %+v", m)
	}
	if m := in("+12015550126"); m.DateSent != base.Add(TwilioSlowLatency).Format(time.RFC1123Z) {
		t.Errorf("slow: %+v", m)
	}
	if m := in("+12015550127"); m.Body != "" || m.From != "" {
		t.Errorf("lost: %+v", m)
	}
	if m := in("+12015550128"); m.Status != "failed" || m.Body != "" {
		t.Errorf("30038: %+v", m)
	}
	// DateSent> is "on or after", by day; DateSent< "on or before".
	if p := list("DateSent%3E=" + base.AddDate(0, 0, 1).Format("2006-01-02")); len(p.Messages) != 0 {
		t.Errorf("DateSent> tomorrow: %d messages", len(p.Messages))
	}
	if p := list("To=%2B12015550123&DateSent%3E=" + base.Format("2006-01-02")); len(p.Messages) != 2 {
		t.Errorf("DateSent> today: %d messages", len(p.Messages))
	}
	if p := list("DateSent%3C=" + base.AddDate(0, 0, -1).Format("2006-01-02")); len(p.Messages) != 0 {
		t.Errorf("DateSent< yesterday: %d messages", len(p.Messages))
	}
	if st, _ := twilioDo(t, f, "GET", msgs+"?DateSent%3E=yesterday", nil); st != 400 {
		t.Errorf("bad DateSent>: %d", st)
	}
	// Paging: newest first, next_page_uri until the last page.
	p = list("From=" + url.QueryEscape(From) + "&PageSize=2")
	seen := 0
	for pages := 0; ; pages++ {
		seen += len(p.Messages)
		if p.NextPageURI == nil {
			break
		}
		if pages > 10 || !strings.Contains(*p.NextPageURI, "PageToken=PA") {
			t.Fatalf("next_page_uri %q", *p.NextPageURI)
		}
		st, b := twilioDo(t, f, "GET", *p.NextPageURI, nil)
		if st != 200 {
			t.Fatalf("%d %s", st, b)
		}
		p = listPage{}
		json.Unmarshal(b, &p)
	}
	// 7 sent from From; 4 arrivals kept the sender (honest, altered, slow, filtered).
	if seen != 11 {
		t.Errorf("paged through %d messages from %s, want 11", seen, From)
	}
	if st, _ := twilioDo(t, f, "GET", msgs+"?PageSize=0", nil); st != 400 {
		t.Errorf("PageSize=0: %d", st)
	}
}

func TestTwilioSignatureExample(t *testing.T) {
	// The example of Twilio's security documentation.
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}}
	if sig := twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); sig != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("signature %q", sig)
	}
}

func TestTwilioSMSURL(t *testing.T) {
	got := make(chan url.Values, 1)
	var sig, hookURL string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		sig = r.Header.Get("X-Twilio-Signature")
		got <- r.PostForm
	}))
	defer hook.Close()
	hookURL = hook.URL + "/twilio"
	f := NewTwilio()
	defer f.Close()
	f.Owned, f.SMSURL = map[string]Route{"+12015550123": RouteHonest}, hookURL
	twilioDo(t, f, "POST", "/2010-04-01/Accounts/"+TwilioAccountSID+"/Messages.json", url.Values{"To": {"+12015550123"}, "From": {From}, "Body": {"route check qwrtz"}})
	select {
	case form := <-got:
		if form.Get("Body") != "route check qwrtz" || form.Get("From") != From || form.Get("To") != "+12015550123" || !strings.HasPrefix(form.Get("MessageSid"), "SM") {
			t.Fatalf("webhook form %v", form)
		}
		if sig != twilioSignature(TwilioAuthToken, hookURL, form) || sig == "" {
			t.Fatalf("signature %q", sig)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook")
	}
}
