// Package otp generates one-time passcodes, delivers them, and verifies what
// people type back, with the limits that keep phone verification safe:
// expiry, single use, a few wrong tries before a lockout, and resend limits.
//
// A [Service] ties a [store.Store] (where pending codes and limits live) to a
// [delivery.Sender] (how messages reach phones):
//
//	svc, err := otp.New(ctx, memstore.New(), console.New(os.Stderr), otp.Options{})
//	res, err := svc.Send(ctx, "+1 201 555 0123", delivery.SMS)
//	...
//	_, err = svc.Verify(ctx, "+12015550123", typed)
//	switch {
//	case err == nil: // approved
//	case errors.Is(err, otp.ErrWrongCode): // try again
//	}
//
// # Codes
//
// Codes come from crypto/rand with no modulo bias ([Generate]) and are
// never stored: stores see only an HMAC-SHA256 of the number and code under
// a secret key, compared in constant time. A caller may choose the code
// of a send instead (SendRequest.Code, checked by [ParseCustomCode]); it is
// hashed the same way.
//
// # Messages and locales
//
// Messages are rendered from text/template templates ([TemplateData]). A
// send may ask for a locale (SendRequest.Locale): its templates come from
// Options.Locales or the built-in translations ([BuiltinLocales]), chosen
// by exact tag, then base language, then the default (English) templates.
//
// # Channels and fallback
//
// A code goes out by SMS ([delivery.SMS]), by a call that speaks it
// ([delivery.Voice]), or by [delivery.Auto]: SMS to mobile numbers, a call to fixed
// lines ([ChannelFor]). With Options.Fallback, a failed delivery is retried
// over the next channels with the same code; a [delivery.Failover] sender
// does the same across providers. [SendResult] says which channel and
// provider delivered and which attempts failed before.
//
// # Errors
//
// Every error wraps one of the sentinel errors (ErrWrongCode, ErrExpired,
// ErrNotFound, ErrUsed, ErrLocked, ErrRateLimited, ErrInvalidNumber,
// ErrInvalidCode, ErrDelivery, ErrStore, ErrInvalidOptions); refusals that
// pass with time are a [*RetryError].
package otp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/store"
)

// The defaults of [Options].
const (
	DefaultLength      = 6
	DefaultTTL         = 10 * time.Minute
	DefaultMaxAttempts = 5
	DefaultLockout     = 10 * time.Minute
	DefaultResendAfter = 30 * time.Second
	DefaultMaxSends    = 5
	DefaultSendWindow  = time.Hour
	DefaultAppName     = "otpkit"
)

// MaxDuration bounds every duration of [Options] (ten years), so that no
// expiry, lock or window can wrap a store's clock.
const MaxDuration = 10 * 365 * 24 * time.Hour

// MinSecretLength is the least length of Options.Secret.
const MinSecretLength = 16

// Options configure a [Service]. The zero value of every field means its
// documented default; for the limits, a negative value turns the limit off.
type Options struct {
	Format Format        // code alphabet; default Numeric
	Length int           // code length, 4 to 10; default 6
	TTL    time.Duration // how long a code is accepted; default 10m

	MaxAttempts int           // wrong tries per number, across resends; default 5
	Lockout     time.Duration // lock after MaxAttempts wrong tries; default 10m
	ResendAfter time.Duration // least time between sends to a number; default 30s
	MaxSends    int           // sends to a number per SendWindow; default 5
	SendWindow  time.Duration // default 1h

	// Secret keys the code hashes; at least 16 bytes. If empty, the store
	// must be a [store.SecretKeeper] (the file and memory stores are).
	Secret []byte

	// DefaultRegion lets numbers without a country code in: "US" reads
	// "(201) 555-0123" as +12015550123. Empty: a country code is required.
	DefaultRegion string

	AppName       string // {{.AppName}} in templates; default "otpkit"
	SMSTemplate   string // text/template for SMS; default DefaultSMSTemplate
	VoiceTemplate string // text/template spoken by a call; default DefaultVoiceTemplate

	// Locales are message templates by BCP 47 language tag ("fr", "pt-BR"),
	// for sends that ask for a locale (SendRequest.Locale). They override
	// the built-in translations ([BuiltinLocales]) of the same tag; a field
	// left empty takes the built-in template of the tag, then the template
	// of its base language, then SMSTemplate or VoiceTemplate. {{.TTL}} is
	// written in the base language's words when otpkit knows them (the
	// built-in languages), else in English. Default: the built-in ones only.
	Locales map[string]Templates

	// CustomCodeLetters lets custom codes (SendRequest.Code) have ASCII
	// letters the Format does not use, and has Verify read such letters,
	// in either case, as part of a code: a wrong one then counts as a try.
	// Without it such a custom code is refused, and typed input with such
	// letters is ErrInvalidCode (not a try), as for generated codes. otp
	// serve sets it: Twilio's CustomCode may have letters.
	CustomCodeLetters bool

	// Fallback lists the channels to try, in order, when delivery over the
	// channel asked for fails: with {Voice}, a failed SMS is followed by a
	// call carrying the same code. Default none.
	Fallback []delivery.Channel

	// Guard is the abuse guard against SMS pumping. Its zero value refuses
	// premium-rate and shared-cost numbers and nothing else.
	Guard GuardOptions

	// Now returns the current time; default time.Now. Tests set it.
	Now func() time.Time
}

// Service sends and verifies codes. It is safe for concurrent use.
type Service struct {
	store    store.Store
	sender   delivery.Sender
	opts     Options
	policy   store.Policy
	secret   []byte
	defaults *messages            // SMSTemplate and VoiceTemplate
	locales  map[string]*messages // by lower-case tag
	guard    *guard               // nil: the guard is off
	gstore   store.GuardStore     // the store's guard state, if it keeps it
	gtx      store.GuardTx        // the store's guarded Issue and Check, if it has them
	gissue   store.GuardIssuer    // the store's guarded Issue, if it has it
}

// withDefaults returns v, or def when v is zero, or 0 when v is negative.
func withDefaults[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// New returns a Service that keeps codes in st and delivers them with
// sender. It checks opts and the templates, and may read the store: the key
// a store keeps ([store.SecretKeeper]) and the fingerprint of the key its
// codes were hashed with ([store.KeyChecker]). Errors wrap
// ErrInvalidOptions, or ErrStore (the store cannot give its secret, or its
// codes were hashed with another key: store.ErrKeyMismatch).
func New(ctx context.Context, st store.Store, sender delivery.Sender, opts Options) (*Service, error) {
	if st == nil || sender == nil {
		return nil, fmt.Errorf("%w: a store and a sender are required", ErrInvalidOptions)
	}
	s, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	s.store, s.sender = st, sender
	s.gstore, _ = st.(store.GuardStore)
	if s.gstore != nil {
		s.gtx, _ = st.(store.GuardTx)
		s.gissue, _ = st.(store.GuardIssuer)
	}
	if s.guard != nil && s.guard.counting && s.gstore == nil {
		return nil, fmt.Errorf("%w: the guard's counting rules: %w", ErrInvalidOptions, ErrNoGuardStore)
	}
	if len(s.secret) == 0 {
		keeper, ok := st.(store.SecretKeeper)
		if !ok {
			return nil, fmt.Errorf("%w: a secret is required with this store", ErrInvalidOptions)
		}
		if s.secret, err = keeper.Secret(ctx); err != nil {
			return nil, fmt.Errorf("%w: secret: %w", ErrStore, err)
		}
		if len(s.secret) < MinSecretLength {
			return nil, fmt.Errorf("%w: the store's secret is shorter than %d bytes", ErrStore, MinSecretLength)
		}
	}
	if kc, ok := st.(store.KeyChecker); ok {
		if err := kc.CheckKey(ctx, s.keyFingerprint()); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStore, err)
		}
	}
	return s, nil
}

// keyFingerprint identifies the secret without revealing it: an HMAC of a
// fixed label under it, cut to 16 bytes.
func (s *Service) keyFingerprint() []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("otpkit key fingerprint v1"))
	return m.Sum(nil)[:16]
}

// Validate checks options as [New] does, without a store: programs call it
// to report a bad configuration before they open anything.
func (o Options) Validate() error {
	_, err := prepare(o)
	return err
}

// prepare checks opts, fills in the defaults and parses the templates.
func prepare(opts Options) (*Service, error) {
	if opts.Format != Numeric && opts.Format != Hex {
		return nil, fmt.Errorf("%w: unknown code format %v", ErrInvalidOptions, opts.Format)
	}
	if opts.Length == 0 {
		opts.Length = DefaultLength
	}
	if opts.Length < MinLength || opts.Length > MaxLength {
		return nil, fmt.Errorf("%w: code length %d is not within %d-%d", ErrInvalidOptions, opts.Length, MinLength, MaxLength)
	}
	if opts.TTL < 0 {
		return nil, fmt.Errorf("%w: negative ttl", ErrInvalidOptions)
	}
	opts.TTL = withDefaults(opts.TTL, DefaultTTL)
	if opts.TTL < time.Second {
		return nil, fmt.Errorf("%w: ttl %v is shorter than a second", ErrInvalidOptions, opts.TTL)
	}
	if opts.DefaultRegion != "" && !ValidRegion(opts.DefaultRegion) {
		return nil, fmt.Errorf("%w: unknown region %q (want an ISO 3166 code such as US)", ErrInvalidOptions, opts.DefaultRegion)
	}
	if opts.Secret != nil && len(opts.Secret) < MinSecretLength {
		return nil, fmt.Errorf("%w: the secret is shorter than %d bytes", ErrInvalidOptions, MinSecretLength)
	}
	if opts.AppName == "" {
		opts.AppName = DefaultAppName
	}
	if opts.SMSTemplate == "" {
		opts.SMSTemplate = DefaultSMSTemplate
	}
	if opts.VoiceTemplate == "" {
		opts.VoiceTemplate = DefaultVoiceTemplate
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	for _, ch := range opts.Fallback {
		if _, err := delivery.ParseChannel(string(ch)); err != nil || ch == delivery.Auto {
			return nil, fmt.Errorf("%w: fallback: %w %q (want sms or voice)", ErrInvalidOptions, delivery.ErrUnknownChannel, ch)
		}
	}
	s := &Service{opts: opts, secret: opts.Secret}
	s.policy = store.Policy{
		MaxAttempts: withDefaults(opts.MaxAttempts, DefaultMaxAttempts),
		Lockout:     withDefaults(opts.Lockout, DefaultLockout),
		ResendAfter: withDefaults(opts.ResendAfter, DefaultResendAfter),
		MaxSends:    withDefaults(opts.MaxSends, DefaultMaxSends),
		SendWindow:  withDefaults(opts.SendWindow, DefaultSendWindow),
	}
	if s.policy.MaxSends > 0 && s.policy.SendWindow <= 0 {
		return nil, fmt.Errorf("%w: a send limit needs a send window", ErrInvalidOptions)
	}
	// Stores keep times as Unix nanoseconds: a duration of centuries would
	// wrap them (a lock that ends before it began is no lock).
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ttl", opts.TTL}, {"lockout", s.policy.Lockout}, {"resend_after", s.policy.ResendAfter}, {"send_window", s.policy.SendWindow}} {
		if d.v > MaxDuration {
			return nil, fmt.Errorf("%w: %s %v is longer than %v", ErrInvalidOptions, d.name, d.v, MaxDuration)
		}
	}
	var err error
	if s.guard, err = newGuard(opts.Guard); err != nil {
		return nil, err
	}
	if s.guard != nil {
		s.guard.grace = opts.TTL
	}
	s.defaults = &messages{ttl: HumanDuration(opts.TTL)}
	if s.defaults.sms, err = parseTemplate("sms", "sms", opts.SMSTemplate); err != nil {
		return nil, err
	}
	if s.defaults.voice, err = parseTemplate("voice", "voice", opts.VoiceTemplate); err != nil {
		return nil, err
	}
	if s.locales, err = prepareLocales(opts, s.defaults); err != nil {
		return nil, err
	}
	return s, nil
}

// Policy returns the limits the service enforces, defaults filled in (a
// zero field is a limit turned off).
func (s *Service) Policy() store.Policy { return s.policy }

// hash returns the keyed hash of a code for a number.
func (s *Service) hash(number, code string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("otpkit-v1\x00"))
	m.Write([]byte(number))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// ParseNumber returns the E.164 form of a number, reading numbers without a
// country code in the service's default region (see the package function
// [ParseNumber]).
func (s *Service) ParseNumber(raw string) (string, error) {
	return ParseNumber(raw, s.opts.DefaultRegion)
}

// SendResult describes a code that was sent.
type SendResult struct {
	To             string           // the E.164 number
	Channel        delivery.Channel // how it went out (never Auto)
	Provider       string           // the provider that accepted it
	MessageID      string           // the provider's message or call id
	ProviderStatus string           // the provider's initial status, if any
	ExpiresAt      time.Time        // when the code stops being accepted
	// NextSendAt is the earliest time another send to the number may succeed.
	NextSendAt time.Time
	// SendsLeft is how many more sends the window allows, -1 if unlimited.
	SendsLeft int
	// Attempts lists the routes (channel and provider) that failed before
	// the one that delivered, in order; nil when the first one did.
	Attempts []delivery.Attempt
	// Guard, in the guard's monitor mode, says what it would have refused;
	// nil otherwise.
	Guard *GuardVerdict
}

// SendRequest is a send with what the abuse guard needs to know of its
// origin (see [Service.SendWith]).
type SendRequest struct {
	To      string
	Channel delivery.Channel
	// Client identifies who asked (an IP address, a session, an account),
	// for the guard's per-client rules; empty for none.
	Client string
	// Locale is the BCP 47 language tag of the message ("fr", "pt-BR"):
	// the templates of the tag (case-insensitively) are used, else those of
	// its base language ("pt"), else the default ones (see
	// Options.Locales). Empty: the default templates. A malformed tag is an
	// error wrapping ErrInvalidOptions.
	Locale string
	// Code is a code the caller chose, sent instead of a generated one: 4
	// to 10 ASCII digits or letters, whatever Options.Length (see
	// [ParseCustomCode], which says how it is compared with what people
	// type); letters the Format does not use need
	// Options.CustomCodeLetters. A code that does not pass is an error
	// wrapping ErrInvalidOptions. Like every code it is kept only as a
	// keyed hash and never logged. Empty: a generated code.
	Code string
}

// Send makes a new code for the number to, replacing any pending one, and
// delivers it over ch: [delivery.SMS], [delivery.Voice] or [delivery.Auto]. When
// that fails and Options.Fallback names more channels, each is tried in
// turn with the same code (the message rendered from that channel's
// template); the send counts once against the limits.
//
// Send fails with a [*RetryError] (ErrLocked or ErrRateLimited) when the
// limits refuse the send, ErrInvalidNumber for a bad number, and a
// [*DeliveryError] (ErrDelivery) when every channel failed. After a
// definite refusal the code is then withdrawn and the send not counted.
// When the error matches [delivery.ErrOutcomeUnknown] (the call was cut
// off after the request was written) the provider may have the message:
// the code stays valid, the send counts, and Send returns the result
// (without a message id) together with the error.
func (s *Service) Send(ctx context.Context, to string, ch delivery.Channel) (SendResult, error) {
	return s.SendWith(ctx, SendRequest{To: to, Channel: ch})
}

// SendWith is [Service.Send] with the client that asked, for the abuse
// guard's per-client rules, and optionally the message's locale and a
// caller-chosen code (see [SendRequest]; a malformed locale or custom code
// fails with ErrInvalidOptions before anything is sent). The guard runs
// first: a send it refuses fails with a [*BlockedError] (ErrBlocked)
// before anything is sent or counted against the number.
func (s *Service) SendWith(ctx context.Context, req SendRequest) (SendResult, error) {
	to, ch := req.To, req.Channel
	if _, err := delivery.ParseChannel(string(ch)); err != nil {
		return SendResult{}, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	number, err := s.ParseNumber(to)
	if err != nil {
		return SendResult{}, err
	}
	if req.Locale != "" && !ValidLocale(req.Locale) {
		return SendResult{}, fmt.Errorf("%w: locale %q is not a BCP 47 language tag", ErrInvalidOptions, req.Locale)
	}
	msgs := s.messagesFor(req.Locale)
	code, err := s.newCode(req.Code)
	if err != nil {
		return SendResult{}, err
	}
	data := TemplateData{Code: code, Spoken: Spoken(code), TTL: msgs.ttl, AppName: s.opts.AppName, To: number}
	now := s.opts.Now()
	hash := s.hash(number, code)
	ireq := store.IssueRequest{Number: number, Hash: hash, Now: now, ExpiresAt: now.Add(s.opts.TTL), Policy: s.policy}
	ad, is, err := s.issue(ctx, ireq, req.Client)
	if err != nil {
		return SendResult{}, err
	}
	var verdict *GuardVerdict
	if b := ad.blocked; b != nil {
		if s.guard.Mode == GuardEnforce {
			return SendResult{}, b
		}
		verdict = &GuardVerdict{WouldBlock: true, Reason: b.Reason, Detail: b.Detail}
	}
	switch is.Outcome {
	case store.Issued:
	case store.IssueLocked:
		return SendResult{}, &RetryError{Err: ErrLocked, RetryAt: is.RetryAt, Wait: is.RetryAt.Sub(now)}
	case store.IssueCooldown:
		return SendResult{}, &RetryError{Err: ErrRateLimited, RetryAt: is.RetryAt, Wait: is.RetryAt.Sub(now), Reason: "resend cooldown"}
	case store.IssueLimit:
		return SendResult{}, &RetryError{Err: ErrRateLimited, RetryAt: is.RetryAt, Wait: is.RetryAt.Sub(now), Reason: fmt.Sprintf("at most %d per %v", s.policy.MaxSends, s.policy.SendWindow)}
	default:
		return SendResult{}, fmt.Errorf("%w: unknown issue outcome %d", ErrStore, is.Outcome)
	}
	rcpt, used, failed, err := s.deliver(ctx, number, code, msgs, data, s.routes(number, ch))
	if err != nil && delivery.OutcomeUnknown(err) {
		// The provider may have the message: keep the code and count the
		// send, or cancelling sends would lift the cooldown and the cap.
		return SendResult{
			To: number, Channel: s.lastChannel(err), ExpiresAt: now.Add(s.opts.TTL),
			NextSendAt: is.NextAt, SendsLeft: is.SendsLeft, Attempts: failedAttempts(err), Guard: verdict,
		}, err
	}
	if err != nil {
		// Withdraw the code nobody received and refund the send, even if ctx
		// was canceled: the store must not keep counting a failed send.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if cerr := s.store.Cancel(cctx, store.CancelRequest{Number: number, Hash: hash, SentAt: is.SentAt}); cerr != nil {
			return SendResult{}, fmt.Errorf("%w (and withdrawing the code failed: %w)", err, cerr)
		}
		s.release(cctx, now, ad)
		return SendResult{}, err
	}
	res := SendResult{
		To: number, Channel: used, Provider: rcpt.Provider, MessageID: rcpt.ID, ProviderStatus: rcpt.Status,
		ExpiresAt: now.Add(s.opts.TTL), NextSendAt: is.NextAt, SendsLeft: is.SendsLeft, Attempts: failed, Guard: verdict,
	}
	return res, nil
}

// issue runs the abuse guard and the store's Issue for a send: in one
// atomic step when the store is a [store.GuardIssuer], else the guard's step,
// then Issue, taking the guard's counts back if Issue refuses. A send the
// guard refuses (in enforce mode) is not issued: ad.blocked says why.
func (s *Service) issue(ctx context.Context, req store.IssueRequest, client string) (admission, store.IssueResult, error) {
	ad, step := s.admitStep(req.Now, req.Number, client)
	if step != nil && s.gissue != nil {
		is, err := s.gissue.IssueGuarded(ctx, req, *step)
		if !errors.Is(err, errors.ErrUnsupported) { // else: this store cannot here (a Redis Cluster)
			if err != nil {
				return admission{}, is, fmt.Errorf("%w: %w", ErrStore, err)
			}
			ad.finish(req.Now)
			return *ad, is, nil
		}
	}
	if step != nil {
		err := s.gstore.UpdateGuard(ctx, req.Now, step.Keys, func(es []*store.GuardEntry) error {
			_, err := step.Fn(es)
			return err
		})
		if err != nil {
			return admission{}, store.IssueResult{}, fmt.Errorf("%w: guard: %w", ErrStore, err)
		}
	}
	ad.finish(req.Now)
	if ad.blocked != nil && s.guard.Mode == GuardEnforce {
		return *ad, store.IssueResult{Outcome: store.IssueRefused}, nil
	}
	is, err := s.store.Issue(ctx, req)
	if err != nil || is.Outcome != store.Issued {
		s.release(context.WithoutCancel(ctx), req.Now, *ad)
	}
	if err != nil {
		return admission{}, is, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return *ad, is, nil
}

// check is the store's Check with, for an approved code, the guard's count
// of verified codes: in one atomic step when the store is a
// [store.GuardTx].
func (s *Service) check(ctx context.Context, req store.CheckRequest) (store.CheckResult, error) {
	step := s.verifiedStep(req.Now, req.Number)
	if step != nil && s.gtx != nil {
		return s.gtx.CheckGuarded(ctx, req, *step)
	}
	res, err := s.store.Check(ctx, req)
	if err == nil && res.Outcome == store.Approved && step != nil {
		fn := func(es []*store.GuardEntry) error {
			_, err := step.Fn(es)
			return err
		}
		if d, ok := s.store.(store.GuardDeferrer); ok {
			d.DeferGuard(req.Now, step.Keys, fn) // the check need not wait for it
		} else {
			_ = s.gstore.UpdateGuard(context.WithoutCancel(ctx), req.Now, step.Keys, fn)
		}
	}
	return res, err
}

// newCode returns the caller's code, checked and upper-cased
// ([Service.CheckCustomCode]), or a new generated one when custom is
// empty.
func (s *Service) newCode(custom string) (string, error) {
	if custom != "" {
		return s.CheckCustomCode(custom)
	}
	return Generate(s.opts.Format, s.opts.Length)
}

// CheckCustomCode checks a custom code as [Service.SendWith] does and
// returns it as it will be hashed: [ParseCustomCode], and, unless
// Options.CustomCodeLetters is set, only characters of the service's
// Format (digits; for Hex, also A-F), so that Verify can read it back.
// Errors wrap ErrInvalidOptions and never show the code.
func (s *Service) CheckCustomCode(custom string) (string, error) {
	code, err := ParseCustomCode(custom)
	if err != nil {
		return "", err
	}
	if !s.opts.CustomCodeLetters {
		if _, err := NormalizeCode(s.opts.Format, code); err != nil {
			return "", fmt.Errorf("%w: custom code: letters a %s code does not have (Options.CustomCodeLetters allows them)", ErrInvalidOptions, s.opts.Format)
		}
	}
	return code, nil
}

// Verdict is the outcome of a verification, as reported to people and scripts.
type Verdict string

// The verdicts of a verification (the "status" of otp verify --json).
const (
	Approved Verdict = "approved"  // the code matched
	Rejected Verdict = "rejected"  // wrong code; tries may be left
	Expired  Verdict = "expired"   // the code expired
	NotFound Verdict = "not_found" // no pending code: never sent, used, burned or purged
	Locked   Verdict = "locked"    // too many wrong tries
)

// VerifyResult describes a verification.
type VerifyResult struct {
	To      string // the E.164 number
	Verdict Verdict
	// AttemptsLeft is how many more wrong tries the number allows
	// (-1 when unlimited).
	AttemptsLeft int
	// LockedUntil is set when the number is locked.
	LockedUntil time.Time
}

// Verify checks a code typed back for the number to. It returns a nil error
// only when the code is right; the code is then used up. Otherwise the
// result says why, and the error wraps ErrWrongCode, ErrExpired,
// ErrNotFound, ErrUsed, ErrLocked (a [*RetryError]), ErrInvalidNumber or
// ErrInvalidCode. A wrong code counts a try; the try that uses up the last
// one locks the number and returns ErrLocked.
//
// The code is read as [NormalizeCode] reads it; with
// Options.CustomCodeLetters, ASCII letters the format does not use are
// upper-cased and checked rather than refused (a custom code may have
// any), so only other characters, empty input and input longer than a
// code are ErrInvalidCode.
func (s *Service) Verify(ctx context.Context, to, code string) (VerifyResult, error) {
	number, err := s.ParseNumber(to)
	if err != nil {
		return VerifyResult{}, err
	}
	if s.opts.CustomCodeLetters {
		code, err = normalizeTyped(s.opts.Format, code)
	} else {
		code, err = NormalizeCode(s.opts.Format, code)
	}
	if err != nil {
		return VerifyResult{To: number}, err
	}
	now := s.opts.Now()
	res, err := s.check(ctx, store.CheckRequest{Number: number, Hash: s.hash(number, code), Now: now, Policy: s.policy})
	if err != nil {
		return VerifyResult{To: number}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	out := VerifyResult{To: number, AttemptsLeft: res.AttemptsLeft, LockedUntil: res.LockedUntil}
	switch res.Outcome {
	case store.Approved:
		out.Verdict = Approved
		return out, nil
	case store.WrongCode:
		if !res.LockedUntil.IsZero() {
			out.Verdict = Locked
			return out, &RetryError{Err: ErrLocked, RetryAt: res.LockedUntil, Wait: res.LockedUntil.Sub(now), Reason: "wrong code, no tries left"}
		}
		out.Verdict = Rejected
		if res.AttemptsLeft == 0 {
			return out, fmt.Errorf("%w; no tries left, send a new code", ErrWrongCode)
		}
		if res.AttemptsLeft > 0 {
			return out, fmt.Errorf("%w; %s left", ErrWrongCode, plural(res.AttemptsLeft, "try", "tries"))
		}
		return out, ErrWrongCode
	case store.CodeExpired:
		out.Verdict = Expired
		return out, ErrExpired
	case store.CodeUsed:
		out.Verdict = NotFound
		return out, ErrUsed
	case store.NoCode:
		out.Verdict = NotFound
		return out, ErrNotFound
	case store.NumberLocked:
		out.Verdict = Locked
		return out, &RetryError{Err: ErrLocked, RetryAt: res.LockedUntil, Wait: res.LockedUntil.Sub(now)}
	}
	return out, fmt.Errorf("%w: unknown check outcome %d", ErrStore, res.Outcome)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Info is what a program may show about a number without changing it: for
// a verification page, the time left and the tries left.
type Info struct {
	To           string    // the E.164 number
	Pending      bool      // a code can be verified now
	ExpiresAt    time.Time // when the pending code expires (if Pending)
	AttemptsLeft int       // wrong tries the number still allows (-1: unlimited)
	LockedUntil  time.Time // set while the number is locked
	NextSendAt   time.Time // the earliest time a send may succeed (zero: now)
	SendsLeft    int       // sends the window still allows (-1: unlimited)
}

// Info returns what the store holds about a number, read-only.
func (s *Service) Info(ctx context.Context, to string) (Info, error) {
	number, err := s.ParseNumber(to)
	if err != nil {
		return Info{}, err
	}
	rec, _, err := s.store.Get(ctx, number)
	if err != nil {
		return Info{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	now := s.opts.Now()
	in := Info{To: number, AttemptsLeft: -1}
	if s.policy.MaxAttempts > 0 {
		in.AttemptsLeft = max(s.policy.MaxAttempts-rec.Attempts, 0)
	}
	if rec.Pending(now) {
		in.Pending, in.ExpiresAt = true, rec.ExpiresAt
	}
	if rec.Locked(now) {
		in.LockedUntil = rec.LockedUntil
		in.NextSendAt = rec.LockedUntil
	}
	// Ask the rules when the next send may happen, on a copy.
	probe := rec
	probe.Sends = append([]time.Time(nil), rec.Sends...)
	r := probe.Issue(store.IssueRequest{Number: number, Now: now, ExpiresAt: now, Policy: s.policy})
	if r.Outcome != store.Issued {
		in.NextSendAt = r.RetryAt
	}
	in.SendsLeft = -1
	if s.policy.MaxSends > 0 && s.policy.SendWindow > 0 {
		used := len(probe.Sends) // the window's sends, with the probe's own if it was issued
		if r.Outcome == store.Issued {
			used--
		}
		in.SendsLeft = max(s.policy.MaxSends-used, 0)
	}
	return in, nil
}

// Purge removes expired and used codes from the store, and numbers with
// nothing left to remember, and returns how many records it removed or
// cleared. Locks and send limits still in force are kept.
func (s *Service) Purge(ctx context.Context) (int, error) {
	n, err := s.store.Purge(ctx, store.PurgeRequest{Now: s.opts.Now(), Policy: s.policy})
	if err != nil {
		return n, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return n, nil
}

// Withdraw cancels the number's pending code (a support agent's tool): it
// can no longer be verified, and its send is refunded so a new code may be
// asked for at once. It reports whether a code was pending.
func (s *Service) Withdraw(ctx context.Context, to string) (bool, error) {
	number, err := s.ParseNumber(to)
	if err != nil {
		return false, err
	}
	rec, ok, err := s.store.Get(ctx, number)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if !ok || !rec.Pending(s.opts.Now()) || len(rec.Sends) == 0 {
		return false, nil
	}
	// Cancel compares the hash: a code sent in between is left alone.
	if err := s.store.Cancel(ctx, store.CancelRequest{Number: number, Hash: rec.Hash, SentAt: rec.Sends[len(rec.Sends)-1]}); err != nil {
		return false, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return true, nil
}

// Unlock lifts the number's lock and forgets its wrong tries (a support
// agent's tool). It reports whether there was anything to lift; the store
// must implement [store.Unlocker] (every store of this module does).
func (s *Service) Unlock(ctx context.Context, to string) (bool, error) {
	number, err := s.ParseNumber(to)
	if err != nil {
		return false, err
	}
	u, ok := s.store.(store.Unlocker)
	if !ok {
		return false, fmt.Errorf("%w: the store cannot unlock numbers", ErrStore)
	}
	changed, err := u.Unlock(ctx, store.UnlockRequest{Number: number, Now: s.opts.Now(), Policy: s.policy})
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return changed, nil
}
