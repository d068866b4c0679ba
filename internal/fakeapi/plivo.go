package fakeapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/otpkit/otpkit/internal/testclock"
)

// The credentials the Plivo fake accepts by default.
const (
	PlivoAuthID    = "MAODUMMYAUTHID000001"
	PlivoAuthToken = "ZmFrZXBsaXZvdG9rZW4wMDAwMDAwMDAwMDAwMDAw"
)

// Plivo is a fake of Plivo's Message API v1: send (POST
// /v1/Account/{auth_id}/Message/) and get (GET .../Message/{uuid}/),
// HTTP Basic authentication with the auth id and token, JSON bodies, and
// the {"api_id": ..., "error": ...} error shape. Its answers have the
// shapes of the official SDK's fixtures (plivo/plivo-go fixtures/).
type Plivo struct {
	Core
	AuthID, AuthToken string
	Numbers           []string
	// Verified, when not nil, makes the account a trial account that
	// sends only to these sandbox numbers.
	Verified []string
	// Undeliverable maps a destination number to the error code its
	// messages fail with ("50").
	Undeliverable map[string]string
	// Invalid lists well-formed numbers the API refuses as not valid.
	Invalid []string
	// RefusalStatus, when not zero, is the HTTP status of a refused send
	// instead of 400: the SDK's fixtures of {"api_id", "error"} answers
	// come with HTTP 200.
	RefusalStatus int
	// MessageErrors makes errors {"api_id", "error_code": <HTTP status>,
	// "message"}, the shape of Plivo's newer APIs (SDK fixture
	// lookupGetError.json), instead of {"api_id", "error"}.
	MessageErrors bool
	store
}

// NewPlivo starts a fake Plivo API with the default credentials.
func NewPlivo() *Plivo {
	f := &Plivo{AuthID: PlivoAuthID, AuthToken: PlivoAuthToken, Numbers: []string{From}, Undeliverable: map[string]string{}}
	f.start(f.errBody, f.handle)
	return f
}

// The scripts' options: trial=NUMBER (Verified), invalid=NUMBER,
// undeliverable=NUMBER:CODE.
func init() {
	register("plivo", func(o *Options) (Server, error) {
		f := NewPlivo()
		f.Verified, f.Invalid, f.Undeliverable = o.Strings("trial"), o.Strings("invalid"), o.Codes("undeliverable")
		return f, nil
	})
}

// plivoTime is the layout of Plivo's times ("2017-05-22 21:36:14+05:30").
const plivoTime = "2006-01-02 15:04:05-07:00"

// plivoError writes an error answer.
func (f *Plivo) plivoError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, f.errorJSON(status, msg))
}

func (f *Plivo) errorJSON(status int, msg string) string {
	out := map[string]any{"api_id": uuid(), "error": msg}
	if f.MessageErrors {
		out = map[string]any{"api_id": uuid(), "error_code": status, "message": msg}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func (f *Plivo) errBody(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return f.errorJSON(status, "too many requests")
	}
	return f.errorJSON(status, "internal server error")
}

var (
	plivoSend = regexp.MustCompile(`^/v1/Account/([^/]+)/Message/$`)
	plivoGet  = regexp.MustCompile(`^/v1/Account/([^/]+)/Message/([0-9a-f-]{36})/$`)
)

// plivoNumber normalizes a src/dst: Plivo takes numbers with or without +.
func plivoNumber(s string) string {
	if s != "" && !strings.HasPrefix(s, "+") {
		return "+" + s
	}
	return s
}

func (f *Plivo) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.AuthID || pass != f.AuthToken {
		f.plivoError(w, http.StatusUnauthorized, "authentication failed")
		return
	}
	if m := plivoSend.FindStringSubmatch(r.URL.Path); m != nil && m[1] == f.AuthID {
		if r.Method != http.MethodPost {
			f.plivoError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		var in map[string]any
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &in) != nil {
			f.plivoError(w, http.StatusBadRequest, "invalid json data")
			return
		}
		f.send(w, in)
		return
	}
	if m := plivoGet.FindStringSubmatch(r.URL.Path); m != nil && m[1] == f.AuthID && r.Method == http.MethodGet {
		f.get(w, m[2])
		return
	}
	f.plivoError(w, http.StatusNotFound, "not found")
}

func (f *Plivo) send(w http.ResponseWriter, in map[string]any) {
	src, dst, text := plivoNumber(str(in, "src")), plivoNumber(str(in, "dst")), str(in, "text")
	refused := http.StatusBadRequest
	if f.RefusalStatus != 0 {
		refused = f.RefusalStatus
	}
	switch {
	case src == "" && str(in, "powerpack_uuid") == "":
		f.plivoError(w, refused, "src parameter is required")
	case dst == "":
		f.plivoError(w, refused, "dst parameter is required")
	case text == "":
		f.plivoError(w, refused, "text parameter is required")
	case !e164.MatchString(dst) || contains(f.Invalid, dst):
		f.plivoError(w, refused, "invalid dst parameter")
	case !contains(f.Numbers, src):
		f.plivoError(w, refused, "src parameter is not a valid phone number of your account")
	case f.Verified != nil && !contains(f.Verified, dst):
		f.plivoError(w, refused, "destination number must be a verified sandbox number for a trial account")
	default:
		m := &message{id: uuid(), to: dst, from: src, body: text, kind: "sms"}
		f.add(m)
		b, _ := json.Marshal(map[string]any{"api_id": uuid(), "message": "message(s) queued", "message_uuid": []string{m.id}})
		writeJSON(w, http.StatusAccepted, string(b))
	}
}

func (f *Plivo) get(w http.ResponseWriter, id string) {
	m, ok := f.fetch(id, "sms")
	if !ok {
		f.plivoError(w, http.StatusNotFound, "not found")
		return
	}
	// error_code is null until the message is final, "000" when delivered.
	state, code := "sent", any(nil)
	if m.fetches >= 2 {
		state, code = "delivered", "000"
		if c, bad := f.Undeliverable[m.to]; bad {
			state, code = "undelivered", c
		}
	}
	b, _ := json.Marshal(map[string]any{
		"api_id": uuid(), "error_code": code, "from_number": strings.TrimPrefix(m.from, "+"), "message_direction": "outbound",
		"message_state": state, "message_time": testclock.Base().Format(plivoTime), "message_type": "sms", "message_uuid": m.id,
		"resource_uri": "/v1/Account/" + f.AuthID + "/Message/" + m.id + "/", "to_number": strings.TrimPrefix(m.to, "+"),
		"total_amount": "0.00500", "total_rate": "0.00500", "units": 1,
	})
	writeJSON(w, http.StatusOK, string(b))
}
