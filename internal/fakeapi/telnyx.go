package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// The credentials and ids the Telnyx fake accepts by default.
const (
	TelnyxAPIKey             = "KEY0123456789ABCDEF0123456789ABCDEF_fakefakefake"
	TelnyxMessagingProfileID = "40017d5b-9b1e-4c8d-8a4d-5a0e1f2c3d4e"
	TelnyxAccountSID         = "61bf923e-5e4d-4595-a110-56190ea18a1b"
	TelnyxApplicationID      = "1293384261075731499"
)

// Telnyx is a fake of Telnyx's API v2: messages (send, retrieve) and TeXML
// calls with inline Texml, Bearer authentication, JSON bodies, and the
// {"errors": [...]} error shape.
type Telnyx struct {
	Core
	APIKey             string
	Numbers            []string
	MessagingProfileID string
	AccountSID         string // the account in TeXML paths
	ApplicationID      string // the TeXML application
	// Verified, when not nil, restricts the account to these destinations
	// (an account not yet verified), refused with 10010.
	Verified []string
	// Undeliverable maps a destination number to a delivery error code
	// ("40001").
	Undeliverable map[string]string
	// Invalid lists well-formed numbers the API refuses as not valid
	// (40310 for messages, 10016 for calls).
	Invalid []string
	// Unconfirmed lists destinations whose messages end in
	// delivery_unconfirmed: the carrier sent no receipt.
	Unconfirmed []string
	// CallSIDs makes call creation answer with a call_sid, as some older
	// answers did. By default the fake answers as the API description's
	// InitiateCallResult: {"from","status","to"}, with no id.
	CallSIDs bool
	// Lag is how many lookups of a new message or call answer 404 before
	// it is found: the API's lookups are eventually consistent.
	Lag int
	store
	// TelnyxInbound is the account's own numbers and their inbound
	// webhook (telnyx_inbound.go).
	TelnyxInbound
}

// NewTelnyx starts a fake Telnyx API with the default credentials.
func NewTelnyx() *Telnyx {
	f := &Telnyx{APIKey: TelnyxAPIKey, Numbers: []string{From}, MessagingProfileID: TelnyxMessagingProfileID,
		AccountSID: TelnyxAccountSID, ApplicationID: TelnyxApplicationID, Undeliverable: map[string]string{}}
	f.start(f.errBody, f.handle)
	return f
}

// The scripts' options: trial=NUMBER (Verified), invalid=NUMBER,
// undeliverable=NUMBER:CODE, callsids=true, unconfirmed=NUMBER, lag=N.
func init() {
	register("telnyx", func(o *Options) (Server, error) {
		lag, err := o.Int("lag")
		if err != nil {
			return nil, err
		}
		f := NewTelnyx()
		f.Verified, f.Invalid, f.Undeliverable = o.Strings("trial"), o.Strings("invalid"), o.Codes("undeliverable")
		f.CallSIDs, f.Unconfirmed, f.Lag = o.Bool("callsids"), o.Strings("unconfirmed"), lag
		owned, err := o.routes("owned")
		if err != nil {
			return nil, err
		}
		f.Owned, f.WebhookURL = owned, o.String("smsurl")
		return f, nil
	})
}

type telnyxErr struct {
	Code, Title, Detail, Pointer string
}

func telnyxErrors(errs ...telnyxErr) string {
	var out []map[string]any
	for _, e := range errs {
		m := map[string]any{"code": e.Code, "title": e.Title, "detail": e.Detail}
		if e.Pointer != "" {
			m["source"] = map[string]string{"pointer": e.Pointer}
		}
		m["meta"] = map[string]string{"url": "https://developers.telnyx.com/docs/overview/errors/" + e.Code}
		out = append(out, m)
	}
	b, _ := json.Marshal(map[string]any{"errors": out})
	return string(b)
}

func (f *Telnyx) errBody(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return telnyxErrors(telnyxErr{"10011", "Too many requests", "You have exceeded the maximum number of allowed requests.", ""})
	case http.StatusServiceUnavailable:
		return telnyxErrors(telnyxErr{"10008", "Request timeout", "The request timed out.", ""})
	}
	return telnyxErrors(telnyxErr{"10007", "Unexpected error", "An unexpected error occured.", ""})
}

func (f *Telnyx) fail(w http.ResponseWriter, status int, e telnyxErr) {
	writeJSON(w, status, telnyxErrors(e))
}

var (
	telnyxMessage    = regexp.MustCompile(`^/v2/messages/([0-9a-f-]{36})$`)
	telnyxCalls      = regexp.MustCompile(`^/v2/texml/Accounts/([^/]+)/Calls$`)
	telnyxCall       = regexp.MustCompile(`^/v2/texml/Accounts/([^/]+)/Calls/([^/]+)$`)
	errTelnyxMissing = func(field string) telnyxErr {
		return telnyxErr{"10004", "Missing required parameter", "The '" + field + "' parameter is required.", "/" + field}
	}
)

func (f *Telnyx) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Header.Get("Authorization") != "Bearer "+f.APIKey {
		f.fail(w, http.StatusUnauthorized, telnyxErr{"10009", "Authentication failed", "The required authentication headers were either invalid or not included in the request.", ""})
		return
	}
	post := r.Method == http.MethodPost
	if post && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.fail(w, http.StatusUnsupportedMediaType, telnyxErr{"10014", "Unsupported Media Type", "The request failed because the server does not support the media type.", ""})
		return
	}
	var in map[string]any
	if post && json.Unmarshal(body, &in) != nil {
		f.fail(w, http.StatusBadRequest, telnyxErr{"10015", "Bad Request", "The request body is not valid JSON.", ""})
		return
	}
	switch p := r.URL.Path; {
	case p == "/v2/messages" && post:
		f.sendMessage(w, in)
	case telnyxMessage.MatchString(p) && r.Method == http.MethodGet:
		f.getMessage(w, telnyxMessage.FindStringSubmatch(p)[1])
	case telnyxCalls.MatchString(p) && post && telnyxCalls.FindStringSubmatch(p)[1] == f.AccountSID:
		f.call(w, in)
	case telnyxCall.MatchString(p) && r.Method == http.MethodGet && telnyxCall.FindStringSubmatch(p)[1] == f.AccountSID:
		f.getCall(w, telnyxCall.FindStringSubmatch(p)[2])
	default:
		f.fail(w, http.StatusNotFound, telnyxErr{"10005", "Resource not found", "The requested resource or URL could not be found.", ""})
	}
}

func str(in map[string]any, k string) string {
	s, _ := in[k].(string)
	return s
}

func (f *Telnyx) sendMessage(w http.ResponseWriter, in map[string]any) {
	to, from, profile, text := str(in, "to"), str(in, "from"), str(in, "messaging_profile_id"), str(in, "text")
	switch {
	case to == "":
		f.fail(w, 400, errTelnyxMissing("to"))
	case from == "" && profile == "":
		f.fail(w, 400, errTelnyxMissing("from"))
	case text == "" && in["media_urls"] == nil:
		f.fail(w, 400, errTelnyxMissing("text"))
	case !e164.MatchString(to) || contains(f.Invalid, to):
		f.fail(w, 400, telnyxErr{"40310", "Invalid 'to' address", "The 'to' address should be a single valid number.", "/to"})
	case profile != "" && profile != f.MessagingProfileID:
		f.fail(w, 400, telnyxErr{"40321", "Invalid messaging profile", "The messaging profile does not exist or is not enabled.", "/messaging_profile_id"})
	case from != "" && !contains(f.Numbers, from):
		f.fail(w, 400, telnyxErr{"40305", "Invalid 'from' address", "The 'from' address should be a number on your account with a messaging profile.", "/from"})
	case f.Verified != nil && !contains(f.Verified, to):
		f.fail(w, 403, telnyxErr{"10010", "Authorization failed", "Your account level allows messages to verified numbers only.", "/to"})
	default:
		if from == "" {
			from = f.Numbers[0]
		}
		m := &message{id: uuid(), to: to, from: from, body: text, kind: "sms"}
		f.add(m)
		f.arrive(m)
		writeJSON(w, http.StatusOK, f.messageJSON(m, "queued", ""))
	}
}

// telnyxDeliveryErrors are the titles of delivery error codes.
var telnyxDeliveryErrors = map[string]string{
	"40001": "Not routable", "40002": "Blocked as spam - temporary", "40006": "Recipient server unavailable", "40008": "Undeliverable",
}

func (f *Telnyx) messageJSON(m *message, status, errCode string) string {
	errs := []map[string]string{}
	if errCode != "" {
		errs = append(errs, map[string]string{"code": errCode, "title": telnyxDeliveryErrors[errCode], "detail": telnyxDeliveryErrors[errCode]})
	}
	b, _ := json.Marshal(map[string]any{"data": map[string]any{
		"record_type": "message", "direction": "outbound", "id": m.id, "type": "SMS",
		"messaging_profile_id": f.MessagingProfileID,
		"from":                 map[string]string{"phone_number": m.from, "carrier": "Telnyx", "line_type": "Wireless"},
		"to":                   []map[string]string{{"phone_number": m.to, "status": status, "carrier": "T-MOBILE USA, INC.", "line_type": "Wireless"}},
		"text":                 m.body, "encoding": "GSM-7", "parts": 1, "tags": []string{},
		"cost": nil, "received_at": nowRFC3339(), "sent_at": nil, "completed_at": nil, "valid_until": nil,
		"webhook_url": "", "webhook_failover_url": "", "errors": errs,
	}})
	return string(b)
}

func (f *Telnyx) getMessage(w http.ResponseWriter, id string) {
	m, ok := f.fetch(id, "sms")
	if !ok || m.fetches <= f.Lag {
		f.fail(w, http.StatusNotFound, telnyxErr{"10005", "Resource not found", "The requested resource or URL could not be found.", ""})
		return
	}
	code, bad := f.Undeliverable[m.to]
	switch {
	case m.fetches-f.Lag < 2:
		writeJSON(w, 200, f.messageJSON(&m, "sent", ""))
	case bad:
		writeJSON(w, 200, f.messageJSON(&m, "delivery_failed", code))
	case contains(f.Unconfirmed, m.to):
		writeJSON(w, 200, f.messageJSON(&m, "delivery_unconfirmed", ""))
	default:
		writeJSON(w, 200, f.messageJSON(&m, "delivered", ""))
	}
}

func (f *Telnyx) call(w http.ResponseWriter, in map[string]any) {
	to, from, app, texml := str(in, "To"), str(in, "From"), str(in, "ApplicationSid"), str(in, "Texml")
	switch {
	case to == "":
		f.fail(w, 422, errTelnyxMissing("To"))
	case from == "":
		f.fail(w, 422, errTelnyxMissing("From"))
	case app == "":
		f.fail(w, 422, errTelnyxMissing("ApplicationSid"))
	case app != f.ApplicationID:
		f.fail(w, 422, telnyxErr{"10017", "Associated resource does not exist", "The TeXML application does not exist.", "/ApplicationSid"})
	case texml == "" && str(in, "Url") == "":
		f.fail(w, 422, errTelnyxMissing("Url"))
	case texml != "" && !validTwiML(texml):
		f.fail(w, 422, telnyxErr{"10015", "Bad Request", "Texml is not a valid TeXML document.", "/Texml"})
	case !e164.MatchString(to) || contains(f.Invalid, to):
		f.fail(w, 422, telnyxErr{"10016", "Phone number must be in +E.164 format", "The specified phone number parameter must be in +E.164 format.", "/To"})
	case !contains(f.Numbers, from):
		f.fail(w, 422, telnyxErr{"10002", "Invalid phone number", "The 'From' number is not a number on your account.", "/From"})
	case f.Verified != nil && !contains(f.Verified, to):
		f.fail(w, 403, telnyxErr{"10010", "Authorization failed", "Your account level allows calls to verified numbers only.", "/To"})
	default:
		m := &message{id: "v3:" + randHex(40), to: to, from: from, body: texml, kind: "call"}
		f.add(m)
		answer := map[string]string{"from": from, "to": to, "status": "queued"}
		if f.CallSIDs {
			answer["call_sid"] = m.id
		}
		b, _ := json.Marshal(answer)
		writeJSON(w, 200, string(b))
	}
}

func (f *Telnyx) getCall(w http.ResponseWriter, sid string) {
	m, ok := f.fetch(sid, "call")
	if !ok || m.fetches <= f.Lag {
		f.fail(w, http.StatusNotFound, telnyxErr{"10005", "Resource not found", "The requested resource or URL could not be found.", ""})
		return
	}
	status := "ringing"
	if m.fetches-f.Lag >= 2 {
		status = "completed"
		if _, bad := f.Undeliverable[m.to]; bad {
			status = "no-answer"
		}
	}
	b, _ := json.Marshal(map[string]any{"account_sid": f.AccountSID, "sid": m.id, "from": m.from, "to": m.to,
		"status": status, "direction": "outbound", "date_created": now(),
		"uri": fmt.Sprintf("/v2/texml/Accounts/%s/Calls/%s.json", f.AccountSID, m.id)})
	writeJSON(w, 200, string(b))
}
