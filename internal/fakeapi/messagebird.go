package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/otpkit/otpkit/internal/testclock"
)

// MessageBirdAccessKey is the key the MessageBird fake accepts by default.
const MessageBirdAccessKey = "live_FAKEfake0123456789abcd"

// MessageBird is a fake of MessageBird's legacy REST API: messages (send,
// view) and voice messages (send, view), "Authorization: AccessKey …",
// JSON bodies, and the {"errors": [{"code", "description", "parameter"}]}
// error shape. Its answers have the shapes of the official SDK's fixtures
// (messagebird/go-rest-api */testdata).
type MessageBird struct {
	Core
	AccessKey string
	// Balance false makes sends fail with code 25 (not enough balance),
	// as a trial account whose free credit is spent.
	NoBalance bool
	// Undeliverable maps a recipient number (E.164) to the status reason
	// its messages fail with ("unknown subscriber").
	Undeliverable map[string]string
	// Invalid lists numbers (E.164) the API refuses as recipients (code 9).
	Invalid []string
	store
}

// NewMessageBird starts a fake MessageBird API with the default key.
func NewMessageBird() *MessageBird {
	f := &MessageBird{AccessKey: MessageBirdAccessKey, Undeliverable: map[string]string{}}
	f.start(f.errBody, f.handle)
	return f
}

// The scripts' options: invalid=NUMBER, undeliverable=NUMBER:REASON,
// nobalance=true.
func init() {
	register("messagebird", func(o *Options) (Server, error) {
		f := NewMessageBird()
		f.Invalid, f.Undeliverable, f.NoBalance = o.Strings("invalid"), o.Codes("undeliverable"), o.Bool("nobalance")
		return f, nil
	})
}

// mbTime is the layout of MessageBird's times ("2022-01-05T10:02:59+00:00").
const mbTime = "2006-01-02T15:04:05-07:00"

func mbNow() string { return testclock.Base().UTC().Format(mbTime) }

func mbError(code int, desc, param string) string {
	var p any
	if param != "" {
		p = param
	}
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "description": desc, "parameter": p}}})
	return string(b)
}

func (f *MessageBird) errBody(status int) string {
	if status == http.StatusTooManyRequests {
		return mbError(21, "Too many requests", "")
	}
	return mbError(99, "Internal error", "")
}

var (
	mbView  = regexp.MustCompile(`^/(messages|voicemessages)/([0-9a-f]{32})$`)
	msisdn  = regexp.MustCompile(`^[1-9][0-9]{6,14}$`)
	mbVoice = map[string]bool{"male": true, "female": true}
)

func (f *MessageBird) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Header.Get("Authorization") != "AccessKey "+f.AccessKey {
		writeJSON(w, http.StatusUnauthorized, mbError(2, "Request not allowed (incorrect access_key)", "access_key"))
		return
	}
	if (r.URL.Path == "/messages" || r.URL.Path == "/voicemessages") && r.Method == http.MethodPost {
		var in map[string]any
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &in) != nil {
			writeJSON(w, http.StatusUnprocessableEntity, mbError(9, "no (correct) recipients found", "recipients"))
			return
		}
		f.create(w, strings.TrimPrefix(r.URL.Path, "/"), in)
		return
	}
	if m := mbView.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		f.view(w, m[1], m[2])
		return
	}
	writeJSON(w, http.StatusNotFound, mbError(20, "message not found", ""))
}

// recipients reads the recipients array: numbers or strings of digits.
func recipients(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false
	}
	var out []string
	for _, r := range list {
		var s string
		switch r := r.(type) {
		case string:
			s = r
		case float64:
			s = strconv.FormatFloat(r, 'f', 0, 64)
		}
		if !msisdn.MatchString(s) {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func (f *MessageBird) create(w http.ResponseWriter, kind string, in map[string]any) {
	rcpts, ok := recipients(in["recipients"])
	for _, r := range rcpts {
		ok = ok && !contains(f.Invalid, "+"+r)
	}
	switch {
	case !ok:
		writeJSON(w, 422, mbError(9, "no (correct) recipients found", "recipients"))
		return
	case kind == "messages" && str(in, "originator") == "":
		writeJSON(w, 422, mbError(9, "originator is required", "originator"))
		return
	case str(in, "body") == "":
		writeJSON(w, 422, mbError(9, "body is required", "body"))
		return
	case kind == "voicemessages" && in["voice"] != nil && !mbVoice[str(in, "voice")]:
		writeJSON(w, 422, mbError(10, "voice is invalid", "voice"))
		return
	case f.NoBalance:
		writeJSON(w, 402, mbError(25, "Not enough balance", ""))
		return
	}
	if kind == "voicemessages" {
		if rep, ok := in["repeat"].(float64); in["repeat"] != nil && (!ok || rep < 1 || rep > 10 || rep != float64(int(rep))) {
			writeJSON(w, 422, mbError(10, "repeat is invalid", "repeat"))
			return
		}
	}
	m := &message{id: randHex(32), to: "+" + rcpts[0], from: str(in, "originator"), body: str(in, "body"), kind: kind}
	f.add(m)
	writeJSON(w, http.StatusCreated, f.messageJSON(m, in, initialStatus(kind), ""))
}

func initialStatus(kind string) string {
	if kind == "voicemessages" {
		return "calling"
	}
	return "sent"
}

func (f *MessageBird) messageJSON(m *message, in map[string]any, status, reason string) string {
	n, _ := strconv.ParseInt(strings.TrimPrefix(m.to, "+"), 10, 64)
	item := map[string]any{"recipient": n, "status": status, "statusDatetime": mbNow()}
	delivered, failed := 0, 0
	switch status {
	case "delivered", "answered":
		delivered = 1
	case "delivery_failed", "failed":
		failed = 1
		item["statusReason"] = reason
		item["statusErrorCode"] = 1
	}
	out := map[string]any{
		"id": m.id, "href": fmt.Sprintf("https://rest.messagebird.com/%s/%s", m.kind, m.id),
		"originator": m.from, "body": m.body, "reference": nil, "createdDatetime": mbNow(),
		"recipients": map[string]any{"totalCount": 1, "totalSentCount": 1, "totalDeliveredCount": delivered, "totalDeliveryFailedCount": failed, "items": []any{item}},
	}
	if m.kind == "messages" {
		out["direction"], out["type"], out["datacoding"], out["mclass"], out["validity"], out["gateway"] = "mt", "sms", "plain", 1, nil, 10
	} else {
		for _, k := range []string{"language", "voice", "repeat", "ifMachine"} {
			if in != nil {
				out[k] = in[k]
			}
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func (f *MessageBird) view(w http.ResponseWriter, kind, id string) {
	m, ok := f.fetch(id, kind)
	if !ok {
		writeJSON(w, http.StatusNotFound, mbError(20, "message not found", ""))
		return
	}
	status, reason := initialStatus(kind), ""
	if m.fetches >= 2 {
		if r, bad := f.Undeliverable[m.to]; bad {
			status, reason = "delivery_failed", r
			if kind == "voicemessages" {
				status = "failed"
			}
		} else if kind == "voicemessages" {
			status = "answered"
		} else {
			status = "delivered"
		}
	}
	writeJSON(w, http.StatusOK, f.messageJSON(&m, nil, status, reason))
}
