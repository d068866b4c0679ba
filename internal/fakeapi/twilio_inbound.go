package fakeapi

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

// Route is how the route to a number the account owns treats the messages
// sent to it, as a route checker (otp probe) would find: what arrives, from
// whom, when. The receipt (the message's status lookups) says delivered
// whatever the route did, unless the number is Undeliverable.
type Route string

// The routes a fake can play.
const (
	RouteHonest    Route = "honest"    // the message arrives as sent, TwilioLatency after it was sent
	RouteLost      Route = "lost"      // nothing arrives, yet the receipt says delivered
	RouteShortCode Route = "shortcode" // it arrives from TwilioShortCode instead of the sender
	RouteAltered   Route = "altered"   // it arrives with its text changed (TwilioAlteredPrefix before it)
	RouteSlow      Route = "slow"      // it arrives intact, TwilioSlowLatency after it was sent
)

// ParseRoute reads a route's name.
func ParseRoute(s string) (Route, error) {
	switch r := Route(s); r {
	case RouteHonest, RouteLost, RouteShortCode, RouteAltered, RouteSlow:
		return r, nil
	}
	return "", fmt.Errorf("unknown route %q (want honest, lost, shortcode, altered or slow)", s)
}

// What the routes do, in the fake's time (date_sent of the arrivals).
const (
	TwilioLatency       = 2 * time.Second
	TwilioSlowLatency   = 90 * time.Second
	TwilioShortCode     = "89203"
	TwilioAlteredPrefix = "FreeMsg: "
)

// TwilioInbound is the receiving side of the fake Twilio account: the
// numbers it owns, what arrives at them, and the Messages list
// (GET .../Messages.json) that shows outbound and inbound messages alike,
// newest first, in Twilio's paging envelope, with the To, From and
// DateSent (DateSent<, DateSent>) filters.
type TwilioInbound struct {
	// Owned maps each number the account owns (and so receives at) to the
	// route that messages sent to it take.
	Owned map[string]Route
	// SMSURL, when set, is the owned numbers' messaging webhook: each
	// arrival is posted there as Twilio posts it, a form signed with
	// X-Twilio-Signature.
	SMSURL string
	mu     sync.Mutex
	listed []listed
}

// listed is a message in the account's Messages list.
type listed struct {
	sid, from, to, body, direction, status string
	errorCode                              *int
	sent                                   time.Time
	// hidden is how many more list requests do not show it yet (an
	// arrival takes a moment to appear).
	hidden int
}

// otpLike is what Twilio's inbound filter takes for a one-time code
// (error 30038): a run of four or more digits.
var otpLike = regexp.MustCompile(`\d{4,}`)

// record lists an outbound message and, when the number is owned, what
// the route makes arrive. The caller holds no lock.
func (f *Twilio) record(m *message, from string) {
	base := testclock.Base().UTC()
	f.TwilioInbound.mu.Lock()
	f.listed = append(f.listed, listed{sid: m.id, from: from, to: m.to, body: m.body, direction: "outbound-api", status: "sent", sent: base})
	route, owned := f.Owned[m.to]
	if !owned || route == RouteLost {
		f.TwilioInbound.mu.Unlock()
		return
	}
	in := listed{sid: f.sid("SM"), from: from, to: m.to, body: m.body, direction: "inbound", status: "received", sent: base.Add(TwilioLatency), hidden: 1}
	switch route {
	case RouteShortCode:
		in.from = TwilioShortCode
	case RouteAltered:
		in.body = TwilioAlteredPrefix + m.body
	case RouteSlow:
		in.sent = base.Add(TwilioSlowLatency)
	}
	filtered := otpLike.MatchString(in.body)
	if filtered {
		// Since 2024-02-12 Twilio fails and redacts inbound messages that
		// look like one-time codes.
		code := 30038
		in.status, in.body, in.errorCode = "failed", "", &code
	}
	f.listed = append(f.listed, in)
	hook := f.SMSURL
	f.TwilioInbound.mu.Unlock()
	if hook != "" && !filtered {
		go f.post(hook, in)
	}
}

// post delivers an arrival to the messaging webhook as Twilio does,
// trying again for a while when nothing listens yet.
func (f *Twilio) post(hook string, m listed) {
	form := url.Values{
		"MessageSid": {m.sid}, "SmsSid": {m.sid}, "SmsMessageSid": {m.sid}, "AccountSid": {f.AccountSID},
		"From": {m.from}, "To": {m.to}, "Body": {m.body}, "NumMedia": {"0"}, "NumSegments": {"1"},
		"SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"},
	}
	sig := twilioSignature(f.AuthToken, hook, form)
	for range 100 {
		req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		req.Header.Set("User-Agent", "TwilioProxy/1.1")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// twilioSignature is X-Twilio-Signature as Twilio's security documentation
// describes it: base64 HMAC-SHA1, keyed by the auth token, of the URL and
// then each parameter's name and value, sorted by name.
func twilioSignature(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s strings.Builder
	s.WriteString(u)
	for _, k := range keys {
		for _, v := range form[k] {
			s.WriteString(k + v)
		}
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// dateFilter reads a DateSent value: a day (YYYY-MM-DD) or an RFC 3339 time.
func dateFilter(v string) (t time.Time, day bool, err error) {
	if t, err = time.Parse("2006-01-02", v); err == nil {
		return t, true, nil
	}
	t, err = time.Parse(time.RFC3339, v)
	return t, false, err
}

// listMessages answers GET .../Messages.json.
func (f *Twilio) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, page := 50, 0
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			f.fail(w, http.StatusBadRequest, 20001, "PageSize must be between 1 and 1000")
			return
		}
		size = n
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			f.fail(w, http.StatusBadRequest, 20001, "Page must be a non-negative integer")
			return
		}
		page = n
	}
	type cmp struct {
		t   time.Time
		day bool
		op  string
	}
	var dates []cmp
	for _, op := range []string{"", "<", ">"} {
		if v := q.Get("DateSent" + op); v != "" {
			t, day, err := dateFilter(strings.TrimPrefix(v, "="))
			if err != nil {
				f.fail(w, http.StatusBadRequest, 20001, "Invalid value for DateSent"+op+": "+v)
				return
			}
			dates = append(dates, cmp{t, day, op})
		}
	}
	match := func(m listed) bool {
		if v := q.Get("To"); v != "" && m.to != v {
			return false
		}
		if v := q.Get("From"); v != "" && m.from != v {
			return false
		}
		for _, d := range dates {
			at := m.sent
			if d.day {
				at = at.Truncate(24 * time.Hour)
			}
			switch {
			case d.op == "" && d.day && !at.Equal(d.t),
				d.op == "" && !d.day && !at.Equal(d.t),
				d.op == "<" && at.After(d.t),
				d.op == ">" && at.Before(d.t):
				return false
			}
		}
		return true
	}
	f.TwilioInbound.mu.Lock()
	var all []listed
	for i := range f.listed {
		m := &f.listed[i]
		if m.hidden > 0 {
			m.hidden--
			continue
		}
		if match(*m) {
			all = append(all, *m)
		}
	}
	f.TwilioInbound.mu.Unlock()
	// Newest first, as Twilio lists; the later of two at one time first.
	slices.Reverse(all)
	sort.SliceStable(all, func(i, j int) bool { return all[i].sent.After(all[j].sent) })
	start := min(page*size, len(all))
	end := min(start+size, len(all))
	pageURI := func(p int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "Page" && k != "PageToken" {
				v[k] = vs
			}
		}
		v.Set("PageSize", strconv.Itoa(size))
		v.Set("Page", strconv.Itoa(p))
		if p > 0 {
			v.Set("PageToken", "PA"+all[p*size-1].sid)
		}
		return r.URL.Path + "?" + v.Encode()
	}
	var next, prev any
	if end < len(all) {
		next = pageURI(page + 1)
	}
	if page > 0 && start > 0 {
		prev = pageURI(page - 1)
	}
	msgs := make([]any, 0, end-start)
	for _, m := range all[start:end] {
		msgs = append(msgs, f.listedJSON(m))
	}
	last := end - 1
	if end == start {
		last = start
	}
	b, _ := json.Marshal(map[string]any{
		"messages": msgs, "first_page_uri": pageURI(0), "next_page_uri": next, "previous_page_uri": prev,
		"page": page, "page_size": size, "start": start, "end": last, "uri": r.URL.RequestURI(),
	})
	writeJSON(w, http.StatusOK, string(b))
}

func (f *Twilio) listedJSON(m listed) map[string]any {
	date := m.sent.Format(time.RFC1123Z)
	var msg any
	if m.errorCode != nil {
		msg = "Message filtered: the message looks like a one-time passcode"
	}
	return map[string]any{
		"account_sid": f.AccountSID, "api_version": "2010-04-01", "body": m.body,
		"date_created": date, "date_sent": date, "date_updated": date,
		"direction": m.direction, "error_code": m.errorCode, "error_message": msg,
		"from": m.from, "messaging_service_sid": nil, "num_media": "0", "num_segments": "1",
		"price": nil, "price_unit": "USD", "sid": m.sid, "status": m.status,
		"subresource_uris": map[string]string{"media": fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s/Media.json", f.AccountSID, m.sid)},
		"to":               m.to,
		"uri":              fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s.json", f.AccountSID, m.sid),
	}
}
