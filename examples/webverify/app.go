package main

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// appConfig is what the web app needs besides the otp.Service. The zero
// value of every field means its documented default.
type appConfig struct {
	// Region is the country selected on the phone page, an ISO 3166 code;
	// default "US".
	Region string
	// CodeLength is the number of digits in a code, for the code field's
	// pattern; default otp.DefaultLength. The pages expect numeric codes.
	CodeLength int
	// CookieKey signs the session cookies; default a random key, so
	// sessions end when the program does.
	CookieKey []byte
	// SessionTTL is how long a session lives after its last use; default 30m.
	SessionTTL time.Duration
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// (behind a TLS proxy). It is always Secure on TLS connections.
	SecureCookies bool
	// Now returns the current time; default time.Now. Tests share one
	// clock between the app and the otp.Service.
	Now func() time.Time
	// SendTimeout bounds each call into the otp library that changes the
	// store or reaches the provider (send, resend, verify); default 20s.
	// Those calls do not end when the visitor's connection does: a
	// delivery already started is seen through, so it counts against the
	// limits and its code stays valid.
	SendTimeout time.Duration
	// SessionSends is how many codes one session may send (send and
	// resend, to any numbers) in SendWindow; default 5, negative: no limit.
	SessionSends int
	// ClientSends is how many codes one client address (an IPv6 /64) may
	// send in SendWindow; default 20, negative: no limit.
	ClientSends int
	// SendWindow is the sliding window of SessionSends and ClientSends;
	// default 1h. Both budgets are in memory, a stopgap until an abuse
	// guard is in front: a public deployment needs one.
	SendWindow time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed, for the client address. Without them the header is ignored
	// and the address is the connection's peer.
	TrustedProxies []netip.Prefix
	// VerifiedTTL is how long the success page shows a verified number,
	// from the moment the code was checked (it does not renew on use);
	// default 30m. "Start again" and a new send end it sooner.
	VerifiedTTL time.Duration
	// Log receives errors the visitor is not shown in detail; default
	// stderr. Nothing secret is logged.
	Log *log.Logger
}

// app serves the phone verification flow.
type app struct {
	svc      *otp.Service
	cfg      appConfig
	sessions sessionCodec
	pages    map[string]*template.Template
	regions  []regionOption
	budget   *sendBudget
	verified verifiedSet
}

// newApp returns the web app's handler. It serves:
//
//	GET  /         the phone page: number, country and channel
//	POST /send     sends a code and goes to /verify
//	GET  /verify   the code page: countdown, tries left, resend
//	POST /verify   checks the code and goes to /done
//	POST /resend   sends a new code, by SMS or voice
//	POST /restart  forgets the number and goes back to /
//	GET  /done     the success page
//	GET  /static/  the style sheet and script
//
// Every POST needs the session's CSRF token, and cross-origin POSTs are
// refused whatever they carry.
func newApp(svc *otp.Service, cfg appConfig) http.Handler {
	if cfg.Region == "" {
		cfg.Region = "US"
	}
	cfg.Region = strings.ToUpper(cfg.Region)
	if cfg.CodeLength == 0 {
		cfg.CodeLength = otp.DefaultLength
	}
	if len(cfg.CookieKey) == 0 {
		cfg.CookieKey = make([]byte, 32)
		rand.Read(cfg.CookieKey) // never fails (crypto/rand)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 30 * time.Minute
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 20 * time.Second
	}
	if cfg.SessionSends == 0 {
		cfg.SessionSends = 5
	}
	if cfg.ClientSends == 0 {
		cfg.ClientSends = 20
	}
	if cfg.SendWindow <= 0 {
		cfg.SendWindow = time.Hour
	}
	if cfg.VerifiedTTL <= 0 {
		cfg.VerifiedTTL = 30 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = log.New(os.Stderr, "webverify: ", 0)
	}
	a := &app{
		svc:      svc,
		cfg:      cfg,
		sessions: sessionCodec{key: cfg.CookieKey, ttl: cfg.SessionTTL, secure: cfg.SecureCookies},
		pages:    make(map[string]*template.Template),
		regions:  regionOptions(),
		budget:   newSendBudget(cfg.SessionSends, cfg.ClientSends, cfg.SendWindow),
	}
	for _, p := range []string{"phone", "verify", "done", "error"} {
		a.pages[p] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	static, _ := fs.Sub(staticFS, "static") // cannot fail: the directory is embedded

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.phonePage)
	mux.HandleFunc("POST /send", a.post(a.send))
	mux.HandleFunc("GET /verify", a.verifyPage)
	mux.HandleFunc("POST /verify", a.post(a.verify))
	mux.HandleFunc("POST /resend", a.post(a.resend))
	mux.HandleFunc("POST /restart", a.post(a.restart))
	mux.HandleFunc("GET /done", a.donePage)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	return headers(http.NewCrossOriginProtection().Handler(mux))
}

// headers sets the security headers every response carries.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// regionOption is one country in the phone page's list.
type regionOption struct {
	Code, Name string
	Prefix     int
}

// regionOptions lists the regions libphonenumber knows, by English name.
func regionOptions() []regionOption {
	names := display.English.Regions()
	var out []regionOption
	for code := range phonenumbers.GetSupportedRegions() {
		name := code
		if r, err := language.ParseRegion(code); err == nil {
			if n := names.Name(r); n != "" {
				name = n
			}
		}
		out = append(out, regionOption{Code: code, Name: name, Prefix: phonenumbers.GetCountryCodeForRegion(code)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// pageData is what the templates see.
type pageData struct {
	Title     string
	CSRF      string
	Flash     string
	FlashKind string

	// The phone page.
	Regions []regionOption
	Region  string
	Phone   string
	Channel string

	// The code and success pages.
	Number       string // the number, formatted for people
	CodeLength   int
	Pending      bool   // a code can be verified
	ExpiresIn    int    // seconds until the code expires
	ExpiresText  string // the same as m:ss
	TriesText    string // "5 tries left"; empty when unlimited
	ResendIn     int    // seconds until a new code may be sent
	ResendText   string // the same in words, "25s"
	ResendLabel  string // the button that sends again by the same channel
	OtherChannel string // the other channel, "sms" or "voice"
	OtherLabel   string // its button

	// The error page.
	Message string
}

// render writes a page, moving the session's flash message onto it, and
// saves the session.
func (a *app) render(w http.ResponseWriter, r *http.Request, s session, status int, page string, d pageData) {
	d.CSRF = s.CSRF
	d.Flash, d.FlashKind = s.Flash, s.FlashKind
	s.Flash, s.FlashKind = "", ""
	a.sessions.save(w, r, s, a.cfg.Now())
	var b strings.Builder
	if err := a.pages[page].Execute(&b, d); err != nil {
		a.cfg.Log.Printf("render %s: %v", page, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}

// redirect saves the session and sends the browser to path with a GET.
func (a *app) redirect(w http.ResponseWriter, r *http.Request, s session, path string) {
	a.sessions.save(w, r, s, a.cfg.Now())
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// opContext returns the context for a call into the otp library that
// changes the store or reaches the provider. It keeps the request's values
// but not its cancellation: a visitor who closes the connection (or a
// script that sends and hangs up) must not withdraw a code that is already
// on its way, which would refund the send and lift the cooldown. The call
// is bounded by SendTimeout instead.
func (a *app) opContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), a.cfg.SendTimeout)
}

// session returns the request's session or a new one.
func (a *app) session(r *http.Request) session {
	if s, ok := a.sessions.load(r, a.cfg.Now()); ok {
		return s
	}
	return newSession()
}

// maxBody is the most a request body may hold: the largest form is a few
// hundred bytes.
const maxBody = 8 << 10

// post wraps a form handler: it limits the body and refuses the request
// unless it carries a valid session and that session's CSRF token.
func (a *app) post(h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				http.Error(w, "form too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		s, ok := a.sessions.load(r, a.cfg.Now())
		if !ok || !validCSRF(s, r.PostForm.Get("csrf")) {
			if !ok {
				s = newSession()
			}
			a.render(w, r, s, http.StatusForbidden, "error", pageData{
				Title:   "This form has expired",
				Message: "The form was too old or did not come from this site, so nothing was sent. Start again and it will work.",
			})
			return
		}
		h(w, r, s)
	}
}

func (a *app) phonePage(w http.ResponseWriter, r *http.Request) {
	s := a.session(r)
	a.render(w, r, s, http.StatusOK, "phone", a.phoneData(s.Number, s.Channel))
}

// phoneData is the phone page with number (E.164) and channel filled in.
func (a *app) phoneData(number, channel string) pageData {
	d := pageData{Title: "Verify your phone", Regions: a.regions, Region: a.cfg.Region, Channel: "sms"}
	if number != "" {
		d.Phone = formatNumber(number)
		d.Region = regionOf(number, d.Region)
	}
	if channel != "" {
		d.Channel = channel
	}
	return d
}

// takeBudget counts a send against the session's and the client's
// budgets. When one is spent it answers 429 (Too Many Requests) and
// returns ok=false, with the reason in s's flash, for the caller to show.
func (a *app) takeBudget(w http.ResponseWriter, r *http.Request, s *session, now time.Time) (client string, ok bool) {
	client = clientAddress(r, a.cfg.TrustedProxies)
	by, wait := a.budget.take(s.ID, client, now)
	switch by {
	case "":
		return client, true
	case budgetSession:
		s.flash("error", "Too many codes were asked for in this browser. Try again in "+waitText(wait)+".")
	default:
		s.flash("error", "Too many codes were asked for from your network. Try again in "+waitText(wait)+".")
	}
	a.cfg.Log.Printf("send refused: %s budget spent", by)
	w.Header().Set("Retry-After", fmt.Sprint(ceilSeconds(wait)))
	return client, false
}

// settleBudget refunds a send that the library refused before anything
// reached the provider (limits, lock, bad number, store). Sends that
// reached it count, delivered or not.
func (a *app) settleBudget(s session, client string, at time.Time, err error) {
	if err != nil && !errors.Is(err, otp.ErrDelivery) {
		a.budget.refund(s.ID, client, at)
	}
}

func (a *app) send(w http.ResponseWriter, r *http.Request, s session) {
	ctx, cancel := a.opContext(r)
	defer cancel()
	region := strings.ToUpper(r.PostForm.Get("region"))
	if region == "" {
		region = a.cfg.Region
	}
	ch, err := delivery.ParseChannel(r.PostForm.Get("channel"))
	if err != nil {
		ch = delivery.SMS
	}
	// A new send ends the verification of the last number.
	a.verified.forget(s)
	s.Verified = ""
	if s.State == stateVerified {
		s.State = stateStart
	}
	number, err := otp.ParseNumber(r.PostForm.Get("phone"), region)
	if err != nil {
		s.flash("error", "That doesn't look like a phone number. Check the number and the country.")
		a.redirect(w, r, s, "/")
		return
	}
	now := a.cfg.Now()
	client, ok := a.takeBudget(w, r, &s, now)
	if !ok {
		// The session keeps the code it may already have; the page keeps
		// what was typed.
		a.render(w, r, s, http.StatusTooManyRequests, "phone", a.phoneData(number, string(ch)))
		return
	}
	s.Number, s.Channel = number, string(ch)
	_, err = a.svc.SendWith(ctx, otp.SendRequest{To: number, Channel: ch, Client: client})
	a.settleBudget(s, client, now, err)
	var retry *otp.RetryError
	switch {
	case err == nil:
		s.State = stateCode
		a.redirect(w, r, s, "/verify")
	case errors.Is(err, otp.ErrRateLimited) && errors.As(err, &retry):
		// A code went to this number a moment ago: it is still good.
		s.State = stateCode
		s.flash("error", "Please wait "+waitText(retry.RetryAfter())+" before asking for a new code.")
		a.redirect(w, r, s, "/verify")
	default:
		s.State = stateStart
		s.flash("error", a.sendError(err))
		a.redirect(w, r, s, "/")
	}
}

// resentMessage says how a new code went out.
func resentMessage(ch delivery.Channel) string {
	if ch == delivery.Voice {
		return "We're calling you now with a new code."
	}
	return "We sent you a new code by text message."
}

// sendError is what a visitor is told about a failed send.
func (a *app) sendError(err error) string {
	var retry *otp.RetryError
	switch {
	case errors.Is(err, otp.ErrLocked) && errors.As(err, &retry):
		return "Too many tries. Try again in " + waitText(retry.RetryAfter()) + "."
	case errors.Is(err, otp.ErrRateLimited) && errors.As(err, &retry):
		return "Please wait " + waitText(retry.RetryAfter()) + " before asking for a new code."
	case errors.Is(err, otp.ErrInvalidNumber):
		return "That doesn't look like a phone number. Check the number and the country."
	case errors.Is(err, otp.ErrBlocked):
		// The abuse guard: say no more than that (the rule is for the log).
		a.cfg.Log.Printf("send: %v", err)
		return "We can't send codes to this number. Please use another number."
	case errors.Is(err, otp.ErrDelivery):
		a.cfg.Log.Printf("send: %v", err)
		return "We couldn't send the code. Please try again."
	}
	a.cfg.Log.Printf("send: %v", err)
	return "Something went wrong. Please try again."
}

// checkVerified turns a session that claims to be verified, without the
// server's record of it (ended by "Start again", a new send or its
// expiry), back into one at the start.
func (a *app) checkVerified(s *session) {
	if s.State == stateVerified && !a.verified.valid(*s, a.cfg.Now()) {
		s.State, s.Verified = stateStart, ""
	}
}

func (a *app) verifyPage(w http.ResponseWriter, r *http.Request) {
	s := a.session(r)
	a.checkVerified(&s)
	switch s.State {
	case stateVerified:
		a.redirect(w, r, s, "/done")
		return
	case stateCode:
	default:
		a.redirect(w, r, s, "/")
		return
	}
	a.showVerify(w, r, s, http.StatusOK)
}

// showVerify renders the code page of a session in stateCode.
func (a *app) showVerify(w http.ResponseWriter, r *http.Request, s session, status int) {
	info, err := a.svc.Info(r.Context(), s.Number)
	if err != nil {
		a.cfg.Log.Printf("info: %v", err)
		s.flash("error", "Something went wrong. Please try again.")
		s.State = stateStart
		a.redirect(w, r, s, "/")
		return
	}
	now := a.cfg.Now()
	if !info.LockedUntil.IsZero() {
		s.State = stateStart
		s.flash("error", "Too many tries. Try again in "+waitText(info.LockedUntil.Sub(now))+".")
		a.redirect(w, r, s, "/")
		return
	}
	d := pageData{Title: "Enter your code", Number: formatNumber(s.Number), Channel: s.Channel, CodeLength: a.cfg.CodeLength, Pending: info.Pending}
	if info.Pending {
		d.ExpiresIn = ceilSeconds(info.ExpiresAt.Sub(now))
		d.ExpiresText = fmt.Sprintf("%d:%02d", d.ExpiresIn/60, d.ExpiresIn%60)
		if info.AttemptsLeft >= 0 {
			d.TriesText = plural(info.AttemptsLeft, "try", "tries") + " left"
		}
	}
	if wait := info.NextSendAt.Sub(now); wait > 0 {
		d.ResendIn = ceilSeconds(wait)
		d.ResendText = waitText(wait)
	}
	if s.Channel == string(delivery.Voice) {
		d.ResendLabel, d.OtherChannel, d.OtherLabel = "Call me again", string(delivery.SMS), "Text me instead"
	} else {
		d.Channel = string(delivery.SMS)
		d.ResendLabel, d.OtherChannel, d.OtherLabel = "Resend code", string(delivery.Voice), "Call me instead"
	}
	a.render(w, r, s, status, "verify", d)
}

func (a *app) verify(w http.ResponseWriter, r *http.Request, s session) {
	if s.State != stateCode {
		a.redirect(w, r, s, "/")
		return
	}
	ctx, cancel := a.opContext(r)
	defer cancel()
	res, err := a.svc.Verify(ctx, s.Number, r.PostForm.Get("code"))
	var retry *otp.RetryError
	switch {
	case err == nil:
		now := a.cfg.Now()
		s.State = stateVerified
		s.Verified = a.verified.add(s, now.Add(a.cfg.VerifiedTTL), now)
		a.redirect(w, r, s, "/done")
		return
	case errors.Is(err, otp.ErrWrongCode):
		if res.AttemptsLeft == 0 {
			s.flash("error", "Wrong code. No tries left: ask for a new code.")
		} else if res.AttemptsLeft > 0 {
			s.flash("error", "Wrong code. "+plural(res.AttemptsLeft, "try", "tries")+" left.")
		} else {
			s.flash("error", "Wrong code.")
		}
	case errors.Is(err, otp.ErrLocked) && errors.As(err, &retry):
		s.State = stateStart
		s.flash("error", "Too many tries. Try again in "+waitText(retry.RetryAfter())+".")
		a.redirect(w, r, s, "/")
		return
	case errors.Is(err, otp.ErrExpired):
		s.flash("error", "That code has expired. Ask for a new one.")
	case errors.Is(err, otp.ErrNotFound), errors.Is(err, otp.ErrUsed):
		s.flash("error", "There is no code waiting for this number. Ask for a new one.")
	case errors.Is(err, otp.ErrInvalidCode):
		s.flash("error", fmt.Sprintf("Enter the %d-digit code from the message.", a.cfg.CodeLength))
	default:
		a.cfg.Log.Printf("verify: %v", err)
		s.flash("error", "Something went wrong. Please try again.")
	}
	a.redirect(w, r, s, "/verify")
}

func (a *app) resend(w http.ResponseWriter, r *http.Request, s session) {
	if s.State != stateCode {
		a.redirect(w, r, s, "/")
		return
	}
	ch, err := delivery.ParseChannel(r.PostForm.Get("channel"))
	if err != nil {
		ch = delivery.SMS
	}
	now := a.cfg.Now()
	client, ok := a.takeBudget(w, r, &s, now)
	if !ok {
		a.showVerify(w, r, s, http.StatusTooManyRequests)
		return
	}
	ctx, cancel := a.opContext(r)
	defer cancel()
	_, err = a.svc.SendWith(ctx, otp.SendRequest{To: s.Number, Channel: ch, Client: client})
	a.settleBudget(s, client, now, err)
	switch {
	case err == nil:
		s.Channel = string(ch)
		s.flash("info", resentMessage(ch))
	case errors.Is(err, otp.ErrLocked):
		s.State = stateStart
		s.flash("error", a.sendError(err))
		a.redirect(w, r, s, "/")
		return
	default:
		s.flash("error", a.sendError(err))
	}
	a.redirect(w, r, s, "/verify")
}

func (a *app) restart(w http.ResponseWriter, r *http.Request, s session) {
	a.verified.forget(s)
	s.State, s.Verified = stateStart, ""
	a.redirect(w, r, s, "/")
}

func (a *app) donePage(w http.ResponseWriter, r *http.Request) {
	s := a.session(r)
	a.checkVerified(&s)
	if s.State != stateVerified {
		a.redirect(w, r, s, "/")
		return
	}
	a.render(w, r, s, http.StatusOK, "done", pageData{Title: "Phone verified", Number: formatNumber(s.Number)})
}

// formatNumber writes an E.164 number the way people read it: "+1 201-555-0123".
func formatNumber(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// regionOf returns the region of an E.164 number, or def.
func regionOf(e164, def string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return def
	}
	if r := phonenumbers.GetRegionCodeForNumber(n); r != "" && r != "ZZ" {
		return r
	}
	return def
}

// ceilSeconds returns d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// waitText says how long to wait: "25s" under a minute, else whole
// minutes rounded up ("10 minutes") or hours and minutes.
func waitText(d time.Duration) string {
	s := ceilSeconds(d)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", max(s, 1))
	case s < 3600:
		return plural((s+59)/60, "minute", "minutes")
	}
	return otp.HumanDuration(time.Duration((s+59)/60) * time.Minute)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
