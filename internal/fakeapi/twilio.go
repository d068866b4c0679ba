package fakeapi

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// The credentials and numbers the fakes accept by default. Tests and
// test scripts configure clients with them.
const (
	TwilioAccountSID          = "AC0123456789abcdef0123456789abcdef"
	TwilioAuthToken           = "f00dfeedf00dfeedf00dfeedf00dfeed"
	TwilioMessagingServiceSID = "MG0123456789abcdef0123456789abcdef"
	// From is the sender number every fake owns.
	From = "+12015550100"
)

// Twilio is a fake of Twilio's REST API 2010-04-01: Messages (create,
// fetch) and Calls (create with Twiml, fetch), HTTP Basic authentication
// with the account SID and auth token, form-encoded bodies.
type Twilio struct {
	Core
	AccountSID, AuthToken string
	Numbers               []string // the account's numbers, valid as From
	MessagingServiceSID   string
	// Verified, when not nil, makes the account a trial account that
	// sends only to these numbers (errors 21608 for messages, 21219 for calls).
	Verified []string
	// Undeliverable maps a destination number to the error code its
	// messages fail with ("30003").
	Undeliverable map[string]string
	// Invalid lists well-formed numbers the API refuses as not valid
	// (21211), as it does numbers no carrier serves.
	Invalid []string
	// Landlines lists numbers that cannot take SMS: messages to them are
	// refused with 21614; calls go through.
	Landlines []string
	// UpperIDs makes message and call ids use uppercase hex digits, which
	// the OpenAPI description's id patterns ([0-9a-fA-F]{32}) allow.
	UpperIDs bool
	store
	// TwilioInbound is the account's own numbers and the Messages list
	// (twilio_inbound.go).
	TwilioInbound
}

// sid returns a new id with the prefix, in the configured letter case.
func (f *Twilio) sid(prefix string) string {
	h := randHex(32)
	if f.UpperIDs {
		h = strings.ToUpper(h)
	}
	return prefix + h
}

// NewTwilio starts a fake Twilio API with the default credentials.
func NewTwilio() *Twilio {
	f := &Twilio{AccountSID: TwilioAccountSID, AuthToken: TwilioAuthToken, Numbers: []string{From}, MessagingServiceSID: TwilioMessagingServiceSID, Undeliverable: map[string]string{}}
	f.start(f.errBody, f.handle)
	return f
}

// The scripts' options: trial=NUMBER (Verified), invalid=NUMBER,
// landline=NUMBER, undeliverable=NUMBER:CODE.
func init() {
	register("twilio", func(o *Options) (Server, error) {
		f := NewTwilio()
		f.Verified, f.Invalid, f.Landlines, f.Undeliverable = o.Strings("trial"), o.Strings("invalid"), o.Strings("landline"), o.Codes("undeliverable")
		owned, err := o.routes("owned")
		if err != nil {
			return nil, err
		}
		f.Owned, f.SMSURL = owned, o.String("smsurl")
		return f, nil
	})
}

var (
	twilioCreate = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9a-f]{32})/(Messages|Calls)\.json$`)
	twilioFetch  = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9a-f]{32})/(Messages|Calls)/((?:SM|MM|CA)[0-9a-fA-F]{32})\.json$`)
)

// twilioErrors are the messages of the codes the fake answers with.
var twilioErrors = map[int]string{
	20003: "Authenticate",
	20404: "The requested resource was not found",
	20429: "Too Many Requests",
	20500: "Internal Server Error",
	20503: "Service Unavailable",
	20004: "Method not allowed",
}

func twilioError(code, status int, msg string) string {
	b, _ := json.Marshal(map[string]any{"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
	return string(b)
}

func (f *Twilio) errBody(status int) string {
	code := 20000 + status
	return twilioError(code, status, twilioErrors[code])
}

func (f *Twilio) fail(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, twilioError(code, status, msg))
}

func (f *Twilio) handle(w http.ResponseWriter, r *http.Request, _ []byte) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.AccountSID || pass != f.AuthToken {
		f.fail(w, http.StatusUnauthorized, 20003, twilioErrors[20003])
		return
	}
	if m := twilioCreate.FindStringSubmatch(r.URL.Path); m != nil && m[1] == f.AccountSID {
		if r.Method == http.MethodGet && m[2] == "Messages" {
			f.listMessages(w, r)
			return
		}
		if r.Method != http.MethodPost {
			f.fail(w, http.StatusMethodNotAllowed, 20004, twilioErrors[20004])
			return
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			// Twilio reads parameters from a form body only.
			f.fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
			return
		}
		if err := r.ParseForm(); err != nil {
			f.fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
			return
		}
		if m[2] == "Messages" {
			f.createMessage(w, r)
		} else {
			f.createCall(w, r)
		}
		return
	}
	if m := twilioFetch.FindStringSubmatch(r.URL.Path); m != nil && m[1] == f.AccountSID && r.Method == http.MethodGet {
		f.fetchResource(w, m[2], m[3])
		return
	}
	f.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
}

func (f *Twilio) createMessage(w http.ResponseWriter, r *http.Request) {
	to, from, svc, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("MessagingServiceSid"), r.PostForm.Get("Body")
	switch {
	case to == "":
		f.fail(w, 400, 21604, "A 'To' phone number is required.")
	case from == "" && svc == "":
		f.fail(w, 400, 21603, "A 'From' phone number is required.")
	case body == "":
		f.fail(w, 400, 21602, "Message body is required.")
	case len([]rune(body)) > 1600:
		f.fail(w, 400, 21617, "The concatenated message body exceeds the 1600 character limit.")
	case !e164.MatchString(to) || contains(f.Invalid, to):
		f.fail(w, 400, 21211, fmt.Sprintf("Invalid 'To' Phone Number: %s", to))
	case contains(f.Landlines, to):
		f.fail(w, 400, 21614, "'To' number is not a valid mobile number")
	case svc != "" && svc != f.MessagingServiceSID:
		f.fail(w, 400, 21701, fmt.Sprintf("The Messaging Service Sid %s is invalid.", svc))
	case svc == "" && !contains(f.Numbers, from):
		f.fail(w, 400, 21606, fmt.Sprintf("The From phone number %s is not a valid, SMS-capable inbound phone number or short code for your account.", from))
	case f.Verified != nil && !contains(f.Verified, to):
		f.fail(w, 400, 21608, fmt.Sprintf("The number %s is unverified. Trial accounts cannot send messages to unverified numbers; verify %s at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers.", to, to))
	default:
		m := &message{id: f.sid("SM"), to: to, from: from, body: body, kind: "Messages"}
		f.add(m)
		status := "queued"
		if svc != "" {
			status = "accepted"
			from = f.Numbers[0] // the service's sender pool
		}
		f.record(m, from)
		writeJSON(w, http.StatusCreated, f.messageJSON(m, status, nil))
	}
}

func (f *Twilio) createCall(w http.ResponseWriter, r *http.Request) {
	to, from, twiml := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Twiml")
	switch {
	case to == "":
		f.fail(w, 400, 21201, "No 'To' number is specified")
	case from == "":
		f.fail(w, 400, 21213, "No 'From' number is specified")
	case twiml == "" && r.PostForm.Get("Url") == "" && r.PostForm.Get("ApplicationSid") == "":
		f.fail(w, 400, 21205, "Url parameter is required.")
	case len(twiml) > 4000:
		f.fail(w, 400, 21250, "Twiml parameter exceeds 4000 characters.")
	case twiml != "" && !validTwiML(twiml):
		f.fail(w, 400, 12100, "Document parse failure")
	case !e164.MatchString(to) || contains(f.Invalid, to):
		f.fail(w, 400, 21211, fmt.Sprintf("Invalid 'To' Phone Number: %s", to))
	case !contains(f.Numbers, from):
		f.fail(w, 400, 21210, fmt.Sprintf("The source phone number provided, %s, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.", from))
	case f.Verified != nil && !contains(f.Verified, to):
		f.fail(w, 400, 21219, fmt.Sprintf("The number %s is unverified. Trial accounts may only make calls to verified numbers.", to))
	default:
		m := &message{id: f.sid("CA"), to: to, from: from, body: twiml, kind: "Calls"}
		f.add(m)
		writeJSON(w, http.StatusCreated, f.callJSON(m, "queued"))
	}
}

// validTwiML reports whether s is one XML document with a <Response> root.
func validTwiML(s string) bool {
	var doc struct {
		XMLName xml.Name
	}
	return xml.Unmarshal([]byte(s), &doc) == nil && doc.XMLName.Local == "Response"
}

func (f *Twilio) fetchResource(w http.ResponseWriter, kind, sid string) {
	m, ok := f.fetch(sid, kind)
	if !ok {
		f.fail(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource /2010-04-01/Accounts/%s/%s/%s.json was not found", f.AccountSID, kind, sid))
		return
	}
	code, bad := f.Undeliverable[m.to]
	if kind == "Calls" {
		status := "ringing"
		switch {
		case m.fetches >= 2 && bad:
			status = "no-answer"
		case m.fetches >= 2:
			status = "completed"
		}
		writeJSON(w, http.StatusOK, f.callJSON(&m, status))
		return
	}
	switch {
	case m.fetches < 2:
		writeJSON(w, http.StatusOK, f.messageJSON(&m, "sent", nil))
	case bad:
		writeJSON(w, http.StatusOK, f.messageJSON(&m, "undelivered", &code))
	default:
		writeJSON(w, http.StatusOK, f.messageJSON(&m, "delivered", nil))
	}
}

// twilioDeliveryErrors are the messages of delivery error codes.
var twilioDeliveryErrors = map[string]string{
	"30003": "Unreachable destination handset",
	"30005": "Unknown destination handset",
	"30006": "Landline or unreachable carrier",
	"30007": "Message filtered",
}

func (f *Twilio) messageJSON(m *message, status string, errCode *string) string {
	var code, msg any
	if errCode != nil {
		c := 0
		fmt.Sscan(*errCode, &c)
		code, msg = c, twilioDeliveryErrors[*errCode]
	}
	b, _ := json.Marshal(map[string]any{
		"account_sid": f.AccountSID, "api_version": "2010-04-01", "body": m.body,
		"date_created": now(), "date_sent": nil, "date_updated": now(),
		"direction": "outbound-api", "error_code": code, "error_message": msg,
		"from": m.from, "messaging_service_sid": nil, "num_media": "0", "num_segments": "1",
		"price": nil, "price_unit": "USD", "sid": m.id, "status": status,
		"subresource_uris": map[string]string{"media": fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s/Media.json", f.AccountSID, m.id)},
		"to":               m.to,
		"uri":              fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s.json", f.AccountSID, m.id),
	})
	return string(b)
}

func (f *Twilio) callJSON(m *message, status string) string {
	b, _ := json.Marshal(map[string]any{
		"account_sid": f.AccountSID, "api_version": "2010-04-01", "answered_by": nil,
		"caller_name": nil, "date_created": now(), "date_updated": now(), "direction": "outbound-api",
		"duration": nil, "end_time": nil, "forwarded_from": nil, "from": m.from, "from_formatted": m.from,
		"parent_call_sid": nil, "phone_number_sid": "PN" + strings.Repeat("0", 32), "price": nil, "price_unit": "USD",
		"sid": m.id, "start_time": nil, "status": status, "to": m.to, "to_formatted": m.to,
		"uri": fmt.Sprintf("/2010-04-01/Accounts/%s/Calls/%s.json", f.AccountSID, m.id),
	})
	return string(b)
}
