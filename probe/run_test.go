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
				From: from, Timeout: 50 * time.Millisecond, MaxLatency: 30 * time.Second, Interval: 5 * time.Millisecond,
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
