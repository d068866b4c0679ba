package fakeapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// The credentials the Plivo fake accepts by default.
const (
	PlivoAuthID    = "MAODUMMYAUTHID000001"
	PlivoAuthToken = "ZmFrZXBsaXZvdG9rZW4wMDAwMDAwMDAwMDAwMDAw"
)

// Plivo is a fake of Plivo's Message API v1: send (POST
// /v1/Account/{auth_id}/Message/) and get (GET .../Message/{uuid}/),
// HTTP Basic authentication with the auth id and token, JSON bodies, and
// the {"api_id": ..., "error": ...} error shape.
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
	store
}

// NewPlivo starts a fake Plivo API with the default credentials.
func NewPlivo() *Plivo {
	f := &Plivo{AuthID: PlivoAuthID, AuthToken: PlivoAuthToken, Numbers: []string{From}, Undeliverable: map[string]string{}}
	f.start(f.errBody, f.handle)
	return f
}

func plivoError(msg string) string {
	b, _ := json.Marshal(map[string]string{"api_id": uuid(), "error": msg})
	return string(b)
}

func (f *Plivo) errBody(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return plivoError("too many requests")
	}
	return plivoError("internal server error")
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
		writeJSON(w, http.StatusUnauthorized, plivoError("authentication failed"))
		return
	}
	if m := plivoSend.FindStringSubmatch(r.URL.Path); m != nil && m[1] == f.AuthID {
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, plivoError("method not allowed"))
			return
		}
		var in map[string]any
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &in) != nil {
			writeJSON(w, http.StatusBadRequest, plivoError("invalid json data"))
			return
		}
		f.send(w, in)
		return
	}
	if m := plivoGet.FindStringSubmatch(r.URL.Path); m != nil && m[1] == f.AuthID && r.Method == http.MethodGet {
		f.get(w, m[2])
		return
	}
	writeJSON(w, http.StatusNotFound, plivoError("not found"))
}

func (f *Plivo) send(w http.ResponseWriter, in map[string]any) {
	src, dst, text := plivoNumber(str(in, "src")), plivoNumber(str(in, "dst")), str(in, "text")
	switch {
	case src == "" && str(in, "powerpack_uuid") == "":
		writeJSON(w, 400, plivoError("src parameter is required"))
	case dst == "":
		writeJSON(w, 400, plivoError("dst parameter is required"))
	case text == "":
		writeJSON(w, 400, plivoError("text parameter is required"))
	case !e164.MatchString(dst) || contains(f.Invalid, dst):
		writeJSON(w, 400, plivoError("invalid dst parameter"))
	case !contains(f.Numbers, src):
		writeJSON(w, 400, plivoError("src parameter is not a valid phone number of your account"))
	case f.Verified != nil && !contains(f.Verified, dst):
		writeJSON(w, 400, plivoError("destination number must be a verified sandbox number for a trial account"))
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
		writeJSON(w, http.StatusNotFound, plivoError("not found"))
		return
	}
	state, code := "sent", "000"
	if m.fetches >= 2 {
		state = "delivered"
		if c, bad := f.Undeliverable[m.to]; bad {
			state, code = "undelivered", c
		}
	}
	b, _ := json.Marshal(map[string]any{
		"api_id": uuid(), "error_code": code, "from_number": strings.TrimPrefix(m.from, "+"), "message_direction": "outbound",
		"message_state": state, "message_time": now(), "message_type": "sms", "message_uuid": m.id,
		"resource_uri": "/v1/Account/" + f.AuthID + "/Message/" + m.id + "/", "to_number": strings.TrimPrefix(m.to, "+"),
		"total_amount": "0.00500", "total_rate": "0.00500", "units": 1,
	})
	writeJSON(w, http.StatusOK, string(b))
}
