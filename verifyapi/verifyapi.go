// Package verifyapi serves a subset of Twilio's Verify v2 REST API
// (services, verifications, verification checks) on top of an
// [otp.Service] and a [store.DocStore]. Services and verifications are
// documents in the store, not in process memory, so several handlers (in
// several processes) on one store are one service.
//
// A re-send (a new verification create for a To with a pending
// verification) returns the same verification with a new attempt, but
// carries a NEW code: otpkit's store keeps only a keyed hash of the code,
// so the old code cannot be sent again, and the new one replaces it.
//
// A create's Locale picks the message's templates ([otp.SendRequest]
// Locale: the tag's, its base language's, else the default ones; the
// answer has no locale field, as Twilio's has none). Its CustomCode, on a
// service whose CustomCodeEnabled is true, is the code sent instead of a
// generated one (4 to 10 ASCII digits or letters, checked case-insensitively;
// letters other than the code format's need the otp.Service's
// Options.CustomCodeLetters, which otp serve sets); on any other service
// it is refused with 400 60200.
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
	"time"

	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
)

// MaxBody is the largest request body accepted, in bytes.
const MaxBody = 64 << 10

// Config is what a Handler needs.
type Config struct {
	AccountSID string         // AC + 32 hex: the Basic-auth user
	AuthToken  string         // the Basic-auth password
	OTP        *otp.Service   // issues and checks codes
	Docs       store.DocStore // keeps services and verifications; usually the OTP's store
	Now        func() time.Time
	Metrics    *Metrics // counts deliveries; nil: none (see NewHTTPHandler for the rest)
	// BaseURL is the origin written in answers' url fields, such as
	// "https://verify.example.com"; empty: the request's scheme and Host.
	BaseURL string
}

// Handler is an http.Handler answering the Verify v2 API.
type Handler struct {
	cfg Config
	// services remembers decoded services by their stored bytes: each
	// request reads its service, which rarely changes (services.go).
	services docCache[serviceDoc]
	// ended holds sids of verifications this server saw end (any stored
	// status but pending, which none ever leaves): a create for their To
	// need not read them to know it starts a new one.
	ended sidSet
	// latest maps a service sid and To ("VA...:+1...") to the sid this
	// server last read or wrote in the To's pending index. A check by To
	// starts from it and reads the index only when that verification is
	// no longer pending: while one is pending, no create replaces it.
	latest sidSet
}

// New returns a Handler; it fails on a malformed account sid, an empty
// token, or a missing service or document store.
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
	if cfg.Docs == nil {
		return nil, errors.New("a store.DocStore is required (the file and Redis stores are ones)")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	return &Handler{cfg: cfg}, nil
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

// notFound answers Twilio's 404 for a resource path.
func notFound(w http.ResponseWriter, path string) {
	writeErr(w, http.StatusNotFound, 20404, "The requested resource "+path+" was not found")
}

// invalid answers 400 60200 naming the parameter.
func invalid(w http.ResponseWriter, param, why string) {
	msg := "Invalid parameter: " + param
	if why != "" {
		msg += " (" + why + ")"
	}
	writeErr(w, http.StatusBadRequest, 60200, msg)
}

// storeFailed answers 503 for a store that failed; the error is not shown.
func storeFailed(w http.ResponseWriter) {
	writeErr(w, http.StatusServiceUnavailable, 20503, "Service unavailable: the store did not answer")
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
	if len(parts) < 2 || parts[0] != "v2" || parts[1] != "Services" {
		h.unserved(w, r)
		return
	}
	get, post, del := r.Method == http.MethodGet, r.Method == http.MethodPost, r.Method == http.MethodDelete
	switch {
	case len(parts) == 2 && post:
		h.createService(w, r)
	case len(parts) == 2 && get:
		h.listServices(w, r)
	case len(parts) == 3 && get:
		h.fetchService(w, r, parts[2])
	case len(parts) == 3 && post:
		h.updateService(w, r, parts[2])
	case len(parts) == 3 && del:
		h.deleteService(w, r, parts[2])
	case len(parts) == 4 && parts[3] == "Verifications" && post:
		h.createVerification(w, r, parts[2])
	case len(parts) == 5 && parts[3] == "Verifications" && (get || post):
		h.verification(w, r, parts[2], parts[4])
	case len(parts) == 4 && parts[3] == "VerificationCheck" && post:
		h.check(w, r, parts[2])
	default:
		h.unserved(w, r)
	}
}

func (h *Handler) unserved(w http.ResponseWriter, r *http.Request) {
	writeErr(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found (otp serve answers Services, Verifications and VerificationCheck only: no factors, push, TOTP, passkeys, SNA, WhatsApp or email)")
}

// base is the origin of the url fields.
func (h *Handler) base(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// stamp formats a time as the answers do: RFC 3339, UTC, in seconds.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// errNotFound is a missing document, as the handlers see it.
var errNotFound = store.ErrNotFound
