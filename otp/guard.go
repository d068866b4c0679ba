package otp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/otpkit/otpkit/store"
)

// GuardMode says what the abuse guard does with a send its rules would
// refuse.
type GuardMode string

// The guard's modes. The zero value is [GuardEnforce].
const (
	GuardEnforce GuardMode = "enforce" // refuse it ([ErrBlocked])
	GuardMonitor GuardMode = "monitor" // send it, and say so in [SendResult].Guard
	GuardOff     GuardMode = "off"     // no guard at all
)

// GuardReason says which rule of the abuse guard refused a send.
type GuardReason string

// The guard's reasons, as "reason" in the command's JSON.
const (
	ReasonPrefixVelocity GuardReason = "prefix_velocity" // too many sends to the number's prefix in the window
	ReasonCountry        GuardReason = "country"         // the country is not allowed, or too many sends to it
	ReasonNumberType     GuardReason = "number_type"     // a number type refused (premium rate, ...)
	ReasonConversion     GuardReason = "conversion"      // the prefix's codes are rarely verified: blocked for BlockFor
	ReasonBudget         GuardReason = "budget"          // the overall budget of sends is spent
	ReasonClient         GuardReason = "client"          // the client sent too many, or to too many countries
	ReasonManual         GuardReason = "manual"          // an operator blocked the prefix or country
)

// GuardOptions are the rules of the abuse guard against SMS pumping (toll
// fraud): bots asking for codes to many numbers in ranges whose carrier
// pays them. Per-number limits do not stop that; these rules look at
// prefixes, countries, clients and the total. A zero field turns its rule
// off, except where a default is given.
//
// The counting rules (the Max fields and MinConversion) keep their counts in
// the store, which must then implement [store.GuardStore] (every store of
// this module does), so they hold across processes and servers.
type GuardOptions struct {
	Mode GuardMode // default GuardEnforce
	// AllowCountries, if not empty, are the only regions (ISO 3166, from the
	// number) codes are sent to; DenyCountries are refused.
	AllowCountries, DenyCountries []string
	// DenyTypes are the number types refused, as libphonenumber names them
	// in snake case: premium_rate, shared_cost, toll_free, voip,
	// personal_number, pager, uan, voicemail, fixed_line, mobile. nil means
	// [DefaultDenyTypes]; an empty, non-nil slice refuses none.
	DenyTypes []string
	// PrefixDigits is how many digits after "+" make a prefix (default 7:
	// +1201555).
	PrefixDigits int
	// PrefixMaxSends, CountryMaxSends and MaxSends bound the sends per
	// prefix, per country and overall in Window.
	PrefixMaxSends, CountryMaxSends, MaxSends int
	// Window is the sliding window of the counting rules (default one
	// hour), kept in twelve slots.
	Window time.Duration
	// ClientMaxSends bounds the sends per client key (see
	// [SendRequest].Client) in Window; ClientMaxCountries the distinct
	// countries one client key reaches in Window.
	ClientMaxSends, ClientMaxCountries int
	// MinConversion, if positive, blocks a prefix for BlockFor when fewer
	// than this share of its codes were verified, once it had MinSample
	// sends in Window (default 20).
	MinConversion float64
	MinSample     int
	// BlockFor is how long an automatic block lasts (default 12 hours).
	BlockFor time.Duration
}

// DefaultDenyTypes are the number types the guard refuses by default:
// numbers that cost the sender and pay the range holder.
var DefaultDenyTypes = []string{"premium_rate", "shared_cost"}

// The guard's defaults.
const (
	DefaultPrefixDigits = 7
	DefaultGuardWindow  = time.Hour
	DefaultMinSample    = 20
	DefaultBlockFor     = 12 * time.Hour
)

// guardSlots is how many slots a window is kept in.
const guardSlots = 12

// ErrBlocked is returned, in a [*BlockedError], when the abuse guard
// refuses a send. Nothing was sent or counted against the number.
var ErrBlocked = errors.New("refused by the abuse guard")

// BlockedError says which rule of the guard refused a send and, when the
// refusal is temporary, when a send may succeed.
type BlockedError struct {
	Reason GuardReason
	Detail string    // what the rule saw, for people
	Until  time.Time // zero when the refusal is not temporary
	// Wait is Until less the time of the refusal (0 if not temporary).
	Wait time.Duration
}

// Error returns the reason and, if temporary, the wait: "refused by the
// abuse guard (prefix_velocity: 5 sends to +1201555 in 1h0m0s); retry in 12m0s".
func (e *BlockedError) Error() string {
	msg := fmt.Sprintf("%s (%s: %s)", ErrBlocked, e.Reason, e.Detail)
	if e.Wait > 0 {
		msg += "; retry in " + roundUp(e.Wait).String()
	}
	return msg
}

// Unwrap returns ErrBlocked.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// RetryAfter returns Wait rounded up to a whole second (0 if permanent).
func (e *BlockedError) RetryAfter() time.Duration { return roundUp(e.Wait) }

func roundUp(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d
}

// GuardVerdict is what the guard in monitor mode would have done with a
// send it let through.
type GuardVerdict struct {
	WouldBlock bool
	Reason     GuardReason
	Detail     string
}

// guard is the rules with their defaults filled in.
type guard struct {
	GuardOptions
	allow, deny, types map[string]bool
	counting           bool // a rule that keeps counts is on
	slot               time.Duration
	// grace is how long a code may take to be verified (the code's TTL):
	// the conversion rule judges only sends older than that.
	grace time.Duration
}

func newGuard(o GuardOptions) (*guard, error) {
	switch o.Mode {
	case "":
		o.Mode = GuardEnforce
	case GuardEnforce, GuardMonitor:
	case GuardOff:
		return nil, nil
	default:
		return nil, fmt.Errorf("%w: guard mode %q (want enforce, monitor or off)", ErrInvalidOptions, o.Mode)
	}
	if o.DenyTypes == nil {
		o.DenyTypes = DefaultDenyTypes
	}
	o.PrefixDigits = withDefaults(o.PrefixDigits, DefaultPrefixDigits)
	o.Window = withDefaults(o.Window, DefaultGuardWindow)
	o.MinSample = withDefaults(o.MinSample, DefaultMinSample)
	o.BlockFor = withDefaults(o.BlockFor, DefaultBlockFor)
	g := &guard{GuardOptions: o, allow: map[string]bool{}, deny: map[string]bool{}, types: map[string]bool{}}
	for _, c := range o.AllowCountries {
		if !ValidRegion(c) {
			return nil, fmt.Errorf("%w: guard allow_countries: unknown region %q", ErrInvalidOptions, c)
		}
		g.allow[strings.ToUpper(c)] = true
	}
	for _, c := range o.DenyCountries {
		if !ValidRegion(c) {
			return nil, fmt.Errorf("%w: guard deny_countries: unknown region %q", ErrInvalidOptions, c)
		}
		g.deny[strings.ToUpper(c)] = true
	}
	for _, t := range o.DenyTypes {
		if _, ok := numberTypes[t]; !ok {
			return nil, fmt.Errorf("%w: guard deny_types: unknown number type %q", ErrInvalidOptions, t)
		}
		g.types[t] = true
	}
	switch {
	case o.PrefixDigits < 1 || o.PrefixDigits > 15:
		return nil, fmt.Errorf("%w: guard prefix_digits %d is not within 1-15", ErrInvalidOptions, o.PrefixDigits)
	case o.PrefixMaxSends < 0 || o.CountryMaxSends < 0 || o.MaxSends < 0 || o.ClientMaxSends < 0 || o.ClientMaxCountries < 0 || o.MinSample < 0:
		return nil, fmt.Errorf("%w: guard limits must be 0 (off) or more", ErrInvalidOptions)
	case o.MinConversion < 0 || o.MinConversion > 1:
		return nil, fmt.Errorf("%w: guard min_conversion %v is not within 0-1", ErrInvalidOptions, o.MinConversion)
	case o.Window < time.Second || o.Window > MaxDuration || o.BlockFor < 0 || o.BlockFor > MaxDuration:
		return nil, fmt.Errorf("%w: guard window and block_for must be within 1s-%v", ErrInvalidOptions, MaxDuration)
	}
	g.counting = o.PrefixMaxSends > 0 || o.CountryMaxSends > 0 || o.MaxSends > 0 || o.ClientMaxSends > 0 || o.ClientMaxCountries > 0 || o.MinConversion > 0
	g.slot = max(o.Window/guardSlots, time.Millisecond)
	return g, nil
}

// numberTypes names libphonenumber's number types.
var numberTypes = map[string]phonenumbers.PhoneNumberType{
	"fixed_line": phonenumbers.FIXED_LINE, "mobile": phonenumbers.MOBILE, "fixed_line_or_mobile": phonenumbers.FIXED_LINE_OR_MOBILE,
	"toll_free": phonenumbers.TOLL_FREE, "premium_rate": phonenumbers.PREMIUM_RATE, "shared_cost": phonenumbers.SHARED_COST,
	"voip": phonenumbers.VOIP, "personal_number": phonenumbers.PERSONAL_NUMBER, "pager": phonenumbers.PAGER,
	"uan": phonenumbers.UAN, "voicemail": phonenumbers.VOICEMAIL, "unknown": phonenumbers.UNKNOWN,
}

// facts is what the guard reads of a number; factsCache keeps them, as
// libphonenumber's number types cost tens of microseconds.
type facts struct{ region, typ string }

var factsCache = cache[string, facts]{max: 4096}

// numberFacts returns the region and the type name of an E.164 number.
func numberFacts(e164 string) (region, typ string) {
	if f, ok := factsCache.get(e164); ok {
		return f.region, f.typ
	}
	region, typ = readFacts(e164)
	factsCache.put(e164, facts{region, typ})
	return region, typ
}

func readFacts(e164 string) (region, typ string) {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return "", "unknown"
	}
	f := factsOf(readNumber(n))
	return f.region, f.typ
}

func factsOf(info numberInfo) facts {
	return facts{region: info.region, typ: typeNames[info.typ]}
}

// typeNames names the types of numberTypes.
var typeNames = func() map[phonenumbers.PhoneNumberType]string {
	m := make(map[phonenumbers.PhoneNumberType]string, len(numberTypes))
	for name, t := range numberTypes {
		m[t] = name
	}
	return m
}()

// prefixOf returns the first digits of an E.164 number, with its "+".
func (g *guard) prefixOf(e164 string) string {
	if n := 1 + g.PrefixDigits; len(e164) > n {
		return e164[:n]
	}
	return e164
}

// Guard entry keys: p: a prefix, c: a country, g: the whole budget, k: a client.
func prefixKey(p string) string  { return "p:" + p }
func countryKey(c string) string { return "c:" + c }

const budgetKey = "g"

func clientKey(k string) string { return "k:" + k }

// admission is what the guard decided about one send, and what to undo if
// the send does not happen.
type admission struct {
	blocked *BlockedError // the rule that would refuse it, if any
	keys    []string      // the entries counted (to release)
	slot    time.Time     // the slot they were counted in
}

// prune drops what left the window and recomputes when e expires.
func (g *guard) prune(e *store.GuardEntry, now time.Time) {
	cut := now.Add(-g.Window)
	i := 0
	for i < len(e.Slots) && !e.Slots[i].Start.Add(g.slot).After(cut) {
		i++
	}
	e.Slots = e.Slots[i:]
	for m, t := range e.Members {
		if !t.After(cut) {
			delete(e.Members, m)
		}
	}
	g.setExpires(e, now)
}

func (g *guard) setExpires(e *store.GuardEntry, now time.Time) {
	var exp time.Time
	if n := len(e.Slots); n > 0 {
		exp = e.Slots[n-1].Start.Add(g.slot + g.Window)
	}
	for _, t := range e.Members {
		if t.Add(g.Window).After(exp) {
			exp = t.Add(g.Window)
		}
	}
	if !now.Before(e.BlockedUntil) {
		e.BlockedUntil, e.BlockReason = time.Time{}, ""
	} else if e.BlockedUntil.After(exp) {
		exp = e.BlockedUntil
	}
	e.Expires = exp
}

// count returns the sends and verified codes in the window.
func count(e *store.GuardEntry) (sent, verified int) {
	for _, s := range e.Slots {
		sent += s.Sent
		verified += s.Verified
	}
	return sent, verified
}

// matureSent counts the sends of e whose codes had their whole life to be
// verified: a code still pending is not a failure to convert.
func (g *guard) matureSent(e *store.GuardEntry, now time.Time) int {
	n := 0
	for _, s := range e.Slots {
		if !s.Start.Add(g.slot + g.grace).After(now) {
			n += s.Sent
		}
	}
	return n
}

// freeAt is when e's count in the window drops below limit.
func (g *guard) freeAt(e *store.GuardEntry, limit int) time.Time {
	sent, _ := count(e)
	for _, s := range e.Slots {
		sent -= s.Sent
		if sent < limit {
			return s.Start.Add(g.slot + g.Window)
		}
	}
	return time.Time{}
}

// add counts n sends (or verified codes) in the slot of now.
func (g *guard) add(e *store.GuardEntry, slot time.Time, sent, verified int) {
	if n := len(e.Slots); n > 0 && e.Slots[n-1].Start.Equal(slot) {
		e.Slots[n-1].Sent += sent
		e.Slots[n-1].Verified += verified
	} else if n == 0 || e.Slots[n-1].Start.Before(slot) {
		e.Slots = append(e.Slots, store.GuardSlot{Start: slot, Sent: max(sent, 0), Verified: max(verified, 0)})
	}
}

// finish sets the wait of a temporary refusal.
func (ad *admission) finish(now time.Time) {
	if b := ad.blocked; b != nil && !b.Until.IsZero() {
		b.Wait = b.Until.Sub(now)
	}
}

// admitStep applies the guard to a send to number from client at now, in
// two parts: the rules that need no store, whose verdict is in ad, and the
// store step, nil if none is needed, that applies blocks and counts the
// send, sets ad, and lets the send through (proceed) unless it refuses it.
// The caller runs the step atomically (UpdateGuard, or a [store.GuardTx]
// together with the record's Issue), then ad.finish.
func (s *Service) admitStep(now time.Time, number, client string) (*admission, *store.GuardStep) {
	g := s.guard
	if g == nil {
		return &admission{}, nil
	}
	region, typ := numberFacts(number)
	var stateless *BlockedError
	switch {
	case len(g.allow) > 0 && !g.allow[region]:
		stateless = &BlockedError{Reason: ReasonCountry, Detail: fmt.Sprintf("%s is not an allowed country", regionName(region))}
	case g.deny[region]:
		stateless = &BlockedError{Reason: ReasonCountry, Detail: fmt.Sprintf("%s is a denied country", regionName(region))}
	case g.types[typ]:
		stateless = &BlockedError{Reason: ReasonNumberType, Detail: fmt.Sprintf("%s numbers are refused", strings.ReplaceAll(typ, "_", "-"))}
	}
	if stateless != nil && g.Mode == GuardEnforce || s.gstore == nil {
		return &admission{blocked: stateless}, nil
	}
	prefix := g.prefixOf(number)
	keys := []string{prefixKey(prefix), countryKey(region)}
	if g.MaxSends > 0 {
		keys = append(keys, budgetKey)
	}
	useClient := client != "" && (g.ClientMaxSends > 0 || g.ClientMaxCountries > 0)
	if useClient {
		keys = append(keys, clientKey(client))
	}
	slot := now.Truncate(g.slot)
	ad := &admission{}
	fn := func(es []*store.GuardEntry) error {
		*ad = admission{blocked: stateless, slot: slot}
		for _, e := range es {
			g.prune(e, now)
		}
		p, c := es[0], es[1]
		block := func(b *BlockedError) {
			if ad.blocked == nil {
				ad.blocked = b
			}
		}
		if now.Before(p.BlockedUntil) {
			block(&BlockedError{Reason: GuardReason(p.BlockReason), Detail: "prefix " + prefix + " is blocked", Until: p.BlockedUntil})
		}
		if now.Before(c.BlockedUntil) {
			block(&BlockedError{Reason: GuardReason(c.BlockReason), Detail: regionName(region) + " is blocked", Until: c.BlockedUntil})
		}
		pSent, pVerified := count(p)
		if g.PrefixMaxSends > 0 && pSent >= g.PrefixMaxSends {
			block(&BlockedError{Reason: ReasonPrefixVelocity, Detail: fmt.Sprintf("%d sends to %s in %v", pSent, prefix, g.Window), Until: g.freeAt(p, g.PrefixMaxSends)})
		}
		if n, _ := count(c); g.CountryMaxSends > 0 && n >= g.CountryMaxSends {
			block(&BlockedError{Reason: ReasonCountry, Detail: fmt.Sprintf("%d sends to %s in %v", n, regionName(region), g.Window), Until: g.freeAt(c, g.CountryMaxSends)})
		}
		i := 2
		if g.MaxSends > 0 {
			if n, _ := count(es[i]); n >= g.MaxSends {
				block(&BlockedError{Reason: ReasonBudget, Detail: fmt.Sprintf("%d sends in %v", n, g.Window), Until: g.freeAt(es[i], g.MaxSends)})
			}
			i++
		}
		if useClient {
			k := es[i]
			if n, _ := count(k); g.ClientMaxSends > 0 && n >= g.ClientMaxSends {
				block(&BlockedError{Reason: ReasonClient, Detail: fmt.Sprintf("%d sends from this client in %v", n, g.Window), Until: g.freeAt(k, g.ClientMaxSends)})
			}
			if _, seen := k.Members[region]; g.ClientMaxCountries > 0 && !seen && len(k.Members) >= g.ClientMaxCountries {
				block(&BlockedError{Reason: ReasonClient, Detail: fmt.Sprintf("this client reached %d countries in %v", len(k.Members), g.Window)})
			}
		}
		if mature := g.matureSent(p, now); g.MinConversion > 0 && mature >= g.MinSample && float64(min(pVerified, mature)) < g.MinConversion*float64(mature) {
			b := &BlockedError{Reason: ReasonConversion, Detail: fmt.Sprintf("%d of %d codes to %s verified", min(pVerified, mature), mature, prefix), Until: now.Add(g.BlockFor)}
			block(b)
			if g.Mode == GuardEnforce && !now.Before(p.BlockedUntil) {
				p.BlockedUntil, p.BlockReason = b.Until, string(ReasonConversion)
				g.setExpires(p, now)
			}
		}
		if ad.blocked != nil && g.Mode == GuardEnforce {
			return nil
		}
		if !g.counting {
			return nil
		}
		for j, e := range es {
			g.add(e, slot, 1, 0)
			if useClient && j == len(es)-1 {
				if e.Members == nil {
					e.Members = map[string]time.Time{}
				}
				e.Members[region] = now
			}
			g.setExpires(e, now)
		}
		ad.keys = keys
		return nil
	}
	return ad, &store.GuardStep{Now: now, Keys: keys, Fn: func(es []*store.GuardEntry) (bool, error) {
		err := fn(es)
		return err == nil && (ad.blocked == nil || g.Mode != GuardEnforce), err
	}}
}

// release takes back the counts of a send that did not happen. It is
// best effort: a count it cannot take back errs on the side of refusing.
func (s *Service) release(ctx context.Context, now time.Time, ad admission) {
	if len(ad.keys) == 0 {
		return
	}
	_ = s.gstore.UpdateGuard(ctx, now, ad.keys, func(es []*store.GuardEntry) error {
		for _, e := range es {
			for i := range e.Slots {
				if e.Slots[i].Start.Equal(ad.slot) && e.Slots[i].Sent > 0 {
					e.Slots[i].Sent--
				}
			}
			s.guard.prune(e, now)
		}
		return nil
	})
}

// verifiedStep counts a verified code against its prefix, for the
// conversion rule and the report: the store step of [Service.check], nil if
// the guard counts nothing.
func (s *Service) verifiedStep(now time.Time, number string) *store.GuardStep {
	g := s.guard
	if g == nil || s.gstore == nil || !g.counting {
		return nil
	}
	slot := now.Truncate(g.slot)
	return &store.GuardStep{Now: now, Keys: []string{prefixKey(g.prefixOf(number))}, Fn: func(es []*store.GuardEntry) (bool, error) {
		g.prune(es[0], now)
		if len(es[0].Slots) == 0 {
			return true, nil // its sends left the window
		}
		g.add(es[0], slot, 0, 1)
		g.setExpires(es[0], now)
		return true, nil
	}}
}

func regionName(r string) string {
	if r == "" || r == "ZZ" {
		return "an unknown country"
	}
	return r
}

// ErrNoGuardStore is returned, wrapped, when the guard's counting rules or
// blocks are asked of a store that does not implement [store.GuardStore].
var ErrNoGuardStore = errors.New("the store does not keep the abuse guard's state")

// ParseGuardTarget reads what an operator blocks: a prefix ("+1201555",
// digits after "+") or a country ("US"). It returns the guard entry key.
func ParseGuardTarget(target string) (key string, err error) {
	t := strings.TrimSpace(target)
	switch {
	case len(t) > 1 && t[0] == '+' && strings.Trim(t[1:], "0123456789") == "" && len(t) <= 16:
		return prefixKey(t), nil
	case len(t) == 2 && ValidRegion(t):
		return countryKey(strings.ToUpper(t)), nil
	}
	return "", fmt.Errorf("%w: %q is neither a prefix (+1201555) nor a country (US)", ErrInvalidOptions, target)
}

// Block makes the guard refuse sends to target (a prefix or a country, see
// [ParseGuardTarget]) for d, with reason "manual"; Unblock (d <= 0) lifts
// any block on it, manual or automatic.
func (s *Service) Block(ctx context.Context, target string, d time.Duration) error {
	key, err := ParseGuardTarget(target)
	if err != nil {
		return err
	}
	if s.gstore == nil {
		return fmt.Errorf("%w: %w", ErrStore, ErrNoGuardStore)
	}
	if d > MaxDuration {
		return fmt.Errorf("%w: block for %v is longer than %v", ErrInvalidOptions, d, MaxDuration)
	}
	now := s.opts.Now()
	g := s.guard
	if g == nil {
		g, _ = newGuard(GuardOptions{})
	}
	err = s.gstore.UpdateGuard(ctx, now, []string{key}, func(es []*store.GuardEntry) error {
		e := es[0]
		if d > 0 {
			e.BlockedUntil, e.BlockReason = now.Add(d), string(ReasonManual)
		} else {
			e.BlockedUntil, e.BlockReason = time.Time{}, ""
		}
		g.prune(e, now)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: guard: %w", ErrStore, err)
	}
	return nil
}

// GuardRow is one line of [Service.GuardReport]: a prefix or a country.
type GuardRow struct {
	Target       string      // "+1201555" or "US"
	Kind         string      // "prefix" or "country"
	Sent         int         // sends in the window
	Verified     int         // of those, codes verified
	Conversion   float64     // Verified / Sent (0 when nothing was sent)
	BlockedUntil time.Time   // zero if not blocked
	BlockReason  GuardReason // why, if blocked
}

// GuardReport returns the guard's view of prefixes and countries: their
// sends and verified codes in the window and their blocks, riskiest first
// (blocked, then lowest conversion over the most sends).
func (s *Service) GuardReport(ctx context.Context) ([]GuardRow, error) {
	if s.gstore == nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, ErrNoGuardStore)
	}
	now := s.opts.Now()
	g := s.guard
	if g == nil {
		g, _ = newGuard(GuardOptions{})
	}
	var rows []GuardRow
	err := s.gstore.ScanGuard(ctx, now, func(key string, e store.GuardEntry) error {
		kind, target, ok := strings.Cut(key, ":")
		if !ok || (kind != "p" && kind != "c") {
			return nil
		}
		g.prune(&e, now)
		r := GuardRow{Target: target, Kind: map[string]string{"p": "prefix", "c": "country"}[kind], BlockedUntil: e.BlockedUntil, BlockReason: GuardReason(e.BlockReason)}
		r.Sent, r.Verified = count(&e)
		if r.Sent > 0 {
			r.Conversion = float64(r.Verified) / float64(r.Sent)
		}
		if r.Sent > 0 || !r.BlockedUntil.IsZero() {
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: guard: %w", ErrStore, err)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ab, bb := !a.BlockedUntil.IsZero(), !b.BlockedUntil.IsZero(); ab != bb {
			return ab
		}
		if ra, rb := float64(a.Sent-a.Verified), float64(b.Sent-b.Verified); ra != rb {
			return ra > rb
		}
		return a.Target < b.Target
	})
	return rows, nil
}
