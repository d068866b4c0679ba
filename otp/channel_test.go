package otp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
)

// Numbers of each line type (fictional ranges that libphonenumber accepts).
const (
	ukFixed  = "+442079460018" // London, fixed line
	auMobile = "+61491570156"  // Australia, mobile
	usNumber = "+12015550123"  // US: fixed line or mobile
	tollFree = "+18005550100"
)

func TestChannelFor(t *testing.T) {
	tests := []struct {
		number string
		want   delivery.Channel
	}{
		{ukFixed, delivery.Voice},
		{auMobile, delivery.SMS},
		{usNumber, delivery.SMS},
		{tollFree, delivery.SMS},
		{"not a number", delivery.SMS},
	}
	for _, tt := range tests {
		if got := otp.ChannelFor(tt.number); got != tt.want {
			t.Errorf("ChannelFor(%s) = %s, want %s", tt.number, got, tt.want)
		}
	}
}

func TestParseChannel(t *testing.T) {
	for _, s := range []string{"sms", "voice", "auto"} {
		if ch, err := delivery.ParseChannel(s); err != nil || string(ch) != s {
			t.Errorf("ParseChannel(%q) = %q, %v", s, ch, err)
		}
	}
	if _, err := delivery.ParseChannel("fax"); !errors.Is(err, delivery.ErrUnknownChannel) || !strings.Contains(err.Error(), "auto") {
		t.Errorf("ParseChannel(fax): %v", err)
	}
}

func TestAutoChannel(t *testing.T) {
	for _, tt := range []struct {
		number string
		want   delivery.Channel
	}{{ukFixed, delivery.Voice}, {auMobile, delivery.SMS}, {usNumber, delivery.SMS}} {
		f := newFixture(t, otp.Options{})
		res, err := f.svc.Send(ctx(), tt.number, delivery.Auto)
		if err != nil {
			t.Fatal(err)
		}
		msg := f.out.last(t)
		if res.Channel != tt.want || msg.Channel != tt.want {
			t.Errorf("auto to %s went by %s (message %s), want %s", tt.number, res.Channel, msg.Channel, tt.want)
		}
		if tt.want == delivery.Voice && !strings.Contains(msg.Body, otp.Spoken(msg.Code)) {
			t.Errorf("a call to a landline did not speak the code: %q", msg.Body)
		}
	}
}

// router is a Sender that refuses the channels in fail, per provider name.
type router struct {
	name string
	mu   sync.Mutex
	fail map[delivery.Channel]error
	msgs []delivery.Message
}

func (r *router) Send(_ context.Context, m delivery.Message) (delivery.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	if err := r.fail[m.Channel]; err != nil {
		return delivery.Receipt{}, err
	}
	return delivery.Receipt{Provider: r.name, ID: r.name + "-" + string(m.Channel), Status: "queued"}, nil
}

func newRouted(t *testing.T, sender delivery.Sender, opts otp.Options) *otp.Service {
	t.Helper()
	clk := newClock()
	opts.Now, opts.Secret = clk.now, secret()
	svc, err := otp.New(context.Background(), memstore.New(), sender, opts)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestFallbackSameCode(t *testing.T) {
	smsErr := &delivery.ProviderError{Provider: "twilio", Code: "21614", Message: "not a mobile number"}
	r := &router{name: "twilio", fail: map[delivery.Channel]error{delivery.SMS: smsErr}}
	svc := newRouted(t, r, otp.Options{Fallback: []delivery.Channel{delivery.Voice}})
	res, err := svc.Send(ctx(), usNumber, delivery.SMS)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.msgs) != 2 || r.msgs[0].Channel != delivery.SMS || r.msgs[1].Channel != delivery.Voice {
		t.Fatalf("messages %+v, want an SMS then a call", r.msgs)
	}
	code := r.msgs[0].Code
	if r.msgs[1].Code != code || !strings.Contains(r.msgs[1].Body, otp.Spoken(code)) || !strings.Contains(r.msgs[0].Body, code) {
		t.Errorf("the call does not carry the SMS's code in its own template: %+v", r.msgs)
	}
	if res.Channel != delivery.Voice || res.Provider != "twilio" || res.MessageID != "twilio-voice" ||
		len(res.Attempts) != 1 || res.Attempts[0].Channel != delivery.SMS || res.Attempts[0].Provider != "twilio" || res.Attempts[0].Err != smsErr {
		t.Errorf("SendResult %+v", res)
	}
	// Counted once: 4 sends left of 5.
	if res.SendsLeft != 4 {
		t.Errorf("SendsLeft = %d, want 4", res.SendsLeft)
	}
	if _, err := svc.Verify(ctx(), usNumber, code); err != nil {
		t.Errorf("the code both routes carried: %v", err)
	}
}

func TestFallbackAcrossProviders(t *testing.T) {
	// SMS fails on both providers, the call fails on the first: the second
	// provider's call delivers, and the three failures are reported in order.
	e1 := &delivery.ProviderError{Provider: "twilio", Code: "21608", Message: "unverified"}
	e2 := &delivery.ProviderError{Provider: "telnyx", Code: "40001", Message: "not routable"}
	e3 := errors.New("twilio: request failed: connection refused")
	a := &router{name: "twilio", fail: map[delivery.Channel]error{delivery.SMS: e1, delivery.Voice: e3}}
	b := &router{name: "telnyx", fail: map[delivery.Channel]error{delivery.SMS: e2}}
	f := delivery.NewFailover(delivery.Route{Provider: "twilio", Sender: a}, delivery.Route{Provider: "telnyx", Sender: b})
	svc := newRouted(t, f, otp.Options{Fallback: []delivery.Channel{delivery.SMS, delivery.Voice}})
	res, err := svc.Send(ctx(), usNumber, delivery.SMS)
	if err != nil {
		t.Fatal(err)
	}
	want := []delivery.Attempt{{Provider: "twilio", Channel: delivery.SMS, Err: e1}, {Provider: "telnyx", Channel: delivery.SMS, Err: e2}, {Provider: "twilio", Channel: delivery.Voice, Err: e3}}
	if res.Provider != "telnyx" || res.Channel != delivery.Voice || len(res.Attempts) != len(want) {
		t.Fatalf("SendResult %+v", res)
	}
	for i := range want {
		if res.Attempts[i] != want[i] {
			t.Errorf("attempt %d = %+v, want %+v", i, res.Attempts[i], want[i])
		}
	}
}

func TestAllRoutesFail(t *testing.T) {
	e1 := &delivery.ProviderError{Provider: "twilio", Code: "21614", Message: "not a mobile number"}
	e2 := &delivery.ProviderError{Provider: "twilio", Code: "21219", Message: "unverified"}
	r := &router{name: "twilio", fail: map[delivery.Channel]error{delivery.SMS: e1, delivery.Voice: e2}}
	svc := newRouted(t, r, otp.Options{Fallback: []delivery.Channel{delivery.Voice}, ResendAfter: -1, MaxSends: 1})
	_, err := svc.Send(ctx(), usNumber, delivery.SMS)
	var de *otp.DeliveryError
	var pe *delivery.ProviderError
	if !errors.Is(err, otp.ErrDelivery) || !errors.As(err, &de) || len(de.Attempts) != 2 || !errors.As(err, &pe) || !errors.Is(err, e2) {
		t.Fatalf("err = %v", err)
	}
	if want := "delivery failed: sms: twilio 21614: not a mobile number; then voice: twilio 21219: unverified"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if k, _ := otp.KindOf(err); k.Name != "delivery_failed" {
		t.Errorf("KindOf = %q", k.Name)
	}
	// Not counted: the only send of the window is still available.
	r.fail = nil
	if _, err := svc.Send(ctx(), usNumber, delivery.SMS); err != nil {
		t.Errorf("send after a failed one with max_sends 1: %v", err)
	}
}

func TestFallbackSkipsTheChannelTried(t *testing.T) {
	r := &router{name: "p", fail: map[delivery.Channel]error{delivery.Voice: errors.New("p: no")}}
	svc := newRouted(t, r, otp.Options{Fallback: []delivery.Channel{delivery.Voice, delivery.SMS}})
	res, err := svc.Send(ctx(), ukFixed, delivery.Auto) // auto: voice first, fails; then sms
	if err != nil || res.Channel != delivery.SMS || len(r.msgs) != 2 {
		t.Fatalf("Send = %+v, %v after %d messages", res, err, len(r.msgs))
	}
	if len(res.Attempts) != 1 || res.Attempts[0].Provider != "" || res.Attempts[0].Channel != delivery.Voice {
		t.Errorf("attempts %+v", res.Attempts)
	}
}

func TestFallbackCanceled(t *testing.T) {
	c, cancel := context.WithCancel(ctx())
	r := &router{name: "p", fail: map[delivery.Channel]error{delivery.SMS: errors.New("p: no")}}
	svc := newRouted(t, &cancelOnSend{r, cancel}, otp.Options{Fallback: []delivery.Channel{delivery.Voice}})
	if _, err := svc.Send(c, usNumber, delivery.SMS); !errors.Is(err, otp.ErrDelivery) || len(r.msgs) != 1 {
		t.Errorf("Send after cancel: %v, %d messages", err, len(r.msgs))
	}
}

type cancelOnSend struct {
	*router
	cancel func()
}

func (c *cancelOnSend) Send(ctx context.Context, m delivery.Message) (delivery.Receipt, error) {
	defer c.cancel()
	return c.router.Send(ctx, m)
}

func TestFallbackOptions(t *testing.T) {
	if err := (otp.Options{Fallback: []delivery.Channel{delivery.Auto}}).Validate(); !errors.Is(err, otp.ErrInvalidOptions) {
		t.Errorf("fallback auto: %v", err)
	}
	if err := (otp.Options{Fallback: []delivery.Channel{"fax"}}).Validate(); !errors.Is(err, otp.ErrInvalidOptions) {
		t.Errorf("fallback fax: %v", err)
	}
}
