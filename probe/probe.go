// Package probe checks SMS routes by what arrived, not by what the provider
// reports: it sends a probe text through a delivery route to a number the
// caller owns, reads the inbound message back through a [Receiver] (the
// receiving provider's API, or its signed inbound webhooks), and judges
// each probe: arrived, how fast, from which sender, intact, and whether the
// delivery receipt told the truth.
package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"
)

// DefaultTemplate is the probe text used when the configuration sets no
// probe template. It
// must not look like a one-time code: since February 2024 Twilio redacts
// and fails inbound messages that look like OTPs (error 30038).
const DefaultTemplate = "otpkit route check {{.Nonce}}"

// ErrNotArrived is returned, wrapped, by [Wait] when no matching message
// arrived before the context ended.
var ErrNotArrived = errors.New("probe message did not arrive")

// ErrTemplate is returned, wrapped, for a probe template that does not
// render, carries no nonce or looks like a one-time code.
var ErrTemplate = errors.New("probe template")

// Inbound is one message as the receiving side saw it.
type Inbound struct {
	ID   string    // the receiving provider's id
	From string    // the sender as it arrived
	To   string    // the owned number it arrived at
	Body string    // the text as it arrived
	At   time.Time // when the receiving provider got it (its own timestamp)
}

// Receiver reads the messages that arrived at an owned number.
type Receiver interface {
	// Inbound returns the messages that arrived at to since the given time,
	// oldest first. It must be safe for concurrent use.
	Inbound(ctx context.Context, to string, since time.Time) ([]Inbound, error)
}

// nonceLetters are the letters of a nonce: lower-case consonants, so that a
// nonce has no digit (it never reads as a code) and spells no word.
const nonceLetters = "bcdfghjkmnpqrstvwxz"

// NonceLength is the length of a [Nonce]: 12 letters of 19, 51 bits.
const NonceLength = 12

// Nonce returns a random probe nonce: [NonceLength] lower-case consonants,
// never a digit, so that a probe text never looks like a one-time code.
func Nonce() (string, error) {
	var b [NonceLength]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("probe nonce: %w", err)
	}
	// 256 is not a multiple of 19: the bias (under 1%) costs a few bits of 51.
	for i := range b {
		b[i] = nonceLetters[int(b[i])%len(nonceLetters)]
	}
	return string(b[:]), nil
}

// codeLike matches what makes a text look like a one-time code to the
// filters of receiving carriers and providers (Twilio's error 30038): a
// group of four or more digits, or the words such messages use.
var codeLike = regexp.MustCompile(`(?i)\d(?:[ -]?\d){3,}|\b(?:code|codes|otp|passcode|password|pin|verification|verify|one[- ]time|2fa|mfa|login|token)\b`)

// LooksLikeCode reports whether a text looks like a one-time code message:
// four or more digits in a row (spaces and dashes allowed between them),
// or words such as "code", "verification", "OTP" or "PIN". Twilio has
// failed and redacted inbound messages that look like one-time codes since
// February 2024 (error 30038), so a probe text must not.
func LooksLikeCode(text string) bool { return codeLike.MatchString(text) }

// CheckTemplate checks a probe template ("" is [DefaultTemplate]): it must
// render, carry {{.Nonce}}, and not look like a one-time code
// ([LooksLikeCode]) whatever the nonce.
func CheckTemplate(tmpl string) error {
	text, err := Render(tmpl, strings.Repeat("x", NonceLength))
	if err != nil {
		return err
	}
	if LooksLikeCode(text) {
		if tmpl == "" {
			tmpl = DefaultTemplate
		}
		return fmt.Errorf("%w: %q looks like a one-time code (digits, or words such as \"code\"); receiving providers filter such texts (Twilio error 30038)", ErrTemplate, tmpl)
	}
	return nil
}

// Render renders a probe template with the nonce. The result must contain
// the nonce, so that the probe can be recognised when it arrives.
func Render(tmpl, nonce string) (string, error) {
	if tmpl == "" {
		tmpl = DefaultTemplate
	}
	t, err := template.New("probe").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, struct{ Nonce string }{nonce}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(nonce)) {
		return "", fmt.Errorf("%w: the text must contain {{.Nonce}}", ErrTemplate)
	}
	return buf.String(), nil
}

// Verdict is the judgement of one probe.
type Verdict string

// The verdicts, from best to worst.
const (
	OK         Verdict = "ok"          // arrived intact, in time, from the sender sent
	Slow       Verdict = "slow"        // arrived intact, later than the allowed latency
	Altered    Verdict = "altered"     // arrived with another sender or text
	NotArrived Verdict = "not_arrived" // nothing arrived, and the receipt did not say delivered
	FakeDLR    Verdict = "fake_dlr"    // the receipt says delivered, nothing arrived
)

// Meaning says in words what the verdict means.
func (v Verdict) Meaning() string {
	switch v {
	case OK:
		return "arrived from the sender, with the text sent, in time"
	case Slow:
		return "arrived intact, later than the allowed latency"
	case Altered:
		return "arrived with another sender or a changed text"
	case NotArrived:
		return "nothing arrived"
	case FakeDLR:
		return "the receipt says delivered, but nothing arrived"
	}
	return string(v)
}

// AllVerdicts returns every verdict in report order.
func AllVerdicts() []Verdict { return []Verdict{OK, Slow, Altered, NotArrived, FakeDLR} }

// DLR is what the sending provider's delivery receipt said.
type DLR string

// The receipt states.
const (
	DLRDelivered DLR = "delivered"
	DLRFailed    DLR = "failed"
	DLRUnknown   DLR = "unknown"
)

// Route names where a probe was sent.
type Route struct {
	Provider string `json:"provider"`
	Channel  string `json:"channel"`
}

// Result is the outcome of one probe.
type Result struct {
	To              string  `json:"to"`
	Probe           int     `json:"probe"` // 1..count
	Route           Route   `json:"route"`
	MessageID       string  `json:"message_id"`
	DLR             DLR     `json:"dlr"`
	Arrived         bool    `json:"arrived"`
	LatencyMS       *int64  `json:"latency_ms"`
	FromSeen        string  `json:"from_seen"`
	SenderPreserved bool    `json:"sender_preserved"`
	BodyIntact      bool    `json:"body_intact"`
	Verdict         Verdict `json:"verdict"`
	// Verified is set by an end-to-end check with a real code (otp probe
	// --otp): whether the code read back verified.
	Verified *bool  `json:"verified,omitempty"`
	Error    string `json:"error,omitempty"`
	// Err is the error behind Error: wrapping [ErrSend] when no route took
	// the probe, [ErrReceive] when the receiving side could not be read.
	Err error `json:"-"`
}

// Judge fills in a result's verdict and derived fields from what was sent
// (body, from: the sender the route should show; "" when unknown), when
// it was sent, the receipt, and what arrived (nil: nothing).
func Judge(r *Result, body, from string, sent time.Time, got *Inbound, maxLatency time.Duration) {
	r.Arrived = got != nil
	if got == nil {
		r.Verdict = NotArrived
		if r.DLR == DLRDelivered {
			r.Verdict = FakeDLR
		}
		return
	}
	lat := max(got.At.Sub(sent), 0)
	ms := lat.Milliseconds()
	r.LatencyMS = &ms
	r.FromSeen = got.From
	r.SenderPreserved = from == "" || got.From == from
	r.BodyIntact = got.Body == body
	switch {
	case !r.SenderPreserved || !r.BodyIntact:
		r.Verdict = Altered
	case maxLatency > 0 && lat > maxLatency:
		r.Verdict = Slow
	default:
		r.Verdict = OK
	}
}

// Summary sums up a run of probes.
type Summary struct {
	Sent     int             `json:"sent"`
	Arrived  int             `json:"arrived"`
	Verdicts map[Verdict]int `json:"verdicts"`
	P50MS    *int64          `json:"latency_p50_ms"`
	P95MS    *int64          `json:"latency_p95_ms"`
	MaxMS    *int64          `json:"latency_max_ms"`
}

// OK reports whether every probe's verdict is ok.
func (s Summary) OK() bool { return s.Sent > 0 && s.Verdicts[OK] == s.Sent }

// Summarize counts the results and computes the latency percentiles of
// the probes that arrived (nearest rank).
func Summarize(results []Result) Summary {
	s := Summary{Verdicts: map[Verdict]int{}}
	for _, v := range AllVerdicts() {
		s.Verdicts[v] = 0
	}
	var lat []int64
	for _, r := range results {
		if r.MessageID != "" || r.Error == "" {
			s.Sent++
		}
		if r.Arrived {
			s.Arrived++
			if r.LatencyMS != nil {
				lat = append(lat, *r.LatencyMS)
			}
		}
		s.Verdicts[r.Verdict]++
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		p50, p95, mx := Percentile(lat, 50), Percentile(lat, 95), lat[len(lat)-1]
		s.P50MS, s.P95MS, s.MaxMS = &p50, &p95, &mx
	}
	return s
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, which must not be empty.
func Percentile(sorted []int64, p float64) int64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
