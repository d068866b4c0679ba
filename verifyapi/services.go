package verifyapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit/otp"
)

// serviceDoc is a Verify service as the store keeps it.
type serviceDoc struct {
	Sid          string `json:"sid"`
	FriendlyName string `json:"friendly_name"`
	CodeLength   int    `json:"code_length"`
	// CustomCodeEnabled lets verifications bring their own code (CustomCode).
	CustomCodeEnabled bool      `json:"custom_code_enabled,omitempty"`
	Created           time.Time `json:"created"`
	Updated           time.Time `json:"updated"`
}

// serviceJSON is a service as the API answers it (verify.v2.service).
type serviceJSON struct {
	Sid                            string            `json:"sid"`
	AccountSid                     string            `json:"account_sid"`
	FriendlyName                   string            `json:"friendly_name"`
	CodeLength                     int               `json:"code_length"`
	LookupEnabled                  bool              `json:"lookup_enabled"`
	Psd2Enabled                    bool              `json:"psd2_enabled"`
	SkipSmsToLandlines             bool              `json:"skip_sms_to_landlines"`
	DtmfInputRequired              bool              `json:"dtmf_input_required"`
	TtsName                        *string           `json:"tts_name"`
	DoNotShareWarningEnabled       bool              `json:"do_not_share_warning_enabled"`
	CustomCodeEnabled              bool              `json:"custom_code_enabled"`
	Push                           any               `json:"push"`
	Totp                           any               `json:"totp"`
	DefaultTemplateSid             *string           `json:"default_template_sid"`
	Whatsapp                       any               `json:"whatsapp"`
	Passkeys                       any               `json:"passkeys"`
	VerifyEventSubscriptionEnabled bool              `json:"verify_event_subscription_enabled"`
	DateCreated                    string            `json:"date_created"`
	DateUpdated                    string            `json:"date_updated"`
	URL                            string            `json:"url"`
	Links                          map[string]string `json:"links"`
}

func (h *Handler) serviceOut(r *http.Request, s *serviceDoc) serviceJSON {
	u := h.base(r) + "/v2/Services/" + s.Sid
	return serviceJSON{
		Sid: s.Sid, AccountSid: h.cfg.AccountSID, FriendlyName: s.FriendlyName, CodeLength: s.CodeLength,
		CustomCodeEnabled: s.CustomCodeEnabled,
		DateCreated:       stamp(s.Created), DateUpdated: stamp(s.Updated), URL: u,
		Links: map[string]string{
			"verifications":       u + "/Verifications",
			"verification_checks": u + "/VerificationCheck",
		},
	}
}

// unsupportedServiceParams are the spec's service settings otp serve cannot
// honour: setting one to anything but false is refused, not ignored.
var unsupportedServiceParams = []string{
	"LookupEnabled", "SkipSmsToLandlines", "DtmfInputRequired", "TtsName", "Psd2Enabled",
	"DoNotShareWarningEnabled", "Push.IncludeDate", "Push.ApnCredentialSid",
	"Push.FcmCredentialSid", "Totp.Issuer", "Totp.TimeStep", "Totp.CodeLength", "Totp.Skew",
	"DefaultTemplateSid", "Whatsapp.MsgServiceSid", "Whatsapp.From", "Passkeys.RelyingParty.Id",
	"Passkeys.RelyingParty.Name", "Passkeys.RelyingParty.Origins", "Passkeys.AuthenticatorAttachment",
	"Passkeys.DiscoverableCredentials", "Passkeys.UserVerification", "VerifyEventSubscriptionEnabled",
}

// serviceForm applies the form's FriendlyName, CodeLength and
// CustomCodeEnabled to s; it answers 400 and returns false for a bad or
// unsupported parameter.
func serviceForm(w http.ResponseWriter, r *http.Request, s *serviceDoc, create bool) bool {
	for _, p := range unsupportedServiceParams {
		if v, ok := r.PostForm[p]; ok && !(len(v) == 1 && v[0] == "false") {
			invalid(w, p, "otp serve does not support this setting")
			return false
		}
	}
	if v, ok := r.PostForm["FriendlyName"]; ok || create {
		name := r.PostForm.Get("FriendlyName")
		if !ok || name == "" || len(name) > 30 {
			invalid(w, "FriendlyName", "required, 1 to 30 characters")
			return false
		}
		_ = v
		s.FriendlyName = name
	}
	if _, ok := r.PostForm["CodeLength"]; ok {
		n, err := strconv.Atoi(r.PostForm.Get("CodeLength"))
		if err != nil || n < otp.MinLength || n > otp.MaxLength {
			invalid(w, "CodeLength", fmt.Sprintf("an integer from %d to %d", otp.MinLength, otp.MaxLength))
			return false
		}
		s.CodeLength = n
	}
	if _, ok := r.PostForm["CustomCodeEnabled"]; ok {
		switch v := r.PostForm.Get("CustomCodeEnabled"); strings.ToLower(v) {
		case "true":
			s.CustomCodeEnabled = true
		case "false":
			s.CustomCodeEnabled = false
		default:
			invalid(w, "CustomCodeEnabled", "true or false")
			return false
		}
	}
	return true
}

func (h *Handler) createService(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	s := &serviceDoc{Sid: newSid("VA"), CodeLength: otp.DefaultLength, Created: now, Updated: now}
	if !serviceForm(w, r, s, true) {
		return
	}
	if err := h.put(r.Context(), kindService, s.Sid, s); err != nil {
		storeFailed(w)
		return
	}
	writeJSON(w, http.StatusCreated, h.serviceOut(r, s))
}

// serviceMaxAge is how long a verification or a check may use the
// service as this server last read it, without reading it again: every
// request needs its service, and services rarely change. Changes made
// through this server apply at once; another server's, within this time.
const serviceMaxAge = time.Second

// service loads a service for a verification or a check (as read within
// serviceMaxAge), answering 404 (or 503) itself when it cannot.
func (h *Handler) service(w http.ResponseWriter, r *http.Request, sid, path string) (*serviceDoc, bool) {
	return h.serviceAt(w, r, sid, path, serviceMaxAge)
}

// serviceAt is service as read at most maxAge ago (0: read it now).
func (h *Handler) serviceAt(w http.ResponseWriter, r *http.Request, sid, path string, maxAge time.Duration) (*serviceDoc, bool) {
	s := &serviceDoc{}
	now := h.cfg.Now()
	if c, ok := h.services.recent(sid, now, maxAge); ok {
		*s = c
		return s, true
	}
	raw, err := h.cfg.Docs.GetDoc(r.Context(), kindService, sid)
	if err == nil {
		if c, ok := h.services.get(sid, raw); ok {
			*s = c
			h.services.put(sid, raw, c, now)
		} else if err = json.Unmarshal(raw, s); err == nil {
			h.services.put(sid, raw, *s, now)
		} else {
			err = fmt.Errorf("%s %s: %w", kindService, sid, err)
		}
	}
	if err != nil {
		h.services.drop(sid)
	}
	switch {
	case errors.Is(err, errNotFound) || err != nil && !ValidSid("VA", sid):
		notFound(w, path)
		return nil, false
	case err != nil:
		storeFailed(w)
		return nil, false
	}
	return s, true
}

func (h *Handler) fetchService(w http.ResponseWriter, r *http.Request, sid string) {
	if s, ok := h.serviceAt(w, r, sid, "/Services/"+sid, 0); ok {
		writeJSON(w, http.StatusOK, h.serviceOut(r, s))
	}
}

func (h *Handler) updateService(w http.ResponseWriter, r *http.Request, sid string) {
	if !ValidSid("VA", sid) {
		notFound(w, "/Services/"+sid)
		return
	}
	var bad bool
	defer h.services.drop(sid)
	s, err := update(r.Context(), h, kindService, sid, func(s *serviceDoc) error {
		if !serviceForm(noWriter{}, r, s, false) {
			bad = true
			return errStop
		}
		s.Updated = h.cfg.Now()
		return nil
	})
	switch {
	case bad:
		serviceForm(w, r, &serviceDoc{}, false) // answer the 400
	case errors.Is(err, errNotFound):
		notFound(w, "/Services/"+sid)
	case err != nil:
		storeFailed(w)
	default:
		writeJSON(w, http.StatusOK, h.serviceOut(r, s))
	}
}

func (h *Handler) deleteService(w http.ResponseWriter, r *http.Request, sid string) {
	if !ValidSid("VA", sid) {
		notFound(w, "/Services/"+sid)
		return
	}
	err := h.cfg.Docs.DeleteDoc(r.Context(), kindService, sid)
	h.services.drop(sid)
	switch {
	case errors.Is(err, errNotFound):
		notFound(w, "/Services/"+sid)
	case err != nil:
		storeFailed(w)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// The paging defaults and limit of Twilio's list endpoints.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// listServices answers a page of services in id order, in Twilio's
// envelope. PageToken is "PA" and the last sid of the previous page; a
// Page without a token walks from the first.
func (h *Handler) listServices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, page := defaultPageSize, 0
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			invalid(w, "PageSize", fmt.Sprintf("an integer from 1 to %d", maxPageSize))
			return
		}
		size = n
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			invalid(w, "Page", "a non-negative integer")
			return
		}
		page = n
	}
	after := ""
	token := q.Get("PageToken")
	if token != "" {
		if len(token) < 3 || token[:2] != "PA" || !ValidSid("VA", token[2:]) {
			invalid(w, "PageToken", "not a token otp serve made")
			return
		}
		after = token[2:]
	} else {
		for range page { // skip the pages before
			l, err := h.cfg.Docs.ListDocs(r.Context(), kindService, after, size)
			if err != nil {
				storeFailed(w)
				return
			}
			if len(l) == 0 {
				break
			}
			after = l[len(l)-1].ID
		}
	}
	// One more than a page tells whether there is a next one.
	l, err := h.cfg.Docs.ListDocs(r.Context(), kindService, after, size+1)
	if err != nil {
		storeFailed(w)
		return
	}
	more := len(l) > size
	if more {
		l = l[:size]
	}
	services := make([]serviceJSON, 0, len(l))
	for _, d := range l {
		var s serviceDoc
		if err := json.Unmarshal(d.Data, &s); err != nil {
			storeFailed(w)
			return
		}
		services = append(services, h.serviceOut(r, &s))
	}
	list := h.base(r) + "/v2/Services"
	pageURL := func(p int, tok string) string {
		v := url.Values{"PageSize": {strconv.Itoa(size)}, "Page": {strconv.Itoa(p)}}
		if tok != "" {
			v.Set("PageToken", tok)
		}
		return list + "?" + v.Encode()
	}
	meta := map[string]any{
		"page": page, "page_size": size, "key": "services",
		"first_page_url": pageURL(0, ""), "url": pageURL(page, token),
		"previous_page_url": nil, "next_page_url": nil,
	}
	if page > 0 {
		meta["previous_page_url"] = pageURL(page-1, "")
	}
	if more {
		meta["next_page_url"] = pageURL(page+1, "PA"+l[len(l)-1].ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"services": services, "meta": meta})
}

// noWriter discards an answer (serviceForm run inside an update).
type noWriter struct{}

func (noWriter) Header() http.Header         { return http.Header{} }
func (noWriter) Write(b []byte) (int, error) { return len(b), nil }
func (noWriter) WriteHeader(int)             {}
