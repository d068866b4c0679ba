// Package verifyapi serves a subset of Twilio's Verify v2 REST API
// (services, verifications, verification checks) on top of an
// [otp.Service]. This is the first piece of issue 12: services and
// verification state live in memory in this process.
package verifyapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
)

// MaxBody is the largest request body accepted, in bytes.
const MaxBody = 64 << 10

// Config is what a Handler needs.
type Config struct {
	AccountSID string       // AC + 32 hex: the Basic-auth user
	AuthToken  string       // the Basic-auth password
	OTP        *otp.Service // issues and checks codes
	Now        func() time.Time
	Metrics    *Metrics // counts deliveries; nil: none (see NewHTTPHandler for the rest)
}

// Handler is an http.Handler answering the Verify v2 API.
type Handler struct {
	cfg      Config
	mu       sync.Mutex
	services map[string]*service
	bySid    map[string]*verification
	byTo     map[string]*verification // service sid + "\x00" + To
}

type service struct {
	Sid          string `json:"sid"`
	AccountSid   string `json:"account_sid"`
	FriendlyName string `json:"friendly_name"`
	CodeLength   int    `json:"code_length"`
	DateCreated  string `json:"date_created"`
	DateUpdated  string `json:"date_updated"`
	URL          string `json:"url"`
}

type verification struct {
	Sid              string  `json:"sid"`
	ServiceSid       string  `json:"service_sid"`
	AccountSid       string  `json:"account_sid"`
	To               string  `json:"to"`
	Channel          string  `json:"channel"`
	Status           string  `json:"status"`
	Valid            bool    `json:"valid"`
	Lookup           any     `json:"lookup"`
	Amount           *string `json:"amount"`
	Payee            *string `json:"payee"`
	SendCodeAttempts []any   `json:"send_code_attempts"`
	DateCreated      string  `json:"date_created"`
	DateUpdated      string  `json:"date_updated"`
	URL              string  `json:"url"`
	wrong            int
}

// New returns a Handler; it fails on a malformed account sid or an empty token.
func New(cfg Config) (*Handler, error) {
	if !ValidSid("AC", cfg.AccountSID) {
		return nil, fmt.Errorf("account sid %q is not AC followed by 32 hex digits", cfg.AccountSID)
	}
	if cfg.AuthToken == "" {
		return nil, errors.New("an auth token is required")
	}
	if cfg.OTP == nil {
		return nil, errors.New("an otp.Service is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg, services: map[string]*service{}, bySid: map[string]*verification{}, byTo: map[string]*verification{}}, nil
}

// ValidSid reports whether s is prefix followed by 32 lower-case hex digits.
func ValidSid(prefix, s string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func newSid(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func writeErr(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, apiError{Code: code, Message: msg, MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), Status: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *Handler) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	uok := subtle.ConstantTimeCompare([]byte(u), []byte(h.cfg.AccountSID))
	pok := subtle.ConstantTimeCompare([]byte(p), []byte(h.cfg.AuthToken))
	return ok && uok&pok == 1
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	if !h.authorized(r) {
		writeErr(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			writeErr(w, http.StatusBadRequest, 20001, "the request body is not a form of at most 64 KiB")
			return
		}
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "v2" && parts[1] == "Services" && r.Method == http.MethodPost:
		h.createService(w, r)
	case len(parts) == 3 && parts[0] == "v2" && parts[1] == "Services" && r.Method == http.MethodGet:
		h.fetchService(w, parts[2])
	case len(parts) == 4 && parts[0] == "v2" && parts[1] == "Services" && parts[3] == "Verifications" && r.Method == http.MethodPost:
		h.createVerification(w, r, parts[2])
	case len(parts) == 5 && parts[0] == "v2" && parts[1] == "Services" && parts[3] == "Verifications":
		h.verification(w, r, parts[2], parts[4])
	case len(parts) == 4 && parts[0] == "v2" && parts[1] == "Services" && parts[3] == "VerificationCheck" && r.Method == http.MethodPost:
		h.check(w, r, parts[2])
	default:
		writeErr(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found (otp serve answers Services, Verifications and VerificationCheck only)")
	}
}

func (h *Handler) stamp() string { return h.cfg.Now().UTC().Format(time.RFC3339) }

func (h *Handler) createService(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("FriendlyName")
	if name == "" {
		writeErr(w, http.StatusBadRequest, 20001, "Missing required parameter FriendlyName in the post body")
		return
	}
	s := &service{Sid: newSid("VA"), AccountSid: h.cfg.AccountSID, FriendlyName: name, CodeLength: 6, DateCreated: h.stamp()}
	s.DateUpdated, s.URL = s.DateCreated, "https://verify.twilio.com/v2/Services/"+s.Sid
	h.mu.Lock()
	h.services[s.Sid] = s
	h.mu.Unlock()
	writeJSON(w, http.StatusCreated, s)
}

// service returns the service sid, or answers Twilio's 404 and false.
func (h *Handler) service(w http.ResponseWriter, sid string) (*service, bool) {
	h.mu.Lock()
	s, ok := h.services[sid]
	h.mu.Unlock()
	if !ok {
		writeErr(w, http.StatusNotFound, 20404, "The requested resource /Services/"+sid+" was not found")
	}
	return s, ok
}

func (h *Handler) fetchService(w http.ResponseWriter, sid string) {
	if s, ok := h.service(w, sid); ok {
		writeJSON(w, http.StatusOK, s)
	}
}

func (h *Handler) createVerification(w http.ResponseWriter, r *http.Request, svc string) {
	if _, ok := h.service(w, svc); !ok {
		return
	}
	ch := r.PostForm.Get("Channel")
	var dch delivery.Channel
	switch ch {
	case "sms":
		dch = delivery.SMS
	case "call":
		dch = delivery.Voice
	case "auto":
		dch = delivery.Auto
	default:
		writeErr(w, http.StatusBadRequest, 60200, "Invalid parameter: Channel (otp serve delivers sms, call and auto)")
		return
	}
	to, err := h.cfg.OTP.ParseNumber(r.PostForm.Get("To"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, 60200, "Invalid parameter: To")
		return
	}
	res, err := h.cfg.OTP.Send(r.Context(), to, dch)
	h.cfg.Metrics.ObserveSend(res, err)
	var re *otp.RetryError
	switch {
	case errors.As(err, &re):
		secs := int(re.RetryAt.Sub(h.cfg.Now()).Seconds())
		secs = max(secs, 1)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		writeErr(w, http.StatusTooManyRequests, 60203, "Max send attempts reached")
		return
	case err != nil:
		writeErr(w, http.StatusServiceUnavailable, 60205, "delivery failed")
		return
	}
	used := "sms"
	if res.Channel == delivery.Voice {
		used = "call"
	}
	key := svc + "\x00" + to
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.byTo[key]
	if v == nil || v.Status != "pending" {
		v = &verification{Sid: newSid("VE"), ServiceSid: svc, AccountSid: h.cfg.AccountSID, To: to, Status: "pending", DateCreated: h.stamp()}
		v.URL = "https://verify.twilio.com/v2/Services/" + svc + "/Verifications/" + v.Sid
		v.Lookup = map[string]any{}
		h.byTo[key], h.bySid[v.Sid] = v, v
	}
	v.Channel, v.DateUpdated, v.wrong = used, h.stamp(), 0
	v.SendCodeAttempts = append(v.SendCodeAttempts, map[string]any{"time": v.DateUpdated, "channel": used})
	writeJSON(w, http.StatusCreated, v)
}

func (h *Handler) verification(w http.ResponseWriter, r *http.Request, svc, sid string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.bySid[sid]
	if !ok || v.ServiceSid != svc {
		writeErr(w, http.StatusNotFound, 20404, "The requested resource /Services/"+svc+"/Verifications/"+sid+" was not found")
		return
	}
	if r.Method == http.MethodPost {
		st := r.PostForm.Get("Status")
		if st != "canceled" && st != "approved" {
			writeErr(w, http.StatusBadRequest, 60200, "Invalid parameter: Status")
			return
		}
		if v.Status != "pending" {
			writeErr(w, http.StatusNotFound, 20404, "The requested resource /Services/"+svc+"/Verifications/"+sid+" was not found")
			return
		}
		v.Status, v.Valid, v.DateUpdated = st, st == "approved", h.stamp()
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) check(w http.ResponseWriter, r *http.Request, svc string) {
	to, sid, code := r.PostForm.Get("To"), r.PostForm.Get("VerificationSid"), r.PostForm.Get("Code")
	h.mu.Lock()
	var v *verification
	if sid != "" {
		v = h.bySid[sid]
	} else {
		n, err := h.cfg.OTP.ParseNumber(to)
		if err != nil {
			h.mu.Unlock()
			writeErr(w, http.StatusBadRequest, 60200, "Invalid parameter: To")
			return
		}
		v = h.byTo[svc+"\x00"+n]
	}
	if v == nil || v.ServiceSid != svc || v.Status != "pending" {
		h.mu.Unlock()
		writeErr(w, http.StatusNotFound, 20404, "The requested resource /Services/"+svc+"/VerificationCheck was not found")
		return
	}
	number := v.To
	h.mu.Unlock()
	res, err := h.cfg.OTP.Verify(r.Context(), number, code)
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil && res.Verdict == otp.Approved:
		v.Status, v.Valid = "approved", true
	case res.Verdict == otp.Locked || res.Verdict == otp.Rejected && res.AttemptsLeft == 0:
		v.Status = "max_attempts_reached"
		v.DateUpdated = h.stamp()
		writeErr(w, http.StatusTooManyRequests, 60202, "Max check attempts reached")
		return
	case res.Verdict == otp.Rejected || errors.Is(err, otp.ErrInvalidCode):
	case res.Verdict == otp.Expired:
		v.Status = "expired"
		writeErr(w, http.StatusNotFound, 20404, "The requested resource /Services/"+svc+"/VerificationCheck was not found")
		return
	case err != nil && res.Verdict == otp.NotFound:
		writeErr(w, http.StatusNotFound, 20404, "The requested resource /Services/"+svc+"/VerificationCheck was not found")
		return
	case err != nil:
		writeErr(w, http.StatusServiceUnavailable, 20500, "store unavailable")
		return
	}
	v.DateUpdated = h.stamp()
	out := map[string]any{"sid": v.Sid, "service_sid": v.ServiceSid, "account_sid": v.AccountSid, "to": v.To,
		"channel": v.Channel, "status": v.Status, "valid": v.Valid, "amount": nil, "payee": nil,
		"date_created": v.DateCreated, "date_updated": v.DateUpdated, "sna_attempts_error_codes": []any{}}
	writeJSON(w, http.StatusOK, out)
}
