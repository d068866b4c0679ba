package otp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery/console"
	"github.com/otpkit/otpkit/internal/testclock"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/memstore"
)

const (
	num     = "+12015550123"
	numRead = "+1 (201) 555-0123"
)

// capture is a delivery.Sender that keeps the messages, or fails when err is set.
type capture struct {
	mu   sync.Mutex
	msgs []delivery.Message
	err  error
}

func (c *capture) Send(ctx context.Context, m delivery.Message) (delivery.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return delivery.Receipt{}, c.err
	}
	c.msgs = append(c.msgs, m)
	return delivery.Receipt{Provider: "capture", ID: "m" + string(rune('0'+len(c.msgs))), Status: "queued"}, nil
}

func (c *capture) last(t *testing.T) delivery.Message {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		t.Fatal("no message was sent")
	}
	return c.msgs[len(c.msgs)-1]
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{testclock.Base().Truncate(time.Millisecond)} }
func secret() []byte                 { return []byte("0123456789abcdef0123456789abcdef") }
func ctx() context.Context           { return context.Background() }

type fixture struct {
	svc   *otp.Service
	store store.Store
	out   *capture
	clk   *clock
}

func newFixture(t *testing.T, opts otp.Options) *fixture {
	t.Helper()
	f := &fixture{store: memstore.New(), out: &capture{}, clk: newClock()}
	opts.Now = f.clk.now
	if opts.Secret == nil {
		opts.Secret = secret()
	}
	svc, err := otp.New(context.Background(), f.store, f.out, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) send(t *testing.T) string {
	t.Helper()
	if _, err := f.svc.Send(ctx(), numRead, delivery.SMS); err != nil {
		t.Fatalf("Send: %v", err)
	}
	return f.out.last(t).Code
}

func TestSendVerify(t *testing.T) {
	f := newFixture(t, otp.Options{})
	res, err := f.svc.Send(ctx(), numRead, delivery.SMS)
	if err != nil {
		t.Fatal(err)
	}
	msg := f.out.last(t)
	if msg.To != num || msg.Channel != delivery.SMS || len(msg.Code) != 6 {
		t.Fatalf("message %+v", msg)
	}
	if want := "Your otpkit code is " + msg.Code + ". It expires in 10 minutes."; msg.Body != want {
		t.Fatalf("body %q, want %q", msg.Body, want)
	}
	start := f.clk.now()
	if res.To != num || res.Provider != "capture" || res.MessageID != "m1" || res.ProviderStatus != "queued" ||
		!res.ExpiresAt.Equal(start.Add(10*time.Minute)) || !res.NextSendAt.Equal(start.Add(30*time.Second)) || res.SendsLeft != 4 {
		t.Fatalf("SendResult %+v", res)
	}
	f.clk.add(time.Minute)
	vr, err := f.svc.Verify(ctx(), "+1 201-555-0123", " "+msg.Code[:3]+"-"+msg.Code[3:])
	if err != nil || vr.Verdict != otp.Approved || vr.To != num || vr.AttemptsLeft != 5 {
		t.Fatalf("Verify = %+v, %v", vr, err)
	}
	// Single use.
	vr, err = f.svc.Verify(ctx(), num, msg.Code)
	if !errors.Is(err, otp.ErrUsed) || vr.Verdict != otp.NotFound {
		t.Fatalf("second Verify = %+v, %v; want ErrUsed", vr, err)
	}
}

func TestCodeIsNotStored(t *testing.T) {
	f := newFixture(t, otp.Options{})
	code := f.send(t)
	rec, ok, err := f.store.Get(ctx(), num)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	plain := sha256.Sum256([]byte(code))
	if bytes.Contains(rec.Hash, []byte(code)) || bytes.Equal(rec.Hash, plain[:]) || len(rec.Hash) != 32 {
		t.Fatalf("stored hash %x reveals the code", rec.Hash)
	}
	// Another secret cannot verify it: the hash is keyed. A store that
	// keeps the key's fingerprint refuses the other secret outright...
	_, err = otp.New(context.Background(), f.store, f.out, otp.Options{Secret: []byte("another secret, 16+ bytes"), Now: f.clk.now})
	if !errors.Is(err, otp.ErrStore) || !errors.Is(err, store.ErrKeyMismatch) {
		t.Fatalf("New under another secret: %v, want ErrStore and ErrKeyMismatch", err)
	}
	// ...and one that does not gets a wrong code.
	other, err := otp.New(context.Background(), noKeyCheck{f.store}, f.out, otp.Options{Secret: []byte("another secret, 16+ bytes"), Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(ctx(), num, code); !errors.Is(err, otp.ErrWrongCode) {
		t.Fatalf("Verify under another secret: %v, want ErrWrongCode", err)
	}
}

// noKeyCheck hides a store's KeyChecker.
type noKeyCheck struct{ store.Store }

func TestWrongTriesAndLockout(t *testing.T) {
	f := newFixture(t, otp.Options{})
	code := f.send(t)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for left := 4; left >= 1; left-- {
		vr, err := f.svc.Verify(ctx(), num, wrong)
		if !errors.Is(err, otp.ErrWrongCode) || vr.Verdict != otp.Rejected || vr.AttemptsLeft != left {
			t.Fatalf("wrong try: %+v, %v; want rejected with %d left", vr, err, left)
		}
		if !strings.Contains(err.Error(), "left") {
			t.Fatalf("error %q does not say how many tries are left", err)
		}
	}
	vr, err := f.svc.Verify(ctx(), num, wrong)
	var re *otp.RetryError
	if !errors.Is(err, otp.ErrLocked) || !errors.As(err, &re) || vr.Verdict != otp.Locked || re.RetryAfter() != 10*time.Minute {
		t.Fatalf("5th wrong try: %+v, %v; want locked for 10m", vr, err)
	}
	// Not even the right code passes while locked, and sends are refused.
	if vr, err := f.svc.Verify(ctx(), num, code); !errors.Is(err, otp.ErrLocked) || vr.Verdict != otp.Locked {
		t.Fatalf("right code while locked: %+v, %v", vr, err)
	}
	f.clk.add(time.Minute)
	_, err = f.svc.Send(ctx(), num, delivery.SMS)
	if !errors.As(err, &re) || !errors.Is(err, otp.ErrLocked) || re.RetryAfter() != 9*time.Minute {
		t.Fatalf("send while locked: %v", err)
	}
	f.clk.add(9 * time.Minute)
	if _, err := f.svc.Verify(ctx(), num, code); !errors.Is(err, otp.ErrNotFound) {
		t.Fatalf("burned code after the lock: %v, want ErrNotFound", err)
	}
	code = f.send(t)
	if _, err := f.svc.Verify(ctx(), num, code); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, otp.Options{TTL: 2 * time.Minute})
	code := f.send(t)
	if !strings.Contains(f.out.last(t).Body, "expires in 2 minutes") {
		t.Fatalf("body %q does not give the TTL", f.out.last(t).Body)
	}
	f.clk.add(2 * time.Minute)
	vr, err := f.svc.Verify(ctx(), num, code)
	if !errors.Is(err, otp.ErrExpired) || vr.Verdict != otp.Expired {
		t.Fatalf("Verify at expiry: %+v, %v", vr, err)
	}
}

func TestResendLimits(t *testing.T) {
	f := newFixture(t, otp.Options{})
	first := f.send(t)
	f.clk.add(10 * time.Second)
	_, err := f.svc.Send(ctx(), num, delivery.SMS)
	var re *otp.RetryError
	if !errors.As(err, &re) || !errors.Is(err, otp.ErrRateLimited) || re.RetryAfter() != 20*time.Second {
		t.Fatalf("resend within 30s: %v", err)
	}
	if !strings.Contains(err.Error(), "retry in 20s") {
		t.Fatalf("error %q does not say when to retry", err)
	}
	f.clk.add(20 * time.Second)
	second := f.send(t)
	// The new code replaces the previous one.
	if first != second {
		if _, err := f.svc.Verify(ctx(), num, first); !errors.Is(err, otp.ErrWrongCode) {
			t.Fatalf("old code after resend: %v, want ErrWrongCode", err)
		}
	}
	for range 3 {
		f.clk.add(30 * time.Second)
		f.send(t)
	}
	f.clk.add(30 * time.Second) // 2m30s after the first of 5 sends
	_, err = f.svc.Send(ctx(), num, delivery.SMS)
	if !errors.As(err, &re) || !errors.Is(err, otp.ErrRateLimited) || re.RetryAfter() != time.Hour-150*time.Second {
		t.Fatalf("6th send in an hour: %v", err)
	}
}

func TestInfo(t *testing.T) {
	f := newFixture(t, otp.Options{})
	in, err := f.svc.Info(ctx(), numRead)
	if err != nil || in.Pending || !in.NextSendAt.IsZero() || in.AttemptsLeft != 5 {
		t.Fatalf("Info before a send = %+v, %v", in, err)
	}
	f.send(t)
	f.svc.Verify(ctx(), num, "x1") // invalid input: not counted
	f.svc.Verify(ctx(), num, "99999999")
	start := f.clk.now()
	f.clk.add(5 * time.Second)
	in, err = f.svc.Info(ctx(), num)
	if err != nil || !in.Pending || !in.ExpiresAt.Equal(start.Add(10*time.Minute)) || in.AttemptsLeft != 4 || !in.NextSendAt.Equal(start.Add(30*time.Second)) {
		t.Fatalf("Info after a send and a wrong try = %+v, %v", in, err)
	}
}

func TestDeliveryFailureWithdrawsCode(t *testing.T) {
	f := newFixture(t, otp.Options{})
	f.out.err = errors.New("provider said no")
	_, err := f.svc.Send(ctx(), num, delivery.SMS)
	if !errors.Is(err, otp.ErrDelivery) || !strings.Contains(err.Error(), "provider said no") {
		t.Fatalf("Send with a failing provider: %v", err)
	}
	if _, ok, _ := f.store.Get(ctx(), num); ok {
		t.Fatal("a failed delivery left a record")
	}
	// No cooldown: the failed send was not counted.
	f.out.err = nil
	code := f.send(t)
	if _, err := f.svc.Verify(ctx(), num, code); err != nil {
		t.Fatal(err)
	}
}

func TestVoiceSpeaksDigits(t *testing.T) {
	f := newFixture(t, otp.Options{AppName: "Acme"})
	if _, err := f.svc.Send(ctx(), num, delivery.Voice); err != nil {
		t.Fatal(err)
	}
	msg := f.out.last(t)
	if want := "Your Acme code is: " + otp.Spoken(msg.Code) + "."; msg.Body != want || msg.Channel != delivery.Voice {
		t.Fatalf("voice body %q, want %q", msg.Body, want)
	}
}

func TestHexCodes(t *testing.T) {
	f := newFixture(t, otp.Options{Format: otp.Hex, Length: 8})
	code := f.send(t)
	if len(code) != 8 || strings.ToUpper(code) != code {
		t.Fatalf("hex code %q", code)
	}
	if _, err := f.svc.Verify(ctx(), num, strings.ToLower(code[:4])+" "+code[4:]); err != nil {
		t.Fatalf("lower-case hex with a space: %v", err)
	}
}

func TestInvalidInput(t *testing.T) {
	f := newFixture(t, otp.Options{})
	f.send(t)
	if _, err := f.svc.Send(ctx(), "+1 555 123 4567", delivery.SMS); !errors.Is(err, otp.ErrInvalidNumber) {
		t.Errorf("Send to an invalid number: %v", err)
	}
	if _, err := f.svc.Send(ctx(), "(201) 555-0123", delivery.SMS); !errors.Is(err, otp.ErrInvalidNumber) {
		t.Errorf("Send to a national number without a default region: %v", err)
	}
	if _, err := f.svc.Send(ctx(), num, "fax"); !errors.Is(err, otp.ErrInvalidOptions) {
		t.Errorf("Send over channel fax: %v", err)
	}
	for range 10 {
		if _, err := f.svc.Verify(ctx(), num, "12a4!6"); !errors.Is(err, otp.ErrInvalidCode) {
			t.Fatalf("Verify of a malformed code: %v", err)
		}
	}
	// Malformed input is not a try.
	if in, _ := f.svc.Info(ctx(), num); in.AttemptsLeft != 5 {
		t.Fatalf("malformed codes counted as tries: %d left", in.AttemptsLeft)
	}
}

func TestDefaultRegion(t *testing.T) {
	f := newFixture(t, otp.Options{DefaultRegion: "US"})
	if _, err := f.svc.Send(ctx(), "(201) 555-0123", delivery.SMS); err != nil {
		t.Fatal(err)
	}
	if got := f.out.last(t).To; got != num {
		t.Fatalf("sent to %q, want %q", got, num)
	}
}

func TestNewOptions(t *testing.T) {
	bad := []struct {
		name string
		opts otp.Options
		msg  string
	}{
		{"length", otp.Options{Length: 3}, "length"},
		{"format", otp.Options{Format: 9}, "format"},
		{"ttl", otp.Options{TTL: time.Millisecond}, "ttl"},
		{"region", otp.Options{DefaultRegion: "XX"}, "region"},
		{"no code in sms", otp.Options{SMSTemplate: "Hello from {{.AppName}}"}, "does not include the code"},
		{"no code in voice", otp.Options{VoiceTemplate: "Hello"}, "does not include the code"},
		{"bad field", otp.Options{SMSTemplate: "{{.Code}} {{.Nope}}"}, "Nope"},
		{"syntax", otp.Options{SMSTemplate: "{{.Code"}, "sms template"},
		{"short secret", otp.Options{Secret: []byte("short")}, "shorter than 16"},
	}
	for _, tc := range bad {
		_, err := otp.New(context.Background(), memstore.New(), &capture{}, tc.opts)
		if !errors.Is(err, otp.ErrInvalidOptions) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: New = %v; want ErrInvalidOptions mentioning %q", tc.name, err, tc.msg)
		}
	}
	// Without a secret the store's own key is used.
	st := memstore.New()
	a, err := otp.New(context.Background(), st, &capture{}, otp.Options{Now: testclock.Base})
	if err != nil {
		t.Fatal(err)
	}
	out := &capture{}
	b, _ := otp.New(context.Background(), st, out, otp.Options{Now: testclock.Base})
	if _, err := b.Send(ctx(), num, delivery.SMS); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx(), num, out.last(t).Code); err != nil {
		t.Fatalf("two services on one keeper store disagree on the key: %v", err)
	}
	// Limits off.
	f := newFixture(t, otp.Options{MaxAttempts: -1, ResendAfter: -1, MaxSends: -1})
	var code string
	for range 20 {
		code = f.send(t)
	}
	for range 20 {
		if vr, err := f.svc.Verify(ctx(), num, "99999999"); !errors.Is(err, otp.ErrWrongCode) || vr.AttemptsLeft != -1 {
			t.Fatalf("wrong try with unlimited attempts: %+v, %v", vr, err)
		}
	}
	if _, err := f.svc.Verify(ctx(), num, code); err != nil {
		t.Fatalf("right code after 20 wrong tries with limits off: %v", err)
	}
	if p := f.svc.Policy(); p.MaxAttempts != 0 || p.ResendAfter != 0 || p.MaxSends != 0 || p.Lockout != otp.DefaultLockout {
		t.Fatalf("Policy with limits off = %+v", p)
	}
}

func TestPurge(t *testing.T) {
	f := newFixture(t, otp.Options{})
	code := f.send(t)
	if _, err := f.svc.Verify(ctx(), num, code); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.Purge(ctx())
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if _, err := f.svc.Verify(ctx(), num, code); !errors.Is(err, otp.ErrNotFound) {
		t.Fatalf("Verify after purge: %v", err)
	}
}

func TestErrorKind(t *testing.T) {
	f := newFixture(t, otp.Options{})
	f.send(t)
	_, err := f.svc.Send(ctx(), num, delivery.SMS)
	if k, ok := otp.KindOf(err); !ok || k.Name != "rate_limited" || k.ExitCode != 5 {
		t.Fatalf("KindOf(%v) = %+v, %v", err, k, ok)
	}
	if k, ok := otp.KindOf(errors.New("other")); ok {
		t.Fatalf("KindOf(other) = %+v", k)
	}
	// Every sentinel has one kind, and a kind names one sentinel.
	names := map[string]int{}
	for _, k := range otp.ErrorKinds() {
		if got, _ := otp.KindOf(fmt.Errorf("wrapped: %w", k.Err)); got.Err != k.Err {
			t.Errorf("KindOf(%v) = %q: an earlier kind shadows it", k.Err, got.Name)
		}
		names[k.Name]++
	}
	if names["expired"] != 1 || len(otp.ErrorKinds()) != 12 {
		t.Errorf("kinds %v", names)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Minute:                   "10 minutes",
		time.Minute:                        "1 minute",
		90 * time.Second:                   "1 minute 30 seconds",
		time.Hour + 30*time.Minute:         "1 hour 30 minutes",
		45 * time.Second:                   "45 seconds",
		2*time.Hour + 500*time.Millisecond: "2 hours 1 second",
	} {
		if got := otp.HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestDurationBounds: a lockout of millions of hours would wrap the file
// store's int64 nanoseconds and turn the lock off; it is refused instead.
func TestDurationBounds(t *testing.T) {
	for _, o := range []otp.Options{
		{Lockout: 2_100_000 * time.Hour}, {TTL: otp.MaxDuration + time.Second},
		{ResendAfter: 200 * 365 * 24 * time.Hour}, {SendWindow: otp.MaxDuration * 2},
	} {
		o.Secret = []byte("0123456789abcdef")
		if _, err := otp.New(context.Background(), memstore.New(), console.New(io.Discard), o); !errors.Is(err, otp.ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", o, err)
		}
	}
	if _, err := otp.New(context.Background(), memstore.New(), console.New(io.Discard), otp.Options{Secret: []byte("0123456789abcdef"), Lockout: otp.MaxDuration}); err != nil {
		t.Errorf("a lockout of MaxDuration: %v", err)
	}
}
