package verifyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
)

// The statuses of a verification.
const (
	statusPending  = "pending"
	statusApproved = "approved"
	statusCanceled = "canceled"
	statusMaxed    = "max_attempts_reached"
	statusExpired  = "expired"
)

// attempt is one send of a verification (send_code_attempts).
type attempt struct {
	AttemptSid string    `json:"attempt_sid"`
	Channel    string    `json:"channel"`
	Time       time.Time `json:"time"`
}

// verificationDoc is a verification as the store keeps it.
type verificationDoc struct {
	Sid        string    `json:"sid"`
	ServiceSid string    `json:"service_sid"`
	To         string    `json:"to"`
	Channel    string    `json:"channel"`
	Status     string    `json:"status"`
	Attempts   []attempt `json:"attempts"`
	Amount     *string   `json:"amount,omitempty"`
	Payee      *string   `json:"payee,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	ExpiresAt  time.Time `json:"expires_at"` // the latest code's expiry
}

// status is the verification's status at now: a pending one whose code
// expired is expired.
func (v *verificationDoc) status(now time.Time) string {
	if v.Status == statusPending && !now.Before(v.ExpiresAt) {
		return statusExpired
	}
	return v.Status
}

type attemptJSON struct {
	AttemptSid string `json:"attempt_sid"`
	Channel    string `json:"channel"`
	Time       string `json:"time"`
}

// verificationJSON is verify.v2.service.verification.
type verificationJSON struct {
	Sid              string         `json:"sid"`
	ServiceSid       string         `json:"service_sid"`
	AccountSid       string         `json:"account_sid"`
	To               string         `json:"to"`
	Channel          string         `json:"channel"`
	Status           string         `json:"status"`
	Valid            bool           `json:"valid"`
	Lookup           map[string]any `json:"lookup"`
	Amount           *string        `json:"amount"`
	Payee            *string        `json:"payee"`
	SendCodeAttempts []attemptJSON  `json:"send_code_attempts"`
	DateCreated      string         `json:"date_created"`
	DateUpdated      string         `json:"date_updated"`
	Sna              any            `json:"sna"`
	URL              string         `json:"url"`
}

// checkJSON is verify.v2.service.verification_check.
type checkJSON struct {
	Sid                   string  `json:"sid"`
	ServiceSid            string  `json:"service_sid"`
	AccountSid            string  `json:"account_sid"`
	To                    string  `json:"to"`
	Channel               string  `json:"channel"`
	Status                string  `json:"status"`
	Valid                 bool    `json:"valid"`
	Amount                *string `json:"amount"`
	Payee                 *string `json:"payee"`
	DateCreated           string  `json:"date_created"`
	DateUpdated           string  `json:"date_updated"`
	SnaAttemptsErrorCodes []any   `json:"sna_attempts_error_codes"`
}

func (h *Handler) verificationOut(r *http.Request, v *verificationDoc) verificationJSON {
	st := v.status(h.cfg.Now())
	out := verificationJSON{
		Sid: v.Sid, ServiceSid: v.ServiceSid, AccountSid: h.cfg.AccountSID, To: v.To, Channel: v.Channel,
		Status: st, Valid: st == statusApproved, Lookup: map[string]any{}, Amount: v.Amount, Payee: v.Payee,
		SendCodeAttempts: []attemptJSON{}, DateCreated: stamp(v.Created), DateUpdated: stamp(v.Updated),
		URL: h.base(r) + "/v2/Services/" + v.ServiceSid + "/Verifications/" + v.Sid,
	}
	for _, a := range v.Attempts {
		out.SendCodeAttempts = append(out.SendCodeAttempts, attemptJSON{a.AttemptSid, a.Channel, stamp(a.Time)})
	}
	return out
}

func (h *Handler) checkOut(v *verificationDoc) checkJSON {
	st := v.status(h.cfg.Now())
	return checkJSON{
		Sid: v.Sid, ServiceSid: v.ServiceSid, AccountSid: h.cfg.AccountSID, To: v.To, Channel: v.Channel,
		Status: st, Valid: st == statusApproved, Amount: v.Amount, Payee: v.Payee,
		DateCreated: stamp(v.Created), DateUpdated: stamp(v.Updated), SnaAttemptsErrorCodes: []any{},
	}
}

// unsupportedVerificationParams are create parameters otp serve cannot
// honour; a request that sets one is refused.
var unsupportedVerificationParams = []string{
	"CustomMessage", "SendDigits", "RateLimits", "ChannelConfiguration", "AppHash",
	"TemplateSid", "TemplateCustomSubstitutions", "EnableSnaClientToken", "RiskCheck",
}

func (h *Handler) createVerification(w http.ResponseWriter, r *http.Request, svc string) {
	ctx := r.Context()
	s, ok := h.service(w, r, svc, "/Services/"+svc)
	if !ok {
		return
	}
	for _, p := range unsupportedVerificationParams {
		if _, set := r.PostForm[p]; set {
			invalid(w, p, "otp serve does not support it")
			return
		}
	}
	var dch delivery.Channel
	switch ch := r.PostForm.Get("Channel"); ch {
	case "sms":
		dch = delivery.SMS
	case "call":
		dch = delivery.Voice
	case "auto":
		dch = delivery.Auto
	case "":
		invalid(w, "Channel", "required: sms, call or auto")
		return
	default:
		invalid(w, "Channel", fmt.Sprintf("otp serve delivers sms, call and auto, not %q", ch))
		return
	}
	to, err := h.cfg.OTP.ParseNumber(r.PostForm.Get("To"))
	if err != nil {
		invalid(w, "To", "not a valid phone number in E.164")
		return
	}
	// Locale picks the message's templates (otp.SendRequest.Locale); a tag
	// without templates here gets the default ones.
	locale := r.PostForm.Get("Locale")
	if locale != "" && !otp.ValidLocale(locale) {
		invalid(w, "Locale", "not a BCP 47 language tag, such as fr or pt-BR")
		return
	}
	custom := r.PostForm.Get("CustomCode")
	if custom != "" {
		if !s.CustomCodeEnabled {
			invalid(w, "CustomCode", "this service does not allow custom codes: set its CustomCodeEnabled to true")
			return
		}
		if _, err := h.cfg.OTP.CheckCustomCode(custom); err != nil {
			why := fmt.Sprintf("%d to %d ASCII digits or letters", otp.MinLength, otp.MaxLength)
			if _, perr := otp.ParseCustomCode(custom); perr == nil {
				why = "letters this server's codes do not have (otp.Options.CustomCodeLetters allows them)"
			}
			invalid(w, "CustomCode", why)
			return
		}
	}
	name := s.FriendlyName
	if n := r.PostForm.Get("CustomFriendlyName"); n != "" {
		name = n
	}
	sender, err := h.cfg.OTP.Derive(s.CodeLength, name)
	if err != nil {
		storeFailed(w)
		return
	}
	// The client's address is the abuse guard's client key (its per-client
	// rules); behind a proxy every request shares the proxy's.
	client, _, _ := net.SplitHostPort(r.RemoteAddr)
	res, err := sender.SendWith(ctx, otp.SendRequest{To: to, Channel: dch, Client: client, Locale: locale, Code: custom})
	h.cfg.Metrics.ObserveSend(res, err)
	var re *otp.RetryError
	var be *otp.BlockedError
	switch {
	case errors.As(err, &be):
		// Twilio's Fraud Guard answers 60410 for a blocked prefix.
		if d := be.RetryAfter(); d > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(d/time.Second)))
		}
		writeErr(w, http.StatusForbidden, 60410, "Verification delivery attempt blocked: "+string(be.Reason))
		return
	case errors.As(err, &re):
		w.Header().Set("Retry-After", fmt.Sprint(max(int(re.RetryAfter()/time.Second), 1)))
		switch {
		case errors.Is(err, otp.ErrLocked):
			writeErr(w, http.StatusTooManyRequests, 60203, "Max send attempts reached: the number is locked after too many wrong checks")
		case re.Reason == "resend cooldown":
			writeErr(w, http.StatusTooManyRequests, 20429, "Too Many Requests: wait before sending to this number again")
		default:
			writeErr(w, http.StatusTooManyRequests, 60203, "Max send attempts reached")
		}
		return
	case errors.Is(err, otp.ErrInvalidNumber):
		invalid(w, "To", "not a valid phone number")
		return
	case errors.Is(err, otp.ErrStore):
		storeFailed(w)
		return
	case err != nil && !delivery.OutcomeUnknown(err):
		writeErr(w, http.StatusBadGateway, 60200, "Delivery failed: the provider did not accept the message")
		return
	}
	used := "sms"
	if res.Channel == delivery.Voice {
		used = "call"
	}
	now := h.cfg.Now()
	att := attempt{AttemptSid: newSid("VL"), Channel: used, Time: now}
	v, err := h.record(ctx, svc, to, used, att, res.ExpiresAt, r)
	if err != nil {
		storeFailed(w)
		return
	}
	out := h.verificationOut(r, v)
	noteAnswer(w, answer{channel: out.Channel, status: out.Status, attempts: len(out.SendCodeAttempts)})
	writeJSON(w, http.StatusCreated, out)
}

// record files a send: a new attempt of the To's pending verification if
// it has one (a re-send, which carried a new code), else a new
// verification, which becomes the To's pending one.
//
// The To's pending index is set by compare-and-swap: of two creates racing
// for one To, one makes the verification and the other re-reads the index
// and files its send as an attempt of that one.
func (h *Handler) record(ctx context.Context, svc, to, channel string, att attempt, expires time.Time, r *http.Request) (*verificationDoc, error) {
	for range 16 {
		v, err := h.recordOnce(ctx, svc, to, channel, att, expires, r)
		if !errors.Is(err, errRaced) {
			return v, err
		}
	}
	return nil, fmt.Errorf("the pending verification of %s keeps changing: %w", to, errRaced)
}

// errRaced is recordOnce's report that another create set the To's pending
// index first.
var errRaced = errors.New("another create for the same To won")

func (h *Handler) recordOnce(ctx context.Context, svc, to, channel string, att attempt, expires time.Time, r *http.Request) (*verificationDoc, error) {
	now := att.Time
	pendingID := svc + ":" + to
	oldIdx, pending, err := h.loadIndex(ctx, pendingID)
	if err != nil && !errors.Is(err, errNotFound) {
		return nil, err
	}
	if _, ended := h.ended.get(pending); pending != "" && !ended {
		v, err := update(ctx, h, kindVerification, pending, func(v *verificationDoc) error {
			if v.status(now) != statusPending {
				h.noteEnded(v)
				return errStop
			}
			v.Attempts = append(v.Attempts, att)
			v.Channel, v.Updated, v.ExpiresAt = channel, now, expires
			return nil
		})
		switch {
		case err == nil:
			h.latest.set(pendingID, v.Sid)
			return v, nil
		case !errors.Is(err, errStop) && !errors.Is(err, errNotFound):
			return nil, err
		}
	}
	v := &verificationDoc{
		Sid: newSid("VE"), ServiceSid: svc, To: to, Channel: channel, Status: statusPending,
		Attempts: []attempt{att}, Created: now, Updated: now, ExpiresAt: expires,
	}
	if a := r.PostForm.Get("Amount"); a != "" {
		v.Amount = &a
	}
	if p := r.PostForm.Get("Payee"); p != "" {
		v.Payee = &p
	}
	if err := h.put(ctx, kindVerification, v.Sid, v); err != nil {
		return nil, err
	}
	newIdx, err := json.Marshal(struct {
		Sid string `json:"sid"`
	}{v.Sid})
	if err != nil {
		return nil, err
	}
	swapped, err := h.cfg.Docs.SwapDoc(ctx, kindPending, pendingID, oldIdx, newIdx)
	if err != nil {
		return nil, err
	}
	if !swapped {
		// Another create got there first: ours is not the To's verification.
		_ = h.cfg.Docs.DeleteDoc(ctx, kindVerification, v.Sid)
		return nil, errRaced
	}
	h.latest.set(pendingID, v.Sid)
	return v, nil
}

// noteEnded remembers v's sid if v has ended (see Handler.ended).
func (h *Handler) noteEnded(v *verificationDoc) {
	if v.Status != statusPending {
		h.ended.set(v.Sid, "")
	}
}

// verification answers a fetch (GET) or an update (POST Status).
func (h *Handler) verification(w http.ResponseWriter, r *http.Request, svc, sid string) {
	path := "/Services/" + svc + "/Verifications/" + sid
	if _, ok := h.service(w, r, svc, path); !ok {
		return
	}
	if !ValidSid("VE", sid) {
		notFound(w, path)
		return
	}
	if r.Method == http.MethodGet {
		v := &verificationDoc{}
		_, err := h.load(r.Context(), kindVerification, sid, v)
		switch {
		case errors.Is(err, errNotFound) || err == nil && v.ServiceSid != svc:
			notFound(w, path)
		case err != nil:
			storeFailed(w)
		default:
			writeJSON(w, http.StatusOK, h.verificationOut(r, v))
		}
		return
	}
	st := r.PostForm.Get("Status")
	if st != statusCanceled && st != statusApproved {
		invalid(w, "Status", "canceled or approved")
		return
	}
	now := h.cfg.Now()
	v, err := update(r.Context(), h, kindVerification, sid, func(v *verificationDoc) error {
		if v.ServiceSid != svc || v.status(now) != statusPending {
			return errStop
		}
		v.Status, v.Updated = st, now
		return nil
	})
	switch {
	case errors.Is(err, errNotFound) || errors.Is(err, errStop):
		notFound(w, path)
	case err != nil:
		storeFailed(w)
	default:
		h.noteEnded(v)
		writeJSON(w, http.StatusOK, h.verificationOut(r, v))
	}
}

// settle moves a pending verification to status (approved, expired,
// max_attempts_reached) and returns it; false if it was no longer pending.
// raw and cur are the verification as the caller read it.
func (h *Handler) settle(ctx context.Context, sid, status string, raw []byte, cur *verificationDoc) (*verificationDoc, bool, error) {
	now := h.cfg.Now()
	v, err := updateFrom(ctx, h, kindVerification, sid, raw, cur, func(v *verificationDoc) error {
		if v.Status != statusPending {
			return errStop
		}
		v.Status, v.Updated = status, now
		return nil
	})
	if err == nil || errors.Is(err, errStop) {
		h.noteEnded(v)
	}
	if errors.Is(err, errStop) {
		return v, false, nil
	}
	return v, err == nil, err
}

func (h *Handler) check(w http.ResponseWriter, r *http.Request, svc string) {
	ctx := r.Context()
	path := "/Services/" + svc + "/VerificationCheck"
	if _, ok := h.service(w, r, svc, path); !ok {
		return
	}
	code := r.PostForm.Get("Code")
	if code == "" {
		invalid(w, "Code", "required")
		return
	}
	sid := r.PostForm.Get("VerificationSid")
	var v *verificationDoc
	var raw []byte
	var err error
	if sid == "" {
		in := r.PostForm.Get("To")
		if in == "" {
			invalid(w, "To", "To or VerificationSid is required")
			return
		}
		to, perr := h.cfg.OTP.ParseNumber(in)
		if perr != nil {
			invalid(w, "To", "not a valid phone number in E.164")
			return
		}
		sid, v, raw, err = h.pendingOf(ctx, svc, to)
	} else if !ValidSid("VE", sid) {
		invalid(w, "VerificationSid", "VE followed by 32 hex digits")
		return
	} else {
		v = &verificationDoc{}
		raw, err = h.load(ctx, kindVerification, sid, v)
	}
	if errors.Is(err, errNotFound) || err == nil && v.ServiceSid != svc {
		notFound(w, path)
		return
	} else if err != nil {
		storeFailed(w)
		return
	}
	switch v.status(h.cfg.Now()) {
	case statusPending:
	case statusExpired:
		h.settle(ctx, sid, statusExpired, raw, v)
		notFound(w, path)
		return
	default:
		h.noteEnded(v)
		notFound(w, path)
		return
	}
	res, err := h.cfg.OTP.Verify(ctx, v.To, code)
	switch {
	case err == nil && res.Verdict == otp.Approved:
		nv, ok, err := h.settle(ctx, sid, statusApproved, raw, v)
		if err != nil {
			storeFailed(w)
			return
		}
		if !ok { // canceled meanwhile: the code is spent, the verification stays as it is
			notFound(w, path)
			return
		}
		out := h.checkOut(nv)
		noteAnswer(w, answer{channel: out.Channel, status: out.Status})
		writeJSON(w, http.StatusOK, out)
	case res.Verdict == otp.Locked || res.Verdict == otp.Rejected && res.AttemptsLeft == 0:
		h.settle(ctx, sid, statusMaxed, raw, v)
		writeErr(w, http.StatusTooManyRequests, 60202, "Max check attempts reached")
	case res.Verdict == otp.Rejected:
		out := h.checkOut(v)
		noteAnswer(w, answer{channel: out.Channel, status: out.Status})
		writeJSON(w, http.StatusOK, out)
	case errors.Is(err, otp.ErrInvalidCode):
		invalid(w, "Code", "not a code this service sends")
	case res.Verdict == otp.Expired:
		h.settle(ctx, sid, statusExpired, raw, v)
		notFound(w, path)
	case errors.Is(err, otp.ErrStore):
		storeFailed(w)
	default: // used or gone: another check won, or a newer send replaced it
		notFound(w, path)
	}
}

// pendingOf finds the verification a check by To is for: the one the To's
// pending index names. It starts from the sid this server last saw there
// (Handler.latest), which is still the index's while that verification is
// pending, and reads the index when it is not. It returns the verification
// as read, or an error wrapping errNotFound.
func (h *Handler) pendingOf(ctx context.Context, svc, to string) (sid string, v *verificationDoc, raw []byte, err error) {
	key := svc + ":" + to
	known, ok := h.latest.get(key)
	if ok {
		v = &verificationDoc{}
		raw, err = h.load(ctx, kindVerification, known, v)
		switch {
		case err == nil && v.ServiceSid == svc && v.status(h.cfg.Now()) == statusPending:
			return known, v, raw, nil
		case err != nil && !errors.Is(err, errNotFound):
			return "", nil, nil, err
		}
		ok = err == nil // v is known as read
	}
	_, sid, err = h.loadIndex(ctx, key)
	if err != nil {
		h.latest.drop(key)
		return "", nil, nil, err
	}
	h.latest.set(key, sid)
	if ok && sid == known {
		return sid, v, raw, nil // the index still names it: as read
	}
	v = &verificationDoc{}
	raw, err = h.load(ctx, kindVerification, sid, v)
	return sid, v, raw, err
}
