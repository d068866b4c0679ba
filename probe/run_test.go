package probe

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/testclock"
)

// route plays a delivery route and the phone at the other end: what it
// does to each message decides what arrives.
type route struct {
	mu    sync.Mutex
	clk   *testclock.Clock
	play  func(m delivery.Message) *Inbound // nil: lost
	inbox []Inbound
}

func (r *route) Send(_ context.Context, m delivery.Message) (delivery.Receipt, error) {
	if r.play == nil {
		return delivery.Receipt{}, errors.New("refused")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if in := r.play(m); in != nil {
		r.inbox = append(r.inbox, *in)
	}
	return delivery.Receipt{Provider: "fake", ID: "M1"}, nil
}

func (r *route) Inbound(_ context.Context, to string, since time.Time) ([]Inbound, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Inbound(nil), r.inbox...), nil
}

func TestRun(t *testing.T) {
	const from, to = "+12015550100", "+12015550123"
	for _, tc := range []struct {
		name string
		play func(clk *testclock.Clock, m delivery.Message) *Inbound
		want Verdict
	}{
		{"honest", func(c *testclock.Clock, m delivery.Message) *Inbound {
			return &Inbound{From: from, To: m.To, Body: m.Body, At: c.Now().Add(3 * time.Second)}
		}, OK},
		{"lost", func(*testclock.Clock, delivery.Message) *Inbound { return nil }, FakeDLR},
		{"short code", func(c *testclock.Clock, m delivery.Message) *Inbound {
			return &Inbound{From: "55555", To: m.To, Body: m.Body, At: c.Now()}
		}, Altered},
		{"slow", func(c *testclock.Clock, m delivery.Message) *Inbound {
			return &Inbound{From: from, To: m.To, Body: m.Body, At: c.Now().Add(2 * time.Minute)}
		}, Slow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := testclock.New()
			r := &route{clk: clk}
			r.play = func(m delivery.Message) *Inbound { return tc.play(clk, m) }
			res := Run(context.Background(), r, r, []string{to}, Options{
				From: func(string) string { return from }, Timeout: 50 * time.Millisecond, MaxLatency: 30 * time.Second, Interval: 5 * time.Millisecond,
				Now: clk.Now, DLR: func(context.Context, string) DLR { return DLRDelivered },
			})
			if res[0].Verdict != tc.want || res[0].MessageID != "M1" {
				t.Fatalf("got %+v, want verdict %s", res[0], tc.want)
			}
		})
	}
	r := &route{}
	res := Run(context.Background(), r, r, []string{to}, Options{Timeout: time.Millisecond, Now: testclock.New().Now})
	if res[0].Error == "" || Summarize(res).Sent != 0 {
		t.Fatalf("refused send: %+v", res[0])
	}
}

// failing is a receiver that cannot be read.
type failing struct{ err error }

func (f failing) Inbound(context.Context, string, time.Time) ([]Inbound, error) { return nil, f.err }

func TestRunReceiverError(t *testing.T) {
	clk := testclock.New()
	r := &route{clk: clk, play: func(delivery.Message) *Inbound { return nil }}
	res := Run(context.Background(), r, failing{errors.New("twilio inbound: HTTP 401")}, []string{"+12015550123"}, Options{
		Timeout: time.Second, Interval: time.Millisecond, Now: clk.Now,
		DLR: func(context.Context, string) DLR { return DLRDelivered },
	})
	// The receipt says delivered and nothing was seen, but nothing could be
	// read: not an accusation of a fake receipt.
	if res[0].Verdict != NotArrived || !errors.Is(res[0].Err, ErrReceive) || res[0].Error != "cannot read the inbound messages: twilio inbound: HTTP 401" {
		t.Fatalf("got %+v", res[0])
	}
	// A retryable error is asked again until the message is seen.
	n := 0
	flaky := receiverFunc(func(ctx context.Context, to string, since time.Time) ([]Inbound, error) {
		if n++; n < 3 {
			return nil, Retryable(errors.New("HTTP 503"))
		}
		return r.Inbound(ctx, to, since)
	})
	r.play = func(m delivery.Message) *Inbound {
		return &Inbound{From: "+12015550100", To: m.To, Body: m.Body, At: clk.Now()}
	}
	res = Run(context.Background(), r, flaky, []string{"+12015550123"}, Options{Timeout: time.Second, Interval: time.Millisecond, Now: clk.Now})
	if res[0].Verdict != OK || n < 3 {
		t.Fatalf("after two 503s: %+v (%d lookups)", res[0], n)
	}
}

type receiverFunc func(ctx context.Context, to string, since time.Time) ([]Inbound, error)

func (f receiverFunc) Inbound(ctx context.Context, to string, since time.Time) ([]Inbound, error) {
	return f(ctx, to, since)
}

func TestRunCount(t *testing.T) {
	clk := testclock.New()
	r := &route{clk: clk, play: func(m delivery.Message) *Inbound {
		return &Inbound{From: "+12015550100", To: m.To, Body: m.Body, At: clk.Now().Add(time.Second)}
	}}
	var seen int
	res := Run(context.Background(), r, r, []string{"+12015550123", "+12015550124"}, Options{
		Count: 3, Timeout: time.Second, Interval: time.Millisecond, Now: clk.Now,
		OnResult: func(Result) { seen++ },
	})
	if len(res) != 6 || seen != 6 {
		t.Fatalf("%d results, %d reported; want 6", len(res), seen)
	}
	for i, x := range res {
		if want := []string{"+12015550123", "+12015550124"}[i/3]; x.To != want || x.Probe != i%3+1 || x.Verdict != OK {
			t.Errorf("result %d: %+v, want %s probe %d ok", i, x, want, i%3+1)
		}
	}
}

func TestRunInterrupted(t *testing.T) {
	clk := testclock.New()
	r := &route{clk: clk, play: func(delivery.Message) *Inbound { return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	res := Run(ctx, r, r, []string{"+12015550123"}, Options{Timeout: time.Minute, Interval: time.Millisecond, Now: clk.Now,
		DLR: func(context.Context, string) DLR { return DLRDelivered }})
	if res[0].Verdict != NotArrived || !errors.Is(res[0].Err, context.Canceled) {
		t.Fatalf("interrupted: %+v", res[0])
	}
}
